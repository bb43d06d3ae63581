package sqlserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/quarrydb/quarry/storage"
)

// forcedCloseGrace bounds how long Shutdown waits for connection handlers
// after its context expired and it cancelled their statements.
const forcedCloseGrace = 5 * time.Second

// Server is Quarry's MySQL protocol server.
type Server struct {
	log     *slog.Logger
	cfg     Config
	store   *storage.Engine
	engine  *sqle.Engine
	gms     *server.Server
	ln      net.Listener
	tracker *tracker
	m       *serverMetrics
	logs    *queryLogs
	startAt time.Time

	conns         sync.Map     // connection ID -> *connState
	active        atomic.Int64 // open connections, for max_connections
	bytesReceived atomic.Uint64
	bytesSent     atomic.Uint64

	started      atomic.Bool
	shuttingDown atomic.Bool
	serveDone    chan struct{}

	shutdownOnce sync.Once
	shutdownErr  error
}

// SessionBuilder returns the GMS session builder for store: every
// connection gets a storage session wrapping a base session that carries
// the authenticated user and the client's capabilities.
func SessionBuilder(store *storage.Engine) server.SessionBuilder {
	return func(_ context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		var host, user string
		if u, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
			host, user = u.Host, u.User
		}
		client := sql.Client{Address: host, User: user, Capabilities: conn.Capabilities}
		base := sql.NewBaseSessionWithClientServer(addr, client, conn.ConnectionID)
		setTLSStatus(base, conn.Conn)
		return store.NewSession(base), nil
	}
}

// New validates cfg, binds the listen address and prepares a server for
// engine (built by NewEngine over the same store). It refuses a
// non-loopback address unless cfg.RootPassword is set and every root
// account has a password. Call Serve or Start to accept connections and
// Shutdown to stop; the caller then closes the engine and the store.
func New(store *storage.Engine, engine *sqle.Engine, cfg Config, logger *slog.Logger) (*Server, error) {
	if store == nil || engine == nil {
		return nil, errors.New("sqlserver: New: nil store or engine")
	}
	if logger == nil {
		logger = slog.Default()
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if loopback, _ := IsLoopbackListen(cfg.Listen); !loopback {
		if acct := rootWithoutPassword(engine.Analyzer.Catalog.MySQLDb); acct != "" {
			return nil, fmt.Errorf("sqlserver: refusing to listen on %s: %w: account %s has no password (pass the root password to NewEngine too)",
				cfg.Listen, ErrRootPasswordRequired, acct)
		}
	}
	if err := applySystemVariables(); err != nil {
		return nil, err
	}
	// @@max_connections is the limit the listener enforces (SET GLOBAL
	// changes it at runtime).
	vars := map[string]any{"max_connections": int64(cfg.MaxConnections)}
	if cfg.RequireSecureTransport {
		vars["require_secure_transport"] = int8(1)
	}
	for k, v := range cfg.SystemVariables {
		vars[k] = v
	}
	if err := sql.SystemVariables.AssignValues(vars); err != nil {
		return nil, fmt.Errorf("sqlserver: set system variables: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sqlserver: listen: %w", err)
	}
	s := &Server{
		log:       logger,
		cfg:       cfg,
		store:     store,
		engine:    engine,
		tracker:   newTracker(),
		m:         newServerMetrics(),
		logs:      &queryLogs{log: logger, slow: cfg.SlowLog, general: cfg.GeneralLog},
		startAt:   time.Now(),
		serveDone: make(chan struct{}),
	}
	if cfg.Metrics != nil {
		if err := s.registerMetrics(cfg.Metrics); err != nil {
			ln.Close()
			return nil, err
		}
	}
	engine.ProcessList = newProcList(s)
	// The listener enforces max_connections with error 1040 and wraps
	// connections for idle timeouts.
	s.ln = &listener{Listener: ln, s: s}
	build := SessionBuilder(store)
	sessionBuilder := func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		// Only connections registered by NewConnection get a session;
		// that excludes ones accepted just before shutdown, so nothing
		// touches storage once Shutdown has returned.
		if !s.tracker.isTracked(conn.ConnectionID) {
			return nil, errShutdown
		}
		sess, err := build(ctx, conn, addr)
		if err != nil {
			return nil, err
		}
		if cs := s.connState(conn); cs != nil {
			s.setSession(ctx, cs, sess)
		}
		return sess, nil
	}
	gcfg := server.Config{
		Protocol: "tcp",
		Address:  ln.Addr().String(),
		Listener: s.ln,
		Version:  ServerVersion,
		// 0: vitess would close surplus connections silently; the
		// listener refuses them with error 1040 instead.
		MaxConnections:   0,
		ConnReadTimeout:  cfg.ConnReadTimeout,
		ConnWriteTimeout: cfg.ConnWriteTimeout,
		TLSConfig:        cfg.TLS,
		// Unknown users get 1045 like on MySQL, require_secure_transport
		// is checked at each login (see authServer).
		ProtocolListenerFactory: s.listenerFactory(engine.Analyzer.Catalog.MySQLDb),
	}
	wrap := func(h mysql.Handler) (mysql.Handler, error) {
		gh, ok := h.(*server.Handler)
		if !ok {
			return nil, fmt.Errorf("sqlserver: unexpected GMS handler type %T", h)
		}
		return &handler{Handler: gh, t: s.tracker, s: s}, nil
	}
	gs, err := server.NewServerWithHandler(gcfg, engine, contextFactory, sessionBuilder, nil, wrap)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("sqlserver: %w", err)
	}
	s.gms = gs
	return s, nil
}

// Addr is the bound listen address (with the real port when Listen used
// port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown; it then returns nil. It returns
// an error if the listener fails on its own (the server then no longer
// accepts connections and the caller should shut it down).
func (s *Server) Serve() error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("sqlserver: server already started")
	}
	return s.serve()
}

// Start runs Serve in the background; a Serve error is logged.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("sqlserver: server already started")
	}
	go func() {
		if err := s.serve(); err != nil {
			s.log.Error("MySQL server stopped accepting connections", "err", err)
		}
	}()
	return nil
}

func (s *Server) serve() error {
	defer close(s.serveDone)
	if s.shuttingDown.Load() {
		return nil
	}
	s.log.Info("accepting MySQL connections", "addr", s.Addr().String(), "version", ServerVersion,
		"max_connections", s.cfg.MaxConnections, "tls", s.cfg.TLS != nil,
		"require_secure_transport", globalInt("require_secure_transport", 0) != 0)
	// Accept loops until the listener fails; vitess returns on any accept
	// error, including temporary ones.
	if err := s.gms.Start(); err != nil {
		return fmt.Errorf("sqlserver: %w", err)
	}
	if !s.shuttingDown.Load() {
		return errors.New("sqlserver: listener stopped accepting connections unexpectedly")
	}
	return nil
}

// Shutdown stops the server gracefully: it closes the listener, rejects
// new statements with ER_SERVER_SHUTDOWN (1053), waits for the running
// ones to finish and their results to be written, then shuts down the read
// side of every connection so idle ones end at once, and waits for all
// connection handlers to exit.
//
// If ctx ends first, running statements are cancelled (like KILL QUERY)
// and Shutdown returns an error wrapping ctx's error once the handlers
// have exited; connections that still do not finish within
// forcedCloseGrace are closed. When Shutdown returns, no connection
// handler uses the engine or the store any more unless the error says
// connections are still open. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	start := time.Now()
	s.shuttingDown.Store(true)
	s.tracker.drain()
	conns, running := s.tracker.stats()
	s.log.Info("shutting down MySQL server: no longer accepting connections",
		"addr", s.Addr().String(), "connections", conns, "running_statements", running)
	_ = s.gms.Close() // closes the listener
	if s.started.Load() {
		select {
		case <-s.serveDone:
		case <-ctx.Done():
		}
	}

	var result error
	if err := s.tracker.waitIdle(ctx); err != nil {
		_, running := s.tracker.stats()
		s.log.Warn("shutdown deadline reached; cancelling running statements", "running_statements", running, "err", err)
		for _, id := range s.tracker.connIDs() {
			s.engine.ProcessList.Kill(id)
		}
		result = fmt.Errorf("sqlserver: shutdown: running statements cancelled: %w", err)
	}
	s.tracker.stopReading()

	waitCtx := ctx
	if result != nil || ctx.Err() != nil {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(context.Background(), forcedCloseGrace)
		defer cancel()
	}
	if err := s.tracker.waitNoConns(waitCtx); err != nil {
		conns, _ := s.tracker.stats()
		s.log.Warn("closing connections that did not finish", "connections", conns, "err", err)
		s.tracker.forceClose()
		graceCtx, cancel := context.WithTimeout(context.Background(), forcedCloseGrace)
		defer cancel()
		if err := s.tracker.waitNoConns(graceCtx); err != nil {
			conns, _ := s.tracker.stats()
			s.log.Error("connections still open after shutdown", "connections", conns)
			return errors.Join(result, fmt.Errorf("sqlserver: shutdown: %d connections still open", conns))
		}
		result = errors.Join(result, fmt.Errorf("sqlserver: shutdown: connections closed forcibly: %w", err))
	}
	s.log.Info("MySQL server stopped", "addr", s.Addr().String(), "duration", time.Since(start).Round(time.Millisecond))
	return result
}

// setTLSStatus fills the session's Ssl_cipher and Ssl_version status
// variables, which clients query to confirm that a connection is encrypted.
func setTLSStatus(s *sql.BaseSession, c net.Conn) {
	for c != nil {
		if tc, ok := c.(*tls.Conn); ok {
			st := tc.ConnectionState()
			_ = s.SetStatusVariable(nil, "Ssl_version", tlsVersionName(st.Version))
			_ = s.SetStatusVariable(nil, "Ssl_cipher", opensslCipherName(st.CipherSuite))
			return
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return
		}
		c = u.NetConn()
	}
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return ""
}

// opensslCipherName returns the OpenSSL name MySQL reports for a cipher
// suite (TLS 1.3 suites keep their IANA names there).
func opensslCipherName(id uint16) string {
	switch id {
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-ECDSA-AES128-GCM-SHA256"
	case tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-ECDSA-AES256-GCM-SHA384"
	case tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-RSA-AES128-GCM-SHA256"
	case tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-RSA-AES256-GCM-SHA384"
	case tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-ECDSA-CHACHA20-POLY1305"
	case tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-RSA-CHACHA20-POLY1305"
	}
	return tls.CipherSuiteName(id)
}
