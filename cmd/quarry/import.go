package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/importer"
)

// runImport is `quarry import [flags] FILE|-`: it loads a mysqldump or
// mariadb-dump file into a running server over the MySQL protocol,
// printing a progress bar with rows/s and an ETA, and on a failing
// statement exits non-zero naming its line (rerun with --start-line to
// resume there).
func runImport(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("quarry import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "127.0.0.1", "server host")
	port := fs.Int("port", 3306, "server port")
	user := fs.String("user", "root", "user")
	password := fs.String("password", getenv("QUARRY_PASSWORD"), "password (env QUARRY_PASSWORD)")
	database := fs.String("database", "", "default database (for dumps of a single database without USE)")
	startLine := fs.Int("start-line", 0, "resume: skip statements before this dump line (USE and SET are replayed)")
	quiet := fs.Bool("quiet", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: quarry import [flags] FILE|-\n\nLoads a SQL dump into a running Quarry (or MySQL) server.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var in io.Reader
	var total int64
	if name := fs.Arg(0); name == "-" {
		in = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "quarry import: %v\n", err)
			return 1
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			total = fi.Size()
		}
		in = f
	}

	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net = *user, *password, "tcp"
	cfg.Addr = fmt.Sprintf("%s:%d", *host, *port)
	cfg.DBName = *database
	cfg.MaxAllowedPacket = 0 // use the server's max_allowed_packet
	cfg.InterpolateParams = false
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "quarry import: %v\n", err)
		return 1
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "quarry import: connect to %s: %v\n", cfg.Addr, err)
		return 1
	}
	defer conn.Close()

	opts := importer.Options{Total: total, StartLine: *startLine}
	if !*quiet {
		opts.Progress = func(p importer.Progress) { fmt.Fprint(stderr, "\r"+progressLine(p)) }
	}
	p, err := importer.Run(ctx, conn, in, opts)
	if !*quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "quarry import: %v\n", err)
		var ie *importer.Error
		if errors.As(err, &ie) && ie.Statement != "" {
			fmt.Fprintf(stderr, "quarry import: statements before line %d were applied; fix the input and rerun with --start-line %d to resume\n", ie.Line, ie.Line)
		}
		return 1
	}
	fmt.Fprintf(stdout, "imported %d statements, %d rows in %s (%.0f rows/s)\n",
		p.Statements, p.Rows, p.Elapsed.Round(time.Millisecond), p.RowsPerSec())
	return 0
}

// progressLine renders "[####......]  42.0%  12.3/29.1 MB  1234567 rows  85000 rows/s  ETA 0:32".
func progressLine(p importer.Progress) string {
	var b strings.Builder
	if p.Total > 0 {
		frac := float64(p.Bytes) / float64(p.Total)
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] %5.1f%%  %.1f/%.1f MB", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac,
			float64(p.Bytes)/1e6, float64(p.Total)/1e6)
	} else {
		fmt.Fprintf(&b, "%.1f MB", float64(p.Bytes)/1e6)
	}
	fmt.Fprintf(&b, "  %d rows  %.0f rows/s", p.Rows, p.RowsPerSec())
	if eta := p.ETA(); eta > 0 && !p.Done {
		fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
	}
	if p.Done {
		fmt.Fprintf(&b, "  done in %s", p.Elapsed.Round(time.Millisecond))
	}
	return b.String()
}
