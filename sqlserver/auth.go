package sqlserver

import (
	"net"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"
)

// authServer wraps GMS's mysql_db auth server so that a login as an
// unknown user fails like on MySQL, with ER_ACCESS_DENIED_ERROR (1045),
// instead of vitess's "No authentication methods available" (2012), which
// also told clients which user names exist.
type authServer struct {
	mysql.AuthServer
	methods []mysql.AuthMethod
}

func newAuthServer(db *mysql_db.MySQLDb) mysql.AuthServer {
	methods := append([]mysql.AuthMethod(nil), db.AuthMethods()...)
	for i, m := range methods {
		if m.Name() == mysql.MysqlNativePassword {
			methods[i] = unknownUserAuthMethod{AuthMethod: m, db: db}
		}
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

// userExists reports whether an account matches user connecting from addr,
// using GMS's matching rules.
func userExists(db *mysql_db.MySQLDb, user string, addr net.Addr) bool {
	host := "localhost"
	if addr != nil && addr.Network() != "unix" {
		h, _, err := net.SplitHostPort(addr.String())
		if err != nil {
			h = addr.String()
		}
		host = h
	}
	rd := db.Reader()
	defer rd.Close()
	return db.GetUser(rd, user, host, false) != nil
}

// listenerFactory installs the wrapped auth server in the vitess listener.
func listenerFactory(db *mysql_db.MySQLDb) server.ProtocolListenerFunc {
	return func(cfg server.Config, lcfg mysql.ListenerConfig, sel server.ServerEventListener) (server.ProtocolListener, error) {
		lcfg.AuthServer = newAuthServer(db)
		return server.MySQLProtocolListenerFactory(cfg, lcfg, sel)
	}
}
