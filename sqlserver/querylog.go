package sqlserver

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
)

// maxLoggedQuery bounds the statement text in slog records; the log files
// get the whole statement, as MySQL's do.
const maxLoggedQuery = 4096

// queryLogs writes the slow query log and the general query log. Each goes
// to a writer in MySQL's file format (so mysqldumpslow and pt-query-digest
// read the slow log) or, without a writer, to the server's slog logger.
// Whether they are written is decided per statement by the global
// slow_query_log and general_log variables (SET GLOBAL works at runtime).
type queryLogs struct {
	log *slog.Logger

	slowMu sync.Mutex
	slow   io.Writer

	generalMu sync.Mutex
	general   io.Writer
}

// slowEntry is one slow-log record.
type slowEntry struct {
	connID       uint32
	user, host   string
	db           string
	start        time.Time
	duration     time.Duration
	rowsSent     int64
	rowsExamined int64
	rowsAffected int64
	accessPath   string
	err          error
	query        string
}

func (l *queryLogs) logSlow(e slowEntry) {
	query := redactSecrets(e.query)
	if l.slow == nil {
		result := "ok"
		if e.err != nil {
			result = e.err.Error()
		}
		l.log.Warn("slow query",
			"conn_id", e.connID, "user", e.user, "host", e.host, "db", e.db,
			"duration", e.duration, "rows_sent", e.rowsSent, "rows_examined", e.rowsExamined,
			"rows_affected", e.rowsAffected, "access_path", e.accessPath, "result", result,
			"query", truncate(query, maxLoggedQuery))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Time: %s\n", e.start.UTC().Format("2006-01-02T15:04:05.000000Z"))
	fmt.Fprintf(&b, "# User@Host: %s[%s] @ %s [%s]  Id: %d\n", e.user, e.user, e.host, e.host, e.connID)
	fmt.Fprintf(&b, "# Query_time: %.6f  Lock_time: 0.000000 Rows_sent: %d  Rows_examined: %d  Rows_affected: %d\n",
		e.duration.Seconds(), e.rowsSent, e.rowsExamined, e.rowsAffected)
	errno := 0
	if e.err != nil {
		errno = int(MySQLError(e.err).Num)
	}
	fmt.Fprintf(&b, "# Quarry_access_path: %s  Errno: %d\n", e.accessPath, errno)
	if e.db != "" {
		fmt.Fprintf(&b, "use %s;\n", e.db)
	}
	fmt.Fprintf(&b, "SET timestamp=%d;\n", e.start.Unix())
	b.WriteString(strings.TrimRight(strings.TrimSpace(query), ";"))
	b.WriteString(";\n")
	l.slowMu.Lock()
	defer l.slowMu.Unlock()
	if _, err := io.WriteString(l.slow, b.String()); err != nil {
		l.log.Error("cannot write the slow query log", "err", err)
	}
}

// logGeneral records a client command: Connect, Query or Quit.
func (l *queryLogs) logGeneral(connID uint32, command, arg string) {
	if command == "Query" {
		arg = redactSecrets(arg)
	}
	if l.general == nil {
		l.log.Info("general log", "conn_id", connID, "command", command, "argument", truncate(arg, maxLoggedQuery))
		return
	}
	line := fmt.Sprintf("%s\t%6d %s\t%s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), connID, command, arg)
	l.generalMu.Lock()
	defer l.generalMu.Unlock()
	if _, err := io.WriteString(l.general, line); err != nil {
		l.log.Error("cannot write the general query log", "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// secretRE finds passwords in account statements: IDENTIFIED [WITH plugin]
// BY 'x', SET PASSWORD ... = 'x', PASSWORD('x').
var secretRE = regexp.MustCompile(`(?is)(identified\s+(?:with\s+\S+\s+)?(?:by|as)\s+|password\s*(?:for\s+\S+\s*)?=\s*|password\s*\(\s*)('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")`)

// redactSecrets replaces passwords in q with <secret>, as MySQL does in its
// logs.
func redactSecrets(q string) string {
	if !strings.Contains(strings.ToLower(q), "password") && !strings.Contains(strings.ToLower(q), "identified") {
		return q
	}
	return secretRE.ReplaceAllString(q, "${1}<secret>")
}
