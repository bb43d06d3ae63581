package sqlserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultListen is the default listen address: loopback only.
const DefaultListen = "127.0.0.1:3306"

// ErrRootPasswordRequired is returned (wrapped) when the server would listen
// on a non-loopback address without a root password.
var ErrRootPasswordRequired = errors.New("a root password is required to listen on a non-loopback address")

// Config configures the MySQL protocol server.
type Config struct {
	// Listen is the TCP address, host:port. Port 0 picks a free port (see
	// Server.Addr). Empty means DefaultListen.
	Listen string

	// RootPassword must be set when Listen is not a loopback address
	// (127.0.0.0/8, ::1, localhost): root without a password is only
	// accepted on loopback. Pass the same password to NewEngine
	// (EngineOptions.RootPassword), which applies it to the root accounts;
	// New also refuses a non-loopback address while any root account has
	// no password.
	RootPassword string

	// MaxConnections limits simultaneous client connections; 0 means
	// DefaultMaxConnections. It also sets @@max_connections.
	MaxConnections uint64

	// ConnReadTimeout and ConnWriteTimeout bound each network read and
	// write on a connection; 0 disables them. Note that the read timeout
	// also applies while a connection is idle between statements.
	ConnReadTimeout  time.Duration
	ConnWriteTimeout time.Duration

	// TLS, when set, lets clients upgrade connections to TLS (see LoadTLS).
	TLS *tls.Config

	// RequireSecureTransport sets require_secure_transport at start: TCP
	// logins without TLS are refused with error 3159. It requires TLS. The
	// variable can also be changed at runtime (SET GLOBAL); it is checked
	// at every login, and refuses every plain TCP login even when TLS is
	// not configured.
	RequireSecureTransport bool

	// Metrics, when set, gets the server's Prometheus metrics registered:
	// connections, statements, rows, access paths, the storage engine's
	// counters, Pebble's internals and GMS's status variables.
	Metrics prometheus.Registerer

	// SlowLog and GeneralLog receive the slow query log and the general
	// query log in MySQL's file formats; when nil, entries go to the
	// server's logger. Whether entries are written is up to the global
	// slow_query_log and general_log variables (see SystemVariables).
	SlowLog    io.Writer
	GeneralLog io.Writer

	// SystemVariables are global system variable values applied at start,
	// e.g. "wait_timeout": 600, "long_query_time": 0.5, "slow_query_log": 1,
	// "max_execution_time": 30000, "quarry_query_memory_limit": 1<<30.
	SystemVariables map[string]any
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	return c
}

// Validate checks c (after defaults) and enforces the secure default: a
// non-loopback listen address requires a root password.
func (c Config) Validate() error {
	c = c.withDefaults()
	loopback, err := IsLoopbackListen(c.Listen)
	if err != nil {
		return err
	}
	if !loopback && c.RootPassword == "" {
		return fmt.Errorf("sqlserver: refusing to listen on %s: %w (root without a password is only accepted on 127.0.0.0/8, ::1 or localhost)",
			c.Listen, ErrRootPasswordRequired)
	}
	if c.MaxConnections > maxMaxConnections {
		return fmt.Errorf("sqlserver: max connections %d exceeds %d", c.MaxConnections, maxMaxConnections)
	}
	if c.ConnReadTimeout < 0 || c.ConnWriteTimeout < 0 {
		return errors.New("sqlserver: connection timeouts must not be negative")
	}
	if c.RequireSecureTransport && c.TLS == nil {
		return errors.New("sqlserver: require_secure_transport needs TLS: give a certificate or let Quarry generate one")
	}
	return nil
}

// IsLoopbackListen reports whether the listen address host:port binds only
// loopback interfaces: an IP in 127.0.0.0/8 or ::1 (also IPv4-mapped, with
// or without a zone) or the name localhost. An empty host (":3306"), an
// unspecified address (0.0.0.0, ::) and any other name are not loopback.
func IsLoopbackListen(listen string) (bool, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("sqlserver: invalid listen address %q: %w", listen, err)
	}
	if port == "" {
		return false, fmt.Errorf("sqlserver: invalid listen address %q: missing port", listen)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		// Other host names may resolve to anything.
		return false, nil
	}
	return addr.Unmap().IsLoopback(), nil
}
