package sqlserver

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// procList is the server's sql.ProcessList: the connections and running
// statements that SHOW PROCESSLIST, information_schema.PROCESSLIST and KILL
// see. It does what GMS's ProcessList does, with these differences.
//
// A statement that runs under a stmtRun (every client statement) gets no
// context of its own: KILL cancels the stmtRun's context, which the
// statement's context descends from. GMS made a cancel context per
// statement, registered it with the stmtRun's context and took it apart
// again, which cost about 3% of a point SELECT's CPU. Statements outside a
// stmtRun, and operations (BeginOperation), get their own as in GMS.
//
// Each connection's entry has its own lock; no lock is shared by all
// statements. GMS's one mutex around every BeginQuery and EndQuery went
// into starvation mode under sysbench on 2 cores (a holder descheduled by
// the OS), and then every unlock handed the processor to the waiter: 5% of
// the time goroutines waited runnable in oltp_read_only.
//
// It reports connections as MySQL does: GMS names the user only once a
// connection selects a database (COM_INIT_DB) and then replaces the
// client's host:port with the account's host pattern; MySQL shows the
// authenticated user and the client's address from login on.
type procList struct {
	s     *Server
	procs sync.Map // connection id → *proc
	// Running queries that reported progress, by query pid (procFor):
	// GMS reports progress by pid alone.
	pids sync.Map // uint64 → *proc
}

// proc is one connection's entry; mu guards the rest.
type proc struct {
	mu sync.Mutex
	p  sql.Process // p.Kill is unused: see run and cancel

	// What Kill cancels: the running statement's stmtRun, or a context of
	// the list's own (cancel), for an operation or a statement outside a
	// stmtRun. Both nil: nothing runs.
	run    *stmtRun
	cancel context.CancelFunc

	querying bool // a query runs (BeginQuery, not yet ended): p.QueryPid
	indexed  bool // pids maps p.QueryPid to this proc
}

func newProcList(s *Server) *procList { return &procList{s: s} }

var _ sql.ProcessList = (*procList)(nil)

// errNotRegistered is GMS's error for a context whose connection the list
// does not know.
var errNotRegistered = errors.New("internal error: connection not registered with process list")

func (pl *procList) proc(id uint32) *proc {
	if v, ok := pl.procs.Load(id); ok {
		return v.(*proc)
	}
	return nil
}

// ending returns the entry whose query or operation ctx ends, or nil: the
// list tracks nothing for interpreted contexts (stored routines' inner
// statements) and connections it does not know.
func (pl *procList) ending(ctx *sql.Context) *proc {
	if ctx.IsInterpreted() {
		return nil
	}
	return pl.proc(ctx.Session.ID())
}

// Processes implements sql.ProcessList: a copy of every entry, by
// connection id.
func (pl *procList) Processes() []sql.Process {
	var out []sql.Process
	pl.procs.Range(func(_, v any) bool {
		pr := v.(*proc)
		pr.mu.Lock()
		p := pr.p
		p.Kill = nil
		p.Progress = make(map[string]sql.TableProgress, len(pr.p.Progress))
		for name, tp := range pr.p.Progress {
			tp.PartitionsProgress = maps.Clone(tp.PartitionsProgress)
			p.Progress[name] = tp
		}
		pr.mu.Unlock()
		out = append(out, p)
		return true
	})
	slices.SortFunc(out, func(a, b sql.Process) int { return cmp.Compare(a.Connection, b.Connection) })
	for i := range out {
		v, ok := pl.s.conns.Load(out[i].Connection)
		if !ok {
			continue
		}
		cs := v.(*connState)
		if user, _ := cs.account(); cs.user.Load() != nil {
			out[i].User = user
		}
		if cs.conn != nil && cs.conn.RemoteAddr() != nil {
			out[i].Host = cs.conn.RemoteAddr().String()
		}
	}
	return out
}

// AddConnection implements sql.ProcessList.
func (pl *procList) AddConnection(id uint32, addr string) {
	sql.StatusVariables.IncrementGlobal("Threads_connected", 1)
	pl.procs.Store(id, &proc{p: sql.Process{
		Connection: id,
		Command:    sql.ProcessCommandConnect,
		Host:       addr,
		User:       "unauthenticated user",
		StartedAt:  time.Now(),
	}})
}

// ConnectionReady implements sql.ProcessList.
func (pl *procList) ConnectionReady(sess sql.Session) {
	p := sql.Process{
		Connection: sess.ID(),
		Command:    sql.ProcessCommandSleep,
		Host:       sess.Client().Address,
		User:       sess.Client().User,
		StartedAt:  time.Now(),
		Database:   sess.GetCurrentDatabase(),
	}
	v, loaded := pl.procs.LoadOrStore(p.Connection, &proc{p: p})
	if !loaded {
		return
	}
	pr := v.(*proc)
	pr.mu.Lock()
	defer pr.mu.Unlock()
	// GMS calls this inside an operation (COM_INIT_DB): what runs stays
	// killable, and EndOperation still finds its context.
	if pr.querying {
		p.Command, p.StartedAt = pr.p.Command, pr.p.StartedAt
		p.QueryPid, p.Query, p.Progress = pr.p.QueryPid, pr.p.Query, pr.p.Progress
	}
	pr.p = p
}

// RemoveConnection implements sql.ProcessList.
func (pl *procList) RemoveConnection(id uint32) {
	v, ok := pl.procs.LoadAndDelete(id)
	if !ok {
		return
	}
	pr := v.(*proc)
	pr.mu.Lock()
	pl.unindex(pr)
	run, cancel := pr.run, pr.cancel
	pr.mu.Unlock()
	sql.StatusVariables.IncrementGlobal("Threads_connected", -1)
	interrupt(run, cancel)
}

// BeginQuery implements sql.ProcessList.
func (pl *procList) BeginQuery(ctx *sql.Context, query string) (*sql.Context, error) {
	if ctx.IsInterpreted() {
		return ctx, nil
	}
	pr := pl.proc(ctx.Session.ID())
	if pr == nil {
		return nil, errNotRegistered
	}
	pid := ctx.Pid()
	run, _ := ctx.Value(stmtRunKey{}).(*stmtRun)
	var cancel context.CancelFunc
	if run == nil || run.cancel == nil {
		run = nil
		var qctx context.Context
		qctx, cancel = context.WithCancel(ctx)
		ctx = ctx.WithContext(qctx)
	}
	now := time.Now()

	pr.mu.Lock()
	if pr.querying && pr.p.QueryPid == pid {
		pr.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return nil, sql.ErrPidAlreadyUsed.New(pid)
	}
	pl.unindex(pr)
	pr.p.Command = sql.ProcessCommandQuery
	pr.p.Query = query
	pr.p.QueryPid = pid
	pr.p.StartedAt = now
	pr.p.Progress = nil
	pr.run, pr.cancel = run, cancel
	pr.querying = true
	pr.mu.Unlock()

	sql.StatusVariables.IncrementGlobal("Threads_running", 1)
	return ctx, nil
}

// EndQuery implements sql.ProcessList. Only the first EndQuery of a query
// counts: GMS calls it both when the result's iterator closes and when its
// handler returns.
func (pl *procList) EndQuery(ctx *sql.Context) {
	pr := pl.ending(ctx)
	if pr == nil {
		return
	}
	pid := ctx.Pid()
	now := time.Now()

	pr.mu.Lock()
	if !pr.querying || pr.p.QueryPid != pid {
		pr.mu.Unlock()
		return
	}
	took := now.Sub(pr.p.StartedAt)
	cancel := pr.cancel
	pl.unindex(pr)
	pr.p.Command = sql.ProcessCommandSleep
	pr.p.Query = ""
	pr.p.StartedAt = now
	pr.p.Progress = nil
	pr.run, pr.cancel = nil, nil
	pr.mu.Unlock()

	if cancel != nil {
		cancel()
	}
	if long := globalFloat("long_query_time", 10); long > 0 && took.Seconds() > long {
		sql.IncrementStatusVariable(ctx, "Slow_queries", 1)
	}
	sql.StatusVariables.IncrementGlobal("Threads_running", -1)
}

// unindex ends pr's query, if one runs; pr.mu is held.
func (pl *procList) unindex(pr *proc) {
	if pr.indexed {
		pl.pids.CompareAndDelete(pr.p.QueryPid, pr)
		pr.indexed = false
	}
	pr.querying = false
	pr.p.QueryPid = 0
}

// BeginOperation implements sql.ProcessList: a long-running operation that
// is not a query (COM_INIT_DB, COM_STMT_PREPARE), killed by Kill.
func (pl *procList) BeginOperation(ctx *sql.Context) (*sql.Context, error) {
	if ctx.IsInterpreted() {
		return ctx, nil
	}
	pr := pl.proc(ctx.Session.ID())
	if pr == nil {
		return nil, errNotRegistered
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.run != nil || pr.cancel != nil {
		return nil, errors.New("internal error: attempt to begin operation on connection which was already running one")
	}
	octx, cancel := ctx.NewSubContext()
	pr.cancel = cancel
	return octx, nil
}

// EndOperation implements sql.ProcessList.
func (pl *procList) EndOperation(ctx *sql.Context) {
	pr := pl.ending(ctx)
	if pr == nil {
		return
	}
	pr.mu.Lock()
	cancel := pr.cancel
	pr.cancel = nil
	pr.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Kill implements sql.ProcessList: it cancels what the connection runs, if
// anything.
func (pl *procList) Kill(id uint32) {
	pr := pl.proc(id)
	if pr == nil {
		return
	}
	pr.mu.Lock()
	run, cancel, pid := pr.run, pr.cancel, pr.p.QueryPid
	pr.mu.Unlock()
	if run == nil && cancel == nil {
		return
	}
	pl.s.log.Info("kill", "conn_id", id, "query_pid", pid)
	interrupt(run, cancel)
}

// interrupt cancels a statement or operation as Kill does.
func interrupt(run *stmtRun, cancel context.CancelFunc) {
	if run != nil {
		run.cancel(context.Canceled)
	}
	if cancel != nil {
		cancel()
	}
}

// procFor returns the entry whose query has pid, or nil. The first lookup
// of a query searches the entries and indexes the one it finds in pids.
func (pl *procList) procFor(pid uint64) *proc {
	if v, ok := pl.pids.Load(pid); ok {
		return v.(*proc)
	}
	var found *proc
	pl.procs.Range(func(_, v any) bool {
		pr := v.(*proc)
		pr.mu.Lock()
		defer pr.mu.Unlock()
		if pr.querying && pr.p.QueryPid == pid {
			// Under pr.mu: the query's end (unindex) sees indexed.
			pl.pids.Store(pid, pr)
			pr.indexed = true
			found = pr
		}
		return found == nil
	})
	return found
}

// progress calls f with the process of the query pid, if it runs, under
// its entry's lock.
func (pl *procList) progress(pid uint64, f func(p *sql.Process)) {
	pr := pl.procFor(pid)
	if pr == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if !pr.querying || pr.p.QueryPid != pid {
		return
	}
	if pr.p.Progress == nil {
		pr.p.Progress = make(map[string]sql.TableProgress)
	}
	f(&pr.p)
}

// tableProgress applies f to the query pid's progress of table, which
// starts with total if the query has none for it yet.
func (pl *procList) tableProgress(pid uint64, table string, total int64, f func(tp *sql.TableProgress)) {
	pl.progress(pid, func(p *sql.Process) {
		tp, ok := p.Progress[table]
		if !ok {
			tp = sql.NewTableProgress(table, total)
		}
		f(&tp)
		p.Progress[table] = tp
	})
}

// partitionProgress applies f to the query pid's progress of a partition
// of table, which starts with total if new; a table without progress has
// none for its partitions either.
func (pl *procList) partitionProgress(pid uint64, table, partition string, total int64, f func(pp *sql.PartitionProgress)) {
	pl.progress(pid, func(p *sql.Process) {
		tp, ok := p.Progress[table]
		if !ok {
			return
		}
		pp, ok := tp.PartitionsProgress[partition]
		if !ok {
			pp = sql.PartitionProgress{Progress: sql.Progress{Name: partition, Total: total}}
		}
		f(&pp)
		tp.PartitionsProgress[partition] = pp
	})
}

// UpdateTableProgress implements sql.ProcessList.
func (pl *procList) UpdateTableProgress(pid uint64, name string, delta int64) {
	pl.tableProgress(pid, name, -1, func(tp *sql.TableProgress) { tp.Done += delta })
}

// UpdatePartitionProgress implements sql.ProcessList.
func (pl *procList) UpdatePartitionProgress(pid uint64, table, partition string, delta int64) {
	pl.partitionProgress(pid, table, partition, -1, func(pp *sql.PartitionProgress) { pp.Done += delta })
}

// AddTableProgress implements sql.ProcessList.
func (pl *procList) AddTableProgress(pid uint64, name string, total int64) {
	pl.tableProgress(pid, name, total, func(tp *sql.TableProgress) { tp.Total = total })
}

// AddPartitionProgress implements sql.ProcessList.
func (pl *procList) AddPartitionProgress(pid uint64, table, partition string, total int64) {
	pl.partitionProgress(pid, table, partition, total, func(pp *sql.PartitionProgress) { pp.Total = total })
}

// RemoveTableProgress implements sql.ProcessList.
func (pl *procList) RemoveTableProgress(pid uint64, name string) {
	pl.progress(pid, func(p *sql.Process) { delete(p.Progress, name) })
}

// RemovePartitionProgress implements sql.ProcessList.
func (pl *procList) RemovePartitionProgress(pid uint64, table, partition string) {
	pl.progress(pid, func(p *sql.Process) {
		if tp, ok := p.Progress[table]; ok {
			delete(tp.PartitionsProgress, partition)
		}
	})
}
