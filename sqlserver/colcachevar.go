package sqlserver

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// quarryColumnCacheSize is the system variable (global, dynamic) that
// bounds, in bytes, the storage column cache analytic scans read (see
// storage.ScanColumns); 0 turns the cache off and frees it.
const quarryColumnCacheSize = "quarry_column_cache_size"

// DefaultColumnCacheSize is the default of quarry_column_cache_size.
const DefaultColumnCacheSize = 1 << 30

func columnCacheSizeVar() *sql.MysqlSystemVariable {
	return &sql.MysqlSystemVariable{
		Name:    quarryColumnCacheSize,
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Global),
		Dynamic: true,
		Type:    types.NewSystemIntType(quarryColumnCacheSize, 0, 1<<50, false),
		Default: int64(DefaultColumnCacheSize),
		NotifyChanged: func(ctx *sql.Context, _ sql.SystemVariableScope, v sql.SystemVarValue) error {
			e, ok := storage.EngineOf(ctx.Session)
			if !ok {
				return nil
			}
			n, ok := v.Val.(int64)
			if !ok {
				return fmt.Errorf("sqlserver: %s: unexpected value %T", quarryColumnCacheSize, v.Val)
			}
			e.SetColumnCacheLimit(n)
			return nil
		},
	}
}

// applyColumnCacheSize gives store the global value of
// quarry_column_cache_size when SET GLOBAL or the configuration changed it
// from the default before this engine was built (otherwise the store keeps
// its own storage.Options.ColumnCacheSize).
func applyColumnCacheSize(store *storage.Engine) {
	_, v, ok := sql.SystemVariables.GetGlobal(quarryColumnCacheSize)
	if n, isInt := v.(int64); ok && isInt && n != DefaultColumnCacheSize {
		store.SetColumnCacheLimit(n)
	}
}
