package replication

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/binlogreplication"

	"github.com/quarrydb/quarry/storage"
)

// Names of the replication records in storage.
const (
	recSource   = "source"   // sourceConfig, JSON
	recPosition = "position" // Position, JSON
	recDDL      = "ddl"      // position after a DDL being applied, JSON
)

// sourceConfig is what CHANGE REPLICATION SOURCE TO sets; it is persisted
// so replication resumes after a restart.
type sourceConfig struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	User     string `json:"user"`
	Password string `json:"password"`
	// AutoPosition selects GTID auto-positioning (default); otherwise the
	// replica streams from File/Pos of the stored Position.
	AutoPosition bool `json:"auto_position"`
	// ConnectRetry is the seconds between reconnection attempts.
	ConnectRetry int `json:"connect_retry"`
	// RetryCount bounds consecutive reconnection attempts.
	RetryCount int `json:"retry_count"`
	// ServerID is the replica's server_id on the source (from
	// @@GLOBAL.server_id when the source was configured).
	ServerID uint32 `json:"server_id"`
	// Running says whether replication was started (and not stopped): a
	// restarted server resumes it.
	Running bool `json:"running"`
}

func defaultConfig() sourceConfig {
	return sourceConfig{Port: 3306, AutoPosition: true, ConnectRetry: 60, RetryCount: 86400}
}

// Position is the applied replication position: the executed GTID set in
// the source's flavor and the binlog file and offset after the last applied
// transaction.
type Position struct {
	Flavor  string `json:"flavor,omitempty"` // "MariaDB" or "MySQL56"
	GTIDSet string `json:"gtid_set,omitempty"`
	File    string `json:"file,omitempty"`
	Pos     uint32 `json:"pos,omitempty"`
}

func (p Position) String() string {
	if p.GTIDSet != "" {
		return fmt.Sprintf("%s gtid=%s file=%s:%d", p.Flavor, p.GTIDSet, p.File, p.Pos)
	}
	return fmt.Sprintf("file=%s:%d", p.File, p.Pos)
}

func loadJSON[T any](store *storage.Engine, name string, dst *T) (bool, error) {
	b, ok, err := store.ReplicationRecord(name)
	if err != nil || !ok {
		return ok, err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return false, fmt.Errorf("replication: decode %s record: %w", name, err)
	}
	return true, nil
}

// putJSON buffers a record in ctx's transaction.
func putJSON(ctx *sql.Context, store *storage.Engine, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return store.PutReplicationRecord(ctx, name, b)
}

// applyOptions merges CHANGE REPLICATION SOURCE TO options into cfg.
func applyOptions(cfg *sourceConfig, opts []binlogreplication.ReplicationOption) error {
	for _, o := range opts {
		name := strings.ToUpper(o.Name)
		str := func() (string, error) {
			v, ok := o.Value.(binlogreplication.StringReplicationOptionValue)
			if !ok {
				return "", fmt.Errorf("replication: option %s takes a string", name)
			}
			return v.GetValueAsString(), nil
		}
		num := func() (int, error) {
			v, ok := o.Value.(binlogreplication.IntegerReplicationOptionValue)
			if !ok {
				return 0, fmt.Errorf("replication: option %s takes an integer", name)
			}
			return v.GetValueAsInt(), nil
		}
		var err error
		switch name {
		case "SOURCE_HOST":
			cfg.Host, err = str()
		case "SOURCE_USER":
			cfg.User, err = str()
		case "SOURCE_PASSWORD":
			cfg.Password, err = str()
		case "SOURCE_PORT":
			cfg.Port, err = num()
		case "SOURCE_CONNECT_RETRY":
			cfg.ConnectRetry, err = num()
		case "SOURCE_RETRY_COUNT":
			cfg.RetryCount, err = num()
		case "SOURCE_AUTO_POSITION":
			var n int
			n, err = num()
			cfg.AutoPosition = n != 0
		case "SOURCE_SSL":
			var n int
			n, err = num()
			if err == nil && n != 0 {
				err = fmt.Errorf("replication: SOURCE_SSL=1 is not supported yet")
			}
		default:
			err = fmt.Errorf("replication: unknown replication source option %s", name)
		}
		if err != nil {
			return err
		}
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return fmt.Errorf("replication: invalid SOURCE_PORT %d", cfg.Port)
	}
	if cfg.ConnectRetry < 1 {
		cfg.ConnectRetry = 1
	}
	return nil
}
