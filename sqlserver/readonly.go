package sqlserver

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage"
)

// ruleReadOnly is Quarry's analyzer rule for read_only/super_read_only.
const ruleReadOnly analyzer.RuleId = 1057

// erOptionPreventsStatement is ER_OPTION_PREVENTS_STATEMENT.
const erOptionPreventsStatement = 1290

// MySQL's read_only refuses every write (DML, DDL, account management)
// from users without SUPER or CONNECTION_ADMIN with error 1290 (HY000);
// super_read_only refuses them from everyone (it implies read_only; SET
// GLOBAL also sets read_only when it is set, see readonlylink.go). Writes to temporary
// tables (CREATE/DROP TEMPORARY TABLE, DML on them) are allowed, and the
// replication applier is exempt. GMS defined both variables but enforced
// neither. readOnly is the analyzer rule, run on every top-level plan (it
// sits in OnceAfterAll, which the simple UPDATE/DELETE pipeline runs too);
// the bulk INSERT and learned prepared DML paths hand statements to GMS
// while either variable is on.

var installReadOnly = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append([]analyzer.Rule{{Id: ruleReadOnly, Apply: readOnly}}, analyzer.OnceAfterAll...)
})

// readOnlyOn reports whether read_only or super_read_only is on.
func readOnlyOn() bool {
	return globalInt("read_only", 0) != 0 || globalInt("super_read_only", 0) != 0
}

// fastWritable reports whether a fast path (bulk INSERT, learned DML) may
// write now: not with read_only or super_read_only on, a read-only or
// write-locked engine (PrepQueryPlanForExecution's readOnlyCheck) or in a
// read-only transaction (validateReadOnlyTransaction). GMS reports those.
func (h *handler) fastWritable(ctx *sql.Context) bool {
	if readOnlyOn() || h.s.engine.IsReadOnly() || h.s.engine.IsServerLocked {
		return false
	}
	tx := ctx.GetTransaction()
	return tx == nil || !tx.IsReadOnly()
}

func readOnly(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !scope.IsEmpty() || !readOnlyOn() || storage.IsReplicaApplier(ctx) || !writesDurableData(n) {
		return n, transform.SameTree, nil
	}
	if globalInt("super_read_only", 0) != 0 {
		return nil, transform.SameTree, mysql.NewSQLError(erOptionPreventsStatement, mysql.SSUnknownSQLState,
			"The MySQL server is running with the --super-read-only option so it cannot execute this statement")
	}
	if db := a.Catalog.MySQLDb; db != nil && ctx.Session != nil {
		if ps := db.UserActivePrivilegeSet(ctx); ps.Has(sql.PrivilegeType_Super) || ps.HasDynamic("CONNECTION_ADMIN") {
			return n, transform.SameTree, nil
		}
	}
	return nil, transform.SameTree, mysql.NewSQLError(erOptionPreventsStatement, mysql.SSUnknownSQLState,
		"The MySQL server is running with the --read-only option so it cannot execute this statement")
}

// writesDurableData reports whether n changes data, schema or accounts
// other than temporary tables.
func writesDurableData(n sql.Node) bool {
	writes := false
	transform.Inspect(n, func(n sql.Node) bool {
		if writes {
			return false
		}
		switch n := n.(type) {
		case *plan.InsertInto:
			writes = !onlyTemporary(n.Destination)
			return false
		case *plan.Update, *plan.DeleteFrom, *plan.Truncate:
			writes = !onlyTemporary(n)
			return false
		case *plan.CreateTable:
			writes = !n.Temporary()
			return false
		case *plan.DropTable:
			for _, t := range n.Tables {
				if !onlyTemporary(t) {
					writes = true
				}
			}
			return false
		case *plan.CreateUser, *plan.DropUser, *plan.RenameUser, *plan.AlterUser,
			*plan.CreateRole, *plan.DropRole, *plan.Grant, *plan.GrantRole, *plan.GrantProxy,
			*plan.Revoke, *plan.RevokeAll, *plan.RevokeRole, *plan.RevokeProxy,
			*plan.AlterAutoIncrement, *plan.AlterDefaultSet, *plan.AlterDefaultDrop,
			*plan.AlterTableCollation, *plan.AlterEvent, *plan.DropConstraint, *plan.RenameForeignKey:
			writes = true
			return false
		}
		if plan.IsDDLNode(n) {
			if _, block := n.(*plan.Block); !block {
				writes = true
				return false
			}
		}
		return true
	})
	return writes
}

// onlyTemporary reports whether every table n reads or writes is a
// temporary table (and there is at least one).
func onlyTemporary(n sql.Node) bool {
	found, durable := false, false
	transform.Inspect(n, func(n sql.Node) bool {
		if tn, ok := n.(sql.TableNode); ok { // ResolvedTable, IndexedTableAccess
			found = true
			if !isTemporaryTable(tn.UnderlyingTable()) {
				durable = true
			}
		}
		return !durable
	})
	return found && !durable
}

// isTemporaryTable reports whether t (possibly wrapped) is a temporary
// table.
func isTemporaryTable(t sql.Table) bool {
	if base, ok := storage.AsTable(t); ok {
		return base.IsTemporary()
	}
	tt, ok := sql.GetUnderlyingTable(t).(sql.TemporaryTable)
	return ok && tt.IsTemporary()
}
