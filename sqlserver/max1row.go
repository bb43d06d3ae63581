package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleSetOpRows is Quarry's analyzer rule for UNION/INTERSECT/EXCEPT.
const ruleSetOpRows analyzer.RuleId = 1031

// setOpRows clears the "at most one row" flag on statements with a UNION,
// INTERSECT or EXCEPT. GMS sets the flag when one branch is a unique-key
// point lookup (or a bare COUNT(*)) without checking for set operations,
// and its handler then fails the whole statement with "result max1Row
// iterator returned more than one row" once a second branch adds a row:
// (SELECT ... FROM o) UNION ALL (SELECT ... FROM o WHERE id <=> 156).
func setOpRows(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags == nil || !qFlags.IsSet(sql.QFlagMax1Row) {
		return n, transform.SameTree, nil
	}
	if transform.InspectUp(n, func(n sql.Node) bool {
		_, ok := n.(*plan.SetOp)
		return ok
	}) {
		qFlags.Unset(sql.QFlagMax1Row)
	}
	return n, transform.SameTree, nil
}
