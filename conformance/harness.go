package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/dolthub/vitess/go/mysql"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	_ "github.com/dolthub/go-mysql-server/sql/variables" // registers sql.SystemVariables

	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// ServerEnv is the environment variable that switches every harness to
// wire mode, like GMS's own SERVER_ENGINE_TEST: NewEngine then returns an
// enginetest.ServerQueryEngine that sends each query over a MySQL
// connection to a server built on the same engine.
const ServerEnv = "SERVER_ENGINE_TEST"

// Harness runs go-mysql-server's enginetest suites against Quarry's
// storage. Every engine it builds gets a fresh data directory and is
// assembled by sqlserver.NewEngine, exactly as `quarry serve` does.
//
// It implements enginetest.Harness and the optional IndexHarness,
// ForeignKeyHarness, KeylessTableHarness, TransactionHarness,
// ClientHarness, ServerHarness, SkippingHarness and ValidatingHarness.
//
// A Harness is not safe for concurrent use by several tests; create one
// per top-level test (enginetest suites run sequentially).
type Harness struct {
	name   string
	skips  *SkipList
	server bool
	// skipAll makes SkipQueryTest return true for everything: the
	// equivalent of GMS's SkippingMemoryHarness, for the suites GMS itself
	// only runs that way (its known-broken tests). Those skips are GMS's,
	// not ours, and are not reported through OnSkip.
	skipAll bool
	// retainSessionAfterSetup keeps the session that ran the setup scripts
	// (needed by suites that keep state, like join statistics, in it).
	retainSessionAfterSetup bool
	// gmsSkips are skips GMS's own wiring asks for (QueriesToSkip); like
	// skipAll they are not Quarry's and are not reported through OnSkip.
	gmsSkips map[string]bool

	setupData []setup.SetupScript

	mu      sync.Mutex
	store   *storage.Engine // the store of the most recent engine
	session sql.Session
	stores  map[*sqle.Engine]*storage.Engine
	// orphans are stores opened by NewContext before any NewEngine (no
	// *testing.T to clean them up); Close releases them.
	orphans []orphanStore
}

type orphanStore struct {
	store *storage.Engine
	dir   string
}

var (
	_ enginetest.Harness             = (*Harness)(nil)
	_ enginetest.IndexHarness        = (*Harness)(nil)
	_ enginetest.ForeignKeyHarness   = (*Harness)(nil)
	_ enginetest.KeylessTableHarness = (*Harness)(nil)
	_ enginetest.TransactionHarness  = (*Harness)(nil)
	_ enginetest.ClientHarness       = (*Harness)(nil)
	_ enginetest.ServerHarness       = (*Harness)(nil)
	_ enginetest.SkippingHarness     = (*Harness)(nil)
	_ enginetest.ValidatingHarness   = (*Harness)(nil)
)

// NewHarness returns a harness that skips the entries of skips (which may
// be nil). Wire mode is on when the SERVER_ENGINE_TEST environment
// variable is set.
func NewHarness(name string, skips *SkipList) *Harness {
	_, useServer := os.LookupEnv(ServerEnv)
	return &Harness{
		name:   name,
		skips:  skips,
		server: useServer,
		stores: make(map[*sqle.Engine]*storage.Engine),
	}
}

// NewSkippingHarness returns a harness that skips every query: GMS runs its
// known-broken suites (TestBrokenQueries, TestBrokenTriggers, ...) only
// with such a harness, so their skips count as GMS's.
func NewSkippingHarness(name string) *Harness {
	h := NewHarness(name, nil)
	h.skipAll = true
	return h
}

// RetainSessionAfterSetup makes later NewContext calls reuse the session
// that ran the setup scripts (GMS's MemoryHarness.RetainSessionAfterSetup).
func (h *Harness) RetainSessionAfterSetup() *Harness {
	h.retainSessionAfterSetup = true
	return h
}

// QueriesToSkip adds skips that GMS's own memory wiring makes
// (MemoryHarness.QueriesToSkip); they count as GMS's skips.
func (h *Harness) QueriesToSkip(queries ...string) {
	if h.gmsSkips == nil {
		h.gmsSkips = make(map[string]bool)
	}
	for _, q := range queries {
		h.gmsSkips[normalize(q)] = true
	}
}

// Name is the harness name given to NewHarness.
func (h *Harness) Name() string { return h.name }

// IsUsingServer reports whether engines are wrapped in a wire-level
// ServerQueryEngine.
func (h *Harness) IsUsingServer() bool { return h.server }

// UseServer switches this harness to wire mode.
func (h *Harness) UseServer() { h.server = true }

// Setup implements enginetest.Harness.
func (h *Harness) Setup(setupData ...[]setup.SetupScript) {
	h.setupData = nil
	for _, s := range setupData {
		h.setupData = append(h.setupData, s...)
	}
}

// NewEngine implements enginetest.Harness: a new data directory under
// t.TempDir(), a store, an engine assembled like `quarry serve`, and the
// setup scripts. The store and engine are closed when t finishes, after a
// final consistency check of every secondary index.
func (h *Harness) NewEngine(t *testing.T) (enginetest.QueryEngine, error) {
	store, eng, err := h.openEngine(t.TempDir())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := store.CheckConsistency(); err != nil {
			t.Errorf("conformance: after test: %v", err)
		}
		h.mu.Lock()
		delete(h.stores, eng)
		if h.store == store {
			h.store = nil
			h.session = nil
		}
		h.mu.Unlock()
		if err := sqlserver.CloseEngine(eng); err != nil {
			t.Errorf("conformance: close engine: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("conformance: close store: %v", err)
		}
	})

	ctx := enginetest.NewContext(h)
	setupData := h.setupData
	if len(setupData) == 0 {
		setupData = setup.MydbData
	}
	setupData = h.filterSetup(t, setupData)
	if _, err := enginetest.RunSetupScripts(ctx, eng, setupData, h.SupportsNativeIndexCreation()); err != nil {
		return nil, err
	}

	if h.server {
		return enginetest.NewServerQueryEngine(t, eng, sqlserver.SessionBuilder(store))
	}
	// Like the memory harness: tests start from a clean session unless
	// they asked to keep the setup session.
	if !h.retainSessionAfterSetup {
		h.mu.Lock()
		h.session = nil
		h.mu.Unlock()
	}
	return eng, nil
}

// filterSetup leaves out the setup statements the skip list drops (see
// SkipEntry.Setup), logging each.
func (h *Harness) filterSetup(t *testing.T, scripts []setup.SetupScript) []setup.SetupScript {
	if h.skips == nil {
		return scripts
	}
	out := make([]setup.SetupScript, 0, len(scripts))
	for _, script := range scripts {
		kept := make(setup.SetupScript, 0, len(script))
		for _, stmt := range script {
			if e, drop := h.skips.DropSetup(stmt); drop {
				t.Logf("conformance: setup statement left out (%s): %s", e.Reason, stmt)
				continue
			}
			kept = append(kept, stmt)
		}
		out = append(out, kept)
	}
	return out
}

// openEngine opens a store in dir and builds the engine over it. The new
// store becomes the harness's current one, with no session yet.
func (h *Harness) openEngine(dir string) (*storage.Engine, *sqle.Engine, error) {
	store, err := storage.Open(storage.Options{Dir: dir, Logger: quietLogger()})
	if err != nil {
		return nil, nil, err
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: quietLogger()})
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	useGMSSystemVariables()
	h.mu.Lock()
	h.store = store
	h.session = nil
	h.stores[eng] = store
	h.mu.Unlock()
	return store, eng, nil
}

// gmsSystemVariables holds GMS's own definition of every system variable,
// captured when this package is initialised: before any
// sqlserver.NewEngine call can replace some of them.
var gmsSystemVariables = captureSystemVariables()

func captureSystemVariables() []sql.SystemVariable {
	all := sql.SystemVariables.GetAllGlobalVariables()
	out := make([]sql.SystemVariable, 0, len(all))
	for name := range all {
		if def, _, ok := sql.SystemVariables.GetGlobal(name); ok {
			out = append(out, def)
		}
	}
	return out
}

// useGMSSystemVariables puts GMS's definitions and default values of all
// system variables back into GMS's process-wide registry.
//
// sqlserver.NewEngine installs Quarry's MySQL 8.0 defaults into that
// registry (collation_server/database/connection utf8mb4_0900_ai_ci,
// version 8.0.40, version_comment, innodb_lock_wait_timeout 50 with
// session scope, max_allowed_packet 64 MiB, default_authentication_plugin,
// ...). GMS's enginetest expectations are written against GMS's defaults
// (utf8mb4_0900_bin, 8.0.31, ...), so the harness restores them after
// building each engine and before any session exists (a session copies the
// registry when it is made). Everything else about the engine (analyzer,
// catalog, privileges, storage) stays exactly as `quarry serve` builds it.
// Side effects, both deliberate: every engine starts with fresh global
// values, so a SET GLOBAL in one test cannot leak into the next; and lock
// waits use GMS's innodb_lock_wait_timeout of 1 second, not 50.
//
// The analytics pushdown (planner) is off by default here: GMS's
// expectations encode its plan strings and its DOUBLE results for SUM and
// AVG over exact types, where the pushdown returns MySQL's DECIMAL. The
// planner's differential and golden tests check the pushdown instead.
func useGMSSystemVariables() {
	sql.SystemVariables.AddSystemVariables(gmsSystemVariables)
	sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{planner.EnabledVariable(false)})
}

// NewContext implements enginetest.Harness. It returns a context on the
// harness's current session, creating one on the current store if needed.
func (h *Harness) NewContext() *sql.Context {
	h.mu.Lock()
	if h.session == nil {
		h.session = h.newSessionLocked(enginetest.NewBaseSession())
	}
	s := h.session
	h.mu.Unlock()
	return sql.NewContext(context.Background(), sql.WithSession(s))
}

// NewSession implements enginetest.TransactionHarness: a new, separate
// storage session (its own transaction and locks) that becomes the current
// one.
func (h *Harness) NewSession() *sql.Context {
	h.mu.Lock()
	h.session = h.newSessionLocked(enginetest.NewBaseSession())
	h.mu.Unlock()
	return h.NewContext()
}

// NewContextWithClient implements enginetest.ClientHarness.
func (h *Harness) NewContextWithClient(client sql.Client) *sql.Context {
	base := sql.NewBaseSessionWithClientServer("address", client, 1)
	h.mu.Lock()
	s := h.newSessionLocked(base)
	h.mu.Unlock()
	return sql.NewContext(context.Background(), sql.WithSession(s))
}

// newSessionLocked wraps base in a session of the current store. Some
// suites ask for a context before their first NewEngine; they get a store
// of their own, released by Close.
func (h *Harness) newSessionLocked(base *sql.BaseSession) sql.Session {
	if h.store == nil {
		dir, err := os.MkdirTemp("", "quarry-conformance-")
		if err != nil {
			panic(fmt.Sprintf("conformance: temp dir: %v", err))
		}
		store, err := storage.Open(storage.Options{Dir: dir, Logger: quietLogger()})
		if err != nil {
			panic(fmt.Sprintf("conformance: open store: %v", err))
		}
		h.store = store
		h.orphans = append(h.orphans, orphanStore{store: store, dir: dir})
	}
	return h.store.NewSession(base)
}

// Close releases stores opened outside NewEngine. Engines made by
// NewEngine are closed by their test's cleanup.
func (h *Harness) Close() error {
	h.mu.Lock()
	orphans := h.orphans
	h.orphans = nil
	for _, o := range orphans {
		if h.store == o.store {
			h.store = nil
			h.session = nil
		}
	}
	h.mu.Unlock()
	var errs []error
	for _, o := range orphans {
		errs = append(errs, o.store.Close(), os.RemoveAll(o.dir))
	}
	return errors.Join(errs...)
}

// SessionBuilder implements enginetest.ServerHarness with Quarry's own
// session builder (sqlserver.SessionBuilder). The store is looked up when
// a connection arrives, not now: GMS's *Wire suites take the builder
// before they call NewEngine.
func (h *Harness) SessionBuilder() server.SessionBuilder {
	return func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		h.mu.Lock()
		store := h.store
		h.mu.Unlock()
		if store == nil {
			return nil, errors.New("conformance: no engine to connect to")
		}
		return sqlserver.SessionBuilder(store)(ctx, conn, addr)
	}
}

// SkipQueryTest implements enginetest.SkippingHarness. GMS calls it with
// queries, script names and setup statements.
func (h *Harness) SkipQueryTest(query string) bool {
	if h.skipAll || h.gmsSkips[normalize(query)] {
		return true
	}
	return h.skips.Skip(query)
}

// SupportsNativeIndexCreation implements enginetest.IndexHarness.
func (h *Harness) SupportsNativeIndexCreation() bool { return true }

// SupportsForeignKeys implements enginetest.ForeignKeyHarness.
func (h *Harness) SupportsForeignKeys() bool { return true }

// SupportsKeylessTables implements enginetest.KeylessTableHarness.
func (h *Harness) SupportsKeylessTables() bool { return true }

// ValidateEngine implements enginetest.ValidatingHarness; GMS calls it
// after every query it checks. It verifies that every secondary index of
// the engine's store agrees with its table and that every table the
// catalog lists can be opened under its own name.
func (h *Harness) ValidateEngine(ctx *sql.Context, e *sqle.Engine) error {
	h.mu.Lock()
	store := h.stores[e]
	h.mu.Unlock()
	if store == nil {
		return fmt.Errorf("conformance: engine %p was not built by this harness", e)
	}
	if err := store.CheckConsistency(); err != nil {
		return err
	}
	for _, db := range e.Analyzer.Catalog.AllDatabases(ctx) {
		names, err := db.GetTableNames(ctx)
		if err != nil {
			return err
		}
		for _, name := range names {
			t, ok, err := db.GetTableInsensitive(ctx, name)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("conformance: %s.%s is listed but cannot be found", db.Name(), name)
			}
			if t.Name() != name {
				return fmt.Errorf("conformance: %s.%s opens as %q", db.Name(), name, t.Name())
			}
		}
	}
	return nil
}
