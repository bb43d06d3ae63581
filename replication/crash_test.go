package replication

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quarrydb/quarry/internal/mariadbtest"
)

var buildQuarry = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "quarry-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "quarry")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/quarry").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startReplicateBinary runs `quarry replicate` against src and waits
// until it accepts connections.
func startReplicateBinary(t *testing.T, dataDir, addr string, src *mariadbtest.Server) *exec.Cmd {
	t.Helper()
	bin, err := buildQuarry()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "replicate", "--source-host", "127.0.0.1", "--source-port", strconv.Itoa(src.Port),
		"--source-user", "root", "--server-id", "2", "--source-connect-retry", "1",
		"--data-dir", dataDir, "--listen", addr, "--metrics-listen", "", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, _ := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s", addr))
		err := db.Ping()
		db.Close()
		if err == nil {
			return cmd
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("quarry replicate did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicaSIGKILL kills the real quarry binary with SIGKILL while it
// replicates a write load, restarts it, and checks after catching up that
// every table matches: a transaction applied twice would fail on a
// duplicate key or show in the checksums, a lost one in the checksums.
func TestReplicaSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	const tables, rows = 2, 100
	seedSB(t, sdb, tables, rows)
	mustExec(t, sdb, "CREATE TABLE sb.applied (seq BIGINT PRIMARY KEY, at DATETIME(6))")

	dir, addr := t.TempDir(), freeAddr(t)
	cmd := startReplicateBinary(t, dir, addr, src)
	defer func() {
		if cmd != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// A steady stream of single-row transactions with unique keys next to
	// the sysbench-like load.
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := sdb.Exec("INSERT INTO sb.applied VALUES (?, NOW(6))", seq.Add(1)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for round := 0; round < 3; round++ {
		writeLoad(t, sdb, tables, rows, 2, 700*time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		t0 := time.Now()
		cmd = startReplicateBinary(t, dir, addr, src)
		t.Logf("round %d: restarted in %v", round, time.Since(t0))
	}
	close(stop)
	wg.Wait()

	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Now()
	waitCaughtUp(t, sdb, db, 90*time.Second)
	t.Logf("caught up in %v", time.Since(t0))
	compareDB(t, sdb, db, "sb")
	t.Logf("%d single-row transactions and 3 SIGKILLs", seq.Load())
}

// TestSourceRestart restarts MariaDB while Quarry replicates a write load;
// the replica reconnects and converges.
func TestSourceRestart(t *testing.T) {
	src := mariadbtest.StartT(t, mariadbtest.Options{Binlog: true, ServerID: 1})
	sdb := openSource(t, src)
	const tables, rows = 2, 100
	seedSB(t, sdb, tables, rows)
	r := startReplica(t, t.TempDir())
	configure(t, r.db, src)

	writeLoad(t, sdb, tables, rows, 2, time.Second)
	if err := src.Restart(); err != nil {
		t.Fatal(err)
	}
	sdb = openSource(t, src)
	writeLoad(t, sdb, tables, rows, 2, time.Second)
	// A crash of the source, too.
	if err := src.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := src.Restart(); err != nil {
		t.Fatal(err)
	}
	sdb = openSource(t, src)
	writeLoad(t, sdb, tables, rows, 2, time.Second)
	waitCaughtUp(t, sdb, r.db, 60*time.Second)
	compareDB(t, sdb, r.db, "sb")
	if st := replicaStatus(t, r.db); st["Last_IO_Error"] == "" {
		t.Logf("no I/O error recorded across the restarts: %v", st)
	}
}
