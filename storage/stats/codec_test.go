package stats

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

func TestValueRoundTrip(t *testing.T) {
	ctx := sql.NewEmptyContext()
	for _, v := range []interface{}{
		nil, true, false, -5, int8(-8), int16(-16), int32(math.MinInt32), int64(math.MinInt64),
		uint(7), uint8(255), uint16(65535), uint32(math.MaxUint32), uint64(math.MaxUint64),
		float32(1.1), float32(-3.4e38), math.Pi, math.Inf(-1), 5e-324,
		"", "héllo/,.%\x00", []byte{}, []byte{0, 0xff, 0x80},
		time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC), time.Time{},
		decimal.RequireFromString("-123.4500"), decimal.New(5, 3), decimal.RequireFromString("123456789012345678901234567890.123456789"),
		types.Timespan(-1234567),
	} {
		enc, err := encodeValue(ctx, nil, v)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		js, err := json.Marshal(enc)
		if err != nil {
			t.Fatal(err)
		}
		var back value
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		got, err := decodeValue(ctx, nil, back)
		if err != nil {
			t.Fatalf("decode %s: %v", js, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%#v -> %s -> %#v", v, js, got)
		}
	}
}

func TestValueRoundTripThroughSQLType(t *testing.T) {
	ctx := sql.NewEmptyContext()
	doc, _, err := types.JSON.Convert(ctx, `{"a": [1, "x", null]}`)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := encodeValue(ctx, types.JSON, doc)
	if err != nil {
		t.Fatal(err)
	}
	if enc.tag != tagSQL {
		t.Fatalf("tag %q", enc.tag)
	}
	got, err := decodeValue(ctx, types.JSON, enc)
	if err != nil {
		t.Fatal(err)
	}
	if cmp, err := types.JSON.Compare(ctx, doc, got); err != nil || cmp != 0 {
		t.Errorf("%v -> %v (%d, %v)", doc, got, cmp, err)
	}
	if _, err := decodeValue(ctx, nil, enc); err == nil {
		t.Error("decoded a SQL-encoded value without its type")
	}
	if _, err := encodeValue(ctx, nil, struct{}{}); err == nil {
		t.Error("encoded an unknown type without a column type")
	}
}

func TestKeyLayout(t *testing.T) {
	q := sql.NewStatQualifier("My/DB", "", "T.1,%", "Idx/2")
	got := string(statKey(q, []string{"A,b", "c/d"}))
	want := "stats/my%2Fdb/t%2E1%2C%25/idx%2F2/a%2Cb,c%2Fd"
	if got != want {
		t.Errorf("key %q, want %q", got, want)
	}
	tp := tableIDOf(q).prefix()
	if !strings.HasPrefix(got, string(tp)) || !strings.HasPrefix(got, string(dbPrefix("MY/DB"))) {
		t.Errorf("prefixes %q %q do not cover %q", tp, dbPrefix("MY/DB"), got)
	}
	idx, cols, ok := splitStatKey(tp, []byte(got))
	if !ok || idx != "idx%2F2" || cols != "a%2Cb,c%2Fd" {
		t.Errorf("split: %q %q %v", idx, cols, ok)
	}
	// A table's prefix never covers another table whose name extends it,
	// nor does a database's.
	if strings.HasPrefix(string(newTableID("db", "", "t2").prefix()), string(newTableID("db", "", "t").prefix())) ||
		strings.HasPrefix(string(dbPrefix("db2")), string(dbPrefix("db"))) {
		t.Error("prefix overlap")
	}
	if got := string(newTableID("db", "Sch", "t").prefix()); got != "stats/db/sch.t/" {
		t.Errorf("schema-qualified prefix %q", got)
	}
}
