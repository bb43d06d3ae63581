// Package mariadbtest starts a throwaway MariaDB server on loopback, for tests
// and benchmarks that compare Quarry with MariaDB or replicate from it.
//
// Each server gets its own data directory, port and socket, runs as the
// current user, and is stopped (and its files removed) by Stop. The server is
// Debian's mariadb-server; Require installs nothing: under CI (CI=true) a
// missing binary fails the test, elsewhere it skips. .ci/setup installs the
// package for .ci/run.
package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver
)

// Options configure Start.
type Options struct {
	// Binlog enables a ROW-format binary log with the given server_id
	// (non-zero), GTIDs in MariaDB's domain 0, for replication tests.
	Binlog   bool
	ServerID int
	// BufferPool is innodb_buffer_pool_size (e.g. "1G"); default "512M".
	BufferPool string
	// Extra are additional mariadbd arguments (e.g. "--max-connections=500").
	Extra []string
	// Port, when non-zero, is used instead of a free port (a restart keeps
	// the address).
	Port int
	// Dir, when non-empty, is the data directory (kept by Stop so a
	// restart reopens it); otherwise a temporary one is created and removed.
	Dir string
}

// Server is a running mariadbd. It always runs at MariaDB's default
// durability (innodb_flush_log_at_trx_commit=1), so comparisons with Quarry,
// which fsyncs every commit, are fair.
type Server struct {
	opts   Options
	Dir    string // data directory
	Port   int
	Socket string
	cmd    *exec.Cmd
	done   chan error
	tmpDir bool
	logf   func(string, ...any)
}

// Binaries returns the paths of mariadbd and mariadb-install-db, or an error
// naming what is missing.
func Binaries() (mariadbd, installDB string, err error) {
	for _, c := range []string{"mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld"} {
		if p, e := exec.LookPath(c); e == nil {
			mariadbd = p
			break
		}
	}
	for _, c := range []string{"mariadb-install-db", "mysql_install_db"} {
		if p, e := exec.LookPath(c); e == nil {
			installDB = p
			break
		}
	}
	if mariadbd == "" || installDB == "" {
		return "", "", errors.New("mariadb-server is not installed (apt-get install -y mariadb-server)")
	}
	return mariadbd, installDB, nil
}

// Require skips t when MariaDB is missing, or fails it under CI=true.
func Require(t testing.TB) {
	t.Helper()
	if _, _, err := Binaries(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skip(err)
	}
}

// StartT starts a server for a test and stops it when the test ends.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	s, err := Start(opts, t.Logf)
	if err != nil {
		t.Fatalf("start mariadb: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("stop mariadb: %v", err)
		}
	})
	return s
}

// Start initialises a data directory (unless opts.Dir already holds one),
// starts mariadbd on 127.0.0.1 and waits until it accepts connections.
// logf, if non-nil, receives progress lines.
func Start(opts Options, logf func(string, ...any)) (*Server, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	mariadbd, installDB, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, logf: logf}
	if opts.Dir == "" {
		d, err := os.MkdirTemp("", "quarry-mariadb-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.tmpDir = d, true
	} else {
		s.Dir = opts.Dir
	}
	data := filepath.Join(s.Dir, "data")
	s.Socket = filepath.Join(s.Dir, "mysqld.sock")
	// A private tmpdir: concurrent installs sharing /tmp can trip over
	// each other's temporary tables ("Unknown table 'mysql.tmp_user_sys'").
	args := []string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + s.Dir}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	} else if u, err := user.Current(); err == nil {
		args = append(args, "--user="+u.Username)
	}
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		ia := append([]string{}, args...)
		ia = append(ia, "--auth-root-authentication-method=normal", "--skip-test-db")
		out, err := exec.Command(installDB, ia...).CombinedOutput()
		if err != nil {
			s.cleanup()
			return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
		}
	}
	s.Port = opts.Port
	if s.Port == 0 {
		if s.Port, err = freePort(); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	bp := opts.BufferPool
	if bp == "" {
		bp = "512M"
	}
	args = append(args,
		"--bind-address=127.0.0.1",
		"--port="+strconv.Itoa(s.Port),
		"--socket="+s.Socket,
		"--pid-file="+filepath.Join(s.Dir, "mysqld.pid"),
		"--log-error="+filepath.Join(s.Dir, "error.log"),
		"--innodb-buffer-pool-size="+bp,
		"--innodb-flush-log-at-trx-commit=1",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--max-connections=1000",
		"--skip-name-resolve",
	)
	if opts.Binlog {
		id := opts.ServerID
		if id == 0 {
			id = 1
		}
		args = append(args,
			"--log-bin="+filepath.Join(data, "binlog"),
			"--binlog-format=ROW",
			"--server-id="+strconv.Itoa(id),
			"--gtid-domain-id=0",
			"--binlog-row-image=FULL",
		)
	}
	args = append(args, opts.Extra...)
	s.cmd = exec.Command(mariadbd, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("start mariadbd: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	if err := s.wait(60 * time.Second); err != nil {
		_ = s.Stop()
		return nil, err
	}
	logf("mariadb %s on 127.0.0.1:%d (dir %s)", mariadbd, s.Port, s.Dir)
	return s, nil
}

func (s *Server) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("mariadbd exited: %v\n%s", err, s.errorLog())
		default:
		}
		db, err := sql.Open("mysql", s.DSN(""))
		if err == nil {
			err = db.Ping()
			db.Close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("mariadbd did not accept connections within %v\n%s", limit, s.errorLog())
}

func (s *Server) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Pid is the mariadbd process's id (0 if it is not running).
func (s *Server) Pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// DSN is a go-sql-driver DSN for root on db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("root@tcp(%s)/%s?parseTime=true&multiStatements=true", s.Addr(), db)
}

// DB opens a connection pool to db.
func (s *Server) DB(db string) (*sql.DB, error) { return sql.Open("mysql", s.DSN(db)) }

// Exec runs statements on a fresh connection.
func (s *Server) Exec(ctx context.Context, stmts ...string) error {
	db, err := s.DB("")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadb: %s: %w", strings.TrimSpace(q), err)
		}
	}
	return nil
}

// Kill stops the server with SIGKILL (crash tests); the data directory is
// kept so Restart reopens it.
func (s *Server) Kill() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
	return nil
}

// Restart stops the server gracefully (if running) and starts it again on
// the same port and data directory.
func (s *Server) Restart() error {
	if err := s.shutdown(); err != nil {
		return err
	}
	opts := s.opts
	opts.Dir, opts.Port = s.Dir, s.Port
	ns, err := Start(opts, s.logf)
	if err != nil {
		return err
	}
	ns.tmpDir = s.tmpDir
	*s = *ns
	return nil
}

func (s *Server) shutdown() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cmd = nil
	return nil
}

// Stop shuts the server down and removes a temporary data directory.
func (s *Server) Stop() error {
	err := s.shutdown()
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.tmpDir {
		_ = os.RemoveAll(s.Dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
