package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quarrydb/quarry/storage"
)

// buildQuarry compiles cmd/quarry once per test binary.
var buildQuarry = sync.OnceValues(func() (string, error) { return goBuildQuarry("") })

// buildFaultQuarry compiles cmd/quarry with the quarry_faultinject tag,
// whose fault hooks the environment arms (see storage/kv/pebblekv).
var buildFaultQuarry = sync.OnceValues(func() (string, error) { return goBuildQuarry("quarry_faultinject") })

func goBuildQuarry(tags string) (string, error) {
	dir, err := os.MkdirTemp("", "quarry-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "quarry")
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, "../cmd/quarry").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build -tags %q: %v\n%s", tags, err, out)
	}
	return bin, nil
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startQuarry runs `quarry serve` as a child process, with the extra flags
// given, and waits until it accepts connections.
func startQuarry(t *testing.T, dataDir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	return startQuarryWith(t, quarryRun{}, dataDir, extra...)
}

// quarryRun says how startQuarryWith runs `quarry serve`.
type quarryRun struct {
	bin    string    // "": buildQuarry's
	env    []string  // added to the test's environment
	stderr io.Writer // nil: the test's stderr
}

func startQuarryWith(t *testing.T, run quarryRun, dataDir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	bin := run.bin
	if bin == "" {
		var err error
		if bin, err = buildQuarry(); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	args := append([]string{"serve", "--data-dir", dataDir, "--listen", addr, "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if run.stderr != nil {
		cmd.Stderr = run.stderr
	}
	if run.env != nil {
		cmd.Env = append(os.Environ(), run.env...)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("root@tcp(%s)/?timeout=2s", addr)
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, _ := sql.Open("mysql", dsn)
		err := db.Ping()
		db.Close()
		if err == nil {
			return cmd, addr
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("quarry did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashRecovery kills a real `quarry serve` with SIGKILL at random
// moments while clients commit, then checks on reopen that every
// acknowledged commit is present and every index agrees with its table.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills a real server")
	}
	const rounds, clients = 5, 6
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[int64]int64{} // id -> amount of acknowledged commits
	var mu sync.Mutex
	var nextID int64

	for round := 0; round < rounds; round++ {
		cmd, addr := startQuarry(t, dataDir)
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?timeout=2s&readTimeout=5s", addr))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			mustExec(t, db, "CREATE DATABASE crash")
			mustExec(t, db, `CREATE TABLE crash.orders (
				id BIGINT PRIMARY KEY, shop INT NOT NULL, status VARCHAR(16) NOT NULL,
				amount DECIMAL(12,2), note VARCHAR(64),
				KEY by_shop (shop, status), UNIQUE KEY by_note (note))`)
		}
		// Verify everything acknowledged so far survived.
		verifyAcked(t, db, acked)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(round)))
				for ctx.Err() == nil {
					mu.Lock()
					nextID++
					id := nextID
					mu.Unlock()
					amount := int64(r.IntN(10000))
					var err error
					if r.IntN(3) == 0 {
						// Multi-statement transaction: insert then update.
						var tx *sql.Tx
						tx, err = db.BeginTx(ctx, nil)
						if err == nil {
							_, err = tx.Exec("INSERT INTO crash.orders VALUES (?, ?, 'new', ?, ?)", id, id%7, amount, fmt.Sprintf("n%d", id))
							if err == nil {
								amount++
								_, err = tx.Exec("UPDATE crash.orders SET amount = amount + 1, status = 'paid' WHERE id = ?", id)
							}
							if err == nil {
								err = tx.Commit()
							} else {
								tx.Rollback()
							}
						}
					} else {
						_, err = db.ExecContext(ctx, "INSERT INTO crash.orders VALUES (?, ?, 'new', ?, ?)", id, id%7, amount, fmt.Sprintf("n%d", id))
					}
					if err == nil {
						mu.Lock()
						acked[id] = amount
						mu.Unlock()
					}
				}
			}(uint64(c))
		}
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		killDuringLoad(t, cmd, func() { cancel(); wg.Wait(); db.Close() })

		checkReopened(t, dataDir, round)
		t.Logf("round %d: %d acknowledged commits so far", round, len(acked))
	}
	cmd, addr := startQuarry(t, dataDir)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	db, _ := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", addr))
	defer db.Close()
	verifyAcked(t, db, acked)
	if len(acked) == 0 {
		t.Fatal("no commit was acknowledged")
	}
}

// killDuringLoad SIGKILLs the server cmd in the middle of a load, waits
// for it to exit, then runs stop (cancel the load, wait for its workers,
// close their pool).
func killDuringLoad(t *testing.T, cmd *exec.Cmd, stop func()) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stop()
}

// checkReopened opens the data directory of a killed server directly and
// checks every index against its table.
func checkReopened(t *testing.T, dataDir string, round int) {
	t.Helper()
	st, err := storage.Open(storage.Options{Dir: dataDir})
	if err != nil {
		t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
	}
	if err := st.CheckConsistency(); err != nil {
		st.Close()
		t.Fatalf("round %d: %v", round, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyAcked(t *testing.T, db *sql.DB, acked map[int64]int64) {
	t.Helper()
	if len(acked) == 0 {
		return
	}
	rows, err := db.Query("SELECT id, amount FROM crash.orders")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int64{}
	for rows.Next() {
		var id int64
		var amount float64
		if err := rows.Scan(&id, &amount); err != nil {
			t.Fatal(err)
		}
		got[id] = int64(amount)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, amount := range acked {
		g, ok := got[id]
		if !ok {
			t.Fatalf("acknowledged commit of order %d is lost", id)
		}
		if g != amount {
			t.Fatalf("order %d has amount %d, acknowledged %d", id, g, amount)
		}
	}
}
