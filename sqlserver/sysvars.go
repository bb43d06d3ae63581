package sqlserver

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	_ "github.com/dolthub/go-mysql-server/sql/variables" // registers sql.SystemVariables

	"github.com/quarrydb/quarry/planner"
)

const (
	// ServerVersion is the one MySQL version Quarry advertises. The wire
	// handshake, @@version and VERSION() all report exactly this string:
	// drivers and tools branch on it, and they compare the handshake with
	// what the session later reports. GMS on its own disagrees with itself
	// (its handshake says vitess's 8.0.33, @@version says 8.0.31).
	ServerVersion = "8.0.40"

	// VersionComment is @@version_comment (the mysql client prints it after
	// the version on connect). GMS's default is "Dolt".
	VersionComment = "Quarry"

	// DefaultCollation is MySQL 8.0's collation_server default. GMS defaults
	// to utf8mb4_0900_bin; with ai_ci, databases and tables created without
	// an explicit collation compare strings case- and accent-insensitively,
	// as they do on MySQL 8.0 (storage/keycodec encodes collation weights).
	DefaultCollation = "utf8mb4_0900_ai_ci"

	// DefaultMaxConnections is MySQL's default max_connections.
	DefaultMaxConnections = 151

	// maxMaxConnections is the upper bound of the max_connections variable.
	maxMaxConnections = 100000
)

// sysVarOverride changes GMS's definition of one system variable.
type sysVarOverride struct {
	name string
	edit func(v *sql.MysqlSystemVariable)
}

func withDefault(d any) func(*sql.MysqlSystemVariable) {
	return func(v *sql.MysqlSystemVariable) { v.Default = d }
}

// sysVarOverrides are the system variables whose GMS definition disagrees
// with MySQL 8.0 (or with what Quarry really does). Everything not listed
// was checked against MySQL 8.0 and left alone, notably:
// transaction_isolation/tx_isolation (REPEATABLE-READ), autocommit,
// character_set_* (utf8mb4), default_storage_engine (InnoDB),
// innodb_autoinc_lock_mode (2), explicit_defaults_for_timestamp,
// wait_timeout, lower_case_table_names (0; GMS always resolves table and
// database names case-insensitively but stores them as written, and 0 keeps
// drivers from lower-casing names in metadata lookups) and sql_mode (GMS's
// default omits NO_ZERO_IN_DATE, NO_ZERO_DATE and ERROR_FOR_DIVISION_BY_ZERO,
// which it does not implement; advertising them would hide the difference).
var sysVarOverrides = []sysVarOverride{
	{"version", withDefault(ServerVersion)},
	{"version_comment", withDefault(VersionComment)},
	// GMS leaves these empty; MySQL reports e.g. "Linux" / "x86_64".
	{"version_compile_os", withDefault(compileOS())},
	{"version_compile_machine", withDefault(compileMachine())},
	// GMS pins this to 1 (global only, range 1..1) because it has no row
	// locks. Quarry's storage waits for row locks, and MySQL's definition
	// is: session and global, 1..1073741824 seconds, default 50.
	{"innodb_lock_wait_timeout", func(v *sql.MysqlSystemVariable) {
		v.Scope = sql.GetMysqlScope(sql.SystemVariableScope_Both)
		v.Dynamic = true
		v.SetVarHintApplies = true
		v.Type = types.NewSystemIntType("innodb_lock_wait_timeout", 1, 1073741824, false)
		v.Default = int64(50)
	}},
	// MySQL 8.0 default collation (see DefaultCollation). collation_server
	// is also what CREATE DATABASE uses when no collation is given.
	{"collation_server", withDefault(DefaultCollation)},
	{"collation_database", withDefault(DefaultCollation)},
	{"collation_connection", withDefault(DefaultCollation)},
	// GMS authenticates and creates users with mysql_native_password (the
	// handshake offers it first) but reports MySQL's caching_sha2_password.
	{"default_authentication_plugin", withDefault("mysql_native_password")},
	// MySQL 8.0's default is 64 MiB; GMS says 1 GiB. Drivers size their
	// packets from it and LOAD_FILE() honours it.
	{"max_allowed_packet", withDefault(int64(64 << 20))},
}

var (
	sysVarsOnce sync.Once
	sysVarsErr  error
)

// applySystemVariables installs sysVarOverrides into GMS's process-global
// registry. It runs once per process: re-registering resets global values,
// which would undo SET GLOBAL done through an engine built earlier.
func applySystemVariables() error {
	sysVarsOnce.Do(func() {
		if sql.SystemVariables == nil {
			sysVarsErr = fmt.Errorf("sqlserver: GMS system variables are not initialised")
			return
		}
		vars := make([]sql.SystemVariable, 0, len(sysVarOverrides))
		for _, o := range sysVarOverrides {
			def, _, ok := sql.SystemVariables.GetGlobal(o.name)
			if !ok {
				sysVarsErr = fmt.Errorf("sqlserver: GMS has no system variable %q", o.name)
				return
			}
			orig, ok := def.(*sql.MysqlSystemVariable)
			if !ok {
				sysVarsErr = fmt.Errorf("sqlserver: system variable %q has unexpected type %T", o.name, def)
				return
			}
			v := *orig
			o.edit(&v)
			vars = append(vars, &v)
		}
		vars = append(vars, queryMemoryLimitVar(), bulkInsertVar(), bulkLoadVar(), planner.EnabledVariable(true), columnCacheSizeVar())
		for _, v := range migrationVars() {
			if _, _, exists := sql.SystemVariables.GetGlobal(v.GetName()); !exists {
				vars = append(vars, v)
			}
		}
		sql.SystemVariables.AddSystemVariables(vars)
	})
	return sysVarsErr
}

// compileOS mimics MySQL's version_compile_os values.
func compileOS() string {
	switch runtime.GOOS {
	case "linux":
		return "Linux"
	case "darwin":
		return "macos"
	case "windows":
		return "Win64"
	default:
		return runtime.GOOS
	}
}

// compileMachine mimics MySQL's version_compile_machine values.
func compileMachine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		if runtime.GOOS == "linux" {
			return "aarch64"
		}
		return "arm64"
	case "386":
		return "i686"
	default:
		return runtime.GOARCH
	}
}
