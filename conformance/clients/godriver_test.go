package clients

import (
	"database/sql"
	"testing"

	_ "github.com/go-sql-driver/mysql"
)

// goDSN is a go-sql-driver DSN for db on addr with extra parameters.
func goDSN(addr, db, params string) string {
	return "root@tcp(" + addr + ")/" + db + "?parseTime=true&loc=UTC&timeout=5s&readTimeout=30s&writeTimeout=30s" + params
}

// opener returns a function opening go-sql-driver handles (closed when
// the test ends).
func opener(t *testing.T, addr, params string) func(string) *sql.DB {
	return func(dbName string) *sql.DB {
		db, err := sql.Open("mysql", goDSN(addr, dbName, params))
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(4)
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// TestGoSQLDriverBinary runs the application scenario through
// go-sql-driver/mysql with server-side prepared statements (binary
// protocol for every query with arguments).
func TestGoSQLDriverBinary(t *testing.T) {
	srv := startServer(t)
	sqlScenario(newChecker(t, "go-binary"), opener(t, srv.Addr, ""), "app")
}

// TestGoSQLDriverText runs the same scenario with client-side parameter
// interpolation (text protocol only).
func TestGoSQLDriverText(t *testing.T) {
	srv := startServer(t)
	sqlScenario(newChecker(t, "go-text"), opener(t, srv.Addr, "&interpolateParams=true"), "app")
}
