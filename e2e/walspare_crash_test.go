package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestCrashInSpareWAL kills a real `quarry serve` while its live WAL is one
// made from the zero-filled spare (pebblekv's walSpareFS), so the log ends
// inside the spare's zeroed tail. Each round writes enough to arm the
// spare, waits until the server reports a WAL taken from it, goes on
// committing for a random while, and is killed with SIGKILL. On reopen the
// data directory must be consistent, and every acknowledged row must be
// there with its exact contents.
func TestCrashInSpareWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills a real server")
	}
	const rounds, clients, bodyLen = 3, 4, 2000
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	body := func(id int64) string {
		s := strings.Repeat(strconv.FormatInt(id, 36)+"-", bodyLen/2)
		return s[:bodyLen]
	}
	acked := map[int64]bool{}
	var mu sync.Mutex
	var nextID int64

	for round := 0; round < rounds; round++ {
		metricsAddr := freeAddr(t)
		cmd, addr := startQuarry(t, dataDir, "--metrics-listen", metricsAddr)
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=10s", addr))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			mustExec(t, db, "CREATE DATABASE spare")
			mustExec(t, db, "CREATE TABLE spare.t (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
		}
		verifySpareRows(t, db, acked, body)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					mu.Lock()
					nextID++
					id := nextID
					mu.Unlock()
					if _, err := db.ExecContext(ctx, "INSERT INTO spare.t VALUES (?, ?)", id, body(id)); err == nil {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
					}
				}
			}()
		}
		// The spare is armed after a quarter memtable (4 MiB at the default
		// 16 MiB) and then filled in the background; once it is ready the
		// store rotates to it.
		stopLoad := func() { cancel(); wg.Wait(); db.Close() }
		deadline := time.Now().Add(60 * time.Second)
		for scrapeCounter(t, metricsAddr, "quarry_pebble_wals_from_spare_total") < 1 {
			if time.Now().After(deadline) {
				killDuringLoad(t, cmd, stopLoad)
				t.Fatalf("round %d: no WAL taken from the spare within 60 s", round)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		// CI's kernel allows io_uring, so the killed server's WAL syncs
		// ran on the ring (see pebblekv.walSyncFS).
		ringSyncs := scrapeCounter(t, metricsAddr, "quarry_pebble_wal_ring_syncs_total")
		killDuringLoad(t, cmd, stopLoad)
		if os.Getenv("CI") == "true" && ringSyncs == 0 {
			t.Fatalf("round %d: no WAL sync ran on the io_uring", round)
		}

		checkReopened(t, dataDir, round)
		t.Logf("round %d: %d acknowledged rows so far", round, len(acked))
	}
	metricsAddr := freeAddr(t)
	cmd, addr := startQuarry(t, dataDir, "--metrics-listen", metricsAddr)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	verifySpareRows(t, db, acked, body)
	if len(acked) == 0 {
		t.Fatal("no commit was acknowledged")
	}
}

// scrapeCounter reads the counter name from a server's metrics listener.
func scrapeCounter(t *testing.T, metricsAddr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("scrape metrics: %v", err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	f := families[name]
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter() == nil {
		t.Fatalf("metric %s not exported as one counter: %v", name, f)
	}
	return f.GetMetric()[0].GetCounter().GetValue()
}

// verifySpareRows checks that every acknowledged row is present with the
// body it was written with.
func verifySpareRows(t *testing.T, db *sql.DB, acked map[int64]bool, body func(int64) string) {
	t.Helper()
	if len(acked) == 0 {
		return
	}
	rows, err := db.Query("SELECT id, body FROM spare.t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var id int64
		var b string
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		if b != body(id) {
			t.Fatalf("row %d: body of %d bytes differs from the one written", id, len(b))
		}
		if acked[id] {
			found++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Fatalf("%d of %d acknowledged rows survived", found, len(acked))
	}
}
