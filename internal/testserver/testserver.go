// Package testserver starts an in-process Quarry server on loopback for
// tests: the same storage, engine and wire server that `quarry serve` runs.
package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	_ "github.com/go-sql-driver/mysql" // database/sql driver

	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// Server is a running test server.
type Server struct {
	t     testing.TB
	Dir   string
	Addr  string
	store *storage.Engine
	eng   *sqle.Engine
	srv   *sqlserver.Server
}

// Start opens dir (created if needed) and serves it on 127.0.0.1:0. The
// server is stopped when the test ends, unless stopped earlier.
func Start(t testing.TB, dir string) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	if err := sqlserver.StartEventScheduler(eng, store); err != nil {
		t.Fatalf("event scheduler: %v", err)
	}
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	s := &Server{t: t, Dir: dir, Addr: srv.Addr().String(), store: store, eng: eng, srv: srv}
	t.Cleanup(s.Stop)
	return s
}

// SQLServer is the running server.
func (s *Server) SQLServer() *sqlserver.Server { return s.srv }

// Stop shuts the server down gracefully and closes the storage.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.t.Errorf("shutdown: %v", err)
	}
	if err := sqlserver.CloseEngine(s.eng); err != nil {
		s.t.Errorf("close engine: %v", err)
	}
	if err := s.store.Close(); err != nil {
		s.t.Errorf("close storage: %v", err)
	}
	s.srv = nil
}

// Store returns the storage engine (for checks such as disk usage).
func (s *Server) Store() *storage.Engine { return s.store }

// DSN returns a go-sql-driver DSN for db as root.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("root@tcp(%s)/%s?parseTime=true&multiStatements=true", s.Addr, db)
}

// Open returns a database/sql handle as root on db ("" for none).
func (s *Server) Open(db string) *sql.DB {
	s.t.Helper()
	h, err := sql.Open("mysql", s.DSN(db))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { h.Close() })
	return h
}

// OpenText is Open with DATETIME and TIMESTAMP values left as the text
// the server sent (parseTime off), for tests of that text.
func (s *Server) OpenText(db string) *sql.DB {
	s.t.Helper()
	h, err := sql.Open("mysql", strings.Replace(s.DSN(db), "parseTime=true", "parseTime=false", 1))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { h.Close() })
	return h
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
