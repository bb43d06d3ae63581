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
	// keyer encodes the argument's type; nil when the argument was not
	// resolved at construction (GMS rebuilds the expression once it is) or
	// its type cannot be a key.
	keyer *storage.SortKeyer
}

var _ sql.FunctionExpression = (*weightString)(nil)

func newWeightString(e sql.Expression) sql.Expression {
	w := &weightString{UnaryExpression: expression.UnaryExpression{Child: e}}
	if e.Resolved() {
		w.keyer, _ = storage.NewSortKeyer(e.Type())
	}
	return w
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
	k := w.keyer
	if k == nil {
		var ok bool
		if k, ok = storage.NewSortKeyer(w.Child.Type()); !ok {
			return nil, nil
		}
	}
	return k.Key(ctx, v)
}

// WithChildren implements sql.Expression.
func (w *weightString) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(w, len(children), 1)
	}
	return newWeightString(children[0]), nil
}

func (w *weightString) String() string { return fmt.Sprintf("weight_string(%s)", w.Child) }
