package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// buildTruncate runs TRUNCATE TABLE on a Quarry table with FULLTEXT
// indexes. GMS's own TRUNCATE then "rebuilds" the indexes its way: it
// drops them and fails to recreate them (Quarry's search indexes are not
// GMS's pseudo-tables), losing the index. Quarry's search indexes follow
// the deletes through their change log, so only the rows and the
// AUTO_INCREMENT counter need resetting, as GMS does for other tables.
// It reports false for other tables (GMS runs them).
func buildTruncate(ctx *sql.Context, n *plan.Truncate) (sql.RowIter, bool, error) {
	truncatable, err := plan.GetTruncatable(n.Child)
	if err != nil {
		return nil, false, nil
	}
	t, ok := storage.AsTable(truncatable)
	if !ok || len(t.SearchIndexNames()) == 0 {
		return nil, false, nil
	}
	removed, err := t.Truncate(ctx)
	if err != nil {
		return nil, true, err
	}
	for _, col := range t.Schema() {
		if col.AutoIncrement {
			setter := t.AutoIncrementSetter(ctx)
			if err := setter.SetAutoIncrementValue(ctx, 1); err != nil {
				return nil, true, err
			}
			if err := setter.Close(ctx); err != nil {
				return nil, true, err
			}
			break
		}
	}
	return sql.RowsToRowIter(sql.NewRow(types.NewOkResult(removed))), true, nil
}
