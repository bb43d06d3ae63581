package indexes

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// BenchmarkEvalRow times evaluating a MATCH on one row alone, the cost
// per row of a verified search's changed rows (and of the slow path).
func BenchmarkEvalRow(b *testing.B) {
	def := storage.SearchIndexDef{Name: "ft", Columns: []storage.SearchColumn{{Name: "title", Ord: 1, ID: 2, Type: types.Text}},
		Schema: sql.Schema{{Name: "id", Type: types.Int64}, {Name: "title", Type: types.Text}}}
	sp, err := ParseSpec(def)
	if err != nil {
		b.Fatal(err)
	}
	r := &Relevance{S: &Search{m: &Manager{}, Def: def, Text: expression.NewLiteral("drone tripod", types.Text)}}
	ctx := sql.NewEmptyContext()
	row := sql.Row{int64(1), "compact drone with a carbon tripod mount"}
	for b.Loop() {
		v, err := r.evalRow(ctx, sp, row)
		if err != nil || v != float64(1) {
			b.Fatal(v, err)
		}
	}
}
