package insertparse

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"
)

// canon renders a literal so that equal values of the two parsers match.
func canon(l Literal) string {
	switch l.Kind {
	case Null:
		return "NULL"
	case Int:
		return "N:" + fmt.Sprint(l.Value)
	case Decimal:
		return "N:" + l.Value.(decimal.Decimal).String()
	case Float:
		return "F:" + strconv.FormatFloat(l.Value.(float64), 'g', -1, 64)
	case String:
		return "S:" + l.Value.(string)
	case Bytes:
		return "B:" + string(l.Value.([]byte))
	}
	return "?"
}

// canonVitess renders a value expression of vitess's parser like canon.
func canonVitess(e sqlparser.Expr) (string, bool) {
	neg := false
	if u, ok := e.(*sqlparser.UnaryExpr); ok {
		switch u.Operator {
		case "-":
			neg = true
			e = u.Expr
		case "_binary ":
			v, ok := u.Expr.(*sqlparser.SQLVal)
			if !ok || v.Type != sqlparser.StrVal {
				return "", false
			}
			return "B:" + string(v.Val), true
		default:
			return "", false
		}
	}
	switch v := e.(type) {
	case *sqlparser.NullVal:
		return "NULL", !neg
	case *sqlparser.SQLVal:
		text := string(v.Val)
		if neg {
			text = "-" + text
		}
		switch v.Type {
		case sqlparser.StrVal:
			return "S:" + string(v.Val), !neg
		case sqlparser.IntVal:
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				return "N:" + fmt.Sprint(n), true
			}
			if n, err := strconv.ParseUint(text, 10, 64); err == nil {
				return "N:" + fmt.Sprint(n), true
			}
			d, err := decimal.NewFromString(text)
			return "N:" + d.String(), err == nil
		case sqlparser.FloatVal:
			if strings.ContainsAny(text, "eE") {
				f, err := strconv.ParseFloat(text, 64)
				return "F:" + strconv.FormatFloat(f, 'g', -1, 64), err == nil
			}
			d, err := decimal.NewFromString(text)
			return "N:" + d.String(), err == nil
		}
	}
	return "", false
}

// checkAgainstVitess fails if Parse accepts q but vitess reads it
// differently (other table, columns, row count or any value).
func checkAgainstVitess(t *testing.T, q string) {
	t.Helper()
	ins, ok := Parse(q)
	if !ok {
		return
	}
	stmt := q
	if ins.Rest != "" || strings.Contains(q, ";") {
		stmt = q[:len(q)-len(ins.Rest)]
		stmt = strings.TrimSuffix(strings.TrimRight(stmt, " \t\n\r"), ";")
	}
	st, err := sqlparser.Parse(stmt)
	if err != nil {
		t.Fatalf("Parse accepted %q, vitess rejects it: %v", q, err)
	}
	vi, isIns := st.(*sqlparser.Insert)
	if !isIns || vi.Action != sqlparser.InsertStr || vi.Ignore != "" || len(vi.OnDup) > 0 {
		t.Fatalf("Parse accepted %q, vitess reads %T %+v", q, st, st)
	}
	if got, want := ins.Table, vi.Table.Name.String(); got != want {
		t.Fatalf("%q: table %q, vitess %q", q, got, want)
	}
	if got, want := ins.Database, vi.Table.DbQualifier.String(); got != want {
		t.Fatalf("%q: database %q, vitess %q", q, got, want)
	}
	if len(ins.Columns) != len(vi.Columns) {
		t.Fatalf("%q: columns %v, vitess %v", q, ins.Columns, vi.Columns)
	}
	for i, c := range vi.Columns {
		if ins.Columns[i] != c.String() {
			t.Fatalf("%q: column %d %q, vitess %q", q, i, ins.Columns[i], c.String())
		}
	}
	av, isVals := vi.Rows.(*sqlparser.AliasedValues)
	if !isVals || len(av.Values) != len(ins.Rows) {
		t.Fatalf("%q: %d rows, vitess %T", q, len(ins.Rows), vi.Rows)
	}
	for r, row := range av.Values {
		if len(row) != len(ins.Rows[r]) {
			t.Fatalf("%q: row %d has %d values, vitess %d", q, r, len(ins.Rows[r]), len(row))
		}
		for c, e := range row {
			want, ok := canonVitess(e)
			if !ok {
				t.Fatalf("%q: Parse accepted value %d.%d, vitess reads %#v", q, r, c, e)
			}
			if got := canon(ins.Rows[r][c]); got != want {
				t.Fatalf("%q: value %d.%d = %q, vitess %q", q, r, c, got, want)
			}
		}
	}
}

var seeds = []string{
	"INSERT INTO `orders` VALUES (1,2,'paid','it''s',-3.50,1e3,NULL),(2,3,'a\\'b\\\\c\\n','x',0,-0.5,NULL)",
	"insert into t (a, `b c`, d) values (1, 'x', \"dq \\\" y\")",
	"INSERT db.t VALUE (18446744073709551615, -9223372036854775808, 99999999999999999999999.5)",
	"INSERT INTO `d``b`.`t` VALUES (_binary 'ab\\0c', '\\%\\_\\Z\\b\\t\\r')",
	"INSERT INTO t VALUES (1);INSERT INTO t VALUES (2)",
	"INSERT INTO t VALUES (1) ; ",
	"INSERT INTO t VALUES (1, .5, 5., -.5e-3)",
	"  INSERT INTO t VALUES ('😀 中文', '')",
	// Not accepted: left to vitess.
	"INSERT IGNORE INTO t VALUES (1)",
	"INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1",
	"INSERT INTO t SELECT 1",
	"INSERT INTO t SET a = 1",
	"INSERT INTO t VALUES (1 + 1)",
	"INSERT INTO t VALUES (NOW())",
	"INSERT INTO t VALUES ('a' 'b')",
	"INSERT INTO t VALUES (0x41)",
	"INSERT INTO t VALUES (1) /* c */",
	"INSERT INTO t VALUES (1), ",
	"INSERT INTO values VALUES (1)",
	"INSERT INTO t VALUES (DEFAULT)",
	"INSERT INTO t VALUES (1)AS new",
	"INSERT INTO t VALUES (1e)",
	"INSERT INTO t VALUES (+1)",
	"INSERT INTO t VALUES ('unterminated)",
}

func TestParseAgreesWithVitess(t *testing.T) {
	accepted := 0
	for _, q := range seeds {
		if _, ok := Parse(q); ok {
			accepted++
		}
		checkAgainstVitess(t, q)
	}
	if accepted != 8 {
		t.Fatalf("accepted %d of the seeds, want the first 8", accepted)
	}
	for _, q := range seeds[8:] {
		if _, ok := Parse(q); ok {
			t.Errorf("accepted %q", q)
		}
	}
	ins, _ := Parse(seeds[4])
	if ins.Rest != "INSERT INTO t VALUES (2)" {
		t.Fatalf("rest %q", ins.Rest)
	}
}

// FuzzParse: whatever Parse accepts, vitess parses to the same table,
// columns and values.
func FuzzParse(f *testing.F) {
	for _, q := range seeds {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		checkAgainstVitess(t, q)
	})
}

func TestParsePrepared(t *testing.T) {
	ins, ok := ParsePrepared("INSERT INTO t (a, b, c) VALUES (?, 'x', ?), (?, NULL, 5);")
	if !ok {
		t.Fatal("not recognised")
	}
	var got []string
	for _, row := range ins.Rows {
		for _, l := range row {
			got = append(got, fmt.Sprintf("%d:%v", l.Kind, l.Value))
		}
	}
	want := fmt.Sprintf("[%d:0 %d:x %d:1 %d:2 %d:<nil> %d:5]", Param, String, Param, Param, Null, Int)
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	for _, q := range []string{
		"INSERT INTO t VALUES (?); INSERT INTO t VALUES (1)", // more statements
		"INSERT INTO t VALUES (? + 1)",
		"INSERT INTO t VALUES ('?')", // a string, not a placeholder: fine, but no Param
	} {
		ins, ok := ParsePrepared(q)
		if q == "INSERT INTO t VALUES ('?')" {
			if !ok || ins.Rows[0][0].Kind != String {
				t.Errorf("%s: %v %v", q, ins, ok)
			}
			continue
		}
		if ok {
			t.Errorf("%s: accepted", q)
		}
	}
	if _, ok := Parse("INSERT INTO t VALUES (?)"); ok {
		t.Error("Parse accepted a placeholder")
	}
}
