package sqlserver

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// Direct execution of learned point UPDATE and DELETE. Building GMS's
// iterator tree for a one-row write (the plan rebuilt around the new key,
// ExecBuilder.Build, FinalizeIters, then the table editor, update source,
// accumulator, transaction-committing and tracked iterators) cost more
// than the write itself. dmlRun does what that tree does for the learned
// plan, step for step and in the same order, calling the same table,
// editor and expression methods:
//
//   - the editor (Updater or Deleter of the plan's table, GetUpdatable and
//     GetDeletable) is opened before the row is read, so the read is the
//     locking read of the latest row (as in buildUpdate);
//   - StatementBegin, then the PRIMARY point read through the plan's table
//     (TableRowIter over the partition of the key; rows examined as
//     countingIter counts them);
//   - per row, UPDATE: the SET expressions (updateSourceIter), the row
//     comparison with the updatable's schema, and when it changed the
//     enforced CHECKs, NOT NULL and editor.Update (updateIter); DELETE:
//     editor.Delete (deleteIter);
//   - on an error DiscardChanges, else StatementComplete; then the editor
//     and the row iterator are closed (TableEditorIter);
//   - the OK result, FOUND_ROWS (UPDATE) and ROW_COUNT as the accumulator
//     sets them, with CLIENT_FOUND_ROWS counting matched rows;
//   - commit under autocommit (TransactionCommittingIter), not after an
//     error.

// dmlRun is one execution of a learned statement.
type dmlRun struct {
	ds    *dmlStmt
	part  sql.Partition    // the key's PRIMARY point
	exprs []sql.Expression // UPDATE: the SET expressions with this execution's literals
	st    *stmtState       // rows examined; nil outside a Server statement
}

// run executes r in ctx's transaction and returns the OK result.
func (r *dmlRun) run(ctx *sql.Context) (*sqltypes.Result, error) {
	var ed interface {
		sql.EditOpenerCloser
		sql.Closer
	}
	if r.ds.src != nil {
		ed = r.ds.updatable.Updater(ctx)
	} else {
		ed = r.ds.deletable.Deleter(ctx)
	}
	ed.StatementBegin(ctx)
	matched, changed, err := r.apply(ctx, ed)
	if err != nil {
		_ = ed.DiscardChanges(ctx, err)
		_ = ed.Close(ctx)
		return nil, err
	}
	if err := ed.StatementComplete(ctx); err != nil {
		_ = ed.Close(ctx)
		return nil, err
	}
	if err := ed.Close(ctx); err != nil {
		return nil, err
	}
	if r.ds.src == nil {
		ctx.SetLastQueryInfoInt(sql.RowCount, int64(changed))
		return &sqltypes.Result{RowsAffected: uint64(changed)}, nil
	}
	ctx.SetLastQueryInfoInt(sql.FoundRows, int64(matched))
	affected := changed
	if ctx.Client().Capabilities&mysql.CapabilityClientFoundRows != 0 { // as defaultAccumulatorIter
		affected = matched
	}
	ctx.SetLastQueryInfoInt(sql.RowCount, int64(affected))
	info := plan.UpdateInfo{Matched: matched, Updated: changed}
	return &sqltypes.Result{RowsAffected: uint64(affected), Info: info.String()}, nil
}

// apply reads the key's row and writes it through ed; for a DELETE,
// changed counts the deleted rows.
func (r *dmlRun) apply(ctx *sql.Context, ed sql.EditOpenerCloser) (matched, changed int, err error) {
	rows, err := r.ds.ita.Table.PartitionRows(ctx, r.part)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := rows.Close(ctx); err == nil {
			err = cerr
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		old, err := rows.Next(ctx)
		if err == io.EOF {
			return matched, changed, nil
		}
		if err != nil {
			return 0, 0, err
		}
		if r.st != nil {
			r.st.rowsExamined.Add(1)
		}
		if r.ds.src == nil {
			if err := ed.(sql.RowDeleter).Delete(ctx, old); err != nil {
				return 0, 0, err
			}
			changed++
			continue
		}
		same, err := r.update(ctx, ed.(sql.RowUpdater), old)
		if err != nil {
			return 0, 0, err
		}
		matched++
		if !same {
			changed++
		}
	}
}

// update computes old's new row and writes it if it differs from old.
func (r *dmlRun) update(ctx *sql.Context, ed sql.RowUpdater, old sql.Row) (same bool, err error) {
	row := old
	for _, e := range r.exprs {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return false, err
		}
		next, ok := v.(sql.Row)
		if !ok {
			return false, plan.ErrUpdateUnexpectedSetResult.New(v)
		}
		row = next
	}
	sch := r.ds.updatable.Schema()
	same, err = old.Equals(ctx, row, sch)
	if err != nil || same {
		return same, err
	}
	for _, check := range r.ds.checks {
		if !check.Enforced {
			continue
		}
		res, err := sql.EvaluateCondition(ctx, check.Expr, row)
		if err != nil {
			return false, err
		}
		if sql.IsFalse(res) {
			return false, sql.ErrCheckConstraintViolated.New(check.Name)
		}
	}
	for i, col := range sch {
		if !col.Nullable && row[i] == nil {
			return false, sql.ErrInsertIntoNonNullableProvidedNull.New(col.Name)
		}
	}
	return false, ed.Update(ctx, old, row)
}
