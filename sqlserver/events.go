package sqlserver

import (
	"context"
	"fmt"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/eventscheduler"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage"
)

// eventCheckPeriod is how often, in seconds, the scheduler wakes up to run
// due events (MySQL schedules with one-second granularity).
const eventCheckPeriod = 1

// StartEventScheduler runs the events stored in the databases of store
// (CREATE EVENT), as MySQL 8.0 does with event_scheduler=ON. Events run in
// their own storage sessions. It stops when the engine is closed.
func StartEventScheduler(eng *sqle.Engine, store *storage.Engine) error {
	newCtx := func() (*sql.Context, error) {
		base := sql.NewBaseSessionWithClientServer("", sql.Client{User: "root", Address: "localhost"}, 0)
		return sql.NewContext(context.Background(), sql.WithSession(store.NewSession(base))), nil
	}
	if err := eng.InitializeEventScheduler(newCtx, eventscheduler.SchedulerOn, eventCheckPeriod); err != nil {
		return fmt.Errorf("sqlserver: start event scheduler: %w", err)
	}
	return nil
}
