package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/binlogreplication"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarrydb/quarry/storage"
)

// Options configure a Controller.
type Options struct {
	Engine *sqle.Engine
	Store  *storage.Engine
	Logger *slog.Logger
	// Registerer, if set, receives the replication metrics.
	Registerer prometheus.Registerer
}

// Controller is Quarry's binlog replica. It implements GMS's
// binlogreplication.BinlogReplicaController. At most one replication
// stream runs at a time.
type Controller struct {
	eng   *sqle.Engine
	store *storage.Engine
	log   *slog.Logger
	m     *metrics

	// opMu serialises Start/Stop/Reset/Change.
	opMu sync.Mutex

	mu      sync.Mutex
	cfg     sourceConfig
	hasCfg  bool
	ioState string // binlogreplication.ReplicaIo*
	sqlRun  bool
	ioErr   replError
	sqlErr  replError
	srcID   string
	srcUUID string
	retries uint64
	cancel  context.CancelFunc
	done    chan struct{}
	conn    *mysql.Conn

	// received and applied count events handed to the applier and
	// finished by it; lagTS is the source timestamp of the event the
	// applier is on (Seconds_Behind_Source).
	received atomic.Uint64
	applied  atomic.Uint64
	lagTS    atomic.Int64
}

// MySQL error numbers of the replication statements.
const (
	erReplicaRunning       = 3021 // ER_REPLICA_CHANNEL_MUST_STOP
	erReplicaNotConfigured = 1200 // ER_BAD_REPLICA
)

type replError struct {
	num  uint
	msg  string
	when *time.Time
}

var _ binlogreplication.BinlogReplicaController = (*Controller)(nil)

// New builds a controller over eng and store and loads the persisted
// source configuration. It does not start replication (see Attach).
func New(opts Options) (*Controller, error) {
	if opts.Engine == nil || opts.Store == nil {
		return nil, errors.New("replication: New: nil engine or store")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Controller{eng: opts.Engine, store: opts.Store, log: log.With("component", "replica"),
		ioState: binlogreplication.ReplicaIoNotRunning}
	c.m = newMetrics(c)
	if opts.Registerer != nil {
		if err := c.m.register(opts.Registerer); err != nil {
			return nil, err
		}
	}
	cfg := defaultConfig()
	ok, err := loadJSON(c.store, recSource, &cfg)
	if err != nil {
		return nil, err
	}
	c.cfg, c.hasCfg = cfg, ok
	return c, nil
}

// Attach builds a controller, registers it in eng's catalog (so the
// replication statements reach it) and resumes replication if it was
// running when the server last stopped.
func Attach(opts Options) (*Controller, error) {
	c, err := New(opts)
	if err != nil {
		return nil, err
	}
	opts.Engine.Analyzer.Catalog.BinlogReplicaController = c
	c.mu.Lock()
	resume := c.hasCfg && c.cfg.Running
	c.mu.Unlock()
	if resume {
		c.log.Info("resuming replication", "source", c.cfg.Host, "port", c.cfg.Port)
		if err := c.start(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close stops replication without changing whether it resumes at the next
// start (a server shutdown is not STOP REPLICA).
func (c *Controller) Close() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.halt()
}

func newCtx(store *storage.Engine, goCtx context.Context) *sql.Context {
	base := sql.NewBaseSessionWithClientServer("", sql.Client{User: "root", Address: "localhost"}, 0)
	return sql.NewContext(storage.WithReplicaApplier(goCtx), sql.WithSession(store.NewSession(base)))
}

// saveConfig commits cfg.
func (c *Controller) saveConfig(cfg sourceConfig) error {
	ctx := newCtx(c.store, context.Background())
	return c.commitRecords(ctx, func(ctx *sql.Context) error { return putJSON(ctx, c.store, recSource, cfg) })
}

// commitRecords runs fn in a transaction of ctx's session and commits it.
func (c *Controller) commitRecords(ctx *sql.Context, fn func(*sql.Context) error) error {
	sess := ctx.Session.(sql.TransactionSession)
	tx, err := sess.StartTransaction(ctx, sql.ReadWrite)
	if err != nil {
		return err
	}
	ctx.SetTransaction(tx)
	if err := fn(ctx); err != nil {
		_ = sess.Rollback(ctx, tx)
		return err
	}
	return sess.CommitTransaction(ctx, tx)
}

// SetReplicationSourceOptions implements CHANGE REPLICATION SOURCE TO.
func (c *Controller) SetReplicationSourceOptions(ctx *sql.Context, options []binlogreplication.ReplicationOption) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.isRunning() {
		return mysql.NewSQLError(erReplicaRunning, "HY000",
			"This operation cannot be performed with a running replica; run STOP REPLICA first")
	}
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if err := applyOptions(&cfg, options); err != nil {
		return err
	}
	id, err := globalServerID()
	if err != nil {
		return err
	}
	cfg.ServerID = id
	if err := c.saveConfig(cfg); err != nil {
		return err
	}
	c.mu.Lock()
	c.cfg, c.hasCfg = cfg, true
	c.mu.Unlock()
	return nil
}

// SetReplicationFilterOptions implements CHANGE REPLICATION FILTER, which
// Quarry does not support: every table of the source is replicated.
func (c *Controller) SetReplicationFilterOptions(*sql.Context, []binlogreplication.ReplicationOption) error {
	return errors.New("replication: CHANGE REPLICATION FILTER is not supported; Quarry replicates every table")
}

// StartReplica implements START REPLICA.
func (c *Controller) StartReplica(ctx *sql.Context) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.isRunning() {
		ctx.Warn(3083, "Replication thread(s) for channel '' are already running.")
		return nil
	}
	c.mu.Lock()
	cfg, has := c.cfg, c.hasCfg
	c.mu.Unlock()
	if !has || cfg.Host == "" {
		return mysql.NewSQLError(erReplicaNotConfigured, "HY000",
			"The server is not configured as replica; fix with CHANGE REPLICATION SOURCE TO")
	}
	cfg.Running = true
	if err := c.saveConfig(cfg); err != nil {
		return err
	}
	c.mu.Lock()
	c.cfg = cfg
	c.mu.Unlock()
	return c.start()
}

// StopReplica implements STOP REPLICA.
func (c *Controller) StopReplica(ctx *sql.Context) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if !c.isRunning() {
		ctx.Warn(3084, "Replication thread(s) for channel '' are already stopped.")
	}
	c.halt()
	c.mu.Lock()
	cfg, has := c.cfg, c.hasCfg
	c.mu.Unlock()
	if has && cfg.Running {
		cfg.Running = false
		if err := c.saveConfig(cfg); err != nil {
			return err
		}
		c.mu.Lock()
		c.cfg = cfg
		c.mu.Unlock()
	}
	return nil
}

// ResetReplica implements RESET REPLICA [ALL]: it forgets the applied
// position (and with ALL the source configuration) and clears errors.
func (c *Controller) ResetReplica(ctx *sql.Context, resetAll bool) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.isRunning() {
		return mysql.NewSQLError(erReplicaRunning, "HY000",
			"This operation cannot be performed with a running replica; run STOP REPLICA first")
	}
	err := c.commitRecords(newCtx(c.store, ctx), func(ctx *sql.Context) error {
		for _, r := range []string{recPosition, recDDL} {
			if err := c.store.DeleteReplicationRecord(ctx, r); err != nil {
				return err
			}
		}
		if resetAll {
			return c.store.DeleteReplicationRecord(ctx, recSource)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ioErr, c.sqlErr = replError{}, replError{}
	if resetAll {
		c.cfg, c.hasCfg = defaultConfig(), false
	}
	c.mu.Unlock()
	return nil
}

// GetReplicaStatus implements SHOW REPLICA STATUS.
func (c *Controller) GetReplicaStatus(ctx *sql.Context) (*binlogreplication.ReplicaStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasCfg {
		return nil, nil
	}
	st := &binlogreplication.ReplicaStatus{
		SourceHost:            c.cfg.Host,
		SourceUser:            c.cfg.User,
		SourcePort:            uint(c.cfg.Port),
		ConnectRetry:          uint32(c.cfg.ConnectRetry),
		SourceRetryCount:      uint64(c.cfg.RetryCount),
		ReplicaIoRunning:      c.ioState,
		ReplicaSqlRunning:     binlogreplication.ReplicaSqlNotRunning,
		LastIoErrNumber:       c.ioErr.num,
		LastIoError:           c.ioErr.msg,
		LastIoErrorTimestamp:  c.ioErr.when,
		LastSqlErrNumber:      c.sqlErr.num,
		LastSqlError:          c.sqlErr.msg,
		LastSqlErrorTimestamp: c.sqlErr.when,
		SourceServerId:        c.srcID,
		SourceServerUuid:      c.srcUUID,
		AutoPosition:          c.cfg.AutoPosition,
	}
	if c.sqlRun {
		st.ReplicaSqlRunning = binlogreplication.ReplicaSqlRunning
	}
	var pos Position
	if _, err := loadJSON(c.store, recPosition, &pos); err != nil {
		return nil, err
	}
	st.ExecutedGtidSet = pos.GTIDSet
	st.RetrievedGtidSet = pos.GTIDSet
	return st, nil
}

// SecondsBehindSource is the replica's lag: the age of the source event
// the applier is working on, 0 when it has applied everything received,
// and ok=false when replication is not running (SHOW REPLICA STATUS shows
// NULL).
func (c *Controller) SecondsBehindSource() (secs int64, ok bool) {
	c.mu.Lock()
	running := c.sqlRun && c.ioState == binlogreplication.ReplicaIoRunning
	c.mu.Unlock()
	if !running {
		return 0, false
	}
	if c.applied.Load() >= c.received.Load() {
		return 0, true
	}
	ts := c.lagTS.Load()
	if ts == 0 {
		return 0, true
	}
	d := time.Now().Unix() - ts
	if d < 0 {
		d = 0
	}
	return d, true
}

// Position returns the committed applied position.
func (c *Controller) Position() (Position, error) {
	var pos Position
	_, err := loadJSON(c.store, recPosition, &pos)
	return pos, err
}

// SetStartPosition sets where a replica without an applied position starts:
// a GTID set (MariaDB "0-1-100", MySQL "uuid:1-5") or a binlog file and
// offset. CHANGE REPLICATION SOURCE TO has no SOURCE_LOG_FILE/POS in the
// parser, so this is how `quarry replicate` passes them.
func (c *Controller) SetStartPosition(pos Position) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.isRunning() {
		return errors.New("replication: stop the replica before setting its start position")
	}
	return c.commitRecords(newCtx(c.store, context.Background()), func(ctx *sql.Context) error {
		return putJSON(ctx, c.store, recPosition, pos)
	})
}

func (c *Controller) isRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancel != nil
}

func globalServerID() (uint32, error) {
	_, v, ok := sql.SystemVariables.GetGlobal("server_id")
	if !ok {
		return 0, errors.New("replication: no @@GLOBAL.server_id")
	}
	switch n := v.(type) {
	case uint32:
		return n, nil
	case int64:
		return uint32(n), nil
	case uint64:
		return uint32(n), nil
	case int:
		return uint32(n), nil
	}
	return 0, fmt.Errorf("replication: unexpected @@GLOBAL.server_id %T", v)
}

// start launches the replication goroutine; the caller holds opMu.
func (c *Controller) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.mu.Lock()
	c.cancel, c.done = cancel, done
	c.ioState = binlogreplication.ReplicaIoConnecting
	c.sqlRun = true
	c.ioErr, c.sqlErr = replError{}, replError{}
	cfg := c.cfg
	c.mu.Unlock()
	go func() {
		defer close(done)
		c.run(ctx, cfg)
	}()
	return nil
}

// halt stops the goroutine and waits for it; the caller holds opMu.
func (c *Controller) halt() {
	c.mu.Lock()
	cancel, done, conn := c.cancel, c.done, c.conn
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	if conn != nil {
		conn.Close() // unblocks ReadBinlogEvent
	}
	<-done
	c.mu.Lock()
	c.cancel, c.done = nil, nil
	c.mu.Unlock()
}

func (c *Controller) setIOState(s string) {
	c.mu.Lock()
	c.ioState = s
	c.mu.Unlock()
}

// setIOError records an I/O error; with stop, the I/O thread stops in the
// same step.
func (c *Controller) setIOError(err error, stop bool) {
	now := time.Now()
	c.mu.Lock()
	c.ioErr = replError{num: errNum(err, mysql.ERMasterFatalReadingBinlog), msg: err.Error(), when: &now}
	if stop {
		c.ioState = binlogreplication.ReplicaIoNotRunning
	}
	c.mu.Unlock()
	c.m.ioErrors.Inc()
	c.log.Warn("replica I/O error", "err", err)
}

// setSQLError records the applier's error and stops the SQL thread in one
// step, so SHOW REPLICA STATUS never shows the error with the thread
// still running.
func (c *Controller) setSQLError(err error) {
	now := time.Now()
	c.mu.Lock()
	c.sqlErr = replError{num: errNum(err, mysql.ERUnknownError), msg: err.Error(), when: &now}
	c.sqlRun = false
	c.mu.Unlock()
	c.m.sqlErrors.Inc()
	c.log.Error("replica SQL thread stopped", "err", err)
}

func errNum(err error, def int) uint {
	var se *mysql.SQLError
	if errors.As(err, &se) && se.Num != 0 {
		return uint(se.Num)
	}
	return uint(def)
}

// run is the replication goroutine: it connects, streams and applies, and
// reconnects after I/O errors until ctx ends, the retry budget is spent or
// the applier fails.
func (c *Controller) run(ctx context.Context, cfg sourceConfig) {
	defer func() {
		c.mu.Lock()
		c.ioState = binlogreplication.ReplicaIoNotRunning
		c.sqlRun = false
		c.conn = nil
		c.mu.Unlock()
	}()
	failures := 0
	for {
		err := c.stream(ctx, cfg, func() { failures = 0 })
		if ctx.Err() != nil {
			return
		}
		var ae *applyError
		if errors.As(err, &ae) {
			c.setSQLError(ae.err)
			return
		}
		var fe *fatalIOError
		if errors.As(err, &fe) {
			c.setIOError(fe.err, true)
			return
		}
		c.setIOError(err, false)
		failures++
		c.mu.Lock()
		c.retries++
		c.ioState = binlogreplication.ReplicaIoConnecting
		c.mu.Unlock()
		if cfg.RetryCount > 0 && failures > cfg.RetryCount {
			c.log.Error("replica I/O thread gave up reconnecting", "attempts", failures)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(cfg.ConnectRetry) * time.Second):
		}
	}
}

// applyError is an error of the applier (SQL thread): replication stops.
type applyError struct{ err error }

func (e *applyError) Error() string { return e.err.Error() }

// fatalIOError is a source configuration problem that retrying cannot fix
// (wrong binlog format, equal server ids): replication stops.
type fatalIOError struct{ err error }

func (e *fatalIOError) Error() string { return e.err.Error() }

// ReplicaStatusColumns fills the SHOW REPLICA STATUS columns GMS leaves
// constant (see sqlserver.ReplicaStatusColumns).
func (c *Controller) ReplicaStatusColumns() map[string]any {
	cols := map[string]any{"Seconds_Behind_Source": nil}
	if s, ok := c.SecondsBehindSource(); ok {
		cols["Seconds_Behind_Source"] = strconv.FormatInt(s, 10)
	}
	c.mu.Lock()
	state := c.ioState
	c.mu.Unlock()
	switch state {
	case binlogreplication.ReplicaIoRunning:
		cols["Replica_IO_State"] = "Waiting for source to send event"
	case binlogreplication.ReplicaIoConnecting:
		cols["Replica_IO_State"] = "Connecting to source"
	}
	if pos, err := c.Position(); err == nil && pos.File != "" {
		cols["Source_Log_File"] = pos.File
		cols["Relay_Source_Log_File"] = pos.File
		cols["Read_Source_Log_Pos"] = pos.Pos
		cols["Exec_Source_Log_Pos"] = pos.Pos
	}
	return cols
}
