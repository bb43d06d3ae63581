package sqlserver

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/netutil"
)

// MySQL error numbers vitess has no constant for.
const (
	erConCount                = 1040 // ER_CON_COUNT_ERROR
	erNetPacketTooLarge       = 1153 // ER_NET_PACKET_TOO_LARGE
	erSecureTransportRequired = 3159 // ER_SECURE_TRANSPORT_REQUIRED
	erCapacityExceeded        = 3170 // ER_CAPACITY_EXCEEDED
)

// capabilityClientInteractive is CLIENT_INTERACTIVE: the client asks for
// interactive_timeout instead of wait_timeout.
const capabilityClientInteractive = 1 << 10

// refusedLogEvery rate-limits the "too many connections" warning.
const refusedLogEvery = 10 * time.Second

// listener wraps the TCP listener to enforce max_connections the way
// MySQL does: a connection over the limit gets error 1040 "Too many
// connections" instead of the handshake, and is closed. (vitess would close
// it without a word, or queue it.) Accepted connections are wrapped in
// serverConn for idle timeouts and byte counts.
type listener struct {
	net.Listener
	s *Server

	lastRefusedLog atomic.Int64 // unix nanos
	refusedSince   atomic.Int64 // refusals not logged yet
}

// Accept implements net.Listener. It returns only connections within the
// limit; the others are answered and closed here.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		open := l.s.active.Load()
		limit := globalInt("max_connections", int64(l.s.cfg.MaxConnections))
		if limit > 0 && open >= limit {
			l.refuse(c, open)
			continue
		}
		l.s.active.Add(1)
		l.s.m.connectionsAccepted.Inc()
		l.s.m.connectionsOpen.Inc()
		sc := &serverConn{Conn: c, s: l.s}
		// The handshake must complete within connect_timeout.
		sc.setPhase(phaseHandshake, time.Duration(globalInt("connect_timeout", 10))*time.Second)
		return sc, nil
	}
}

// refuse answers a connection over max_connections with error 1040 in
// place of the handshake (as mysqld does) and closes it.
func (l *listener) refuse(c net.Conn, open int64) {
	l.s.m.connectionsRefused.WithLabelValues("max_connections").Inc()
	sql.StatusVariables.IncrementGlobal("Connection_errors_max_connections", 1)
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(errorPacket(0, erConCount, "08004", "Too many connections"))
	_ = c.Close()

	l.refusedSince.Add(1)
	now := time.Now().UnixNano()
	last := l.lastRefusedLog.Load()
	if now-last >= int64(refusedLogEvery) && l.lastRefusedLog.CompareAndSwap(last, now) {
		l.s.log.Warn("too many connections: refusing clients with error 1040; raise max_connections",
			"open", open, "max_connections", globalInt("max_connections", 0),
			"refused", l.refusedSince.Swap(0), "remote_addr", c.RemoteAddr().String())
	}
}

// errorPacket builds a MySQL ERR packet with sequence number seq.
func errorPacket(seq byte, code uint16, state, msg string) []byte {
	payload := make([]byte, 0, 9+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, code)
	payload = append(payload, '#')
	payload = append(payload, state...)
	payload = append(payload, msg...)
	hdr := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}
	return append(hdr, payload...)
}

// Connection phases, which decide the read deadline.
const (
	phaseHandshake = iota // until authentication: connect_timeout
	phaseIdle             // waiting for a command: wait_timeout
	phaseCommand          // running a command: the configured read timeout
)

// serverConn is an accepted client connection. Every read gets the
// deadline of the current phase, so a client idle longer than its
// wait_timeout (interactive_timeout for interactive clients) is
// disconnected, like on MySQL; a COM_PING resets the idle time because it
// is a read. It counts bytes for Bytes_received/Bytes_sent and frees its
// max_connections slot when closed.
type serverConn struct {
	net.Conn
	s *Server

	phase   atomic.Int32
	timeout atomic.Int64 // read timeout of the phase, 0 = none
	id      atomic.Uint32

	idleTimedOut atomic.Bool
	closeOnce    sync.Once
}

func (c *serverConn) setPhase(phase int32, timeout time.Duration) {
	c.phase.Store(phase)
	c.timeout.Store(int64(timeout))
}

// enterCommand switches to the command phase (a statement started).
func (c *serverConn) enterCommand() {
	c.setPhase(phaseCommand, c.s.cfg.ConnReadTimeout)
}

// enterIdle switches to the idle phase with the session's wait_timeout,
// bounded by the configured read timeout.
func (c *serverConn) enterIdle(wait time.Duration) {
	if rt := c.s.cfg.ConnReadTimeout; rt > 0 && (wait <= 0 || rt < wait) {
		wait = rt
	}
	c.setPhase(phaseIdle, wait)
}

// Read implements net.Conn.
func (c *serverConn) Read(p []byte) (int, error) {
	d := time.Duration(c.timeout.Load())
	if d > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	} else {
		_ = c.Conn.SetReadDeadline(time.Time{})
	}
	n, err := c.Conn.Read(p)
	c.s.bytesReceived.Add(uint64(n))
	if err != nil && d > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		switch c.phase.Load() {
		case phaseIdle:
			if c.idleTimedOut.CompareAndSwap(false, true) {
				c.s.m.idleTimeouts.Inc()
				sql.StatusVariables.IncrementGlobal("Aborted_clients", 1)
				c.s.log.Info("closing idle connection: wait_timeout exceeded",
					"conn_id", c.id.Load(), "remote_addr", c.RemoteAddr().String(), "wait_timeout", d)
			}
			// vitess logs any read error but EOF at error level; an idle
			// timeout is routine.
			return n, io.EOF
		case phaseHandshake:
			c.s.log.Info("closing connection: handshake not completed within connect_timeout",
				"remote_addr", c.RemoteAddr().String(), "connect_timeout", d)
			return n, io.EOF
		}
	}
	return n, err
}

// Write implements net.Conn.
func (c *serverConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.s.bytesSent.Add(uint64(n))
	return n, err
}

// Close implements net.Conn; it frees the connection's slot once.
func (c *serverConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.s.active.Add(-1)
		c.s.m.connectionsOpen.Dec()
	})
	return err
}

// CloseRead shuts down the read side (see closeRead in drain.go).
func (c *serverConn) CloseRead() error {
	if cr, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return errors.New("sqlserver: connection cannot close its read side")
}

// serverConnOf finds the serverConn under a vitess connection (through
// vitess's timeout wrapper and TLS), or nil.
func serverConnOf(c *mysql.Conn) *serverConn {
	if c == nil {
		return nil
	}
	nc := c.Conn
	for {
		switch x := nc.(type) {
		case *serverConn:
			return x
		case netutil.ConnWithTimeouts:
			nc = x.Conn
		case *tls.Conn:
			nc = x.NetConn()
		default:
			return nil
		}
	}
}

// globalInt reads a numeric global system variable, or def.
func globalInt(name string, def int64) int64 {
	_, v, ok := sql.SystemVariables.GetGlobal(name)
	if !ok {
		return def
	}
	if n, ok := toInt64(v); ok {
		return n
	}
	return def
}

// globalFloat reads a numeric global system variable, or def.
func globalFloat(name string, def float64) float64 {
	_, v, ok := sql.SystemVariables.GetGlobal(name)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	if n, ok := toInt64(v); ok {
		return float64(n)
	}
	return def
}

// sessionInt reads a numeric session system variable of sess (or the
// global value when sess is nil), or def.
func sessionInt(sess sql.Session, name string, def int64) int64 {
	n, _ := sessionIntFrom(sess, name, def)
	return n
}

// sessionIntFrom is sessionInt, also reporting whether the value is the
// session's own (not the global fallback).
func sessionIntFrom(sess sql.Session, name string, def int64) (n int64, fromSession bool) {
	if sess == nil {
		return globalInt(name, def), false
	}
	v, err := sess.GetSessionVariable(nil, name)
	if err != nil {
		return globalInt(name, def), false
	}
	if n, ok := toInt64(v); ok {
		return n, true
	}
	return def, true
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint64:
		if x > 1<<63-1 {
			return 1<<63 - 1, true
		}
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case float64:
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
