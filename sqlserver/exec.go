package sqlserver

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"

	"github.com/quarrydb/quarry/storage"
)

// accessPath is how a statement reads a table, from the analyzed plan,
// ordered from cheapest to most expensive.
type accessPath uint8

const (
	pathNone      accessPath = iota // no table read (INSERT ... VALUES, SELECT 1)
	pathPKPoint                     // primary key equality on every column
	pathPKRange                     // primary key range or prefix
	pathSecondary                   // secondary index lookup or range
	pathFullScan                    // whole table
	numAccessPaths
)

var accessPathNames = [numAccessPaths]string{"none", "pk_point", "pk_range", "secondary", "full_scan"}

func (p accessPath) String() string { return accessPathNames[p] }

// stmtState is what Quarry tracks about the statement a connection runs:
// filled by the handler (text, type, timings, rows sent), by the analyzer
// rule recordAccessPaths (access paths) and by the iterators execOverride
// wraps (rows examined, row sizes for the memory bound).
type stmtState struct {
	start    time.Time
	typ      stmtType
	memLimit uint64 // bytes; 0 = unlimited

	rowsExamined atomic.Int64
	rowBytes     atomic.Int64 // sum of the sampled row sizes
	rowSamples   atomic.Int64
	cacheEntries atomic.Int64 // rows held by sort/group/distinct buffers
	memExceeded  atomic.Bool

	mu    sync.Mutex
	paths map[string]accessPath // by table
}

func (st *stmtState) reset(typ stmtType, memLimit uint64) {
	st.start = time.Now()
	st.typ = typ
	st.memLimit = memLimit
	st.rowsExamined.Store(0)
	st.rowBytes.Store(0)
	st.rowSamples.Store(0)
	st.cacheEntries.Store(0)
	st.memExceeded.Store(false)
	st.mu.Lock()
	clear(st.paths)
	st.mu.Unlock()
}

func (st *stmtState) addPath(table string, p accessPath) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.paths == nil {
		st.paths = make(map[string]accessPath)
	}
	if old, ok := st.paths[table]; !ok || p > old {
		st.paths[table] = p
	}
}

// worstPath is the most expensive access of the statement.
func (st *stmtState) worstPath() accessPath {
	st.mu.Lock()
	defer st.mu.Unlock()
	w := pathNone
	for _, p := range st.paths {
		w = max(w, p)
	}
	return w
}

// pathsString lists the accesses, "t1:pk_point,t2:full_scan", or "none".
func (st *stmtState) pathsString() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.paths) == 0 {
		return pathNone.String()
	}
	parts := make([]string, 0, len(st.paths))
	for t, p := range st.paths {
		parts = append(parts, t+":"+p.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// avgRowBytes estimates the memory one buffered row takes.
func (st *stmtState) avgRowBytes() int64 {
	const defaultRow, entryOverhead = 64, 48
	n := st.rowSamples.Load()
	if n == 0 {
		return defaultRow + entryOverhead
	}
	return st.rowBytes.Load()/n + entryOverhead
}

// sessions maps each session built by a Server to its connection state, so
// engine-level hooks (analyzer rule, exec builder, context factory), which
// only see a *sql.Context, find the statement they serve. Engines used
// without a Server (the conformance harness) find nothing and do nothing.
var sessions sync.Map // sql.Session -> *connState

func stmtOf(ctx *sql.Context) *stmtState {
	if ctx == nil || ctx.Session == nil {
		return nil
	}
	v, ok := sessions.Load(ctx.Session)
	if !ok {
		return nil
	}
	cs := v.(*connState)
	if !cs.inStatement.Load() {
		return nil
	}
	return &cs.stmt
}

// Quarry's analyzer rule IDs.
const ruleRecordAccessPaths analyzer.RuleId = 1001

// recordAccessPaths notes, for the running statement, how each table is
// read: the analyzed plan's IndexedTableAccess nodes name the index and
// whether the lookup is a point, plain ResolvedTable nodes are full scans.
func recordAccessPaths(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	st := stmtOf(ctx)
	if st == nil {
		return n, transform.SameTree, nil
	}
	switch st.typ {
	case stmtSelect, stmtInsert, stmtUpdate, stmtDelete, stmtReplace:
	default:
		return n, transform.SameTree, nil
	}
	walkAccessPaths(ctx, n, st)
	return n, transform.SameTree, nil
}

func walkAccessPaths(ctx *sql.Context, n sql.Node, st *stmtState) {
	transform.Inspect(n, func(n sql.Node) bool {
		switch n := n.(type) {
		case *plan.InsertInto:
			// The destination is written, not read; the source is a
			// separate tree.
			if n.Source != nil {
				walkAccessPaths(ctx, n.Source, st)
			}
			return false
		case *plan.IndexedTableAccess:
			if name, ok := userTable(n.Database(), n.Name()); ok {
				st.addPath(name, indexPath(ctx, n))
			}
			return false
		case *plan.ResolvedTable:
			if name, ok := userTable(n.Database(), n.Name()); ok {
				st.addPath(name, pathFullScan)
			}
			return false
		}
		if ex, ok := n.(sql.Expressioner); ok {
			for _, e := range ex.Expressions() {
				transform.InspectExpr(e, func(e sql.Expression) bool {
					if sq, ok := e.(*plan.Subquery); ok && sq.Query != nil {
						walkAccessPaths(ctx, sq.Query, st)
					}
					return false
				})
			}
		}
		return true
	})
}

// pushdownRead counts the rows a planner pushdown scan read as rows
// examined, and a whole-table read as a full scan (such scans replace the
// table nodes recordAccessPaths and execOverride see).
func pushdownRead(ctx *sql.Context, table string, fullScan bool, rows int64) {
	st := stmtOf(ctx)
	if st == nil {
		return
	}
	st.rowsExamined.Add(rows)
	if fullScan {
		st.addPath(table, pathFullScan)
	}
}

// userTable returns "db.table" for a table of a user database; the system
// schemas and the dual table are not table accesses.
func userTable(db sql.Database, table string) (string, bool) {
	if table == plan.DualTableName || db == nil {
		return "", false
	}
	switch strings.ToLower(db.Name()) {
	case "information_schema", "mysql", "performance_schema", "sys", "":
		return "", false
	}
	return db.Name() + "." + table, true
}

// indexPath classifies an index access.
func indexPath(ctx *sql.Context, n *plan.IndexedTableAccess) accessPath {
	idx := n.Index()
	if idx == nil || !strings.EqualFold(idx.ID(), "primary") {
		return pathSecondary
	}
	if n.IsStatic() {
		if l, err := n.GetLookup(ctx, nil); err == nil && (l.IsPointLookup || isPointRanges(ctx, l, len(idx.Expressions()))) {
			return pathPKPoint
		}
		return pathPKRange
	}
	// A lookup join: one lookup per outer row.
	if n.IsStrictLookup() {
		return pathPKPoint
	}
	return pathPKRange
}

// processListAuth lets every user run SHOW PROCESSLIST and KILL, which
// GMS reserves to holders of PROCESS and SUPER: MySQL shows everyone their
// own threads and lets them kill those. execOverride applies the rest of
// MySQL's rules (other users' threads need PROCESS to be seen, SUPER or
// CONNECTION_ADMIN to be killed).
type processListAuth struct {
	sql.AuthorizationHandler
}

// HandleAuth implements sql.AuthorizationHandler.
func (a processListAuth) HandleAuth(ctx *sql.Context, state sql.AuthorizationQueryState, auth ast.AuthInformation) error {
	if auth.TargetType == ast.AuthTargetType_Global {
		switch {
		case auth.AuthType == ast.AuthType_PROCESS:
			return nil
		case auth.AuthType == ast.AuthType_SUPER && classifyStatement(ctx.Query()) == stmtKill:
			return nil
		}
	}
	return a.AuthorizationHandler.HandleAuth(ctx, state, auth)
}

// isPointRanges reports whether every range of l fixes all ncols index
// columns to a single value (GMS leaves IsPointLookup unset for storage
// indexes).
func isPointRanges(ctx *sql.Context, l sql.IndexLookup, ncols int) bool {
	rc, ok := l.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(rc) == 0 {
		return false
	}
	for _, r := range rc {
		if len(r) != ncols {
			return false
		}
		for _, c := range r {
			if c.Type() != sql.RangeType_ClosedClosed {
				return false
			}
			lo, hi := sql.GetMySQLRangeCutKey(c.LowerBound), sql.GetMySQLRangeCutKey(c.UpperBound)
			if c.Typ == nil {
				return false
			}
			if cmp, err := c.Typ.Compare(ctx, lo, hi); err != nil || cmp != 0 {
				return false
			}
		}
	}
	return true
}

// execOverride hooks into building row iterators (rowexec.NewOverrideBuilder):
// it counts rows read from tables, samples their size for the memory
// bound, enforces KILL's ownership rule and shows other users' threads in
// SHOW PROCESSLIST and information_schema.PROCESSLIST only to holders of
// PROCESS. Returning a nil iterator lets GMS build the node itself.
type execOverride struct {
	privs *mysql_db.MySQLDb
	store *storage.Engine // table times for SHOW TABLE STATUS
}

// Build implements sql.NodeExecBuilder.
func (o execOverride) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	switch n := n.(type) {
	case *plan.ResolvedTable:
		if isProcessListTable(n) && !o.hasGlobal(ctx, sql.PrivilegeType_Process) {
			it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
			if err != nil {
				return nil, err
			}
			return &ownProcessesIter{RowIter: it, user: ctx.Session.Client().User}, nil
		}
		if _, ok := userTable(n.Database(), n.Name()); !ok {
			return nil, nil // dual, information_schema, mysql.*: not rows examined
		}
		return o.counted(ctx, n, r)
	case *plan.IndexedTableAccess:
		return o.counted(ctx, n, r)
	case *plan.Sort:
		return sortOverride(ctx, rowexecBuilder(o), n, r)
	case *plan.Distinct:
		return distinctOverride(ctx, rowexecBuilder(o), n, r)
	case *plan.ShowReplicaStatus:
		return buildShowReplicaStatus(ctx, n, r)
	case *plan.ShowCreateTrigger:
		return buildShowCreateTrigger(ctx, n, r)
	case *plan.ShowCreateTable:
		return buildShowCreateTable(ctx, n, r)
	case *plan.ShowColumns:
		return buildShowColumns(ctx, n, r)
	case *plan.InsertInto:
		prepareLoadInsert(ctx, n)
	case *plan.ShowVariables:
		return buildShowVariables(ctx, n, r)
	case *plan.ShowIndexes:
		var sp sql.StatsProvider
		if o.store != nil {
			sp = o.store.StatsProvider()
		}
		return buildShowIndexes(ctx, n, r, sp)
	case *plan.ShowTableStatus:
		if o.store != nil {
			return buildShowTableStatus(ctx, n, o.store.TableTimes)
		}
	case *plan.LoadData:
		return buildLoadData(ctx, n)
	case *plan.AlterIndex:
		if n.Action == plan.IndexAction_DisableEnableKeys {
			return buildDisableEnableKeys(ctx, n)
		}
		if it, ok, err := buildAlterWithComment(ctx, o.store, n, r); ok {
			return it, err
		}
	case *plan.Block:
		if it, ok, err := buildAlterTableComment(ctx, o.store, n); ok {
			return it, err
		}
		if it, ok, err := buildAlterWithComment(ctx, o.store, n, r); ok {
			return it, err
		}
	case *plan.AddColumn, *plan.DropColumn, *plan.RenameColumn, *plan.ModifyColumn,
		*plan.AlterPK, *plan.AlterDefaultSet, *plan.AlterDefaultDrop,
		*plan.CreateCheck, *plan.DropCheck, *plan.CreateForeignKey, *plan.DropForeignKey,
		*plan.AlterAutoIncrement, *plan.AlterTableCollation, *plan.DropConstraint, *plan.RenameForeignKey:
		// (an ALTER TABLE clause that comes with a table COMMENT)
		if it, ok, err := buildAlterWithComment(ctx, o.store, n, r); ok {
			return it, err
		}
	case *plan.Truncate:
		if it, ok, err := buildTruncate(ctx, n); ok {
			return it, err
		}
	case *plan.AnalyzeTable:
		if ctx.GetCurrentDatabase() == "" {
			return buildAnalyzeQualified(ctx, n)
		}
	case *plan.Kill:
		if err := o.checkKill(ctx, n); err != nil {
			return nil, err
		}
	case *plan.ShowProcessList:
		if !o.hasGlobal(ctx, sql.PrivilegeType_Process) {
			it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
			if err != nil {
				return nil, err
			}
			// SHOW PROCESSLIST's second column is User too.
			return &ownProcessesIter{RowIter: it, user: ctx.Session.Client().User}, nil
		}
	}
	return nil, nil
}

func (o execOverride) counted(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	st := stmtOf(ctx)
	if st == nil {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	return &countingIter{RowIter: it, st: st, sample: st.memLimit > 0}, nil
}

func (o execOverride) hasGlobal(ctx *sql.Context, p sql.PrivilegeType) bool {
	if o.privs == nil || !o.privs.Enabled() {
		return true
	}
	ps := o.privs.UserActivePrivilegeSet(ctx)
	return ps.Has(sql.PrivilegeType_Super) || ps.Has(p)
}

// checkKill applies MySQL's rules GMS skips: the thread must exist (1094)
// and belong to the user unless they have CONNECTION_ADMIN or SUPER (1095).
func (o execOverride) checkKill(ctx *sql.Context, n *plan.Kill) error {
	var target *sql.Process
	for _, p := range ctx.ProcessList.Processes() {
		if p.Connection == n.ConnID {
			target = &p
			break
		}
	}
	if target == nil {
		return mysql.NewSQLError(mysql.ERNoSuchThread, mysql.SSUnknownSQLState, "Unknown thread id: %d", n.ConnID)
	}
	if target.User == ctx.Session.Client().User || o.hasGlobal(ctx, sql.PrivilegeType_Super) {
		return nil
	}
	if o.privs != nil && o.privs.UserActivePrivilegeSet(ctx).HasDynamic("connection_admin") {
		return nil
	}
	return mysql.NewSQLError(mysql.ERKillDenied, mysql.SSUnknownSQLState, "You are not owner of thread %d", n.ConnID)
}

func isProcessListTable(n *plan.ResolvedTable) bool {
	db := n.Database()
	return db != nil && strings.EqualFold(db.Name(), "information_schema") && strings.EqualFold(n.Name(), "processlist")
}

// ownProcessesIter keeps the process-list rows of one user (column 1).
type ownProcessesIter struct {
	sql.RowIter
	user string
}

func (i *ownProcessesIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := i.RowIter.Next(ctx)
		if err != nil {
			return nil, err
		}
		if len(row) > 1 && fmt.Sprint(row[1]) == i.user {
			return row, nil
		}
	}
}

// countingIter counts the rows a table iterator returns and samples their
// size.
type countingIter struct {
	sql.RowIter
	st     *stmtState
	sample bool
	n      int64
}

func (i *countingIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := i.RowIter.Next(ctx)
	if err != nil {
		if err != io.EOF {
			return nil, err
		}
		return nil, io.EOF
	}
	i.st.rowsExamined.Add(1)
	i.n++
	// Sample the first 64 rows, then one in 64.
	if i.sample && (i.n <= 64 || i.n%64 == 0) {
		i.st.rowBytes.Add(rowSize(row))
		i.st.rowSamples.Add(1)
	}
	return row, nil
}

// rowSize estimates the heap bytes of a row.
func rowSize(row sql.Row) int64 {
	n := int64(24 + 16*len(row))
	for _, v := range row {
		switch x := v.(type) {
		case nil:
		case string:
			n += int64(len(x))
		case []byte:
			n += int64(24 + len(x))
		case decimal.Decimal:
			n += 40
		case time.Time:
			n += 24
		case sql.JSONWrapper:
			n += 256
		default:
			n += 8
		}
	}
	return n
}
