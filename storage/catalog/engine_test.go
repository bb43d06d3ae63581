package catalog

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// This file checks the catalog against GMS itself: tables are created with
// real CREATE TABLE statements in an in-memory GMS engine, the exact
// arguments GMS passes to CreateTable / CreateIndexedTable are captured,
// converted to catalog.Table, encoded, decoded and turned back into a GMS
// schema, which must match the original column by column after GMS has
// resolved the restored defaults. A second engine is then built from the
// restored schemas only, and SHOW CREATE TABLE plus a DML workload must give
// the same results in both engines.

const testDB = "db"

// createCall is what GMS passed to the table creator.
type createCall struct {
	schema    sql.PrimaryKeySchema
	collation sql.CollationID
	comment   string
	pkDef     *sql.IndexDef // non-nil for CreateIndexedTable
}

// captureDB records the table creation calls GMS makes and forwards them to
// the memory engine.
type captureDB struct {
	*memory.Database
	calls map[string]createCall
	order []string
}

func (d *captureDB) record(name string, c createCall) {
	c.schema = sql.PrimaryKeySchema{Schema: c.schema.Schema.Copy(), PkOrdinals: append([]int(nil), c.schema.PkOrdinals...)}
	d.calls[name] = c
	d.order = append(d.order, name)
}

func (d *captureDB) CreateTable(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, collation sql.CollationID, comment string) error {
	d.record(name, createCall{schema: sch, collation: collation, comment: comment})
	return d.Database.CreateTable(ctx, name, sch, collation, comment)
}

func (d *captureDB) CreateIndexedTable(ctx *sql.Context, name string, sch sql.PrimaryKeySchema, def sql.IndexDef, collation sql.CollationID) error {
	cp := def
	cp.Columns = append([]sql.IndexColumn(nil), def.Columns...)
	d.record(name, createCall{schema: sch, collation: collation, pkDef: &cp})
	return d.Database.CreateIndexedTable(ctx, name, sch, withoutPrefixLengths(def), collation)
}

// withoutPrefixLengths strips prefix lengths, which the memory engine
// rejects on string primary keys.
func withoutPrefixLengths(def sql.IndexDef) sql.IndexDef {
	cols := make([]sql.IndexColumn, len(def.Columns))
	for i, c := range def.Columns {
		cols[i] = sql.IndexColumn{Name: c.Name}
	}
	def.Columns = cols
	return def
}

// captureProvider serves the capturing database to the engine, while the
// memory session commits through a provider that serves the plain memory
// database (the memory session only knows its own database types).
type captureProvider struct{ db *captureDB }

func (p captureProvider) Database(_ *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, p.db.Name()) {
		return p.db, nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

func (p captureProvider) HasDatabase(_ *sql.Context, name string) bool {
	return strings.EqualFold(name, p.db.Name())
}

func (p captureProvider) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{p.db} }

type testEngine struct {
	t    *testing.T
	e    *sqle.Engine
	ctx  *sql.Context
	sess *memory.Session
	mdb  *memory.Database
}

func newTestEngine(t *testing.T, capture *captureDB) *testEngine {
	t.Helper()
	mdb := memory.NewDatabase(testDB)
	mdb.EnablePrimaryKeyIndexes()
	mpro := memory.NewDBProvider(mdb)
	var pro sql.DatabaseProvider = mpro
	if capture != nil {
		capture.Database = mdb
		pro = captureProvider{capture}
	}
	e := sqle.NewDefault(pro)
	sess := memory.NewSession(sql.NewBaseSession(), mpro)
	ctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	ctx.SetCurrentDatabase(testDB)
	return &testEngine{t: t, e: e, ctx: ctx, sess: sess, mdb: mdb}
}

func (te *testEngine) query(q string) []sql.Row {
	te.t.Helper()
	rows, err := te.tryQuery(q)
	if err != nil {
		te.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func (te *testEngine) tryQuery(q string) ([]sql.Row, error) {
	_, it, _, err := te.e.Query(te.ctx, q)
	if err != nil {
		return nil, err
	}
	return sql.RowIterToRows(te.ctx, it)
}

func (te *testEngine) memTable(name string) *memory.Table {
	te.t.Helper()
	tbl, ok, err := te.mdb.GetTableInsensitive(te.ctx, name)
	if err != nil || !ok {
		te.t.Fatalf("table %s: ok=%v err=%v", name, ok, err)
	}
	return tbl.(*memory.Table)
}

// The statements cover every column type and option the catalog has to
// preserve.
var createStatements = []string{
	`CREATE TABLE t_types (
		id int primary key,
		ti tinyint, tiu tinyint unsigned, t1 tinyint(1), bo bool, si smallint, siu smallint unsigned,
		mi mediumint, miu mediumint unsigned, i int, iu int unsigned, zf int unsigned zerofill, bi bigint, biu bigint unsigned,
		f float, f30 float(30), d double, r real, dec1 decimal, dec2 decimal(10,2), dec3 decimal(65,30), num numeric(5),
		bit1 bit, bit8 bit(8), bit64 bit(64),
		y year, dt date, dtm datetime, dtm3 datetime(3), dtm6 datetime(6), ts timestamp, ts1 timestamp(1), ts6 timestamp(6),
		tm time, tm6 time(6),
		c char, c10 char(10), vc varchar(255), vcb varchar(20) binary, bin binary(5), vbin varbinary(100),
		tt tinytext, tx text, mt mediumtext, lt longtext, tb tinyblob, bl blob, mb mediumblob, lb longblob,
		j json,
		g geometry, p point, ls linestring, pg polygon, mp multipoint, mls multilinestring, mpg multipolygon,
		gc geometrycollection, p4326 point srid 4326, g0 geometry srid 0, pg3857 polygon srid 3857,
		e enum('a','b'), s set('x','y','z')
	)`,
	`CREATE TABLE t_coll (
		id int primary key,
		a varchar(10) character set utf8mb4 collate utf8mb4_bin,
		b varchar(10) collate utf8mb4_0900_ai_ci,
		c varchar(10) character set latin1,
		d char(5) character set utf8mb3,
		e text collate utf8mb4_unicode_ci,
		f varchar(10) character set binary,
		g enum('x','y') character set latin1 collate latin1_bin,
		h set('p','q') collate utf8mb4_0900_ai_ci,
		i varchar(10) character set ascii,
		j varchar(10) collate utf8mb4_0900_bin,
		n nvarchar(10), nc nchar(3)
	) collate utf8mb4_0900_ai_ci comment 'coll table'`,
	`CREATE TABLE t_latin (id int, v varchar(10), w text collate latin1_general_ci) CHARACTER SET latin1 COMMENT 'keyless latin1'`,
	`CREATE TABLE t_enum (
		id int primary key,
		e1 enum('a''b', 'c,d', 'x\\y', 'ü', '日本', '', ' lead', 'trail  ', '"dq"', '%_', 'a\nb') default 'c,d',
		s1 set('a''b', 'x\\y', 'ü', '日本', '"') default 'a''b,ü',
		eb enum('a ', 'b') character set binary,
		e2 enum('x','y') not null
	)`,
	`CREATE TABLE t_defaults (
		id int auto_increment primary key comment 'the id',
		a int default 42,
		b int default -7,
		c varchar(20) default 'it''s \\ here',
		d varchar(20) default '',
		e double default 1.5e3,
		f decimal(10,2) default 3.14,
		g int default null,
		h int not null default 0,
		i int default (a + 1),
		j varchar(40) default (concat(c, '!')),
		k datetime default current_timestamp,
		l timestamp(6) default current_timestamp(6) on update current_timestamp(6),
		m datetime default now() on update now(),
		n date default (curdate()),
		o varbinary(10) default 'ab',
		p bit(4) default b'101',
		q json default (json_object('k', 1)),
		r blob default ('xyz'),
		s int default (2 + 3 * 4),
		t varchar(20) default ('lit in parens'),
		v bool default true,
		w enum('x','y') default 'y',
		x year default 2024,
		y datetime default '2020-01-02 03:04:05',
		z time default '12:34:56',
		aa int generated always as (a * 2) stored,
		ab int as (a + b) virtual,
		ac varchar(50) as (concat(c, '-', d)),
		ad int default (-a),
		ae bigint unsigned default 18446744073709551615,
		af char(36) default (uuid()),
		ag int comment 'just a ''comment''',
		ah double default -2.5,
		ai varchar(10) default 'NULL',
		aj int default ((a + b) * 2),
		ak varbinary(4) default 0x0102,
		al float default (pi()),
		am datetime(3) default current_timestamp(3),
		an decimal(5,1) default (1.5 * 2)
	) comment 'defaults ''quoted'' table'`,
	`CREATE TABLE t_onupd (id int primary key, v int, ts timestamp(6) default '2000-01-01 00:00:00' on update current_timestamp(6), dt datetime on update current_timestamp)`,
	`CREATE TABLE t_cpk (a int, b varchar(10), c int, primary key (b, a)) comment 'lost by GMS'`,
	`CREATE TABLE t_ppk (a varchar(100), b int, c text, primary key (a(10), b))`,
	`CREATE TABLE t_keyless (a int, b text, c int not null)`,
	`CREATE TABLE t_idx (
		id int primary key, a int, b varchar(100), c text, d point not null srid 0, e varchar(50),
		unique key uk (a, b), key k1 (b(10)) comment 'prefix ''idx''', key k2 (c(20)),
		spatial key sp (d), index (a), key k3 (e, a) using hash
	)`,
	`CREATE TABLE t_chk (a int, b int, constraint c1 check (a > 0), check (b < a) not enforced, constraint c3 check (a <> 5 or b is null))`,
	`CREATE TABLE parent (id int primary key, u int, unique key (u))`,
	`CREATE TABLE child (
		id int primary key, pid int, pu int,
		constraint fk1 foreign key (pid) references parent(id) on delete cascade on update set null,
		foreign key (pu) references parent(u)
	)`,
	"CREATE TABLE `we ird` (`col``tick` int primary key, `ü` varchar(5) default 'ü', `Mixed Case` int default (`col``tick` + 1))",
	`CREATE TABLE t_auto (id bigint unsigned not null auto_increment, v int, key (id))`,
	`CREATE TABLE t_exprs (
		a int,
		b int default ((2+2)/2),
		c int default (a div 2),
		d varchar(10) default (case when a > 0 then 'p' else 'n' end),
		e bool default (if(a is null, 1, 0)),
		f bool default (if(not a, 1, 0)),
		g bool default (if(a in (1, 2), 1, 0)),
		h bool default (if(a between 1 and 3, 1, 0)),
		i varchar(10) default (cast(a as char)),
		j json default (json_array()),
		k varbinary(10) default (x'4142'),
		l datetime default (date_add(now(), interval 1 day)),
		m int default (coalesce(a, 0)),
		n bool default (if('abc' like 'a%', 1, 0)),
		o bigint default (-(a)),
		p bigint unsigned default (a & 6),
		q int default (a << 2),
		r int default (a % 3),
		s varchar(10) default (upper('x')),
		t varchar(10) default (concat_ws(',', 'a', 'b')),
		u int default (if(a, 1, 2)),
		v double default (a / 3),
		w varchar(20) default ('it''s'),
		x varchar(10) default (_utf8mb4'x'),
		y int default (abs(-5)),
		z varchar(30) default (concat('a', "b", 'c''d'))
	)`,
}

// workload runs identically against both engines; every SELECT result must
// match.
var workload = []string{
	"INSERT INTO t_defaults (a) VALUES (5)",
	"INSERT INTO t_defaults (h) VALUES (3)",
	"INSERT INTO t_defaults (a, b, c, d) VALUES (1, 2, 'x', 'y')",
	"UPDATE t_defaults SET a = a + 1 WHERE id = 1",
	"SELECT id,a,b,c,d,e,f,g,h,i,j,n = curdate(),o,p,q,r,s,t,v,w,x,y,z,aa,ab,ac,ad,ae,length(af),ag,ah,ai,aj,ak,al,an, k IS NOT NULL, l > '2001-01-01', m IS NOT NULL, am IS NOT NULL FROM t_defaults ORDER BY id",
	"INSERT INTO t_enum (id, e2) VALUES (1, 'y')",
	"INSERT INTO t_enum (id, e1, s1, eb, e2) VALUES (2, 'x\\\\y', '日本,\"', 'a ', 'x')",
	"SELECT id, e1, e1+0, s1, s1+0, eb, e2 FROM t_enum ORDER BY id",
	"INSERT INTO t_onupd (id, v) VALUES (1, 1)",
	"SELECT id, v, ts, dt FROM t_onupd",
	"UPDATE t_onupd SET v = 2 WHERE id = 1",
	"SELECT id, v, ts > '2001-01-01', dt IS NOT NULL FROM t_onupd",
	"INSERT INTO `we ird` (`col``tick`) VALUES (7)",
	"SELECT * FROM `we ird`",
	"INSERT INTO t_auto (v) VALUES (1), (2)",
	"SELECT * FROM t_auto ORDER BY id",
	"INSERT INTO t_chk VALUES (1, 0)",
	"INSERT INTO t_chk VALUES (2, 5)",
	"SELECT * FROM t_chk ORDER BY a",
	"INSERT INTO parent VALUES (1, 10)",
	"INSERT INTO child VALUES (1, 1, 10)",
	"SELECT * FROM child",
	"INSERT INTO t_keyless (a, c) VALUES (1, 2)",
	"SELECT * FROM t_keyless",
	"INSERT INTO t_exprs (a) VALUES (1), (NULL), (7)",
	"SELECT a,b,c,d,e,f,g,h,i,j,k,l > now(),m,n,o,p,q,r,s,t,u,v,w,x,y,z FROM t_exprs ORDER BY a",
}

// workloadErrors are statements that must fail in both engines.
var workloadErrors = []string{
	"INSERT INTO t_chk VALUES (0, 0)",
	"INSERT INTO child VALUES (2, 99, NULL)",
	"INSERT INTO t_enum (id, e2) VALUES (3, 'nope')",
	"INSERT INTO t_keyless (a) VALUES (2)",
}

func indexDefFromSQL(tableName string, idx sql.Index) sql.IndexDef {
	def := sql.IndexDef{Name: idx.ID(), Comment: idx.Comment()}
	switch {
	case idx.IsUnique():
		def.Constraint = sql.IndexConstraint_Unique
	case idx.IsSpatial():
		def.Constraint = sql.IndexConstraint_Spatial
	case idx.IsFullText():
		def.Constraint = sql.IndexConstraint_Fulltext
	case idx.IsVector():
		def.Constraint = sql.IndexConstraint_Vector
	}
	lens := idx.PrefixLengths()
	for i, e := range idx.Expressions() {
		ic := sql.IndexColumn{Name: strings.TrimPrefix(e, tableName+".")}
		if i < len(lens) {
			ic.Length = int64(lens[i])
		}
		def.Columns = append(def.Columns, ic)
	}
	return def
}

// catalogFromEngine builds the catalog table for a table created in the
// capturing engine: the creation call as GMS made it, then the indexes,
// checks and foreign keys GMS added to the table afterwards.
func catalogFromEngine(t *testing.T, te *testEngine, name string, call createCall) *Table {
	t.Helper()
	var (
		tbl *Table
		err error
	)
	if call.pkDef != nil {
		tbl, err = NewIndexedTable(name, call.schema, *call.pkDef, call.collation, call.comment)
	} else {
		tbl, err = NewTable(name, call.schema, call.collation, call.comment)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	mt := te.memTable(name)
	idxs, err := mt.GetIndexes(te.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range idxs {
		if idx.ID() == "PRIMARY" {
			continue
		}
		def := indexDefFromSQL(name, idx)
		got, err := tbl.AddIndex(def)
		if err != nil {
			t.Fatalf("%s: add index %s: %v", name, idx.ID(), err)
		}
		if exprs := tbl.IndexExpressions(&got); !reflect.DeepEqual(exprs, idx.Expressions()) {
			t.Errorf("%s.%s: expressions %q, GMS has %q", name, idx.ID(), exprs, idx.Expressions())
		}
		if !reflect.DeepEqual(got.PrefixLengths(), idx.PrefixLengths()) {
			t.Errorf("%s.%s: prefix lengths %v, GMS has %v", name, idx.ID(), got.PrefixLengths(), idx.PrefixLengths())
		}
	}
	checks, err := mt.GetChecks(te.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if _, err := tbl.AddCheck(c); err != nil {
			t.Fatal(err)
		}
	}
	fks, err := mt.GetDeclaredForeignKeys(te.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, fk := range fks {
		if err := tbl.AddForeignKey(fk); err != nil {
			t.Fatal(err)
		}
	}
	return tbl
}

func TestEngineRoundTrip(t *testing.T) {
	capture := &captureDB{calls: map[string]createCall{}}
	src := newTestEngine(t, capture)
	for _, q := range createStatements {
		src.query(q)
	}

	dst := newTestEngine(t, nil)
	builder := planbuilder.New(dst.ctx, dst.e.Analyzer.Catalog, nil, sql.GlobalParser)

	restored := map[string]*Table{}
	for _, name := range capture.order {
		call := capture.calls[name]
		tbl := catalogFromEngine(t, src, name, call)

		enc, err := EncodeTable(tbl)
		if err != nil {
			t.Fatalf("%s: encode: %v", name, err)
		}
		dec, err := DecodeTable(enc)
		if err != nil {
			t.Fatalf("%s: decode: %v\n%s", name, err, enc)
		}
		if !reflect.DeepEqual(tbl, dec) {
			t.Fatalf("%s: decoded table differs:\n got %#v\nwant %#v", name, dec, tbl)
		}
		enc2, err := EncodeTable(dec)
		if err != nil || string(enc) != string(enc2) {
			t.Fatalf("%s: re-encoding is not identical (err %v)", name, err)
		}
		restored[name] = dec

		sch, err := dec.Schema(dst.ctx, testDB)
		if err != nil {
			t.Fatalf("%s: schema: %v", name, err)
		}
		// Resolve the restored defaults the way GMS does when a statement
		// uses the table.
		resolvedSch := builder.ResolveSchemaDefaults(testDB, name, sch.Schema)
		compareSchemas(t, name, call.schema, sql.NewPrimaryKeySchema(resolvedSch, sch.PkOrdinals...), sch)

		// Recreate the table in the second engine from the restored schema,
		// quoting column references as GMS's analyzer does for DDL.
		pk := sql.NewPrimaryKeySchema(quoteDefaults(t, resolvedSch), sch.PkOrdinals...)
		if pkDef, ok := dec.PrimaryKeyDef(); ok && call.pkDef != nil {
			if !reflect.DeepEqual(pkDef.Columns, call.pkDef.Columns) {
				t.Errorf("%s: primary key def %+v, GMS passed %+v", name, pkDef.Columns, call.pkDef.Columns)
			}
			err = dst.mdb.CreateIndexedTable(dst.ctx, name, pk, withoutPrefixLengths(pkDef), dec.Collation)
		} else {
			err = dst.mdb.CreateTable(dst.ctx, name, pk, dec.Collation, dec.Comment)
		}
		if err != nil {
			t.Fatalf("%s: create in second engine: %v", name, err)
		}
		mt := dst.memTable(name)
		for i := range dec.Indexes {
			if err := mt.CreateIndex(dst.ctx, dec.Indexes[i].IndexDef()); err != nil {
				t.Fatalf("%s: create index: %v", name, err)
			}
		}
		for _, c := range dec.CheckDefinitions() {
			if err := mt.CreateCheck(dst.ctx, &c); err != nil {
				t.Fatalf("%s: create check: %v", name, err)
			}
		}
	}
	for _, name := range capture.order {
		mt := dst.memTable(name)
		for _, fk := range restored[name].ForeignKeyConstraints() {
			if err := mt.AddForeignKey(dst.ctx, fk); err != nil {
				t.Fatalf("%s: add foreign key: %v", name, err)
			}
		}
	}
	if err := dst.sess.CommitTransaction(dst.ctx, nil); err != nil {
		t.Fatal(err)
	}

	for _, name := range capture.order {
		q := "SHOW CREATE TABLE `" + strings.ReplaceAll(name, "`", "``") + "`"
		want, got := src.query(q), dst.query(q)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s differs after restart:\n got %v\nwant %v", q, got, want)
		}
	}
	for _, q := range workload {
		want, got := src.query(q), dst.query(q)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s:\n got %v\nwant %v", q, got, want)
		}
	}
	for _, q := range workloadErrors {
		_, errSrc := src.tryQuery(q)
		_, errDst := dst.tryQuery(q)
		if errSrc == nil || errDst == nil || errSrc.Error() != errDst.Error() {
			t.Errorf("%s: want the same error from both engines, got %v and %v", q, errSrc, errDst)
		}
	}
}

// compareSchemas compares the schema GMS passed to the table creator with the
// one rebuilt from the catalog (after GMS resolved its defaults). raw is the
// rebuilt schema before resolution.
func compareSchemas(t *testing.T, table string, want, got, raw sql.PrimaryKeySchema) {
	t.Helper()
	if len(want.Schema) != len(got.Schema) {
		t.Fatalf("%s: %d columns, want %d", table, len(got.Schema), len(want.Schema))
	}
	if len(want.PkOrdinals) != len(got.PkOrdinals) || (len(want.PkOrdinals) > 0 && !reflect.DeepEqual(want.PkOrdinals, got.PkOrdinals)) {
		t.Errorf("%s: pk ordinals %v, want %v", table, got.PkOrdinals, want.PkOrdinals)
	}
	for i, w := range want.Schema {
		g := got.Schema[i]
		where := table + "." + w.Name
		if g.Name != w.Name {
			t.Errorf("%s: name %q", where, g.Name)
		}
		if !w.Type.Equals(g.Type) || w.Type.String() != g.Type.String() || !TypesIdentical(w.Type, g.Type) {
			t.Errorf("%s: type %s, want %s", where, g.Type, w.Type)
		}
		if !reflect.DeepEqual(w.Type, g.Type) {
			t.Errorf("%s: type %#v is not deeply equal to %#v", where, g.Type, w.Type)
		}
		if g.Nullable != w.Nullable || g.PrimaryKey != w.PrimaryKey || g.AutoIncrement != w.AutoIncrement ||
			g.Comment != w.Comment || g.Extra != w.Extra || g.Virtual != w.Virtual {
			t.Errorf("%s: attributes differ:\n got %+v\nwant %+v", where, g, w)
		}
		if g.Source != table || g.DatabaseSource != testDB {
			t.Errorf("%s: source %s.%s", where, g.DatabaseSource, g.Source)
		}
		compareDefault(t, where+" default", g.Type, w.Default, g.Default, raw.Schema[i].Default)
		compareDefault(t, where+" generated", g.Type, w.Generated, g.Generated, raw.Schema[i].Generated)
		compareDefault(t, where+" on update", g.Type, w.OnUpdate, g.OnUpdate, raw.Schema[i].OnUpdate)
	}
}

func compareDefault(t *testing.T, where string, colType sql.Type, want, got, raw *sql.ColumnDefaultValue) {
	t.Helper()
	if want == nil || got == nil {
		if want != got {
			t.Errorf("%s: got %v, want %v", where, got, want)
		}
		return
	}
	if _, ok := raw.Expr.(*sql.UnresolvedColumnDefault); !ok {
		t.Errorf("%s: restored value should be unresolved, is %T", where, raw.Expr)
	}
	if !got.Resolved() {
		t.Errorf("%s: GMS did not resolve %q", where, raw.String())
		return
	}
	// GMS resolves column references with the table name; the persisted
	// text (table names stripped) must be a fixpoint and equal the original.
	gotText, err := ExprString(got)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if gotText != want.String() || raw.Expr.String() != want.String() {
		t.Errorf("%s: %q (persisted %q), want %q", where, gotText, raw.Expr.String(), want.String())
	}
	if got.IsLiteral() != want.IsLiteral() || got.IsParenthesized() != want.IsParenthesized() || got.ReturnNil != want.ReturnNil {
		t.Errorf("%s: flags literal=%v paren=%v nil=%v, want %v %v %v", where,
			got.IsLiteral(), got.IsParenthesized(), got.ReturnNil, want.IsLiteral(), want.IsParenthesized(), want.ReturnNil)
	}
	// GMS resolves with the column's type as the output type. (The value GMS
	// passed to CreateTable may still carry the type from before GMS applied
	// the table collation to the column.)
	if !TypesIdentical(got.OutType, colType) {
		t.Errorf("%s: output type %s, want %s", where, got.OutType, colType)
	}
	// Compare the values of deterministic defaults that need no row.
	deterministic := true
	sql.Inspect(want.Expr, func(e sql.Expression) bool {
		if _, ok := e.(*expression.GetField); ok {
			deterministic = false
		}
		return deterministic
	})
	s := strings.ToLower(want.String())
	for _, f := range []string{"now", "current_timestamp", "curdate", "uuid", "rand"} {
		if strings.Contains(s, f) {
			deterministic = false
		}
	}
	if deterministic {
		ctx := sql.NewEmptyContext()
		wv, werr := want.Eval(ctx, nil)
		gv, gerr := got.Eval(ctx, nil)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(wv, gv) {
			t.Errorf("%s: evaluates to %#v (%v), want %#v (%v)", where, gv, gerr, wv, werr)
		}
	}
}

// quoteDefaults quotes the column references in resolved defaults, as GMS's
// analyzer rule quoteDefaultColumnValueNames does for DDL statements.
func quoteDefaults(t *testing.T, sch sql.Schema) sql.Schema {
	t.Helper()
	out := sch.Copy()
	quote := func(d *sql.ColumnDefaultValue) *sql.ColumnDefaultValue {
		if d == nil {
			return nil
		}
		e, _, err := transform.Expr(d, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if gf, ok := e.(*expression.GetField); ok {
				return gf.WithQuotedNames(sql.GlobalSchemaFormatter, true), transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return e.(*sql.ColumnDefaultValue)
	}
	for _, c := range out {
		c.Default, c.Generated, c.OnUpdate = quote(c.Default), quote(c.Generated), quote(c.OnUpdate)
	}
	return out
}
