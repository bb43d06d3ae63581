package e2e

import (
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/testserver"
)

// TestDriverProtocols writes and reads every common column type through
// go-sql-driver/mysql, over the text protocol (interpolated queries) and
// the binary protocol (server-side prepared statements).
func TestDriverProtocols(t *testing.T) {
	s := testserver.Start(t, t.TempDir())
	mustExec(t, s.Open(""), "CREATE DATABASE d")
	for _, mode := range []struct {
		name string
		dsn  string
	}{
		{"text", "&interpolateParams=true"},
		{"prepared", ""},
	} {
		t.Run(mode.name, func(t *testing.T) {
			db, err := sql.Open("mysql", s.DSN("d")+mode.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			table := "types_" + mode.name
			mustExec(t, db, fmt.Sprintf(`CREATE TABLE %s (
				id BIGINT UNSIGNED PRIMARY KEY, i8 TINYINT, i32 INT, u64 BIGINT UNSIGNED,
				f FLOAT, d DOUBLE, dec1 DECIMAL(20,6), s VARCHAR(50), b VARBINARY(20),
				dt DATETIME(6), dd DATE, tm TIME, y YEAR, e ENUM('a','b'), st SET('x','y'),
				bt BIT(8), j JSON, tx TEXT, bl BLOB)`, table))
			when := time.Date(2026, 11, 21, 13, 14, 15, 123456000, time.UTC)
			args := []any{uint64(1<<63 + 5), int8(-7), int32(-123456), uint64(18446744073709551615),
				float32(1.5), 2.25, "12345.678901", "héllo ☃", []byte{0, 1, 255}, when,
				"2026-11-21", "-12:34:56", 2026, "b", "x,y", []byte{0x81}, `{"a": [1, "x"]}`, "long text", []byte("blob")}
			mustExec(t, db, fmt.Sprintf("INSERT INTO %s VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", table), args...)
			row := db.QueryRow(fmt.Sprintf("SELECT id, i8, i32, u64, f, d, dec1, s, b, dt, dd, tm, y, e, st, bt, j, tx, bl FROM %s WHERE id = ?", table), uint64(1<<63+5))
			var (
				id, u64       uint64
				i8            int8
				i32           int32
				f             float32
				d             float64
				dec1, s1      string
				b, bt, bl     []byte
				dt            time.Time
				dd, tm, e, st string
				y             int
				j, tx         string
			)
			if err := row.Scan(&id, &i8, &i32, &u64, &f, &d, &dec1, &s1, &b, &dt, &dd, &tm, &y, &e, &st, &bt, &j, &tx, &bl); err != nil {
				t.Fatal(err)
			}
			got := []any{id, i8, i32, u64, f, d, dec1, s1, b, dt.UTC(), dd[:10], tm, y, e, st, bt, j, tx, bl}
			want := []any{uint64(1<<63 + 5), int8(-7), int32(-123456), uint64(18446744073709551615),
				float32(1.5), 2.25, "12345.678901", "héllo ☃", []byte{0, 1, 255}, when,
				"2026-11-21", "-12:34:56", 2026, "b", "x,y", []byte{0x81}, `{"a": [1, "x"]}`, "long text", []byte("blob")}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("column %d: got %#v, want %#v", i, got[i], want[i])
				}
			}
			// Range scans with bound parameters, in both directions.
			for i := 0; i < 50; i++ {
				mustExec(t, db, fmt.Sprintf("INSERT INTO %s (id, s) VALUES (?, ?)", table), i, fmt.Sprintf("s%02d", i))
			}
			var n int
			if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE id BETWEEN ? AND ?", table), 10, 19).Scan(&n); err != nil || n != 10 {
				t.Fatalf("range count %d, %v", n, err)
			}
			rows := queryStrings(t, db, fmt.Sprintf("SELECT id FROM %s WHERE id < 40 ORDER BY id DESC LIMIT 3", table))
			if !reflect.DeepEqual(rows, [][]string{{"39"}, {"38"}, {"37"}}) {
				t.Fatalf("reverse range: %v", rows)
			}
		})
	}
}
