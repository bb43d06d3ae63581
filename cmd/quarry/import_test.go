package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydb/quarry/importer"
	"github.com/quarrydb/quarry/internal/testserver"
)

// TestImportCommand runs `quarry import` on a dump with a bad statement:
// it fails naming the line, and --start-line resumes after a fix without
// applying anything twice.
func TestImportCommand(t *testing.T) {
	srv := testserver.Start(t, t.TempDir())
	host, port, _ := strings.Cut(srv.Addr, ":")
	dump := `-- header comment
/*!40101 SET NAMES utf8mb4 */;
CREATE DATABASE imp;
USE imp;
CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20));
INSERT INTO t VALUES (1,'a;b'),(2,'it''s');
INSERT INTO t VALUES (3,'x') garbage here;
INSERT INTO t VALUES (4,'d');
`
	path := filepath.Join(t.TempDir(), "dump.sql")
	if err := os.WriteFile(path, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"import", "--host", host, "--port", port, "--quiet", path}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb, func(string) string { return "" }); code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "line 7:") || !strings.Contains(errb.String(), "--start-line 7") {
		t.Fatalf("stderr does not name line 7: %s", errb.String())
	}
	fixed := strings.Replace(dump, " garbage here", "", 1)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	args = []string{"import", "--host", host, "--port", port, "--quiet", "--start-line", "7", path}
	if code := run(args, &out, &errb, func(string) string { return "" }); code != 0 {
		t.Fatalf("resume: exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "2 rows") {
		t.Fatalf("resume output: %s", out.String())
	}
	db := srv.Open("imp")
	var n int
	var s string
	if err := db.QueryRow("SELECT COUNT(*), GROUP_CONCAT(s ORDER BY id SEPARATOR '|') FROM t").Scan(&n, &s); err != nil {
		t.Fatal(err)
	}
	if n != 4 || s != "a;b|it's|x|d" {
		t.Fatalf("rows: %d %q", n, s)
	}
}

func TestProgressLine(t *testing.T) {
	if got := progressLine(importProgress(50, 100, 1000)); !strings.Contains(got, "50.0%") || !strings.Contains(got, "ETA") || !strings.Contains(got, "1000 rows") {
		t.Fatalf("progress line %q", got)
	}
}

func importProgress(bytes, total, rows int64) importer.Progress {
	return importer.Progress{Bytes: bytes, Total: total, Rows: rows, Elapsed: 10 * time.Second}
}
