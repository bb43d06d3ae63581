package sqlserver

import (
	"fmt"
	"runtime/debug"

	"github.com/dolthub/vitess/go/mysql"
)

// catchPanic runs a statement and turns a panic inside GMS (planner bugs
// that valid SQL reaches, such as the join planner's "vertex not found")
// into error 1105 for the client; vitess would otherwise log it and drop
// the connection without a word. The panic unwinds GMS's deferred cleanup
// like an error return does, so the session stays usable; the stack is
// logged.
func (h *handler) catchPanic(c *mysql.Conn, query string, stmt func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			h.s.log.Error("statement panicked", "conn", c.ConnectionID, "query", query,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "internal error: %v", p)
		}
	}()
	return stmt()
}
