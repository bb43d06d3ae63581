package sqlserver

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/loaddata"
	"github.com/quarrydb/quarry/storage"
)

// Bulk LOAD DATA. GMS runs LOAD DATA as an INSERT whose source is the
// file (plan.InsertInto over a Project over plan.LoadData), and its row
// pipeline stays in charge: column mapping, defaults, conversions with
// their warnings and errors, IGNORE and REPLACE, AUTO_INCREMENT, the
// affected-rows count. When the INSERT is built for a plain Quarry table
// and the statement is its own transaction, two things change:
//   - storage writes the rows to sorted runs and ingests them at commit
//     (storage.Table.BeginBulkLoad) instead of growing the transaction's
//     overlay row by row;
//   - the file is parsed ahead on another goroutine, and canonical
//     DATE/DATETIME fields become time.Time values that the column type
//     converts without trying its string layouts (loaddata.Options).
//
// quarry_bulk_load (session and global, default ON) turns both off; the
// differential tests compare the two.
const quarryBulkLoad = "quarry_bulk_load"

func bulkLoadVar() sql.SystemVariable {
	return &sql.MysqlSystemVariable{
		Name:    quarryBulkLoad,
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
		Dynamic: true,
		Type:    types.NewSystemBoolType(quarryBulkLoad),
		Default: int8(1),
	}
}

// loadOpts passes the options the INSERT's builder chose to the builder
// of its LoadData source, which GMS calls next on the same goroutine.
var loadOpts sync.Map // loadKey -> loaddata.Options

type loadKey struct {
	ld  *plan.LoadData
	pid uint64
}

// loadSource returns the LoadData node an INSERT reads, if it is GMS's
// LOAD DATA plan: InsertInto(Project(LoadData)).
func loadSource(ii *plan.InsertInto) *plan.LoadData {
	var ld *plan.LoadData
	transform.Inspect(ii.Source, func(n sql.Node) bool {
		switch n := n.(type) {
		case *plan.LoadData:
			ld = n
			return false
		case *plan.Project:
			return true
		}
		return false
	})
	return ld
}

// prepareLoadInsert chooses the bulk path for the INSERT of a LOAD DATA
// statement (see above). It returns nothing: GMS builds the INSERT.
func prepareLoadInsert(ctx *sql.Context, ii *plan.InsertInto) {
	ld := loadSource(ii)
	if ld == nil {
		return
	}
	loadOpts.Delete(loadKey{ld, ctx.Pid()})
	if sessionInt(ctx.Session, quarryBulkLoad, 1) == 0 {
		return
	}
	ins, err := plan.GetInsertable(ii.Destination)
	if err != nil {
		return
	}
	st, ok := ins.(*storage.Table)
	if !ok {
		return // a wrapper: foreign key handler, temporary table...
	}
	opts := loaddata.Options{Prefetch: true}
	if bulkLoadTableOK(ctx, ii, st) {
		opts.DateColumns = dateColumns(ld)
		if autocommitStatement(ctx) {
			st.BeginBulkLoad(ctx)
		}
	}
	loadOpts.Store(loadKey{ld, ctx.Pid()}, opts)
}

// bulkLoadTableOK reports whether nothing but the INSERT's own pipeline
// sees the rows while the statement runs: no triggers, CHECK constraints,
// generated columns, checked foreign keys, or defaults computed from other
// columns (which would see converted values).
func bulkLoadTableOK(ctx *sql.Context, ii *plan.InsertInto, st *storage.Table) bool {
	if len(ii.Checks()) > 0 {
		return false
	}
	if tdb, ok := ii.Database().(sql.TriggerDatabase); ok {
		if trigs, err := tdb.GetTriggers(ctx); err != nil || len(trigs) > 0 {
			return false
		}
	}
	if checks, err := st.GetChecks(ctx); err != nil || len(checks) > 0 {
		return false
	}
	if fks, err := st.GetDeclaredForeignKeys(ctx); err != nil || len(fks) > 0 {
		return false
	}
	for _, col := range st.Schema() {
		if col.Generated != nil || col.Virtual || col.Default != nil && readsColumns(col.Default) {
			return false
		}
	}
	return true
}

// readsColumns reports whether e refers to a column.
func readsColumns(e sql.Expression) bool {
	found := false
	sql.Inspect(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *expression.GetField, *expression.UnresolvedColumn:
			found = true
		}
		return !found
	})
	return found
}

// autocommitStatement reports whether the statement's transaction ends
// with it (GMS's TransactionCommittingIter commits it).
func autocommitStatement(ctx *sql.Context) bool {
	if ctx.GetIgnoreAutoCommit() {
		return false
	}
	v, err := ctx.GetSessionVariable(ctx, sql.AutoCommitSessionVar)
	if err != nil {
		return false
	}
	on, err := sql.ConvertToBool(ctx, v)
	return err == nil && on
}

// dateColumns marks the DATE and DATETIME columns of the LOAD DATA's
// destination whose file fields are converted ahead. SET expressions read
// the file's fields, not these values, so they are unaffected.
func dateColumns(ld *plan.LoadData) []bool {
	out := make([]bool, len(ld.DestSch))
	any := false
	for i, col := range ld.DestSch {
		if isDateOrDatetime(col.Type) {
			out[i], any = true, true
		}
	}
	if !any {
		return nil
	}
	return out
}

// buildLoadData builds the LOAD DATA source with the options its INSERT
// chose (none when it was built some other way).
func buildLoadData(ctx *sql.Context, n *plan.LoadData) (sql.RowIter, error) {
	var opts loaddata.Options
	if v, ok := loadOpts.LoadAndDelete(loadKey{n, ctx.Pid()}); ok {
		opts = v.(loaddata.Options)
	}
	return loaddata.Build(ctx, n, opts)
}
