// Package importer loads SQL dumps (mysqldump, mariadb-dump) into a MySQL
// protocol server one statement at a time on one session, as the mysql
// client does, reporting progress and failing with the dump line of the
// statement that failed. It owns the statement splitter (split.go).
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Execer runs a statement; *sql.Conn is one (use a single connection, so
// USE and SET carry over between statements).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Options configure Run.
type Options struct {
	// Total is the input size in bytes, if known (for percent and ETA).
	Total int64
	// StartLine resumes an import: statements that begin before it are
	// skipped, except session setup (USE, SET, executable comments), which
	// is replayed so the resumed statements run in the same context.
	StartLine int
	// Progress, if set, is called about every ProgressEvery and at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is the state of an import.
type Progress struct {
	Bytes, Total int64
	Statements   int64
	Rows         int64 // rows affected by INSERT/REPLACE/LOAD
	Elapsed      time.Duration
	Done         bool
}

// RowsPerSec is the average insert rate so far.
func (p Progress) RowsPerSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Rows) / p.Elapsed.Seconds()
}

// ETA estimates the time left from the bytes consumed (0 if unknown).
func (p Progress) ETA() time.Duration {
	if p.Total <= 0 || p.Bytes <= 0 || p.Bytes >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Elapsed) * float64(p.Total-p.Bytes) / float64(p.Bytes))
}

// Error is a failed statement of a dump.
type Error struct {
	Line      int
	Statement string // truncated
	Err       error
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d: %v (statement: %s)", e.Line, e.Err, e.Statement)
}

func (e *Error) Unwrap() error { return e.Err }

// Run executes the dump read from r on db. It stops at the first failing
// statement with an *Error naming its line; statements before it have
// been applied (each commits on its own unless the dump opened a
// transaction), so the import can be resumed with StartLine.
func Run(ctx context.Context, db Execer, r io.Reader, opts Options) (Progress, error) {
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	sp := NewSplitter(r)
	start := time.Now()
	p := Progress{Total: opts.Total}
	last := start
	report := func(done bool) {
		p.Elapsed = time.Since(start)
		p.Done = done
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	for {
		st, err := sp.Next()
		if errors.Is(err, io.EOF) {
			p.Bytes = sp.off
			break
		}
		if err != nil {
			return p, &Error{Line: sp.line, Err: err}
		}
		p.Bytes = st.End
		if st.Line < opts.StartLine && !isSessionSetup(st.SQL) {
			continue
		}
		res, err := db.ExecContext(ctx, st.SQL)
		if err != nil {
			return p, &Error{Line: st.Line, Statement: truncate(st.SQL, 120), Err: err}
		}
		p.Statements++
		if countsRows(st.SQL) {
			if n, err := res.RowsAffected(); err == nil {
				p.Rows += n
			}
		}
		if now := time.Now(); now.Sub(last) >= opts.ProgressEvery {
			last = now
			report(false)
		}
	}
	report(true)
	return p, nil
}

func firstWord(q string) string {
	q = strings.TrimLeft(q, " \t\r\n(")
	if strings.HasPrefix(q, "/*!") || strings.HasPrefix(q, "/*M!") {
		i := strings.IndexByte(q, '!')
		q = strings.TrimLeft(q[i+1:], "0123456789")
		q = strings.TrimLeft(q, " \t\r\n")
	}
	end := strings.IndexAny(q, " \t\r\n(")
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:end])
}

func isSessionSetup(q string) bool {
	switch firstWord(q) {
	case "USE", "SET":
		return true
	}
	return false
}

func countsRows(q string) bool {
	switch firstWord(q) {
	case "INSERT", "REPLACE", "LOAD":
		return true
	}
	return false
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
