package sqlserver

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Overrides of SHOW statements whose GMS output misleads clients.

// ReplicaStatusColumns is implemented by a replica controller that knows
// SHOW REPLICA STATUS columns GMS fills with constants
// (Seconds_Behind_Source, Source_Log_File, ...): the returned values, by
// column name, replace GMS's.
type ReplicaStatusColumns interface {
	ReplicaStatusColumns() map[string]any
}

// buildShowReplicaStatus overrides columns of SHOW REPLICA STATUS.
func buildShowReplicaStatus(ctx *sql.Context, n *plan.ShowReplicaStatus, r sql.Row) (sql.RowIter, error) {
	src, ok := n.ReplicaController.(ReplicaStatusColumns)
	if !ok {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	cols := src.ReplicaStatusColumns()
	for _, row := range rows {
		for i, c := range n.Schema() {
			if i >= len(row) {
				break
			}
			for name, v := range cols {
				if strings.EqualFold(c.Name, name) {
					row[i] = v
				}
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// buildShowCreateTrigger reports the trigger's database collation in
// "Database Collation", as MySQL does (GMS reports collation_server).
// mysqldump and mariadb-dump copy it into the dump.
func buildShowCreateTrigger(ctx *sql.Context, n *plan.ShowCreateTrigger, r sql.Row) (sql.RowIter, error) {
	db, ok := n.Database().(sql.CollatedDatabase)
	if !ok {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	coll := db.GetCollation(ctx).Name()
	for _, row := range rows {
		for i, c := range n.Schema() {
			if i < len(row) && strings.EqualFold(c.Name, "Database Collation") {
				row[i] = coll
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// buildShowCreateTable prints ENUM and SET defaults as their values and an
// empty binary default as ”. GMS prints an ENUM default as its index
// (DEFAULT '2'), a SET default as its bit mask and an empty VARBINARY
// default as 0x: MySQL and MariaDB reject or misread all three when a dump
// is loaded back (mysqldump and mariadb-dump copy SHOW CREATE TABLE).
// It also prints the NULL clauses of nullable columns as MySQL 8.0 does
// (see nullClauseFix).
func buildShowCreateTable(ctx *sql.Context, n *plan.ShowCreateTable, r sql.Row) (sql.RowIter, error) {
	if n.IsView {
		return nil, nil
	}
	type fix struct{ col, gms, want string }
	var fixes, typeFixes []fix
	var nullFixes []nullClauseFix
	rt, _ := n.Child.(*plan.ResolvedTable)
	for _, col := range n.TargetSchema() {
		if rt != nil {
			if f, ok := newNullClauseFix(ctx, col, rt.Table.Collation()); ok {
				nullFixes = append(nullFixes, f)
			}
		}
		var members []string
		kind := ""
		switch t := col.Type.(type) {
		case sql.EnumType:
			members, kind = t.Values(), "enum"
		case sql.SetType:
			members, kind = t.Values(), "set"
		}
		if kind != "" && strings.ContainsAny(strings.Join(members, ""), `'\`) {
			quoted := make([]string, len(members))
			for i, m := range members {
				quoted[i] = quoteSQLString(m)
			}
			typeFixes = append(typeFixes, fix{col.Name,
				kind + "('" + strings.Join(members, "','") + "')",
				kind + "(" + strings.Join(quoted, ",") + ")"})
		}
		d := col.Default
		if d == nil || col.Generated != nil || !d.IsLiteral() {
			continue
		}
		v, err := d.Eval(ctx, nil)
		if err != nil || v == nil {
			continue
		}
		switch t := col.Type.(type) {
		case sql.EnumType:
			idx, ok := v.(uint16)
			if !ok {
				continue
			}
			if s, ok := t.At(int(idx)); ok {
				fixes = append(fixes, fix{col.Name, fmt.Sprintf("'%v'", v), quoteSQLString(s)})
			}
		case sql.SetType:
			bits, ok := v.(uint64)
			if !ok {
				continue
			}
			if s, err := t.BitsToString(bits); err == nil {
				fixes = append(fixes, fix{col.Name, fmt.Sprintf("'%v'", v), quoteSQLString(s)})
			}
		default:
			if types.IsBinaryType(col.Type) {
				if b, ok := v.([]byte); ok && len(b) == 0 {
					fixes = append(fixes, fix{col.Name, "0x", "''"})
				}
			}
		}
	}
	if len(fixes) == 0 && len(typeFixes) == 0 && len(nullFixes) == 0 {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if len(row) < 2 {
			continue
		}
		stmt, ok := row[1].(string)
		if !ok {
			continue
		}
		lines := strings.Split(stmt, "\n")
		// First, while every line still starts with GMS's head.
		for _, f := range nullFixes {
			for i, l := range lines {
				if strings.HasPrefix(l, f.head) {
					lines[i] = f.apply(l)
					break
				}
			}
		}
		for _, f := range typeFixes {
			prefix := "  " + sql.QuoteIdentifier(f.col) + " "
			for i, l := range lines {
				if strings.HasPrefix(l, prefix+f.gms) {
					lines[i] = prefix + f.want + l[len(prefix+f.gms):]
				}
			}
		}
		for _, f := range fixes {
			prefix := "  " + sql.QuoteIdentifier(f.col) + " "
			for i, l := range lines {
				if !strings.HasPrefix(l, prefix) {
					continue
				}
				// The DEFAULT clause appears once in a column line.
				if j := strings.LastIndex(l, " DEFAULT "+f.gms); j >= 0 {
					l = l[:j] + " DEFAULT " + f.want + l[j+len(" DEFAULT "+f.gms):]
				}
				lines[i] = l
			}
		}
		row[1] = strings.Join(lines, "\n")
	}
	return sql.RowsToRowIter(rows...), nil
}

// nullClauseFix rewrites one nullable column's line of SHOW CREATE TABLE
// the way MySQL 8.0 prints it (sql/sql_show.cc store_create_info and
// print_default_clause): a nullable TIMESTAMP gets an explicit NULL after
// its type (and generated clause), and a nullable column without a
// default gets DEFAULT NULL, except BLOB/TEXT, generated and
// AUTO_INCREMENT columns, which print no DEFAULT clause at all (an
// explicit DEFAULT NULL of a BLOB/TEXT column is not printed either). GMS
// prints none of these.
type nullClauseFix struct {
	// head is the start of GMS's line for the column: name, type, SRID and
	// generated clause, everything before DEFAULT, ON UPDATE and COMMENT.
	head string
	// insert goes right after head.
	insert string
	// dropDefaultNull removes GMS's " DEFAULT NULL" after head.
	dropDefaultNull bool
}

func newNullClauseFix(ctx *sql.Context, col *sql.Column, tableCollation sql.CollationID) (nullClauseFix, bool) {
	if !col.Nullable {
		return nullClauseFix{}, false
	}
	bare := *col
	bare.Default, bare.OnUpdate, bare.Comment = nil, nil, ""
	f := nullClauseFix{head: sql.GenerateCreateTableColumnDefinition(&bare, "", "", tableCollation)}
	if types.IsTimestampType(col.Type) {
		f.insert = " NULL"
	}
	blob := types.IsTextBlob(col.Type)
	switch {
	case col.Default == nil && col.Generated == nil && !col.AutoIncrement && !blob:
		f.insert += " DEFAULT NULL"
	case blob && col.Generated == nil && col.Default != nil && col.Default.IsLiteral():
		if v, err := col.Default.Eval(ctx, nil); err == nil && v == nil {
			f.dropDefaultNull = true
		}
	}
	return f, f.insert != "" || f.dropDefaultNull
}

// apply rewrites line, which starts with f.head.
func (f nullClauseFix) apply(line string) string {
	tail := line[len(f.head):]
	if f.dropDefaultNull {
		tail = strings.TrimPrefix(tail, " DEFAULT NULL")
	}
	return f.head + f.insert + tail
}

// quoteSQLString quotes s as a MySQL string literal.
func quoteSQLString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// buildAnalyzeQualified runs ANALYZE TABLE db.t without a current database,
// which GMS refuses (1046) although binding has already required every
// table to be qualified then; MySQL analyzes them. Rows are GMS's.
func buildAnalyzeQualified(ctx *sql.Context, n *plan.AnalyzeTable) (sql.RowIter, error) {
	rows := make([]sql.Row, 0, len(n.Tables))
	for _, t := range n.Tables {
		msgType, msgText := "status", "OK"
		if err := n.Stats.AnalyzeTable(ctx, t, n.Db); err != nil {
			msgType, msgText = "Error", err.Error()
		}
		rows = append(rows, sql.Row{t.Name(), "analyze", msgType, msgText})
	}
	return sql.RowsToRowIter(rows...), nil
}

// buildShowColumns fixes SHOW [FULL] COLUMNS where GMS's differs from
// MySQL's: Type names a collation only when it differs from the table's
// (GMS compares with utf8mb4_0900_bin, so every column of a
// utf8mb4_0900_ai_ci table read "varchar(190) COLLATE utf8mb4_0900_ai_ci");
// Collation is the column's own (GMS printed utf8mb4_0900_bin for every
// text column and NULL for ENUM and SET); an ENUM or SET default is its
// value, unquoted (Sequelize's describeTable reads it); Extra names ON
// UPDATE CURRENT_TIMESTAMP.
func buildShowColumns(ctx *sql.Context, n *plan.ShowColumns, r sql.Row) (sql.RowIter, error) {
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	sch := n.TargetSchema()
	if len(rows) != len(sch) {
		return sql.RowsToRowIter(rows...), nil
	}
	tableColl := sql.Collation_Unspecified
	dbName := ctx.GetCurrentDatabase()
	if rt, ok := n.Child.(*plan.ResolvedTable); ok {
		tableColl = rt.Table.Collation()
		if rt.SqlDatabase != nil {
			dbName = rt.SqlDatabase.Name()
		}
	}
	typeCol, collCol, defCol, extraCol := 1, -1, 4, 5
	if n.Full {
		collCol, defCol, extraCol = 2, 5, 6
	}
	for i, row := range rows {
		col := sch[i]
		if len(row) <= extraCol || row[0] != col.Name {
			continue
		}
		tc, hasColl := col.Type.(sql.TypeWithCollation)
		if hasColl && tableColl != sql.Collation_Unspecified {
			row[typeCol] = tc.StringWithTableCollation(tableColl)
		}
		if collCol >= 0 && hasColl && (types.IsTextOnly(col.Type) || types.IsEnum(col.Type) || types.IsSet(col.Type)) {
			row[collCol] = tc.Collation().Name()
		}
		if d := col.Default; d != nil && d.IsLiteral() && (types.IsEnum(col.Type) || types.IsSet(col.Type)) {
			if v, err := d.Eval(ctx, nil); err == nil && v != nil {
				switch t := col.Type.(type) {
				case sql.EnumType:
					if idx, ok := v.(uint16); ok {
						if s, ok := t.At(int(idx)); ok {
							row[defCol] = s
						}
					} else if s, ok := v.(string); ok {
						row[defCol] = s
					}
				case sql.SetType:
					if bits, ok := v.(uint64); ok {
						if s, err := t.BitsToString(bits); err == nil {
							row[defCol] = s
						}
					} else if s, ok := v.(string); ok {
						row[defCol] = s
					}
				}
			}
		}
		if col.OnUpdate != nil {
			extra, _ := row[extraCol].(string)
			row[extraCol] = onUpdateExtra(extra, col)
		}
		if d, ok := row[defCol].(string); ok && col.Default != nil {
			row[defCol] = showColumnsDefault(d, col.Default.IsLiteral())
		}
		if n.Full && len(row) > extraCol+1 {
			row[extraCol+1] = columnPrivileges(ctx, dbName, col.Source, col.Name)
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// showColumnsDefault is SHOW COLUMNS' Default as MySQL prints it (the
// value information_schema.COLUMNS.COLUMN_DEFAULT holds): a literal
// default unquoted, a doubled quote inside it undoubled ('q' -> q,
// '2024-01-01' -> 2024-01-01; GMS printed the SQL literal), an expression default without the
// parentheses GMS adds around the one MySQL keeps ((1 + 2)) -> (1 + 2)).
func showColumnsDefault(gms string, literal bool) string {
	if literal {
		if len(gms) >= 2 && gms[0] == '\'' && gms[len(gms)-1] == '\'' {
			return strings.ReplaceAll(gms[1:len(gms)-1], "''", "'")
		}
		return gms
	}
	if len(gms) >= 4 && strings.HasPrefix(gms, "((") && strings.HasSuffix(gms, "))") {
		return gms[1 : len(gms)-1]
	}
	return gms
}

// columnPrivileges is the Privileges of SHOW FULL COLUMNS and
// information_schema.COLUMNS: the column-level privileges (SELECT, INSERT,
// UPDATE, REFERENCES) the current user holds on the column, globally, on
// its database, table or the column itself, in MySQL's order
// ("select,insert,update,references" for root; GMS printed nothing in SHOW
// FULL COLUMNS and sorted them by name in information_schema).
func columnPrivileges(ctx *sql.Context, db, table, column string) string {
	if strings.EqualFold(db, sql.InformationSchemaDatabaseName) {
		return "select"
	}
	ps, _ := ctx.GetPrivilegeSet()
	if ps == nil {
		return ""
	}
	held := map[sql.PrivilegeType]bool{}
	for _, list := range [][]sql.PrivilegeType{ps.ToSlice(), ps.Database(db).ToSlice(), ps.Database(db).Table(table).ToSlice(),
		ps.Database(db).Table(table).Column(column).ToSlice()} {
		for _, p := range list {
			held[p] = true
		}
	}
	var out []string
	for _, p := range []sql.PrivilegeType{sql.PrivilegeType_Select, sql.PrivilegeType_Insert, sql.PrivilegeType_Update, sql.PrivilegeType_References} {
		if held[p] {
			out = append(out, strings.ToLower(p.String()))
		}
	}
	return strings.Join(out, ",")
}

// mysqlPrivilegeOrder reorders a comma-separated list of column privileges
// into MySQL's order (select, insert, update, references).
func mysqlPrivilegeOrder(list string) string {
	have := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		have[strings.TrimSpace(strings.ToLower(p))] = true
	}
	var out []string
	for _, p := range []string{"select", "insert", "update", "references"} {
		if have[p] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// buildShowTableStatus is SHOW TABLE STATUS with MySQL 8.0's values where
// GMS reports constants: Auto_increment is the next value of the table's
// AUTO_INCREMENT column (GMS: always NULL), Create_time and Update_time
// are information_schema.TABLES' (see infoSchema; GMS: NULL), Comment is
// the table comment, ” without one (GMS: NULL), Row_format is Dynamic
// and Create_options ” (InnoDB's defaults; GMS: Fixed and NULL), and views
// are listed, every column NULL but Name and Comment 'VIEW', as MySQL does.
// Rows are in name order. Rows, Avg_row_length and Data_length are GMS's
// (from sql.StatisticsTable).
func buildShowTableStatus(ctx *sql.Context, n *plan.ShowTableStatus, times func(db, table string) (created, updated time.Time, ok bool)) (sql.RowIter, error) {
	db := n.Database()
	names, err := db.GetTableNames(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]sql.Row, 0, len(names))
	for _, name := range names {
		t, _, err := n.Catalog.Table(ctx, db.Name(), name)
		if err != nil {
			return nil, err
		}
		var numRows, dataLength, avgLength uint64
		if st, ok := t.(sql.StatisticsTable); ok {
			if numRows, _, err = st.RowCount(ctx); err != nil {
				return nil, err
			}
			if dataLength, err = st.DataLength(ctx); err != nil {
				return nil, err
			}
			if numRows > 0 {
				avgLength = dataLength / numRows
			}
		}
		var autoInc any
		if ai, ok := t.(sql.AutoIncrementTable); ok && hasAutoIncrement(t.Schema()) {
			next, err := ai.PeekNextAutoIncrementValue(ctx)
			if err != nil {
				return nil, err
			}
			autoInc = int64(next)
		}
		var created, updated any
		if c, u, ok := times(db.Name(), t.Name()); ok {
			if !c.IsZero() {
				created = c.UTC()
			}
			if !u.IsZero() {
				updated = u.UTC()
			}
		}
		comment := ""
		if ct, ok := t.(sql.CommentedTable); ok {
			comment = ct.Comment()
		}
		rows = append(rows, sql.Row{
			t.Name(), "InnoDB", "10", "Dynamic",
			numRows, avgLength, dataLength, uint64(0), int64(0), int64(0),
			autoInc, created, updated, nil,
			t.Collation().String(), nil, "", comment,
		})
	}
	if vdb, ok := db.(sql.ViewDatabase); ok {
		views, err := vdb.AllViews(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			rows = append(rows, sql.Row{v.Name, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "VIEW"})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][0].(string) < rows[j][0].(string) })
	return sql.RowsToRowIter(rows...), nil
}

// renameShowTableStatusComment names SHOW TABLE STATUS's last column
// Comment, as MySQL does (GMS: Comments, which clients reading the column
// by name, such as phpMyAdmin's and DBeaver's table lists, do not find).
// GMS's node returns its package-level schema itself, so the one column
// is renamed in place, once for the process.
var renameShowTableStatusComment = sync.OnceFunc(func() {
	sch := plan.NewShowTableStatus(nil).Schema()
	if c := sch[len(sch)-1]; c.Name == "Comments" {
		c.Name = "Comment"
	}
})

func hasAutoIncrement(sch sql.Schema) bool {
	for _, c := range sch {
		if c.AutoIncrement {
			return true
		}
	}
	return false
}

// buildShowIndexes is SHOW INDEX / SHOW KEYS with MySQL's Collation (A for
// the columns of a B-tree index, NULL for FULLTEXT and SPATIAL; GMS: NULL
// for all), Cardinality (see cardinalities; GMS: 0), Sub_part (see
// indexSubPart; GMS: NULL) and MySQL's order of the indexes. The rest of
// each row is GMS's.
func buildShowIndexes(ctx *sql.Context, n *plan.ShowIndexes, r sql.Row, sp sql.StatsProvider) (sql.RowIter, error) {
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	rt, ok := n.Child.(*plan.ResolvedTable)
	if !ok {
		return sql.RowsToRowIter(rows...), nil
	}
	idxs := map[string]sql.Index{}
	if ia, ok := rt.UnderlyingTable().(sql.IndexAddressable); ok {
		list, err := ia.GetIndexes(ctx)
		if err != nil {
			return nil, err
		}
		for _, idx := range list {
			idxs[idx.ID()] = idx
		}
	}
	const keyName, seq, collation, cardinality, subPart = 2, 3, 5, 6, 7
	card := newCardinalities(sp)
	// MySQL lists the primary key, then UNIQUE indexes, then the others,
	// FULLTEXT and SPATIAL ones last (sort_keys in sql_table.cc).
	rank := func(row sql.Row) int {
		name, _ := row[keyName].(string)
		switch idx, ok := idxs[name]; {
		case !ok:
			return 2
		case name == "PRIMARY":
			return 0
		case idx.IsFullText() || idx.IsSpatial() || idx.IsVector():
			return 3
		case idx.IsUnique():
			return 1
		}
		return 2
	}
	sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i]) < rank(rows[j]) })
	for _, row := range rows {
		if len(row) <= cardinality {
			continue
		}
		name, _ := row[keyName].(string)
		idx, ok := idxs[name]
		if !ok {
			continue
		}
		row[collation] = indexCollation(idx)
		pos, _ := row[seq].(int)
		c, err := card.of(ctx, rt.SqlDatabase.Name(), rt.UnderlyingTable(), idx, pos)
		if err != nil {
			return nil, err
		}
		row[cardinality] = c
		if len(row) > subPart {
			row[subPart] = indexSubPart(idx, pos)
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// indexCollation is how an index sorts its columns: "A" (ascending) for a
// B-tree index, NULL for FULLTEXT, SPATIAL and VECTOR ones, which do not.
func indexCollation(idx sql.Index) any {
	if idx.IsFullText() || idx.IsSpatial() || idx.IsVector() {
		return nil
	}
	return "A"
}

// indexSubPart is SHOW INDEX's Sub_part of the seq-th (1-based) column of
// idx: the prefix length of a column prefix, NULL for a whole column (GMS:
// NULL in SHOW INDEX, 0 in information_schema.STATISTICS for the whole
// columns of an index that has a prefix).
func indexSubPart(idx sql.Index, seq int) any {
	pl := idx.PrefixLengths()
	if seq < 1 || seq > len(pl) || pl[seq-1] == 0 {
		return nil
	}
	return int64(pl[seq-1])
}

// cardinalityScanRows bounds the index entries indexCardinality reads.
var cardinalityScanRows = 20_000 // a variable for tests

// cardinalities computes CARDINALITY, the number of distinct values of
// each prefix of an index's key, for SHOW INDEX and
// information_schema.STATISTICS, once per index and statement.
//
// MySQL reports InnoDB's estimate, which InnoDB keeps up to date by
// sampling index pages in the background, so it is never 0 for a table
// with rows (GMS reported 0 until ANALYZE TABLE). Quarry counts: it reads
// the index in key order and counts the positions where a key prefix
// changes (NULLs equal, as InnoDB's default innodb_stats_method; string
// prefixes compared by the column's collation, up to the prefix length).
// That is exact for an index of up to cardinalityScanRows entries. For a
// larger one it reads the first cardinalityScanRows entries and scales
// their distinct counts by the table's exact row count (assuming the rest
// of the index looks like its start), except where better numbers exist:
// a unique index's whole key has as many values as the table has rows,
// and ANALYZE TABLE's distinct count of the whole key is used when
// recorded. FULLTEXT and SPATIAL indexes report 0 (InnoDB: the row count
// for FULLTEXT; neither is used by clients).
type cardinalities struct {
	sp    sql.StatsProvider
	cache map[cardinalityKey][]int64
}

type cardinalityKey struct{ db, table, index string }

func newCardinalities(sp sql.StatsProvider) *cardinalities {
	return &cardinalities{sp: sp, cache: map[cardinalityKey][]int64{}}
}

// of returns the CARDINALITY of the first seq columns of idx.
func (c *cardinalities) of(ctx *sql.Context, db string, t sql.Table, idx sql.Index, seq int) (int64, error) {
	n := len(idx.Expressions())
	if seq < 1 || seq > n || idx.IsFullText() || idx.IsSpatial() || idx.IsVector() {
		return 0, nil
	}
	k := cardinalityKey{strings.ToLower(db), strings.ToLower(t.Name()), strings.ToLower(idx.ID())}
	counts, ok := c.cache[k]
	if !ok {
		var err error
		if counts, err = c.compute(ctx, db, t, idx); err != nil {
			return 0, err
		}
		c.cache[k] = counts
	}
	return counts[seq-1], nil
}

func (c *cardinalities) compute(ctx *sql.Context, db string, t sql.Table, idx sql.Index) ([]int64, error) {
	n := len(idx.Expressions())
	counts := make([]int64, n)
	var total uint64
	if st, ok := t.(sql.StatisticsTable); ok {
		var err error
		if total, _, err = st.RowCount(ctx); err != nil {
			return nil, err
		}
	}
	if total == 0 {
		return counts, nil
	}
	read, distinct, err := scanDistinctPrefixes(ctx, t, idx, cardinalityScanRows)
	if err != nil {
		return nil, err
	}
	complete := read < cardinalityScanRows || uint64(read) >= total
	for i := range counts {
		d := distinct[i]
		if !complete && read > 0 {
			d = int64(float64(d) * float64(total) / float64(read))
		}
		counts[i] = min(max(d, 1), int64(total))
	}
	if !complete {
		if idx.IsUnique() {
			counts[n-1] = int64(total)
		}
		if d, ok, err := analyzedDistinct(ctx, c.sp, db, t, idx); err != nil {
			return nil, err
		} else if ok {
			counts[n-1] = d
		}
	}
	return counts, nil
}

// analyzedDistinct is the distinct count ANALYZE TABLE recorded for idx's
// whole key, if any.
func analyzedDistinct(ctx *sql.Context, sp sql.StatsProvider, db string, t sql.Table, idx sql.Index) (int64, bool, error) {
	if sp == nil {
		return 0, false, nil
	}
	stats, err := sp.GetTableStats(ctx, db, t)
	if err != nil {
		return 0, false, err
	}
	for _, st := range stats {
		if strings.EqualFold(st.Qualifier().Index(), idx.ID()) {
			return int64(st.DistinctCount()), true, nil
		}
	}
	return 0, false, nil
}

// scanDistinctPrefixes reads up to limit entries of idx in key order and
// returns how many it read and, for each key prefix length i+1, the number
// of distinct prefixes among them.
func scanDistinctPrefixes(ctx *sql.Context, t sql.Table, idx sql.Index, limit int) (int, []int64, error) {
	n := len(idx.Expressions())
	distinct := make([]int64, n)
	ia, ok := t.(sql.IndexAddressable)
	if !ok {
		return 0, distinct, nil
	}
	sch := t.Schema()
	cols := make([]int, n)
	colTypes := make([]sql.Type, n)
	for i, e := range idx.Expressions() {
		cols[i] = sch.IndexOfColName(e[strings.LastIndexByte(e, '.')+1:])
		if cols[i] < 0 {
			return 0, distinct, nil // an expression index: no column to compare
		}
		colTypes[i] = sch[cols[i]].Type
	}
	prefix := idx.PrefixLengths()
	lookup, err := sql.NewMySQLIndexBuilder(idx).Build(ctx)
	if err != nil {
		return 0, nil, err
	}
	it, ok := ia.IndexedAccess(ctx, lookup).(sql.IndexedTable)
	if !ok {
		return 0, distinct, nil
	}
	parts, err := it.LookupPartitions(ctx, lookup)
	if err != nil {
		return 0, nil, err
	}
	defer parts.Close(ctx)
	read := 0
	var prev sql.Row
	for read < limit {
		p, err := parts.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		rows, err := it.PartitionRows(ctx, p)
		if err != nil {
			return 0, nil, err
		}
		for read < limit {
			row, err := rows.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				_ = rows.Close(ctx)
				return 0, nil, err
			}
			read++
			// first is the first key column that differs from the previous
			// entry's: every prefix from it on starts a new value.
			first := 0
			if prev != nil {
				for first < n {
					c, err := compareKeyColumn(ctx, colTypes[first], prev[cols[first]], row[cols[first]], prefixAt(prefix, first))
					if err != nil {
						_ = rows.Close(ctx)
						return 0, nil, err
					}
					if c != 0 {
						break
					}
					first++
				}
			}
			for i := first; i < n; i++ {
				distinct[i]++
			}
			prev = row
		}
		if err := rows.Close(ctx); err != nil {
			return 0, nil, err
		}
	}
	return read, distinct, nil
}

func prefixAt(prefix []uint16, i int) int {
	if i < len(prefix) {
		return int(prefix[i])
	}
	return 0
}

// compareKeyColumn compares two values of an index column as the index
// orders them: by the column's type, only the first prefix characters (or
// bytes, for binary strings) of a column prefix.
func compareKeyColumn(ctx *sql.Context, typ sql.Type, a, b any, prefix int) (int, error) {
	if prefix > 0 {
		a, b = truncatePrefix(a, prefix), truncatePrefix(b, prefix)
	}
	return typ.Compare(ctx, a, b)
}

func truncatePrefix(v any, n int) any {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) <= n {
			return x
		}
		i := 0
		for k := range x {
			if i == n {
				return x[:k]
			}
			i++
		}
		return x
	case []byte:
		if len(x) > n {
			return x[:n]
		}
	}
	return v
}

// buildShowVariables prints boolean system variables as ON and OFF, as
// MySQL's SHOW VARIABLES does (GMS printed autocommit 1); SELECT
// @@autocommit stays 1. The rows are GMS's otherwise.
func buildShowVariables(ctx *sql.Context, n *plan.ShowVariables, r sql.Row) (sql.RowIter, error) {
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if len(row) < 2 || row[1] == nil {
			continue
		}
		name, _ := row[0].(string)
		sv, _, ok := sql.SystemVariables.GetGlobal(name)
		if !ok {
			continue
		}
		if _, isBool := sv.GetType().(types.SystemBoolType); !isBool {
			continue
		}
		v, _, err := types.Int64.Convert(ctx, row[1])
		if err != nil {
			continue
		}
		if v.(int64) != 0 {
			row[1] = "ON"
		} else {
			row[1] = "OFF"
		}
	}
	return sql.RowsToRowIter(rows...), nil
}
