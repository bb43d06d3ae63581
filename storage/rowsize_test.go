package storage

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

func TestRowSizeLimitMatchesMySQL(t *testing.T) {
	utf8 := func(n int64) sql.Type {
		return types.MustCreateString(sqltypes.VarChar, n, sql.Collation_utf8mb4_0900_ai_ci)
	}
	latin1 := func(n int64) sql.Type {
		return types.MustCreateString(sqltypes.VarChar, n, sql.Collation_latin1_swedish_ci)
	}
	col := func(t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: "c", Type: t, Nullable: nullable}
	}
	for _, tc := range []struct {
		name   string
		schema sql.Schema
		ok     bool
	}{
		// MySQL: CREATE TABLE t (a VARCHAR(65533) NOT NULL) CHARSET latin1 works; nullable needs a NULL bit.
		{"latin1 65533 not null", sql.Schema{col(latin1(65533), false)}, true},
		{"latin1 65533 nullable", sql.Schema{col(latin1(65533), true)}, false},
		{"latin1 65534 not null", sql.Schema{col(latin1(65534), false)}, false},
		// GMS's "multi alter with invalid schemas": INT key + VARCHAR(16383) utf8mb4 is too large,
		{"int + utf8mb4 16383", sql.Schema{col(types.Int32, false), col(utf8(16383), true)}, false},
		// but INT + VARCHAR(16000) + VARCHAR(10) fits.
		{"int + 16000 + 10", sql.Schema{col(types.Int32, false), col(utf8(16000), true), col(utf8(10), true)}, true},
		// BLOB/TEXT count their pointer only.
		{"many texts", sql.Schema{col(types.Text, true), col(types.LongBlob, true), col(types.JSON, true), col(latin1(65000), false)}, true},
		{"bigints", sql.Schema{col(types.Int64, false), col(types.Int64, false), col(latin1(65516), false)}, true},
		{"bigints over", sql.Schema{col(types.Int64, false), col(types.Int64, false), col(latin1(65518), false)}, false},
	} {
		err := (&Database{}).ValidateSchema(tc.schema)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ValidateSchema = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if got := packedDecimalBytes(10) + packedDecimalBytes(2); got != 5+1 {
		t.Errorf("DECIMAL(12,2) packs into %d bytes, want 6", got)
	}
}

func TestRowDataBytes(t *testing.T) {
	for _, tc := range []struct {
		typ  sql.Type
		want int64
	}{
		{types.Int64, 8},
		{types.Int8, 1},
		{types.MustCreateString(sqltypes.VarChar, 20, sql.Collation_utf8mb4_0900_bin), 80}, // no length prefix
		{types.MustCreateString(sqltypes.Char, 10, sql.Collation_latin1_swedish_ci), 10},
		{types.MustCreateBinary(sqltypes.VarBinary, 300), 300},
		{types.LongText, 12}, // the in-row pointer, not 4 GiB
		{types.JSON, 12},
	} {
		if got := rowDataBytes(tc.typ); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.typ, got, tc.want)
		}
	}
}
