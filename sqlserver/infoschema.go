package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/information_schema"

	"github.com/quarrydb/quarry/storage"
)

// infoSchema is GMS's information_schema with Quarry's values where GMS
// reports constants: TABLES.CREATE_TIME is when the table was created or
// last altered (GMS reports 2000-01-01 for every table, so tools that watch
// it — Vitess schema tracking, BI schema sync — never see DDL), and
// UPDATE_TIME is the last committed write since the server started (NULL
// before one, as InnoDB).
type infoSchema struct {
	sql.Database
	store *storage.Engine
}

func newInfoSchema(base sql.Database, store *storage.Engine) sql.Database {
	return &infoSchema{Database: base, store: store}
}

// GetTableInsensitive implements sql.Database.
func (d *infoSchema) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, ok, err := d.Database.GetTableInsensitive(ctx, name)
	if err != nil || !ok || !strings.EqualFold(name, information_schema.TablesTableName) {
		return t, ok, err
	}
	base, isTable := t.(*information_schema.InformationSchemaTable)
	if !isTable || base.Reader == nil {
		return t, ok, err
	}
	return &information_schema.InformationSchemaTable{
		TableName:   base.TableName,
		TableSchema: base.TableSchema,
		Reader:      d.tablesReader(base.Reader),
	}, true, nil
}

// Column ordinals in information_schema.TABLES.
const (
	tablesSchemaCol = 1
	tablesNameCol   = 2
	tablesTypeCol   = 3
	tablesCreateCol = 14
	tablesUpdateCol = 15
)

func (d *infoSchema) tablesReader(gms func(*sql.Context, sql.Catalog) (sql.RowIter, error)) func(*sql.Context, sql.Catalog) (sql.RowIter, error) {
	return func(ctx *sql.Context, cat sql.Catalog) (sql.RowIter, error) {
		iter, err := gms(ctx, cat)
		if err != nil {
			return nil, err
		}
		rows, err := sql.RowIterToRows(ctx, iter)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if len(r) <= tablesUpdateCol || r[tablesTypeCol] != "BASE TABLE" {
				continue
			}
			db, _ := r[tablesSchemaCol].(string)
			name, _ := r[tablesNameCol].(string)
			created, updated, ok := d.store.TableTimes(db, name)
			if !ok {
				continue
			}
			if !created.IsZero() {
				r[tablesCreateCol] = created.UTC()
			}
			if updated.IsZero() {
				r[tablesUpdateCol] = nil
			} else {
				r[tablesUpdateCol] = updated.UTC()
			}
		}
		return sql.RowsToRowIter(rows...), nil
	}
}
