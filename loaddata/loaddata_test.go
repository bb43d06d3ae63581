package loaddata_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/checksum"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/testserver"
	. "github.com/quarrydb/quarry/loaddata"
)

func TestParser(t *testing.T) {
	csv := Format{FieldsTerminatedBy: ",", EnclosedBy: '"', EscapedBy: '\\', LinesTerminatedBy: "\n"}
	for _, tc := range []struct {
		in   string
		f    Format
		want string // records separated by ';', fields by '|', NULL as <null>
	}{
		{"1,\"a,b\",2.5\n2,\"c \"\"d\"\"\",\\N\n", csv, `1|a,b|2.5;2|c "d"|<null>`},
		{"3,x\\,y,NULL\n4,\"NULL\",\n", csv, `3|x,y|<null>;4|NULL|`},
		{"5,\"multi\nline\",\"tab\\there\"", csv, "5|multi\nline|tab\there"},
		{"a\tb\\tc\t\\N\n\n", Format{EscapedBy: '\\'}, "a|b\tc|<null>;"},
		{"x||y\r\nz||w\r\n", Format{FieldsTerminatedBy: "||", LinesTerminatedBy: "\r\n"}, "x|y;z|w"},
		{"junk>>1,2\nnoprefix\n>>3,4\n", Format{FieldsTerminatedBy: ",", LinesStartingBy: ">>", EscapedBy: '\\'}, "1|2;3|4"},
	} {
		p := NewParser(strings.NewReader(tc.in), tc.f)
		var recs []string
		for {
			fs, err := p.Record()
			if err != nil {
				break
			}
			var parts []string
			for _, f := range fs {
				if f.Null {
					parts = append(parts, "<null>")
				} else {
					parts = append(parts, string(f.Value))
				}
			}
			recs = append(recs, strings.Join(parts, "|"))
		}
		if got := strings.Join(recs, ";"); got != tc.want {
			t.Errorf("parse %q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestLoadDataLikeMariaDB loads the same files with the same statements
// into MariaDB and Quarry (LOCAL and server-side) and compares checksums.
func TestLoadDataLikeMariaDB(t *testing.T) {
	dir := t.TempDir()
	var csvb, tsvb strings.Builder
	for i := 1; i <= 2000; i++ {
		note := fmt.Sprintf("\"note, %d \"\"quoted\"\" \\\\ back\"", i)
		if i%7 == 0 {
			note = "\\N"
		}
		fmt.Fprintf(&csvb, "%d,\"name %d\",%d.%02d,%s,2024-01-%02d 10:11:12\n", i, i, i, i%100, note, 1+i%28)
		fmt.Fprintf(&tsvb, "%d\tname\\t%d\t%d.5\t\\N\t2024-02-%02d 00:00:00\n", i, i, i, 1+i%28)
	}
	csvPath, tsvPath := filepath.Join(dir, "o.csv"), filepath.Join(dir, "o.tsv")
	if err := os.WriteFile(csvPath, []byte("id,name,amount,note,at\n"+csvb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tsvPath, []byte(tsvb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	mysql.RegisterLocalFile(csvPath)
	mysql.RegisterLocalFile(tsvPath)
	stmts := []string{
		"CREATE DATABASE ld",
		"CREATE TABLE ld.a (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, amount DECIMAL(10,2), note TEXT, at DATETIME, KEY (amount))",
		"CREATE TABLE ld.b (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, amount DECIMAL(10,2), note TEXT, at DATETIME)",
		"CREATE TABLE ld.c (id INT PRIMARY KEY, name VARCHAR(50), doubled INT)",
		"LOAD DATA LOCAL INFILE '" + csvPath + "' INTO TABLE ld.a FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' IGNORE 1 LINES",
		"LOAD DATA LOCAL INFILE '" + tsvPath + "' INTO TABLE ld.b",
		"LOAD DATA LOCAL INFILE '" + tsvPath + "' INTO TABLE ld.c (id, name, @amt, @skip, @at) SET doubled = @amt * 2",
	}
	run := func(addr string, extra ...string) map[string]checksum.Sum {
		db, err := sql.Open("mysql", "root@tcp("+addr+")/?allowAllFiles=false")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range append(extra, stmts...) {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		sums, err := checksum.Database(context.Background(), db, "ld")
		if err != nil {
			t.Fatal(err)
		}
		return sums
	}
	m := mariadbtest.StartT(t, mariadbtest.Options{Extra: []string{"--local-infile=1"}})
	want := run(m.Addr())
	q := testserver.Start(t, t.TempDir())
	got := run(q.Addr, "SET GLOBAL local_infile = 1")
	if d := checksum.Diff(want, got); d != "" {
		t.Fatalf("LOAD DATA differs from MariaDB:\n%s", d)
	}
	if want["a"].Rows != 2000 || want["c"].Rows != 2000 {
		t.Fatalf("unexpected row counts %v", want)
	}
	// Server-side file (secure_file_priv is empty in tests).
	db, err := sql.Open("mysql", "root@tcp("+q.Addr+")/") // no parseTime: checksums compare text
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE ld.d LIKE ld.b"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("LOAD DATA INFILE '" + tsvPath + "' INTO TABLE ld.d"); err != nil {
		t.Fatal(err)
	}
	s, err := checksum.Table(context.Background(), db, "ld", "d")
	if err != nil || s != got["b"] {

		t.Fatalf("server-side LOAD DATA: %v %v, want %v", s, err, got["b"])
	}
}
