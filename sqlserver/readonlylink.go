package sqlserver

import (
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleReadOnlyLink is Quarry's analyzer rule for SET GLOBAL read_only and
// super_read_only.
const ruleReadOnlyLink analyzer.RuleId = 1064

// In MySQL, enabling super_read_only also enables read_only, and
// disabling read_only also disables super_read_only
// (https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_super_read_only),
// so @@read_only reports 1 whenever super_read_only is on. GMS's variable
// registry cannot set one variable from the other's change hook (it holds
// its lock there). readOnlyLink gives the global read_only and
// super_read_only of a SET statement a scope (linkedReadOnlyScope) that
// sets the other variable after setting its own.

// installReadOnlyLink appends the rule to GMS's OnceAfterAll batch, once
// per process.
var installReadOnlyLink = sync.OnceFunc(func() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: ruleReadOnlyLink, Apply: readOnlyLink})
})

func readOnlyLink(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	set, ok := n.(*plan.Set)
	if !ok {
		return n, transform.SameTree, nil
	}
	var exprs []sql.Expression
	for i, e := range set.Exprs {
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		sv, ok := sf.LeftChild.(*expression.SystemVar)
		if !ok {
			continue
		}
		name := strings.ToLower(sv.Name)
		if name != "read_only" && name != "super_read_only" {
			continue
		}
		ms, ok := sv.Scope.(*sql.MysqlScope)
		if !ok || (ms.Type != sql.SystemVariableScope_Global && ms.Type != sql.SystemVariableScope_Persist) {
			continue
		}
		linked := *sv
		linked.Scope = &linkedReadOnlyScope{MysqlScope: ms}
		nsf, err := sf.WithChildren(&linked, sf.RightChild)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if exprs == nil {
			exprs = append([]sql.Expression(nil), set.Exprs...)
		}
		exprs[i] = nsf
	}
	if exprs == nil {
		return n, transform.SameTree, nil
	}
	nn, err := set.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return nn, transform.NewTree, nil
}

// linkedReadOnlyScope is the global scope of read_only or super_read_only
// in a SET statement.
type linkedReadOnlyScope struct {
	*sql.MysqlScope
}

// SetValue sets name, then super_read_only = OFF after read_only = OFF,
// read_only = ON after super_read_only = ON.
func (s *linkedReadOnlyScope) SetValue(ctx *sql.Context, name string, val any) error {
	if err := s.MysqlScope.SetValue(ctx, name, val); err != nil {
		return err
	}
	on := globalInt(name, 0) != 0
	switch strings.ToLower(name) {
	case "read_only":
		if !on && globalInt("super_read_only", 0) != 0 {
			return sql.SystemVariables.SetGlobal(ctx, "super_read_only", int8(0))
		}
	case "super_read_only":
		if on && globalInt("read_only", 0) == 0 {
			return sql.SystemVariables.SetGlobal(ctx, "read_only", int8(1))
		}
	}
	return nil
}
