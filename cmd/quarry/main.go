// Command quarry is the Quarry binary. It owns the command line: the
// subcommands (serve, backup, restore, version), flag, environment and
// config file parsing, process logging setup, the metrics HTTP listener
// and signal handling. The server itself lives in package sqlserver and
// the data directory in package storage.
//
// Usage:
//
//	quarry serve [flags]        (quarry serve -h lists them all)
//	quarry replicate --source-host HOST [--source-port N] [serve flags]
//	quarry import [--dsn DSN] FILE|-
//	quarry backup --to DIR [--admin-addr HOST:PORT | --data-dir DIR]
//	quarry restore --from DIR --data-dir DIR
//	quarry search --data-dir DIR [--rebuild DB.TABLE.INDEX | --rebuild-all] [--check]
//	quarry version
//
// Every serve setting is a flag, a QUARRY_* environment variable and a
// config file key, with precedence flag > environment > file > default.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
)

// version is Quarry's release version, set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = ""

// shutdownTimeout bounds how long running statements may take to finish
// after SIGINT/SIGTERM before they are cancelled; it stays below the 30s
// default grace period of Kubernetes. A second signal cancels at once.
const shutdownTimeout = 25 * time.Second

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "replicate") {
		// Returns only if the process was not replaced; serve logs why.
		schedtuneErr = schedtune.Reexec()
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// schedtuneErr is why main could not re-execute a serving process under
// the scheduler setting of package schedtune, if it could not.
var schedtuneErr error

const usageText = `Usage: quarry <command> [flags]

Commands:
  serve     run the MySQL-compatible server (quarry serve -h for flags)
  replicate serve as a binlog replica of a MySQL/MariaDB primary (quarry replicate -h)
  import    load a SQL dump into a running server with progress (quarry import -h)
  backup    take a consistent backup of a running server (quarry backup -h)
  restore   restore a backup into a new data directory (quarry restore -h)
  search    rebuild or check the search (FULLTEXT) indexes offline (quarry search -h)
  version   print the version
`

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "serve":
		opts, err := parseServeArgs(args[1:], getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "quarry: %v\n", err)
			return 2
		}
		signals := make(chan os.Signal, 2)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(signals)
		return serve(opts, stderr, signals)
	case "replicate":
		return runReplicate(args[1:], stderr, getenv)
	case "import":
		return runImport(args[1:], stdout, stderr, getenv)
	case "backup":
		return runBackup(args[1:], stdout, stderr, getenv)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
	case "search":
		return runSearch(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "quarry: version takes no arguments\n")
			return 2
		}
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "quarry: unknown command %q\n\n%s", args[0], usageText)
		return 2
	}
}

// quarryVersion is the release version, or the module version, or "devel".
func quarryVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

func versionString() string {
	return fmt.Sprintf("quarry %s (MySQL %s compatible; %s %s/%s)",
		quarryVersion(), sqlserver.ServerVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
