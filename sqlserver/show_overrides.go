package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
)

// Overrides of SHOW statements whose GMS output misleads clients.

// ReplicaStatusColumns is implemented by a replica controller that knows
// SHOW REPLICA STATUS columns GMS fills with constants
// (Seconds_Behind_Source, Source_Log_File, ...): the returned values, by
// column name, replace GMS's.
type ReplicaStatusColumns interface {
	ReplicaStatusColumns() map[string]any
}

// buildShowReplicaStatus overrides columns of SHOW REPLICA STATUS.
func buildShowReplicaStatus(ctx *sql.Context, n *plan.ShowReplicaStatus, r sql.Row) (sql.RowIter, error) {
	src, ok := n.ReplicaController.(ReplicaStatusColumns)
	if !ok {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	cols := src.ReplicaStatusColumns()
	for _, row := range rows {
		for i, c := range n.Schema() {
			if i >= len(row) {
				break
			}
			for name, v := range cols {
				if strings.EqualFold(c.Name, name) {
					row[i] = v
				}
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// buildShowCreateTrigger reports the trigger's database collation in
// "Database Collation", as MySQL does (GMS reports collation_server).
// mysqldump and mariadb-dump copy it into the dump.
func buildShowCreateTrigger(ctx *sql.Context, n *plan.ShowCreateTrigger, r sql.Row) (sql.RowIter, error) {
	db, ok := n.Database().(sql.CollatedDatabase)
	if !ok {
		return nil, nil
	}
	it, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return nil, err
	}
	rows, err := sql.RowIterToRows(ctx, it)
	if err != nil {
		return nil, err
	}
	coll := db.GetCollation(ctx).Name()
	for _, row := range rows {
		for i, c := range n.Schema() {
			if i < len(row) && strings.EqualFold(c.Name, "Database Collation") {
				row[i] = coll
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}
