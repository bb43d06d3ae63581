package e2e

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWALSyncFailureStopsServer: when WAL syncs start failing in a real
// `quarry serve` (a quarry_faultinject build) while clients commit, the
// server logs the failure and exits with code 3 before acknowledging a
// commit of the failed sync; restarted, it has every acknowledged commit.
func TestWALSyncFailureStopsServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real server")
	}
	bin, err := buildFaultQuarry()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	fault := filepath.Join(t.TempDir(), "fail-wal-sync")
	var stderr bytes.Buffer
	cmd, addr := startQuarryWith(t, quarryRun{bin: bin, env: []string{"QUARRY_FAULT_WAL_SYNC=" + fault}, stderr: &stderr}, dataDir)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=5s", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec(t, db, "CREATE DATABASE walfail")
	mustExec(t, db, "CREATE TABLE walfail.t (id BIGINT PRIMARY KEY, v INT NOT NULL)")

	var mu sync.Mutex
	acked := map[int64]int64{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	deadline := time.Now().Add(45 * time.Second)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := int64(c)<<32 | i
				if _, err := db.Exec("INSERT INTO walfail.t VALUES (?, ?)", id, i%97); err != nil {
					continue // the server is failing or gone
				}
				mu.Lock()
				acked[id] = i % 97
				mu.Unlock()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	if err := os.WriteFile(fault, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("server exited with %v, want exit code 3", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server still running 30 s after WAL syncs began to fail")
	}
	close(stop)
	wg.Wait()
	if before == 0 {
		t.Fatal("no commit was acknowledged before the fault")
	}
	if log := stderr.String(); !strings.Contains(log, "storage failure") || !strings.Contains(log, "injected WAL sync failure") {
		t.Errorf("server log does not report the failure:\n%s", log)
	}

	if err := os.Remove(fault); err != nil {
		t.Fatal(err)
	}
	cmd2, addr2 := startQuarry(t, dataDir)
	defer func() {
		cmd2.Process.Kill()
		cmd2.Wait()
	}()
	db2, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=5s", addr2))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got := map[int64]int64{}
	rows, err := db2.Query("SELECT id, v FROM walfail.t")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		got[id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, v := range acked {
		if g, ok := got[id]; !ok || g != v {
			t.Fatalf("acknowledged row %d: got %d (present %v), want %d", id, g, ok, v)
		}
	}
	t.Logf("%d commits acknowledged (%d before the fault), %d rows after restart", len(acked), before, len(got))
}
