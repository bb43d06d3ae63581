package sqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
)

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
