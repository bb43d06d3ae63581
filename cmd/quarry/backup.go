package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

const backupUsage = `Usage: quarry backup --to DIR [--admin-addr HOST:PORT] [--timeout D]
       quarry backup --to DIR --data-dir DIR

Writes a consistent backup into DIR (which must not exist or be empty).

Online (default): asks the running server, through POST /admin/backup on its
metrics listener (--metrics-listen, which must be on this host: only loopback
clients are served), to write a Pebble checkpoint of its storage. Every
transaction committed before the backup started is in it, none that commits
later is; the server keeps serving meanwhile. DIR is resolved on this host
and written by the server process.

Offline (--data-dir): takes the checkpoint from a stopped server's data
directory.

The backup is a data directory: "quarry restore" copies it to a new place
and verifies it, or "quarry serve --data-dir DIR" starts on it directly.

Flags:
`

// runBackup implements `quarry backup`.
func runBackup(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("quarry backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "directory to write the backup to (required)")
	defAdmin := getenv("QUARRY_METRICS_LISTEN")
	if defAdmin == "" || strings.EqualFold(defAdmin, "off") {
		defAdmin = defaultMetricsListen
	}
	admin := fs.String("admin-addr", defAdmin, "the server's metrics listener, host:port (default from QUARRY_METRICS_LISTEN)")
	dataDir := fs.String("data-dir", "", "offline backup of this data directory (the server must be stopped)")
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	fs.Usage = func() {
		fmt.Fprint(stderr, backupUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "quarry backup: --to DIR is required (and takes no arguments)")
		return 2
	}
	dest, err := filepath.Abs(*to)
	if err != nil {
		fmt.Fprintf(stderr, "quarry backup: %v\n", err)
		return 2
	}
	start := time.Now()
	if *dataDir != "" {
		err = offlineBackup(*dataDir, dest)
	} else {
		err = onlineBackup(*admin, dest, *timeout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "quarry backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup written to %s in %s\n", dest, time.Since(start).Round(time.Millisecond))
	return 0
}

func offlineBackup(dataDir, dest string) error {
	store, err := storage.Open(storage.Options{Dir: dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("open %s (is the server still running? then back up online): %w", dataDir, err)
	}
	err = store.Checkpoint(dest)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return err
}

func onlineBackup(admin, dest string, timeout time.Duration) error {
	host, port, err := net.SplitHostPort(admin)
	if err != nil {
		return fmt.Errorf("invalid --admin-addr %q: %w", admin, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // a server listening on all interfaces
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/admin/backup", RawQuery: url.Values{"to": {dest}}.Encode()}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set(sqlserver.AdminHeader, "backup")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask the server at %s for a backup (is it running with --metrics-listen %s?): %w", u.Host, admin, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var res sqlserver.BackupResult
	if json.Unmarshal(body, &res) != nil || resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if res.Error != "" {
			msg = res.Error
		}
		return fmt.Errorf("server answered %s: %s", resp.Status, msg)
	}
	return nil
}

const restoreUsage = `Usage: quarry restore --from BACKUP_DIR --data-dir DIR [--verify=false]

Copies a backup made by "quarry backup" into a new data directory DIR (which
must not exist or be empty), then opens it and checks that every index
agrees with its table. Start the server on it with
"quarry serve --data-dir DIR". (A server can also start on the backup
directory itself; restoring keeps the backup pristine.)

Flags:
`

// runRestore implements `quarry restore`.
func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quarry restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup directory (required)")
	dataDir := fs.String("data-dir", "", "data directory to create (required)")
	verify := fs.Bool("verify", true, "open the restored directory and check its consistency (reads every table)")
	fs.Usage = func() {
		fmt.Fprint(stderr, restoreUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *from == "" || *dataDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "quarry restore: --from and --data-dir are required")
		return 2
	}
	start := time.Now()
	if err := restore(*from, *dataDir, *verify); err != nil {
		fmt.Fprintf(stderr, "quarry restore: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s into %s in %s; start it with: quarry serve --data-dir %s\n",
		*from, *dataDir, time.Since(start).Round(time.Millisecond), *dataDir)
	return 0
}

func restore(from, dataDir string, verify bool) error {
	if st, err := os.Stat(filepath.Join(from, "kv")); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a Quarry backup (no kv directory)", from)
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; restore into a new directory", dataDir)
	}
	if err := copyTree(from, dataDir); err != nil {
		return err
	}
	if !verify {
		return nil
	}
	store, err := storage.Open(storage.Options{Dir: dataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("the restored directory does not open: %w", err)
	}
	err = store.CheckConsistency()
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("the restored directory is inconsistent: %w", err)
	}
	return nil
}

// copyTree copies the regular files and directories under src to dst,
// syncing each file and directory.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o750); err != nil {
				return err
			}
			return nil
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return fmt.Errorf("unexpected file %s in the backup", path)
		}
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
