package differential

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/testserver"
)

// knownFile lists the accepted mismatches.
const knownFile = "known_mismatches.json"

// knownMismatch is an accepted difference, for Reason: a mismatch whose
// query has all of Features (named by the generator) and matches Query,
// and whose description (the error, or the differing rows) matches Diff.
// Empty fields match anything, but an entry must restrict something.
type knownMismatch struct {
	ID       string   `json:"id"`
	Features []string `json:"features,omitempty"`
	Query    string   `json:"query,omitempty"`
	Diff     string   `json:"diff,omitempty"`
	Reason   string   `json:"reason"`
	query    *regexp.Regexp
	diff     *regexp.Regexp
}

func loadKnown(t *testing.T) []*knownMismatch {
	t.Helper()
	b, err := os.ReadFile(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	var ks []*knownMismatch
	if err := json.Unmarshal(b, &ks); err != nil {
		t.Fatalf("%s: %v", knownFile, err)
	}
	for _, k := range ks {
		if k.ID == "" || k.Reason == "" || (k.Query+k.Diff == "" && len(k.Features) == 0) {
			t.Fatalf("%s: entry %+v needs an id, a reason and a pattern", knownFile, k)
		}
		if k.query, err = regexp.Compile(k.Query); err != nil {
			t.Fatalf("%s: %s: %v", knownFile, k.ID, err)
		}
		if k.diff, err = regexp.Compile(k.Diff); err != nil {
			t.Fatalf("%s: %s: %v", knownFile, k.ID, err)
		}
	}
	return ks
}

// queryTimeout bounds one statement on either server.
const queryTimeout = 10 * time.Second

// sqlMode is MySQL 8.0's default, set on both servers.
const sqlMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

// open returns one connection to db at addr with the dataset's collation
// and MySQL's sql_mode, over the text protocol (no parseTime: values are
// compared as the server formats them).
func open(t *testing.T, addr, db string) *sql.DB {
	t.Helper()
	// collation_connection is set on its own as well: Quarry's SET NAMES
	// ignores COLLATE (the parser drops it).
	dsn := fmt.Sprintf("root@tcp(%s)/%s?charset=utf8mb4&collation=utf8mb4_general_ci&collation_connection=%s&sql_mode=%s",
		addr, db, url.QueryEscape("'utf8mb4_general_ci'"), url.QueryEscape("'"+sqlMode+"'"))
	h, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	h.SetMaxOpenConns(1)
	t.Cleanup(func() { h.Close() })
	var coll, mode string
	if err := h.QueryRow("SELECT @@collation_connection, @@sql_mode").Scan(&coll, &mode); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	if coll != "utf8mb4_general_ci" {
		t.Fatalf("%s: collation_connection %s, want utf8mb4_general_ci", addr, coll)
	}
	return h
}

func envDuration(t *testing.T) time.Duration {
	if s := os.Getenv("QUARRY_DIFF_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("QUARRY_DIFF_DURATION: %v", err)
		}
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 120 * time.Second
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// TestDifferential runs generated SELECTs on Quarry and MariaDB for a
// bounded time and fails on any mismatch not in known_mismatches.json.
func TestDifferential(t *testing.T) {
	known := loadKnown(t)
	maria := mariadbtest.StartT(t, mariadbtest.Options{})
	quarry := testserver.Start(t, t.TempDir())

	const db = "diff"
	ctx := context.Background()
	setup := []string{"CREATE DATABASE " + db + " DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci", "USE " + db}
	for _, tb := range tables {
		setup = append(setup, tb.ddl)
	}
	setup = append(setup, seedData()...)
	for name, addr := range map[string]string{"quarry": quarry.Addr, "mariadb": maria.Addr()} {
		h := open(t, addr, "")
		conn, err := h.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range setup {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %s: %v", name, s, err)
			}
		}
		conn.Close()
	}
	qdb, mdb := open(t, quarry.Addr, db), open(t, maria.Addr(), db)

	seed := uint64(envInt(t, "QUARRY_DIFF_SEED", 1))
	// A fixed number of queries, cut short by the time limit on a slow
	// machine: a faster machine must not reach queries that were never
	// examined (every mismatch of seed 1's first queries is listed).
	defCount := 1500
	if testing.Short() {
		defCount = 200
	}
	first, last := 0, envInt(t, "QUARRY_DIFF_QUERIES", defCount)-1
	if n := envInt(t, "QUARRY_DIFF_QUERY", -1); n >= 0 {
		first, last = n, n
	}
	maxReports := envInt(t, "QUARRY_DIFF_REPORT", 25)
	deadline := time.Now().Add(envDuration(t))
	var total, mismatches, bothErr, reported int
	perKnown := map[string]int{}
	for i := first; (last < 0 || i <= last) && time.Now().Before(deadline); i++ {
		q := generate(seed, i)
		total++
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		mr := runOn(qctx, t, mdb, q.sql)
		qr := runOn(qctx, t, qdb, q.sql)
		cancel()
		if qr.err != nil && mr.err != nil {
			bothErr++
			if last >= 0 {
				t.Logf("both failed: Quarry: %v; MariaDB: %v", qr.err, mr.err)
			}
			continue
		}
		d := diff(q, qr, mr)
		if d == "" {
			continue
		}
		mismatches++
		if k := match(known, q, d); k != nil {
			perKnown[k.ID]++
			if last >= 0 {
				t.Logf("known mismatch %s: %s\n%s", k.ID, q.sql, d)
			}
			continue
		}
		if reported++; reported <= maxReports {
			t.Errorf("mismatch (QUARRY_DIFF_SEED=%d QUARRY_DIFF_QUERY=%d) features %v:\n  %s\n%s", seed, i, slices.Sorted(maps.Keys(q.features)), q.sql, d)
		}
	}
	unlisted := mismatches
	for _, n := range perKnown {
		unlisted -= n
	}
	t.Logf("DIFFERENTIAL seed=%d queries=%d mismatches=%d (listed=%d unlisted=%d) both_failed=%d",
		seed, total, mismatches, mismatches-unlisted, unlisted, bothErr)
	for _, k := range known {
		t.Logf("  %s: %d", k.ID, perKnown[k.ID])
	}
	// A generator that mostly writes statements both servers reject tests
	// nothing.
	if total > 50 && bothErr*10 > total {
		t.Errorf("%d of %d queries failed on both servers: the generator writes invalid SQL", bothErr, total)
	}
}

func match(known []*knownMismatch, q query, d string) *knownMismatch {
	for _, k := range known {
		has := true
		for _, f := range k.Features {
			has = has && q.features[f]
		}
		if has && k.query.MatchString(q.sql) && k.diff.MatchString(d) {
			return k
		}
	}
	return nil
}

// runOn runs q on a pool of one connection; a connection the server closed
// is replaced by the pool on the next query.
func runOn(ctx context.Context, t *testing.T, h *sql.DB, q string) result {
	conn, err := h.Conn(ctx)
	if err != nil {
		return result{err: err}
	}
	defer conn.Close()
	return run(ctx, conn, q)
}
