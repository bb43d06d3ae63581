package catalog

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"
)

func mustString(t *testing.T, base query.Type, length int64, coll sql.CollationID) sql.Type {
	t.Helper()
	typ, err := types.CreateString(base, length, coll)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func col(name string, typ sql.Type, nullable bool) *sql.Column {
	return &sql.Column{Name: name, Type: typ, Nullable: nullable}
}

// roundTrip encodes and decodes t and checks that nothing changed.
func roundTrip(t *testing.T, tbl *Table) *Table {
	t.Helper()
	b, err := EncodeTable(tbl)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	dec, err := DecodeTable(b)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(tbl, dec) {
		t.Fatalf("round trip changed the table:\n got %#v\nwant %#v", dec, tbl)
	}
	b2, err := EncodeTable(dec)
	if err != nil || string(b) != string(b2) {
		t.Fatalf("re-encoding differs (err %v)", err)
	}
	return dec
}

func goldenTable(t *testing.T) *Table {
	t.Helper()
	sch := sql.NewPrimaryKeySchema(sql.Schema{
		{Name: "id", Type: types.Int64, AutoIncrement: true, PrimaryKey: true, Extra: "auto_increment"},
		{Name: "name", Type: mustString(t, sqltypes.VarChar, 20, sql.Collation_utf8mb4_0900_ai_ci),
			Default: sql.NewUnresolvedColumnDefaultValue("'x'"), Comment: "who"},
		{Name: "at", Type: types.Timestamp, Nullable: true,
			Default:  sql.NewUnresolvedColumnDefaultValue("CURRENT_TIMESTAMP"),
			OnUpdate: sql.NewUnresolvedColumnDefaultValue("CURRENT_TIMESTAMP")},
		{Name: "n2", Type: types.Int32, Nullable: true,
			Generated: sql.NewUnresolvedColumnDefaultValue("(`id` * 2)"), Virtual: true},
	})
	tbl, err := NewTable("t", sch, sql.Collation_utf8mb4_0900_bin, "small")
	if err != nil {
		t.Fatal(err)
	}
	tbl.ID = 7
	if _, err := tbl.AddIndex(sql.IndexDef{Name: "by_name", Columns: []sql.IndexColumn{{Name: "name", Length: 4}}, Constraint: sql.IndexConstraint_Unique}); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.AddCheck(sql.CheckDefinition{Name: "pos", CheckExpression: "(`id` > 0)", Enforced: true}); err != nil {
		t.Fatal(err)
	}
	if err := tbl.AddForeignKey(sql.ForeignKeyConstraint{
		Name: "fk", Database: "db", Table: "t", Columns: []string{"n2"},
		ParentDatabase: "db", ParentTable: "p", ParentColumns: []string{"x"},
		OnUpdate: sql.ForeignKeyReferentialAction_Cascade, OnDelete: sql.ForeignKeyReferentialAction_DefaultAction,
		IsResolved: true,
	}); err != nil {
		t.Fatal(err)
	}
	return tbl
}

// golden pins the on-disk format of a small table. If this test fails, the
// encoding changed: bump FormatVersion and keep a decoder for the old one.
const golden = "\x01T" + `{"id":7,"name":"t","comment":"small","collation":"utf8mb4_0900_bin","columns":[` +
	`{"id":1,"name":"id","type":"bigint","auto_increment":true,"extra":"auto_increment"},` +
	`{"id":2,"name":"name","type":"varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci","default":"'x'","comment":"who"},` +
	`{"id":3,"name":"at","type":"timestamp","nullable":true,"default":"CURRENT_TIMESTAMP","on_update":"CURRENT_TIMESTAMP"},` +
	"{\"id\":4,\"name\":\"n2\",\"type\":\"int\",\"nullable\":true,\"generated\":\"(`id` * 2)\",\"virtual\":true}]," +
	`"next_column_id":5,"primary_key":[{"column":1}],` +
	`"indexes":[{"id":1,"name":"by_name","columns":[{"column":2,"length":4}],"unique":true}],"next_index_id":2,` +
	"\"checks\":[{\"name\":\"pos\",\"expression\":\"(`id` > 0)\",\"enforced\":true}]," +
	`"foreign_keys":[{"name":"fk","database":"db","table":"t","columns":["n2"],"parent_database":"db","parent_table":"p","parent_columns":["x"],"on_update":"CASCADE","on_delete":"DEFAULT","resolved":true}],` +
	`"version":3}`

func TestGoldenEncoding(t *testing.T) {
	tbl := goldenTable(t)
	b, err := EncodeTable(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != golden {
		t.Fatalf("encoding changed:\n got %q\nwant %q", b, golden)
	}
	dec, err := DecodeTable([]byte(golden))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dec, tbl) {
		t.Fatalf("golden decodes to %#v, want %#v", dec, tbl)
	}
	sch, err := dec.Schema(nil, "db")
	if err != nil {
		t.Fatal(err)
	}
	if got := sch.Schema[1].Default.Expr.String(); got != "'x'" {
		t.Errorf("default text %q", got)
	}
	if !reflect.DeepEqual(sch.PkOrdinals, []int{0}) || !sch.Schema[0].PrimaryKey || sch.Schema[1].PrimaryKey {
		t.Errorf("primary key not restored: %v", sch.PkOrdinals)
	}
	if sch.Schema[3].Generated == nil || !sch.Schema[3].Virtual || sch.Schema[2].OnUpdate == nil {
		t.Errorf("generated/on update not restored")
	}
}

func TestDatabaseRoundTrip(t *testing.T) {
	for _, d := range []*Database{
		{ID: 3, Name: "shop", Collation: sql.Collation_utf8mb4_0900_ai_ci},
		{ID: 0, Name: "ü db", Collation: sql.Collation_Unspecified},
		{ID: 1, Name: "l", Collation: sql.Collation_latin1_swedish_ci},
	} {
		b, err := EncodeDatabase(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeDatabase(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("got %+v, want %+v", got, d)
		}
	}
	b, _ := EncodeDatabase(&Database{ID: 1, Name: "x", Collation: sql.Collation_binary})
	if string(b) != "\x01D"+`{"id":1,"name":"x","collation":"binary"}` {
		t.Errorf("database encoding changed: %q", b)
	}
}

func TestTypeStrings(t *testing.T) {
	enum, err := types.CreateEnumType([]string{"it's", `back\slash`, "com,ma", "ü", "", "tab\there", "trail "}, sql.Collation_utf8mb4_0900_ai_ci)
	if err != nil {
		t.Fatal(err)
	}
	binEnum, err := types.CreateEnumType([]string{"a ", "b\x00"}, sql.Collation_binary)
	if err != nil {
		t.Fatal(err)
	}
	set, err := types.CreateSetType([]string{"o'k", `x\y`, "日本"}, sql.Collation_latin1_bin)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := types.CreateColumnDecimalType(65, 30)
	bit, _ := types.CreateBitType(64)
	cases := []struct {
		typ  sql.Type
		text string
	}{
		{types.Int8, "tinyint"},
		{types.Boolean, "tinyint(1)"},
		{types.Uint64, "bigint unsigned"},
		{types.Float32, "float"},
		{dec, "decimal(65,30)"},
		{bit, "bit(64)"},
		{types.Year, "year"},
		{types.Date, "date"},
		{types.MustCreateDatetimeType(sqltypes.Datetime, 3), "datetime(3)"},
		{types.MustCreateDatetimeType(sqltypes.Timestamp, 6), "timestamp(6)"},
		{types.Time, "time(6)"},
		{types.JSON, "json"},
		{mustString(t, sqltypes.VarChar, 10, sql.Collation_utf8mb4_0900_bin), "varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin"},
		{mustString(t, sqltypes.Char, 3, sql.Collation_latin1_general_ci), "char(3) CHARACTER SET latin1 COLLATE latin1_general_ci"},
		{mustString(t, sqltypes.Text, types.MediumTextBlobMax, sql.Collation_utf8mb3_general_ci), "mediumtext CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"},
		{mustString(t, sqltypes.VarBinary, 16, sql.Collation_binary), "varbinary(16)"},
		{mustString(t, sqltypes.Binary, 16, sql.Collation_binary), "binary(16)"},
		{types.LongBlob, "longblob"},
		{enum, `enum('it''s','back\\slash','com,ma','ü','','tab	here','trail') CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci`},
		{binEnum, "enum('a ','b\x00') CHARACTER SET binary COLLATE binary"},
		{set, `set('o''k','x\\y','日本') CHARACTER SET latin1 COLLATE latin1_bin`},
		{types.PointType{}, "point"},
		{types.PointType{}.SetSRID(4326), "point SRID 4326"},
		{types.GeometryType{}.SetSRID(0), "geometry SRID 0"},
		{types.MultiPolygonType{}.SetSRID(3857), "multipolygon SRID 3857"},
	}
	for _, c := range cases {
		text, err := TypeString(c.typ)
		if err != nil {
			t.Errorf("%s: %v", c.typ, err)
			continue
		}
		if text != c.text {
			t.Errorf("%s: text %q, want %q", c.typ, text, c.text)
		}
		back, err := ParseType(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if !TypesIdentical(back, c.typ) || !reflect.DeepEqual(back, c.typ) {
			t.Errorf("%q: parsed as %#v, want %#v", text, back, c.typ)
		}
	}
	// An unspecified collation is kept as such.
	raw := mustString(t, sqltypes.VarChar, 5, sql.Collation_Unspecified)
	if text, err := TypeString(raw); err != nil || text != "varchar(5)" {
		t.Errorf("unspecified collation: %q %v", text, err)
	}

	// Types that cannot be persisted exactly are rejected.
	for _, typ := range []sql.Type{types.Null, types.CreateTuple(types.Int8, types.Int8), nil} {
		if _, err := TypeString(typ); err == nil {
			t.Errorf("%v: expected an error", typ)
		}
	}
	for _, text := range []string{"", "int, d int", "int not null", "int default 1", "nosuchtype", "int SRID 4"} {
		if _, err := ParseType(text); err == nil {
			t.Errorf("ParseType(%q): expected an error", text)
		}
	}
}

func newABC(t *testing.T) *Table {
	t.Helper()
	tbl, err := NewTable("t", sql.NewPrimaryKeySchema(sql.Schema{
		col("a", types.Int32, false), col("b", types.Int64, true), col("c", mustString(t, sqltypes.VarChar, 10, sql.Collation_utf8mb4_0900_bin), true),
	}), sql.Collation_utf8mb4_0900_bin, "")
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func ids(tbl *Table) map[string]uint32 {
	m := map[string]uint32{}
	for _, c := range tbl.Columns {
		m[c.Name] = c.ID
	}
	return m
}

func names(tbl *Table) string {
	var s []string
	for _, c := range tbl.Columns {
		s = append(s, c.Name)
	}
	return strings.Join(s, ",")
}

func TestColumnIDStability(t *testing.T) {
	tbl := newABC(t)
	if got := ids(tbl); !reflect.DeepEqual(got, map[string]uint32{"a": 1, "b": 2, "c": 3}) || tbl.NextColumnID != 4 {
		t.Fatalf("initial ids %v next %d", got, tbl.NextColumnID)
	}
	v := tbl.Version

	d, err := tbl.AddColumn(col("d", types.Int8, true), &sql.ColumnOrder{AfterColumn: "A"})
	if err != nil || d.ID != 4 || names(tbl) != "a,d,b,c" {
		t.Fatalf("add d: %v %+v %s", err, d, names(tbl))
	}
	e, err := tbl.AddColumn(col("e", types.Int8, true), &sql.ColumnOrder{First: true})
	if err != nil || e.ID != 5 || names(tbl) != "e,a,d,b,c" {
		t.Fatalf("add e: %v %+v %s", err, e, names(tbl))
	}
	roundTrip(t, tbl)

	res, err := tbl.DropColumn("b")
	if err != nil || res.Column.ID != 2 || res.Ordinal != 3 || names(tbl) != "e,a,d,c" {
		t.Fatalf("drop b: %v %+v %s", err, res, names(tbl))
	}
	b2, err := tbl.AddColumn(col("b", types.Int64, true), nil)
	if err != nil || b2.ID != 6 {
		t.Fatalf("re-added b must get a new ID: %v %+v", err, b2)
	}

	// Modify: rename, retype and move first; the ID stays.
	c2, err := tbl.ModifyColumn("c", col("c2", types.Text, true), &sql.ColumnOrder{First: true})
	if err != nil || c2.ID != 3 || names(tbl) != "c2,e,a,d,b" || c2.Type != "text CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin" {
		t.Fatalf("modify c: %v %+v %s", err, c2, names(tbl))
	}
	// nil order keeps the position.
	if _, err := tbl.ModifyColumn("a", col("a", types.Int64, false), nil); err != nil || names(tbl) != "c2,e,a,d,b" {
		t.Fatalf("modify a: %v %s", err, names(tbl))
	}
	// AFTER is resolved without the moved column.
	if _, err := tbl.ModifyColumn("e", col("e", types.Int8, true), &sql.ColumnOrder{AfterColumn: "b"}); err != nil || names(tbl) != "c2,a,d,b,e" {
		t.Fatalf("move e: %v %s", err, names(tbl))
	}
	if err := tbl.RenameColumn("d", "dd"); err != nil || tbl.Columns[tbl.ColumnIndex("dd")].ID != 4 {
		t.Fatalf("rename d: %v", err)
	}
	if got := ids(tbl); !reflect.DeepEqual(got, map[string]uint32{"c2": 3, "a": 1, "dd": 4, "b": 6, "e": 5}) {
		t.Fatalf("ids %v", got)
	}
	if tbl.Version != v+8 {
		t.Errorf("version %d, want %d", tbl.Version, v+8)
	}
	roundTrip(t, tbl)

	// Failures leave the table untouched.
	before := tbl.Clone()
	for _, f := range []func() error{
		func() error { _, err := tbl.AddColumn(col("A", types.Int8, true), nil); return err },
		func() error {
			_, err := tbl.AddColumn(col("z", types.Int8, true), &sql.ColumnOrder{AfterColumn: "nope"})
			return err
		},
		func() error { _, err := tbl.AddColumn(col("z", types.Null, true), nil); return err },
		func() error { _, err := tbl.DropColumn("nope"); return err },
		func() error { _, err := tbl.ModifyColumn("nope", col("x", types.Int8, true), nil); return err },
		func() error { _, err := tbl.ModifyColumn("a", col("B", types.Int8, true), nil); return err },
		func() error {
			_, err := tbl.ModifyColumn("a", col("a", types.Int8, true), &sql.ColumnOrder{AfterColumn: "a"})
			return err
		},
		func() error { return tbl.RenameColumn("a", "dd") },
	} {
		if err := f(); err == nil {
			t.Errorf("expected an error")
		}
		if !reflect.DeepEqual(tbl, before) {
			t.Fatalf("failed change modified the table")
		}
	}
	for len(tbl.Columns) > 1 {
		if _, err := tbl.DropColumn(tbl.Columns[0].Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tbl.DropColumn(tbl.Columns[0].Name); err == nil {
		t.Errorf("dropping the last column must fail")
	}
}

func TestPrimaryKeyChanges(t *testing.T) {
	tbl, err := NewTable("t", sql.NewPrimaryKeySchema(sql.Schema{
		col("a", types.Int32, false), col("b", mustString(t, sqltypes.VarChar, 50, sql.Collation_utf8mb4_0900_bin), false), col("c", types.Int32, true),
	}, 1, 0), sql.Collation_utf8mb4_0900_bin, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tbl.PrimaryKey, []int{1, 0}) || !reflect.DeepEqual(tbl.PrimaryKeyColumnIDs(), []uint32{2, 1}) {
		t.Fatalf("pk %v", tbl.PrimaryKey)
	}
	// Moving a key column keeps the key order.
	if _, err := tbl.ModifyColumn("a", col("a", types.Int64, true), &sql.ColumnOrder{AfterColumn: "c"}); err != nil {
		t.Fatal(err)
	}
	if names(tbl) != "b,c,a" || !reflect.DeepEqual(tbl.PrimaryKey, []int{0, 2}) || tbl.Columns[2].Nullable {
		t.Fatalf("after move: %s pk %v nullable %v", names(tbl), tbl.PrimaryKey, tbl.Columns[2].Nullable)
	}
	sch, err := tbl.Schema(nil, "db")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sch.PkOrdinals, []int{0, 2}) || !sch.Schema[0].PrimaryKey || sch.Schema[1].PrimaryKey || !sch.Schema[2].PrimaryKey {
		t.Fatalf("schema pk %v", sch.PkOrdinals)
	}
	roundTrip(t, tbl)

	if err := tbl.SetPrimaryKey([]sql.IndexColumn{{Name: "c"}}); !sql.ErrMultiplePrimaryKeysDefined.Is(err) {
		t.Fatalf("SetPrimaryKey on keyed table: %v", err)
	}
	if _, err := tbl.AddColumn(&sql.Column{Name: "k", Type: types.Int32, PrimaryKey: true}, nil); !sql.ErrMultiplePrimaryKeysDefined.Is(err) {
		t.Fatalf("AddColumn PRIMARY KEY on keyed table: %v", err)
	}
	// Dropping a key column shrinks the key.
	res, err := tbl.DropColumn("b")
	if err != nil || !res.PrimaryKeyChanged || !reflect.DeepEqual(tbl.PrimaryKey, []int{1}) {
		t.Fatalf("drop key column: %v %+v pk %v", err, res, tbl.PrimaryKey)
	}
	if err := tbl.DropPrimaryKey(); err != nil || len(tbl.PrimaryKey) != 0 {
		t.Fatalf("drop pk: %v", err)
	}
	if err := tbl.DropPrimaryKey(); err == nil {
		t.Fatal("dropping a missing pk must fail")
	}
	if err := tbl.SetPrimaryKey([]sql.IndexColumn{{Name: "nope"}}); err == nil {
		t.Fatal("unknown key column must fail")
	}
	if err := tbl.SetPrimaryKey([]sql.IndexColumn{{Name: "c"}, {Name: "C"}}); err == nil {
		t.Fatal("repeated key column must fail")
	}
	if err := tbl.SetPrimaryKey([]sql.IndexColumn{{Name: "C", Length: 0}}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tbl.PrimaryKey, []int{0}) || tbl.Columns[0].Nullable || tbl.PKPrefixLengths != nil {
		t.Fatalf("set pk: %v %v", tbl.PrimaryKey, tbl.PKPrefixLengths)
	}
	roundTrip(t, tbl)

	// ADD COLUMN ... PRIMARY KEY on a keyless table.
	kl := newABC(t)
	if _, err := kl.AddColumn(&sql.Column{Name: "id", Type: types.Int64, PrimaryKey: true, Nullable: true}, &sql.ColumnOrder{First: true}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kl.PrimaryKey, []int{0}) || kl.Columns[0].Nullable {
		t.Fatalf("pk %v", kl.PrimaryKey)
	}
}

func TestIndexedTableAndPrefixLengths(t *testing.T) {
	sch := sql.NewPrimaryKeySchema(sql.Schema{
		col("a", mustString(t, sqltypes.VarChar, 100, sql.Collation_utf8mb4_0900_bin), false),
		col("b", types.Int32, false),
		col("c", types.Text, true),
	}, 0, 1)
	pkDef := sql.IndexDef{Name: "PRIMARY", Constraint: sql.IndexConstraint_Primary, Columns: []sql.IndexColumn{{Name: "a", Length: 10}, {Name: "b"}}}
	tbl, err := NewIndexedTable("t", sch, pkDef, sql.Collation_utf8mb4_0900_bin, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tbl.PKPrefixLengths, []uint16{10, 0}) {
		t.Fatalf("prefix lengths %v", tbl.PKPrefixLengths)
	}
	def, ok := tbl.PrimaryKeyDef()
	if !ok || !reflect.DeepEqual(def, pkDef) {
		t.Fatalf("pk def %+v", def)
	}
	if got := tbl.PrimaryKeyExpressions(); !reflect.DeepEqual(got, []string{"t.a", "t.b"}) {
		t.Errorf("pk expressions %v", got)
	}
	roundTrip(t, tbl)

	// Dropping the prefixed key column keeps the other lengths aligned.
	if _, err := tbl.DropColumn("a"); err != nil {
		t.Fatal(err)
	}
	if tbl.PKPrefixLengths != nil || !reflect.DeepEqual(tbl.PrimaryKey, []int{0}) {
		t.Fatalf("after drop: %v %v", tbl.PrimaryKey, tbl.PKPrefixLengths)
	}

	// Without prefix lengths there is a single representation: nil.
	tbl2, err := NewIndexedTable("t", sch, sql.IndexDef{Name: "PRIMARY", Columns: []sql.IndexColumn{{Name: "a"}, {Name: "b"}}}, sql.Collation_utf8mb4_0900_bin, "c")
	if err != nil || tbl2.PKPrefixLengths != nil {
		t.Fatalf("%v %v", err, tbl2.PKPrefixLengths)
	}
	if _, err := NewIndexedTable("t", sch, sql.IndexDef{Columns: []sql.IndexColumn{{Name: "b"}, {Name: "a"}}}, 0, ""); err == nil {
		t.Fatal("mismatched pk definition must fail")
	}
}

func TestIndexes(t *testing.T) {
	tbl := newABC(t)
	i1, err := tbl.AddIndex(sql.IndexDef{Name: "ab", Columns: []sql.IndexColumn{{Name: "A"}, {Name: "b"}}, Constraint: sql.IndexConstraint_Unique, Comment: "c'mt"})
	if err != nil || i1.ID != 1 {
		t.Fatal(err, i1)
	}
	if got := tbl.IndexExpressions(&i1); !reflect.DeepEqual(got, []string{"t.a", "t.b"}) {
		t.Errorf("expressions %v", got)
	}
	i2, err := tbl.AddIndex(sql.IndexDef{Columns: []sql.IndexColumn{{Name: "c", Length: 3}}, Storage: sql.IndexUsing_Hash})
	if err != nil || i2.ID != 2 || i2.Name != "c" || !reflect.DeepEqual(i2.PrefixLengths(), []uint16{3}) {
		t.Fatal(err, i2)
	}
	i3, err := tbl.AddIndex(sql.IndexDef{Columns: []sql.IndexColumn{{Name: "c"}}, Constraint: sql.IndexConstraint_Fulltext})
	if err != nil || i3.ID != 3 || i3.Name != "c_2" || !i3.FullText || i3.PrefixLengths() != nil {
		t.Fatal(err, i3)
	}
	i4, err := tbl.AddIndex(sql.IndexDef{Name: "sp", Columns: []sql.IndexColumn{{Name: "b"}}, Constraint: sql.IndexConstraint_Spatial})
	if err != nil || !i4.Spatial {
		t.Fatal(err)
	}
	i5, err := tbl.AddIndex(sql.IndexDef{Name: "vec", Columns: []sql.IndexColumn{{Name: "c"}}, Constraint: sql.IndexConstraint_Vector})
	if err != nil || !i5.Vector {
		t.Fatal(err)
	}
	for _, idx := range []Index{i1, i2, i3, i4, i5} {
		def := idx.IndexDef()
		cp := newABC(t)
		back, err := cp.AddIndex(def)
		back.ID = idx.ID
		if err != nil || !reflect.DeepEqual(back, idx) {
			t.Errorf("IndexDef round trip of %s: %+v, %v", idx.Name, back, err)
		}
	}
	roundTrip(t, tbl)

	for _, def := range []sql.IndexDef{
		{Name: "AB", Columns: []sql.IndexColumn{{Name: "a"}}},
		{Name: "x", Columns: []sql.IndexColumn{{Name: "nope"}}},
		{Name: "x", Columns: []sql.IndexColumn{{Name: "a"}, {Name: "A"}}},
		{Name: "x"},
		{Name: "primary", Columns: []sql.IndexColumn{{Name: "a"}}},
		{Name: "x", Columns: []sql.IndexColumn{{Name: "a", Length: -1}}},
	} {
		before := tbl.Clone()
		if _, err := tbl.AddIndex(def); err == nil {
			t.Errorf("AddIndex(%+v) should fail", def)
		}
		if !reflect.DeepEqual(before, tbl) {
			t.Fatal("failed AddIndex changed the table")
		}
	}

	// Renames keep IDs; index columns follow column renames.
	if err := tbl.RenameIndex("AB", "ab2"); err != nil {
		t.Fatal(err)
	}
	if err := tbl.RenameIndex("ab2", "c"); !sql.ErrDuplicateKey.Is(err) {
		t.Fatalf("rename onto existing: %v", err)
	}
	if _, err := tbl.ModifyColumn("b", col("bee", types.Int64, true), nil); err != nil {
		t.Fatal(err)
	}
	idx, ok := tbl.Index("ab2")
	if !ok || idx.ID != 1 || idx.Columns[1].Name != "bee" || idx.Columns[1].ColumnID != 2 {
		t.Fatalf("%+v", idx)
	}
	if got := tbl.IndexesUsingColumn(2); !reflect.DeepEqual(got, []uint32{1, 4}) {
		t.Errorf("indexes using b: %v", got)
	}
	roundTrip(t, tbl)

	// Dropping a column shrinks indexes and drops those left empty.
	res, err := tbl.DropColumn("bee")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.ShrunkIndexes, []uint32{1}) || len(res.DroppedIndexes) != 1 || res.DroppedIndexes[0].Name != "sp" {
		t.Fatalf("%+v", res)
	}
	if idx, _ := tbl.Index("ab2"); len(idx.Columns) != 1 || idx.Columns[0].Name != "a" {
		t.Fatalf("%+v", idx)
	}

	// Dropped IDs are not reused.
	if _, err := tbl.DropIndex("C"); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.DropIndex("c"); !sql.ErrIndexNotFound.Is(err) {
		t.Fatalf("drop missing: %v", err)
	}
	i6, err := tbl.AddIndex(sql.IndexDef{Name: "c", Columns: []sql.IndexColumn{{Name: "c"}}})
	if err != nil || i6.ID != 6 || tbl.NextIndexID != 7 {
		t.Fatalf("%v %+v", err, i6)
	}
	roundTrip(t, tbl)
}

func TestChecksAndForeignKeys(t *testing.T) {
	tbl := newABC(t)
	c1, err := tbl.AddCheck(sql.CheckDefinition{CheckExpression: "(`a` > 0)", Enforced: true})
	if err != nil || c1.Name != "t_chk_1" {
		t.Fatal(err, c1)
	}
	if _, err := tbl.AddCheck(sql.CheckDefinition{Name: "T_CHK_1", CheckExpression: "1"}); err == nil {
		t.Fatal("duplicate check name must fail")
	}
	c2, err := tbl.AddCheck(sql.CheckDefinition{CheckExpression: "(`b` <> 'x''y')"})
	if err != nil || c2.Name != "t_chk_2" {
		t.Fatal(err, c2)
	}
	if got := tbl.CheckDefinitions(); !reflect.DeepEqual(got, []sql.CheckDefinition{
		{Name: "t_chk_1", CheckExpression: "(`a` > 0)", Enforced: true},
		{Name: "t_chk_2", CheckExpression: "(`b` <> 'x''y')", Enforced: false},
	}) {
		t.Fatalf("%+v", got)
	}
	fk := sql.ForeignKeyConstraint{
		Name: "t_ibfk_1", Database: "db", SchemaName: "s", Table: "t", Columns: []string{"a", "b"},
		ParentDatabase: "db2", ParentSchema: "s2", ParentTable: "p", ParentColumns: []string{"x", "y"},
		OnUpdate: sql.ForeignKeyReferentialAction_SetNull, OnDelete: sql.ForeignKeyReferentialAction_NoAction,
	}
	if err := tbl.AddForeignKey(fk); err != nil {
		t.Fatal(err)
	}
	if err := tbl.AddForeignKey(fk); !sql.ErrForeignKeyDuplicateName.Is(err) {
		t.Fatalf("duplicate fk: %v", err)
	}
	if err := tbl.SetForeignKeyResolved("T_IBFK_1"); err != nil {
		t.Fatal(err)
	}
	fk.IsResolved = true
	if got := tbl.ForeignKeyConstraints(); !reflect.DeepEqual(got, []sql.ForeignKeyConstraint{fk}) {
		t.Fatalf("%+v", got)
	}
	tbl = roundTrip(t, tbl)
	if got := tbl.ForeignKeyConstraints(); !reflect.DeepEqual(got, []sql.ForeignKeyConstraint{fk}) {
		t.Fatalf("after round trip: %+v", got)
	}
	renamed := fk
	renamed.Name, renamed.Table = "u_ibfk_1", "u"
	if err := tbl.UpdateForeignKey("t_ibfk_1", renamed); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Rename("u"); err != nil || tbl.Name != "u" {
		t.Fatal(err)
	}
	if got := tbl.ForeignKeyConstraints(); !reflect.DeepEqual(got, []sql.ForeignKeyConstraint{renamed}) {
		t.Fatalf("%+v", got)
	}
	if err := tbl.DropForeignKey("t_ibfk_1"); !sql.ErrForeignKeyNotFound.Is(err) {
		t.Fatalf("%v", err)
	}
	if err := tbl.DropForeignKey("u_ibfk_1"); err != nil || tbl.ForeignKeys != nil {
		t.Fatal(err)
	}
	if err := tbl.DropCheck("t_chk_1"); err != nil {
		t.Fatal(err)
	}
	if err := tbl.DropCheck("t_chk_1"); !sql.ErrUnknownConstraint.Is(err) {
		t.Fatal(err)
	}
	roundTrip(t, tbl)
}

func TestVersionBumps(t *testing.T) {
	tbl := newABC(t)
	steps := []func() error{
		func() error { return tbl.Rename("t2") },
		func() error { tbl.SetComment("x"); return nil },
		func() error { tbl.SetCollation(sql.Collation_utf8mb4_0900_ai_ci); return nil },
		func() error { _, err := tbl.AddColumn(col("d", types.Int8, true), nil); return err },
		func() error { _, err := tbl.ModifyColumn("d", col("d", types.Int16, true), nil); return err },
		func() error { return tbl.RenameColumn("d", "e") },
		func() error { _, err := tbl.DropColumn("e"); return err },
		func() error { return tbl.SetPrimaryKey([]sql.IndexColumn{{Name: "a"}}) },
		func() error { return tbl.DropPrimaryKey() },
		func() error {
			_, err := tbl.AddIndex(sql.IndexDef{Name: "i", Columns: []sql.IndexColumn{{Name: "a"}}})
			return err
		},
		func() error { return tbl.RenameIndex("i", "j") },
		func() error { _, err := tbl.DropIndex("j"); return err },
		func() error { _, err := tbl.AddCheck(sql.CheckDefinition{Name: "k", CheckExpression: "1"}); return err },
		func() error { return tbl.DropCheck("k") },
		func() error { return tbl.AddForeignKey(sql.ForeignKeyConstraint{Name: "f"}) },
		func() error { return tbl.UpdateForeignKey("f", sql.ForeignKeyConstraint{Name: "g"}) },
		func() error { return tbl.SetForeignKeyResolved("g") },
		func() error { return tbl.DropForeignKey("g") },
	}
	for i, step := range steps {
		v := tbl.Version
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if tbl.Version != v+1 {
			t.Errorf("step %d: version %d -> %d", i, v, tbl.Version)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := EncodeTable(goldenTable(t))
	if err != nil {
		t.Fatal(err)
	}
	body := string(good[2:])
	for name, b := range map[string]string{
		"empty":          "",
		"short":          "\x01",
		"version":        "\x02T" + body,
		"kind":           "\x01V" + body,
		"truncated":      string(good[:len(good)-5]),
		"trailing":       string(good) + "{}",
		"unknown field":  "\x01T" + strings.Replace(body, `"version":3`, `"version":3,"extra":1`, 1),
		"dup column id":  "\x01T" + strings.Replace(body, `{"id":2,"name":"name"`, `{"id":1,"name":"name"`, 1),
		"id over next":   "\x01T" + strings.Replace(body, `"next_column_id":5`, `"next_column_id":4`, 1),
		"bad pk column":  "\x01T" + strings.Replace(body, `"primary_key":[{"column":1}]`, `"primary_key":[{"column":9}]`, 1),
		"bad idx column": "\x01T" + strings.Replace(body, `"columns":[{"column":2,"length":4}]`, `"columns":[{"column":9}]`, 1),
		"bad collation":  "\x01T" + strings.Replace(body, `"utf8mb4_0900_bin"`, `"nope"`, 1),
		"no columns":     "\x01T" + `{"id":1,"name":"t","collation":"","columns":[],"next_column_id":1,"next_index_id":1,"version":0}`,
	} {
		if _, err := DecodeTable([]byte(b)); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
	if _, err := DecodeView(good); err == nil {
		t.Error("decoding a table as a view must fail")
	}
	if k, err := RecordKind(good); err != nil || k != KindTable {
		t.Errorf("RecordKind: %v %v", k, err)
	}

	tbl := goldenTable(t)
	tbl.Columns[1].Comment = "bad \xff utf8"
	if _, err := EncodeTable(tbl); err == nil || !strings.Contains(err.Error(), "Comment") {
		t.Errorf("invalid UTF-8 must be rejected: %v", err)
	}
	if _, err := EncodeView(View{Name: "v\xfe"}); err == nil {
		t.Error("invalid UTF-8 in a view must be rejected")
	}
}

// sameTime checks what the catalog preserves of a time.Time: the instant,
// zero-ness, the UTC offset (so the wall clock reads the same) and UTC-ness.
// Zone names are not preserved (a time decodes in time.Local when Local uses
// its offset at that instant, else in UTC or a fixed zone), nor is the
// monotonic clock reading.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	_, gotOff := got.Zone()
	_, wantOff := want.Zone()
	const layout = "2006-01-02 15:04:05.999999999 -07:00"
	if !got.Equal(want) || got.IsZero() != want.IsZero() || gotOff != wantOff || got.Format(layout) != want.Format(layout) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
	if want.Location() == time.UTC && got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
}

func TestObjectRoundTrips(t *testing.T) {
	now := time.Now() // carries a monotonic reading, which is not persisted
	zoned := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("X", -(3*3600+30*60)))
	utc := time.Date(1999, 12, 31, 0, 0, 0, 1, time.UTC)

	view := sql.ViewDefinition{Name: "v", TextDefinition: "select 1 as `a'b`", CreateViewStatement: "CREATE VIEW v AS select 1 as `a'b`", SqlMode: "ANSI_QUOTES", SchemaName: "s"}
	b, err := EncodeView(ViewFromSQL(view))
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeView(b)
	if err != nil || !reflect.DeepEqual(v.ViewDefinition(), view) {
		t.Fatalf("view: %+v %v", v, err)
	}

	trig := sql.TriggerDefinition{Name: "tr", CreateStatement: "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET new.a = '<&>'", CreatedAt: now, SqlMode: "STRICT_TRANS_TABLES", SchemaName: ""}
	b, err = EncodeTrigger(TriggerFromSQL(trig))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "'<&>'") {
		t.Errorf("HTML escaping in %q", b)
	}
	tr, err := DecodeTrigger(b)
	if err != nil {
		t.Fatal(err)
	}
	got := tr.TriggerDefinition()
	sameTime(t, "trigger created", got.CreatedAt, trig.CreatedAt)
	got.CreatedAt = trig.CreatedAt
	if !reflect.DeepEqual(got, trig) {
		t.Fatalf("trigger: %+v", got)
	}

	proc := sql.StoredProcedureDetails{Name: "p", CreateStatement: "CREATE PROCEDURE p() SELECT 1", CreatedAt: zoned, ModifiedAt: utc, SqlMode: "", SchemaName: "s"}
	b, err = EncodeProcedure(ProcedureFromSQL(proc))
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeProcedure(b)
	if err != nil {
		t.Fatal(err)
	}
	gp := p.StoredProcedureDetails()
	sameTime(t, "proc created", gp.CreatedAt, proc.CreatedAt)
	sameTime(t, "proc modified", gp.ModifiedAt, proc.ModifiedAt)
	gp.CreatedAt, gp.ModifiedAt = proc.CreatedAt, proc.ModifiedAt
	if !reflect.DeepEqual(gp, proc) {
		t.Fatalf("procedure: %+v", gp)
	}

	ev := sql.EventDefinition{
		Name: "e", EventBody: "INSERT INTO t VALUES (1)", TimezoneOffset: "+05:30", Status: "ENABLE", Definer: "root@localhost",
		SqlMode: "NO_ENGINE_SUBSTITUTION", CreatedAt: now, LastAltered: zoned, LastExecuted: time.Time{},
		Comment: "c", OnCompletionPreserve: true, HasExecuteAt: false, ExecuteAt: time.Time{}, ExecuteEvery: "1 DAY",
		Starts: utc, HasEnds: true, Ends: zoned.Add(time.Hour),
	}
	b, err = EncodeEvent(EventFromSQL(ev))
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	ge := e.EventDefinition()
	for _, tt := range []struct {
		name      string
		got, want *time.Time
	}{
		{"created", &ge.CreatedAt, &ev.CreatedAt}, {"altered", &ge.LastAltered, &ev.LastAltered},
		{"executed", &ge.LastExecuted, &ev.LastExecuted}, {"execute at", &ge.ExecuteAt, &ev.ExecuteAt},
		{"starts", &ge.Starts, &ev.Starts}, {"ends", &ge.Ends, &ev.Ends},
	} {
		sameTime(t, "event "+tt.name, *tt.got, *tt.want)
		*tt.got = *tt.want
	}
	if !reflect.DeepEqual(ge, ev) {
		t.Fatalf("event: %+v", ge)
	}
}

func TestSchemaIsIndependent(t *testing.T) {
	tbl := goldenTable(t)
	a, err := tbl.Schema(nil, "db")
	if err != nil {
		t.Fatal(err)
	}
	a.Schema[0].Name = "changed"
	a.PkOrdinals[0] = 3
	b, err := tbl.Schema(nil, "db")
	if err != nil {
		t.Fatal(err)
	}
	if b.Schema[0].Name != "id" || b.PkOrdinals[0] != 0 || tbl.PrimaryKey[0] != 0 {
		t.Fatal("Schema shares state with the table")
	}
	c := tbl.Clone()
	c.Columns[0].Name = "x"
	c.Indexes[0].Columns[0].Name = "y"
	c.ForeignKeys[0].Columns[0] = "z"
	if !reflect.DeepEqual(tbl, goldenTable(t)) {
		t.Fatal("Clone shares state with the table")
	}
}

func TestExprString(t *testing.T) {
	if s, err := ExprString(nil); err != nil || s != "" {
		t.Fatalf("nil: %q %v", s, err)
	}
	// A resolved expression default as GMS may build it outside DDL, with a
	// table-qualified, unquoted column reference.
	gf := expression.NewGetFieldWithTable(0, 0, types.Int32, "db", "t", "my col", true)
	def, _ := sql.NewColumnDefaultValue(expression.NewArithmetic(gf, expression.NewLiteral(int8(1), types.Int8), "+"), types.Int32, false, true, true)
	s, err := ExprString(def)
	if err != nil || s != "((`my col` + 1))" {
		t.Fatalf("expression: %q %v", s, err)
	}
	// Literal and CURRENT_TIMESTAMP forms.
	lit, _ := sql.NewColumnDefaultValue(expression.NewLiteral("it's", types.LongText), types.Text, true, false, true)
	if s, err := ExprString(lit); err != nil || s != "'it''s'" {
		t.Fatalf("literal: %q %v", s, err)
	}
	// Unresolved values (as returned by Table.Schema) pass through unchanged.
	for _, text := range []string{"'x'", "(`a` + 1)", "CURRENT_TIMESTAMP(3)"} {
		if s, err := ExprString(sql.NewUnresolvedColumnDefaultValue(text)); err != nil || s != text {
			t.Errorf("unresolved %q: %q %v", text, s, err)
		}
	}
	if _, err := ExprString(sql.NewUnresolvedColumnDefaultValue("")); err == nil {
		t.Error("empty expression text must be rejected")
	}
}
