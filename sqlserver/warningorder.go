package sqlserver

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleWarningOrder is Quarry's analyzer rule for SHOW WARNINGS.
const ruleWarningOrder analyzer.RuleId = 1063

// MySQL lists SHOW WARNINGS (and SHOW ERRORS) in the order the conditions
// were raised, so "at row 1" comes first and SHOW WARNINGS LIMIT 1 is the
// first warning (https://dev.mysql.com/doc/refman/8.0/en/show-warnings.html).
// GMS's session returns its warnings newest first (BaseSession.Warnings,
// an order GMS's engine relies on while binding), and the planner builds
// the SHOW WARNINGS node from that list. warningOrder reverses the list in
// the node, below any LIMIT.

// installWarningOrder appends the rule to GMS's OnceAfterAll batch, once
// per process.
var installWarningOrder = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleWarningOrder, Apply: warningOrder})
})

func warningOrder(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !scope.IsEmpty() {
		return n, transform.SameTree, nil
	}
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		sw, ok := n.(plan.ShowWarnings)
		if !ok || len(sw) < 2 {
			return n, transform.SameTree, nil
		}
		raised := make(plan.ShowWarnings, len(sw))
		for i, w := range sw {
			raised[len(sw)-1-i] = w
		}
		return raised, transform.NewTree, nil
	})
}
