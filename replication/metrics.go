package replication

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the replica's Prometheus metrics (namespace quarry,
// subsystem replica).
type metrics struct {
	transactions prometheus.Counter
	rows         *prometheus.CounterVec
	ioErrors     prometheus.Counter
	sqlErrors    prometheus.Counter
	lag          prometheus.GaugeFunc
	running      prometheus.GaugeFunc
}

func newMetrics(c *Controller) *metrics {
	return &metrics{
		transactions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "applied_transactions_total", Help: "Binlog transactions (and DDL statements) applied."}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "applied_rows_total", Help: "Row changes applied from binlog row events."}, []string{"op"}),
		ioErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "io_errors_total", Help: "Connection and read errors of the replica I/O thread."}),
		sqlErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "sql_errors_total", Help: "Errors that stopped the replica SQL thread."}),
		lag: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "seconds_behind_source", Help: "Seconds_Behind_Source: age of the source event being applied; 0 when caught up, -1 when not replicating."},
			func() float64 {
				s, ok := c.SecondsBehindSource()
				if !ok {
					return -1
				}
				return float64(s)
			}),
		running: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "quarry", Subsystem: "replica",
			Name: "running", Help: "1 when the replica is connected and applying."},
			func() float64 {
				if _, ok := c.SecondsBehindSource(); ok {
					return 1
				}
				return 0
			}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, col := range []prometheus.Collector{m.transactions, m.rows, m.ioErrors, m.sqlErrors, m.lag, m.running} {
		if err := r.Register(col); err != nil {
			return err
		}
	}
	return nil
}
