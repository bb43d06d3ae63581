package sqlserver

import "github.com/dolthub/go-mysql-server/sql"

// processList fixes what GMS's process list reports about connections:
// GMS names the user only once a connection selects a database (COM_INIT_DB)
// and then replaces the client's host:port with the account's host pattern.
// MySQL shows the authenticated user and the client's address from login
// on; so do SHOW PROCESSLIST, information_schema.PROCESSLIST and KILL's
// ownership check here.
type processList struct {
	sql.ProcessList
	s *Server
}

// Processes implements sql.ProcessList.
func (pl processList) Processes() []sql.Process {
	procs := pl.ProcessList.Processes()
	for i := range procs {
		v, ok := pl.s.conns.Load(procs[i].Connection)
		if !ok {
			continue
		}
		cs := v.(*connState)
		if user, _ := cs.account(); cs.user.Load() != nil {
			procs[i].User = user
		}
		if cs.conn != nil && cs.conn.RemoteAddr() != nil {
			procs[i].Host = cs.conn.RemoteAddr().String()
		}
	}
	return procs
}
