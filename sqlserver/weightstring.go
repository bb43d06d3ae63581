package sqlserver

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// weightString is WEIGHT_STRING(expr): a binary string whose byte order is
// the sort order of expr's values under expr's type and collation. GMS lacks
// it; vtgate asks for it to merge-sort rows from several shards. The bytes
// are Quarry's key encoding (storage.SortKey), not MySQL's exact UCA weight
// bytes: only their order is meant to be compared, as Vitess does.
type weightString struct {
	expression.UnaryExpression
}

var _ sql.FunctionExpression = (*weightString)(nil)

func newWeightString(e sql.Expression) sql.Expression {
	return &weightString{expression.UnaryExpression{Child: e}}
}

// FunctionName implements sql.FunctionExpression.
func (w *weightString) FunctionName() string { return "weight_string" }

// Description implements sql.FunctionExpression.
func (w *weightString) Description() string {
	return "returns a binary string whose byte order is the sort order of the argument"
}

// Type implements sql.Expression.
func (w *weightString) Type() sql.Type { return types.LongBlob }

// IsNullable implements sql.Expression.
func (w *weightString) IsNullable() bool { return true }

// Eval implements sql.Expression.
func (w *weightString) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := w.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	key, ok, err := storage.SortKey(ctx, w.Child.Type(), v)
	if err != nil || !ok {
		return nil, err
	}
	return key, nil
}

// WithChildren implements sql.Expression.
func (w *weightString) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(w, len(children), 1)
	}
	return newWeightString(children[0]), nil
}

func (w *weightString) String() string { return fmt.Sprintf("weight_string(%s)", w.Child) }
