package sqlserver

import (
	"net"
	"time"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"
)

// authServer wraps GMS's mysql_db auth server so that:
//   - a login as an unknown user fails like on MySQL, with
//     ER_ACCESS_DENIED_ERROR (1045), instead of vitess's "No authentication
//     methods available" (2012), which also told clients which user names
//     exist;
//   - require_secure_transport is enforced (error 3159), read at every
//     login so SET GLOBAL takes effect at once;
//   - failed logins are logged, with user and remote address, and counted;
//   - a successful login starts the connection's idle timeout.
type authServer struct {
	mysql.AuthServer
	methods []mysql.AuthMethod
}

func (s *Server) newAuthServer(db *mysql_db.MySQLDb) mysql.AuthServer {
	methods := append([]mysql.AuthMethod(nil), db.AuthMethods()...)
	for i, m := range methods {
		if m.Name() == mysql.MysqlNativePassword {
			m = unknownUserAuthMethod{AuthMethod: m, db: db}
		}
		methods[i] = loginAuthMethod{AuthMethod: m, s: s}
	}
	return authServer{AuthServer: db, methods: methods}
}

// AuthMethods implements mysql.AuthServer.
func (a authServer) AuthMethods() []mysql.AuthMethod { return a.methods }

// unknownUserAuthMethod also claims users that do not exist, so the
// handshake goes on to password verification, which rejects them with 1045.
type unknownUserAuthMethod struct {
	mysql.AuthMethod
	db *mysql_db.MySQLDb
}

// HandleUser implements mysql.AuthMethod.
func (m unknownUserAuthMethod) HandleUser(c *mysql.Conn, user string) bool {
	if m.AuthMethod.HandleUser(c, user) {
		return true
	}
	return m.db.Enabled() && !userExists(m.db, user, c.RemoteAddr())
}

// errInsecureTransport is error 3159.
var errInsecureTransport = mysql.NewSQLError(erSecureTransportRequired, mysql.SSUnknownSQLState,
	"Connections using insecure transport are prohibited while --require_secure_transport=ON.")

// loginAuthMethod wraps every auth method to check the transport, log
// and count failures and set the connection up after a success.
type loginAuthMethod struct {
	mysql.AuthMethod
	s *Server
}

// HandleAuthPluginData implements mysql.AuthMethod.
func (m loginAuthMethod) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remoteAddr net.Addr) (mysql.Getter, error) {
	if globalInt("require_secure_transport", 0) != 0 && !c.TLSEnabled() && (remoteAddr == nil || remoteAddr.Network() != "unix") {
		m.s.loginFailed(c, user, remoteAddr, string(m.Name()), "insecure_transport", errInsecureTransport)
		return nil, errInsecureTransport
	}
	g, err := m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remoteAddr)
	if err != nil {
		reason := "other"
		if se, ok := err.(*mysql.SQLError); ok && se.Num == mysql.ERAccessDeniedError {
			reason = "access_denied"
		}
		m.s.loginFailed(c, user, remoteAddr, string(m.Name()), reason, err)
		return nil, err
	}
	m.s.loginSucceeded(c, user, remoteAddr)
	return g, nil
}

// loginFailed logs (never the password) and counts a failed login.
func (s *Server) loginFailed(c *mysql.Conn, user string, remoteAddr net.Addr, plugin, reason string, err error) {
	s.m.failedLogins.WithLabelValues(reason).Inc()
	addr := ""
	if remoteAddr != nil {
		addr = remoteAddr.String()
	}
	s.log.Warn("login failed", "user", user, "remote_addr", addr, "auth_plugin", plugin,
		"tls", c.TLSEnabled(), "reason", reason, "conn_id", c.ConnectionID, "err", MySQLError(err).Message)
}

// loginSucceeded records the account and starts the idle timeout:
// wait_timeout, or interactive_timeout for interactive clients.
func (s *Server) loginSucceeded(c *mysql.Conn, user string, remoteAddr net.Addr) {
	host := hostOf(remoteAddr)
	cs := s.connState(c)
	if cs != nil {
		cs.user.Store(&user)
		cs.host.Store(&host)
		if cs.sc != nil {
			timeout := globalInt("wait_timeout", 28800)
			if c.Capabilities&capabilityClientInteractive != 0 {
				timeout = globalInt("interactive_timeout", 28800)
			}
			cs.sc.enterIdle(time.Duration(timeout) * time.Second)
		}
	}
	if globalInt("general_log", 0) != 0 {
		transport := "TCP/IP"
		if c.TLSEnabled() {
			transport = "SSL/TLS"
		}
		s.logs.logGeneral(c.ConnectionID, "Connect", user+"@"+host+" using "+transport)
	}
}

// hostOf is the client host of addr ("localhost" for a Unix socket).
func hostOf(addr net.Addr) string {
	if addr == nil || addr.Network() == "unix" {
		return "localhost"
	}
	h, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return h
}

// userExists reports whether an account matches user connecting from addr,
// using GMS's matching rules.
func userExists(db *mysql_db.MySQLDb, user string, addr net.Addr) bool {
	rd := db.Reader()
	defer rd.Close()
	return db.GetUser(rd, user, hostOf(addr), false) != nil
}

// listenerFactory installs the wrapped auth server in the vitess listener.
// Read deadlines are serverConn's job (idle and handshake timeouts), so
// vitess's per-read timeout is turned off; the write timeout stays.
func (s *Server) listenerFactory(db *mysql_db.MySQLDb) server.ProtocolListenerFunc {
	return func(cfg server.Config, lcfg mysql.ListenerConfig, sel server.ServerEventListener) (server.ProtocolListener, error) {
		lcfg.AuthServer = s.newAuthServer(db)
		lcfg.ConnReadTimeout = 0
		return server.MySQLProtocolListenerFactory(cfg, lcfg, sel)
	}
}
