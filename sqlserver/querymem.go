package sqlserver

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
)

// quarryQueryMemoryLimit is the system variable (session and global,
// dynamic) that bounds the memory one statement may hold in GMS's
// in-memory operators: sort buffers, GROUP BY and DISTINCT hash tables,
// hash-join and subquery caches. 0 disables the bound.
const quarryQueryMemoryLimit = "quarry_query_memory_limit"

// DefaultQueryMemoryLimit is the default of quarry_query_memory_limit.
const DefaultQueryMemoryLimit = 1 << 30

// queryMemoryLimitVar declares quarry_query_memory_limit.
func queryMemoryLimitVar() *sql.MysqlSystemVariable {
	return &sql.MysqlSystemVariable{
		Name:              quarryQueryMemoryLimit,
		Scope:             sql.GetMysqlScope(sql.SystemVariableScope_Both),
		Dynamic:           true,
		SetVarHintApplies: true,
		Type:              types.NewSystemIntType(quarryQueryMemoryLimit, 0, 1<<62, false),
		Default:           int64(DefaultQueryMemoryLimit),
	}
}

// How the bound works. GMS's operators that buffer rows ask their
// sql.MemoryManager's Reporter, before adding each row or group, whether
// memory is left (UsedMemory < MaxMemory); when it is not, they free what
// they hold and fail with "no memory available". GMS's own reporter
// measures the whole process. Quarry's context factory gives every
// statement a manager of its own whose reporter counts the statement's
// buffered entries and multiplies them by the average size of the rows the
// statement read (sampled by countingIter). The estimate is approximate
// but per statement: one big statement fails with error 3170 while the
// others, and the process, carry on.
type queryReporter struct {
	st    *stmtState
	limit uint64
}

// MaxMemory implements sql.Reporter.
func (r queryReporter) MaxMemory() uint64 { return r.limit }

// UsedMemory implements sql.Reporter; GMS calls it once per buffered entry.
func (r queryReporter) UsedMemory() uint64 {
	n := r.st.cacheEntries.Add(1)
	used := uint64(n) * uint64(r.st.avgRowBytes())
	if used >= r.limit {
		r.st.memExceeded.Store(true)
	}
	return used
}

// contextFactory is the sql.ContextFactory of the server: sql.NewContext,
// plus a statement-scoped memory manager when a memory limit applies.
func contextFactory(ctx context.Context, opts ...sql.ContextOption) *sql.Context {
	c := sql.NewContext(ctx, opts...)
	if st := stmtOf(c); st != nil && st.memLimit > 0 {
		c.Memory = sql.NewMemoryManager(queryReporter{st: st, limit: st.memLimit})
	}
	return c
}

// errMemoryLimit is error 3170 for a statement over its memory bound.
func errMemoryLimit(st *stmtState) error {
	return mysql.NewSQLError(erCapacityExceeded, mysql.SSUnknownSQLState,
		"Memory capacity of %d bytes for '%s' exceeded. The statement held about %d rows in memory (sort, GROUP BY, DISTINCT or join buffers); raise %s or make it hold fewer rows.",
		st.memLimit, quarryQueryMemoryLimit, st.cacheEntries.Load(), quarryQueryMemoryLimit)
}

// errQueryTimeout is error 3024 for a SELECT over max_execution_time.
var errQueryTimeout = mysql.NewSQLError(mysql.ERQueryTimeout, mysql.SSUnknownSQLState,
	"Query execution was interrupted, maximum statement execution time exceeded")

// errPacketTooLarge is error 1153.
func errPacketTooLarge(limit int64) error {
	return mysql.NewSQLError(erNetPacketTooLarge, "08S01",
		"Got a packet bigger than 'max_allowed_packet' bytes (%s)", fmt.Sprint(limit))
}
