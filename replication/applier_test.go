package replication

import (
	"context"
	"encoding/binary"
	"log/slog"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// eventSource builds MariaDB binlog events with increasing positions.
type eventSource struct {
	f   mysql.BinlogFormat
	pos uint32
}

func (s *eventSource) meta() mysql.BinlogEventMetadata {
	s.pos += 100
	return mysql.BinlogEventMetadata{ServerID: 1, Timestamp: 1700000000, NextLogPosition: s.pos}
}

func (s *eventSource) gtid(seq uint64, begin bool) mysql.BinlogEvent {
	return mysql.NewMariaDBGTIDEvent(s.f, s.meta(), mysql.MariadbGTID{Domain: 0, Server: 1, Sequence: seq}, begin)
}

func (s *eventSource) query(db, q string) mysql.BinlogEvent {
	return mysql.NewQueryEvent(s.f, s.meta(), mysql.Query{Database: db, SQL: q})
}

var tmT = &mysql.TableMap{Database: "d", Name: "t", Types: []byte{mysql.TypeLong, mysql.TypeVarchar},
	CanBeNull: mysql.NewServerBitmap(2), Metadata: []uint16{0, 40}}

// insert is a WRITE_ROWS event of (id, v) into d.t (table id 7).
func (s *eventSource) insert(id int32, v string) mysql.BinlogEvent {
	cols := mysql.NewServerBitmap(2)
	cols.Set(0, true)
	cols.Set(1, true)
	data := binary.LittleEndian.AppendUint32(nil, uint32(id))
	data = append(data, byte(len(v)))
	data = append(data, v...)
	return mysql.NewWriteRowsEvent(s.f, s.meta(), 7, mysql.Rows{DataColumns: cols,
		Rows: []mysql.Row{{NullColumns: mysql.NewServerBitmap(2), Data: data}}})
}

type applierEnv struct {
	t     *testing.T
	store *storage.Engine
	ctl   *Controller
}

func newApplierEnv(t *testing.T) *applierEnv {
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := storage.Open(storage.Options{Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := New(Options{Engine: eng, Store: store, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sqlserver.CloseEngine(eng)
		_ = store.Close()
	})
	return &applierEnv{t: t, store: store, ctl: ctl}
}

func (e *applierEnv) applier() *applier {
	a, err := newApplier(e.ctl, flavorMariaDB)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *applierEnv) apply(a *applier, evs ...mysql.BinlogEvent) error {
	for _, ev := range evs {
		if err := a.handle(ev); err != nil {
			return err
		}
	}
	return a.flush()
}

func (e *applierEnv) query(q string) []sql.Row {
	e.t.Helper()
	ctx := newCtx(e.store, context.Background())
	_, iter, _, err := e.ctl.eng.Query(ctx, q)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	rows, err := sql.RowIterToRows(ctx, iter)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func (e *applierEnv) gtids() string {
	e.t.Helper()
	p, err := e.ctl.Position()
	if err != nil {
		e.t.Fatal(err)
	}
	return p.GTIDSet
}

// TestDDLReplayAfterCrash: a DDL that ran but whose position was not
// recorded (crash in between, marked by the DDL marker) is tolerated once
// on replay; without the marker the same error stops replication.
func TestDDLReplayAfterCrash(t *testing.T) {
	e := newApplierEnv(t)
	s := &eventSource{f: mysql.NewMariaDBBinlogFormat()}
	fde := mysql.NewFormatDescriptionEvent(s.f, s.meta())
	a := e.applier()
	if err := e.apply(a, fde, s.gtid(1, false), s.query("", "CREATE DATABASE d")); err != nil {
		t.Fatal(err)
	}
	if got := e.gtids(); got != "0-1-1" {
		t.Fatalf("position %q", got)
	}
	// The crash: CREATE TABLE ran and its marker is durable, the position
	// is not.
	gtid2 := s.gtid(2, false)
	create := s.query("d", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	e.query("CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(10))")
	target := Position{Flavor: flavorMariaDB, GTIDSet: "0-1-2", Pos: s.pos}
	if err := e.ctl.commitRecords(newCtx(e.store, context.Background()), func(ctx *sql.Context) error {
		return putJSON(ctx, e.store, recDDL, target)
	}); err != nil {
		t.Fatal(err)
	}
	a = e.applier() // restart
	if err := e.apply(a, fde, gtid2, create); err != nil {
		t.Fatalf("replay of an applied DDL: %v", err)
	}
	if got := e.gtids(); got != "0-1-2" {
		t.Fatalf("position after replay %q", got)
	}
	if _, ok, _ := e.store.ReplicationRecord(recDDL); ok {
		t.Fatal("DDL marker left behind")
	}
	// Without the marker a failing DDL stops replication.
	a = e.applier()
	err := e.apply(a, fde, s.gtid(3, false), s.query("d", "CREATE TABLE t (id INT PRIMARY KEY)"))
	if err == nil || !strings.Contains(err.Error(), "applying DDL") {
		t.Fatalf("duplicate CREATE TABLE without a marker: %v", err)
	}
}

// TestCommitGroupRollback: transactions grouped into one storage commit
// keep their own atomicity (a ROLLBACK event undoes only its transaction)
// and a lost group is re-applied from the durable position.
func TestCommitGroupRollback(t *testing.T) {
	e := newApplierEnv(t)
	s := &eventSource{f: mysql.NewMariaDBBinlogFormat()}
	fde := mysql.NewFormatDescriptionEvent(s.f, s.meta())
	a := e.applier()
	tm := mysql.NewTableMapEvent(s.f, s.meta(), 7, tmT)
	if err := e.apply(a, fde, s.gtid(1, false), s.query("", "CREATE DATABASE d"),
		s.gtid(2, false), s.query("d", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")); err != nil {
		t.Fatal(err)
	}
	// Three transactions without a flush in between: one group.
	for _, ev := range []mysql.BinlogEvent{
		s.gtid(3, true), tm, s.insert(1, "a"), mysql.NewXIDEvent(s.f, s.meta()),
		s.gtid(4, true), tm, s.insert(2, "rb"), s.query("d", "ROLLBACK"),
		s.gtid(5, true), tm, s.insert(3, "c"), mysql.NewXIDEvent(s.f, s.meta()),
	} {
		if err := a.handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	if a.pending != 2 {
		t.Fatalf("pending %d, want a group of 2", a.pending)
	}
	if got := e.gtids(); got != "0-1-2" {
		t.Fatalf("group became durable before its flush: %q", got)
	}
	// A lost group (connection drop) is re-fetched and applied again.
	a.rollback()
	a = e.applier()
	if err := e.apply(a, fde, s.gtid(3, true), tm, s.insert(1, "a"), mysql.NewXIDEvent(s.f, s.meta()),
		s.gtid(5, true), tm, s.insert(3, "c"), mysql.NewXIDEvent(s.f, s.meta())); err != nil {
		t.Fatal(err)
	}
	rows := e.query("SELECT id, v FROM d.t ORDER BY id")
	if len(rows) != 2 || rows[0][1] != "a" || rows[1][1] != "c" {
		t.Fatalf("rows %v", rows)
	}
	if got := e.gtids(); got != "0-1-5" {
		t.Fatalf("position %q", got)
	}
}
