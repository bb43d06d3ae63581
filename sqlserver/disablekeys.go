package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// buildDisableEnableKeys runs ALTER TABLE ... DISABLE KEYS / ENABLE KEYS,
// which GMS accepts and ignores, on Quarry's storage (storage/disablekeys.go).
// Tables it cannot apply to get MySQL's warning for engines without the
// option and are left alone.
func buildDisableEnableKeys(ctx *sql.Context, n *plan.AlterIndex) (sql.RowIter, error) {
	t, ok := storageTable(n.Table)
	if !ok {
		warnNoKeysOption(ctx, n.Table)
		return okIter(), nil
	}
	if n.DisableKeys {
		done, err := t.DisableKeys(ctx)
		if err != nil {
			return nil, err
		}
		if !done {
			warnNoKeysOption(ctx, n.Table)
		}
		return okIter(), nil
	}
	if err := t.EnableKeys(ctx); err != nil {
		return nil, err
	}
	return okIter(), nil
}

// erIllegalHA is MySQL's ER_ILLEGAL_HA, the warning InnoDB gives for
// DISABLE KEYS.
const erIllegalHA = 1031

func warnNoKeysOption(ctx *sql.Context, tn sql.TableNode) {
	ctx.Session.Warn(&sql.Warning{
		Level:   "Warning",
		Code:    erIllegalHA,
		Message: "Table storage engine for '" + tn.Name() + "' doesn't have this option",
	})
}

// storageTable returns the Quarry table under a resolved table node.
func storageTable(tn sql.TableNode) (*storage.Table, bool) {
	if tn == nil {
		return nil, false
	}
	return storage.AsTable(tn.UnderlyingTable())
}

func okIter() sql.RowIter { return sql.RowsToRowIter(sql.NewRow(types.NewOkResult(0))) }
