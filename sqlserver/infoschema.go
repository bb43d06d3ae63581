package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/information_schema"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/quarrydb/quarry/storage"
)

// infoSchema is GMS's information_schema with Quarry's values where GMS
// reports constants: TABLES.CREATE_TIME is when the table was created or
// last altered (GMS reports 2000-01-01 for every table, so tools that watch
// it — Vitess schema tracking, BI schema sync — never see DDL), and
// UPDATE_TIME is the last committed write since the server started (NULL
// before one, as InnoDB). COLUMNS.EXTRA names ON UPDATE CURRENT_TIMESTAMP
// (see onUpdateExtra). TRIGGERS and VIEWS bind each definition in its own
// database (see perDatabaseReader).
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
	if err != nil || !ok {
		return t, ok, err
	}
	if c, isColumns := t.(*information_schema.ColumnsTable); isColumns && c.RowIter != nil {
		cp := *c
		cp.RowIter = columnsReader(c.Schema(), c.RowIter)
		return &cp, true, nil
	}
	if strings.EqualFold(name, information_schema.TriggersTableName) || strings.EqualFold(name, information_schema.ViewsTableName) {
		if base, isTable := t.(*information_schema.InformationSchemaTable); isTable && base.Reader != nil {
			return &information_schema.InformationSchemaTable{
				TableName:   base.TableName,
				TableSchema: base.TableSchema,
				Reader:      perDatabaseReader(base.Reader),
			}, true, nil
		}
	}
	if strings.EqualFold(name, information_schema.StatisticsTableName) {
		// GMS's STATISTICS table is of an unexported type; its reader is
		// the one NewDefaultStats carries.
		if base := information_schema.NewDefaultStats(); base.Reader != nil {
			return &information_schema.InformationSchemaTable{
				TableName:   base.TableName,
				TableSchema: base.TableSchema,
				Reader:      statisticsReader(base.Reader, d.store.StatsProvider()),
			}, true, nil
		}
	}
	if strings.EqualFold(name, information_schema.SchemataTableName) {
		if base, isTable := t.(*information_schema.InformationSchemaTable); isTable && base.Reader != nil {
			return &information_schema.InformationSchemaTable{
				TableName:   base.TableName,
				TableSchema: base.TableSchema,
				Reader:      schemataReader(base.Reader),
			}, true, nil
		}
	}
	if !strings.EqualFold(name, information_schema.TablesTableName) {
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

// statisticsReader gives information_schema.STATISTICS the Collation,
// Cardinality and Sub_part SHOW INDEX reports (indexCollation,
// cardinalities, indexSubPart): GMS reports A for FULLTEXT and SPATIAL
// indexes, 0 for every cardinality and 0 for the whole columns of an index
// with a column prefix.
func statisticsReader(gms func(*sql.Context, sql.Catalog) (sql.RowIter, error), sp sql.StatsProvider) func(*sql.Context, sql.Catalog) (sql.RowIter, error) {
	const schemaCol, tableCol, indexCol, seqCol, collationCol, cardinalityCol, subPartCol = 1, 2, 5, 6, 8, 9, 10
	return func(ctx *sql.Context, cat sql.Catalog) (sql.RowIter, error) {
		iter, err := gms(ctx, cat)
		if err != nil {
			return nil, err
		}
		rows, err := sql.RowIterToRows(ctx, iter)
		if err != nil {
			return nil, err
		}
		card := newCardinalities(sp)
		type tableIndexes struct {
			t    sql.Table
			idxs map[string]sql.Index
		}
		tables := map[[2]string]*tableIndexes{}
		for _, r := range rows {
			if len(r) <= cardinalityCol {
				continue
			}
			db, _ := r[schemaCol].(string)
			tbl, _ := r[tableCol].(string)
			k := [2]string{db, tbl}
			ti, seen := tables[k]
			if !seen {
				t, _, err := cat.Table(ctx, db, tbl)
				if err == nil && t != nil {
					if ia, ok := t.(sql.IndexAddressable); ok {
						list, err := ia.GetIndexes(ctx)
						if err != nil {
							return nil, err
						}
						ti = &tableIndexes{t: t, idxs: map[string]sql.Index{}}
						for _, idx := range list {
							ti.idxs[idx.ID()] = idx
						}
					}
				}
				tables[k] = ti
			}
			if ti == nil {
				continue
			}
			name, _ := r[indexCol].(string)
			idx, ok := ti.idxs[name]
			if !ok {
				continue
			}
			r[collationCol] = indexCollation(idx)
			seq, _ := r[seqCol].(int)
			c, err := card.of(ctx, db, ti.t, idx, seq)
			if err != nil {
				return nil, err
			}
			r[cardinalityCol] = c
			if len(r) > subPartCol {
				r[subPartCol] = indexSubPart(idx, seq)
			}
		}
		return sql.RowsToRowIter(rows...), nil
	}
}

// schemataReader adds the mysql schema to information_schema.SCHEMATA, as
// MySQL lists it and as SHOW DATABASES does (GMS keeps the mysql database
// out of the catalog's list and SHOW DATABASES adds it alone).
func schemataReader(gms func(*sql.Context, sql.Catalog) (sql.RowIter, error)) func(*sql.Context, sql.Catalog) (sql.RowIter, error) {
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
			if len(r) > 1 && r[1] == "mysql" {
				return sql.RowsToRowIter(rows...), nil
			}
		}
		if db, err := cat.Database(ctx, "mysql"); err == nil {
			coll := plan.GetDatabaseCollation(ctx, db)
			rows = append(rows, sql.Row{"def", "mysql", coll.CharacterSet().String(), coll.String(), nil, "NO"})
		}
		return sql.RowsToRowIter(rows...), nil
	}
}

// columnsReader wraps GMS's information_schema.COLUMNS rows: EXTRA of a
// column with ON UPDATE gets MySQL's "on update CURRENT_TIMESTAMP", and
// COLUMN_KEY follows MySQL's rule (see columnKeys), PRIVILEGES lists the
// privileges in MySQL's order (see mysqlPrivilegeOrder).
func columnsReader(sch sql.Schema, gms func(*sql.Context, sql.Catalog, sql.Schema) (sql.RowIter, error)) func(*sql.Context, sql.Catalog, sql.Schema) (sql.RowIter, error) {
	dbCol, tblCol, nameCol, extraCol, keyCol := sch.IndexOfColName("TABLE_SCHEMA"), sch.IndexOfColName("TABLE_NAME"), sch.IndexOfColName("COLUMN_NAME"), sch.IndexOfColName("EXTRA"), sch.IndexOfColName("COLUMN_KEY")
	privCol := sch.IndexOfColName("PRIVILEGES")
	return func(ctx *sql.Context, cat sql.Catalog, all sql.Schema) (sql.RowIter, error) {
		iter, err := gms(ctx, cat, all)
		if err != nil || dbCol < 0 || tblCol < 0 || nameCol < 0 || extraCol < 0 || keyCol < 0 {
			return iter, err
		}
		onUpdate := map[[3]string]*sql.Column{}
		for _, c := range all {
			if c.OnUpdate != nil {
				onUpdate[[3]string{strings.ToLower(c.DatabaseSource), strings.ToLower(c.Source), strings.ToLower(c.Name)}] = c
			}
		}
		rows, err := sql.RowIterToRows(ctx, iter)
		if err != nil {
			return nil, err
		}
		keys := map[[2]string]map[string]string{}
		for _, r := range rows {
			if len(r) <= extraCol || len(r) <= keyCol {
				continue
			}
			db, _ := r[dbCol].(string)
			tbl, _ := r[tblCol].(string)
			name, _ := r[nameCol].(string)
			if privCol >= 0 && privCol < len(r) {
				if p, ok := r[privCol].(string); ok {
					r[privCol] = mysqlPrivilegeOrder(p)
				}
			}
			if c, ok := onUpdate[[3]string{strings.ToLower(db), strings.ToLower(tbl), strings.ToLower(name)}]; ok {
				extra, _ := r[extraCol].(string)
				r[extraCol] = onUpdateExtra(extra, c)
			}
			if strings.EqualFold(db, "information_schema") {
				continue
			}
			tk := [2]string{db, tbl}
			k, seen := keys[tk]
			if !seen {
				k, err = tableColumnKeys(ctx, cat, db, tbl)
				if err != nil {
					return nil, err
				}
				keys[tk] = k
			}
			if k != nil {
				r[keyCol] = k[strings.ToLower(name)]
			}
		}
		return sql.RowsToRowIter(rows...), nil
	}
}

// tableColumnKeys is columnKeys of the table db.tbl, nil for a view or a
// table that is gone.
func tableColumnKeys(ctx *sql.Context, cat sql.Catalog, db, tbl string) (map[string]string, error) {
	t, _, err := cat.Table(ctx, db, tbl)
	if err != nil || t == nil {
		return nil, nil
	}
	return columnKeys(ctx, t)
}

// columnKeys maps a table's lower-cased column names to their COLUMN_KEY
// as MySQL computes it: PRI for the primary key's columns, UNI for the
// column of a one-column UNIQUE index, MUL for the first column of any
// other index (a composite UNIQUE one included), the first of these that
// applies; the other columns of a composite index get nothing. (GMS marked
// every column of a non-unique index MUL, so KEY (customer_id, placed_at)
// made placed_at MUL, where SHOW COLUMNS and MySQL say ”.) As in GMS and
// MySQL, a NOT NULL UNIQUE column of a table without a primary key is PRI.
func columnKeys(ctx *sql.Context, t sql.Table) (map[string]string, error) {
	keys := map[string]string{}
	rank := map[string]int{"": 0, "MUL": 1, "UNI": 2, "PRI": 3}
	hasPK := false
	for _, c := range t.Schema() {
		if c.PrimaryKey {
			keys[strings.ToLower(c.Name)] = "PRI"
			hasPK = true
		}
	}
	ia, ok := t.(sql.IndexAddressable)
	if !ok {
		return keys, nil
	}
	idxs, err := ia.GetIndexes(ctx)
	if err != nil {
		return nil, err
	}
	for _, idx := range idxs {
		exprs := idx.Expressions()
		if idx.ID() == "PRIMARY" || len(exprs) == 0 {
			continue
		}
		first := strings.ToLower(exprs[0][strings.LastIndex(exprs[0], ".")+1:])
		k := "MUL"
		if idx.IsUnique() && len(exprs) == 1 {
			k = "UNI"
		}
		if rank[k] > rank[keys[first]] {
			keys[first] = k
		}
	}
	if !hasPK {
		// MySQL takes the first UNIQUE index over NOT NULL columns for the
		// primary key; GMS shows the first such one-column index as PRI.
		sch := t.Schema()
		for _, idx := range idxs {
			exprs := idx.Expressions()
			if !idx.IsUnique() || len(exprs) != 1 {
				continue
			}
			name := strings.ToLower(exprs[0][strings.LastIndex(exprs[0], ".")+1:])
			if i := sch.IndexOfColName(name); i >= 0 && !sch[i].Nullable && keys[name] == "UNI" {
				keys[name] = "PRI"
				break
			}
		}
	}
	return keys, nil
}

// onUpdateExtra appends MySQL's "on update CURRENT_TIMESTAMP[(n)]" to a
// column's EXTRA (information_schema.COLUMNS, SHOW COLUMNS): GMS reports
// DEFAULT_GENERATED alone, and ORMs that compare it (TypeORM, Drizzle)
// re-ALTER the column on every start.
func onUpdateExtra(extra string, c *sql.Column) string {
	if c.OnUpdate == nil || strings.Contains(strings.ToLower(extra), "on update") {
		return extra
	}
	expr := c.OnUpdate.String()
	// information_schema's copy of the schema prints it parenthesized.
	if strings.HasPrefix(expr, "(") && strings.HasSuffix(expr, ")") {
		expr = expr[1 : len(expr)-1]
	}
	on := "on update " + expr
	if extra == "" {
		return on
	}
	return extra + " " + on
}

// currentDBSession shows db as the current database of a session to one
// reader, leaving the session itself alone.
type currentDBSession struct {
	sql.Session
	db string
}

func (s currentDBSession) GetCurrentDatabase() string { return s.db }
func (s currentDBSession) SetCurrentDatabase(string)  {}

// perDatabaseReader runs GMS's TRIGGERS or VIEWS reader once per database,
// with that database current and the only one the reader lists. GMS
// re-binds every stored CREATE TRIGGER / CREATE VIEW in the session's
// current database: with none, TRIGGERS failed with 1046 and VIEWS listed
// nothing; from another database, a trigger's table was not found (1146),
// which broke mysqldump of any database with triggers.
func perDatabaseReader(gms func(*sql.Context, sql.Catalog) (sql.RowIter, error)) func(*sql.Context, sql.Catalog) (sql.RowIter, error) {
	return func(ctx *sql.Context, cat sql.Catalog) (sql.RowIter, error) {
		var rows []sql.Row
		for _, db := range cat.AllDatabases(ctx) {
			// A context of its own: the session is shared with the
			// statement's other goroutines (GMS polls the connection
			// while rows are read), so it must not change.
			dctx := *ctx
			dctx.Session = currentDBSession{Session: ctx.Session, db: db.Name()}
			it, err := gms(&dctx, oneDatabaseCatalog{Catalog: cat, db: db})
			if err != nil {
				return nil, err
			}
			rs, err := sql.RowIterToRows(&dctx, it)
			if err != nil {
				return nil, err
			}
			rows = append(rows, rs...)
		}
		return sql.RowsToRowIter(rows...), nil
	}
}

// oneDatabaseCatalog is a catalog whose AllDatabases lists one database
// (everything else, name resolution included, is the catalog's).
type oneDatabaseCatalog struct {
	sql.Catalog
	db sql.Database
}

func (c oneDatabaseCatalog) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{c.db} }
