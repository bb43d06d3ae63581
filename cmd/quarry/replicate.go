package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/binlogreplication"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarrydb/quarry/replication"
	"github.com/quarrydb/quarry/storage"
)

// replicateOptions are the flags `quarry replicate` adds to serve's.
type replicateOptions struct {
	host, user, password string
	port                 int
	autoPosition         bool
	startGTID            string
	startFile            string
	startPos             uint
	serverID             uint
	connectRetry         int
}

// replicaSetup, when set, configures and starts the replica once the
// engine is built (quarry replicate).
var replicaSetup func(ctx *sql.Context, ctl *replication.Controller) error

// attachReplica registers the binlog replica controller with the engine
// (CHANGE REPLICATION SOURCE TO, START/STOP REPLICA, SHOW REPLICA STATUS)
// and resumes replication that was running before the server stopped.
func attachReplica(eng *sqle.Engine, store *storage.Engine, reg *prometheus.Registry, logger *slog.Logger) (*replication.Controller, error) {
	opts := replication.Options{Engine: eng, Store: store, Logger: logger}
	if reg != nil {
		opts.Registerer = reg
	}
	ctl, err := replication.Attach(opts)
	if err != nil {
		return nil, err
	}
	if replicaSetup != nil {
		ctx := sql.NewContext(context.Background(), sql.WithSession(store.NewSession(sql.NewBaseSession())))
		if err := replicaSetup(ctx, ctl); err != nil {
			ctl.Close()
			return nil, err
		}
	}
	return ctl, nil
}

// replicateFlags are the names runReplicate takes out of the arguments;
// the rest go to serve.
var replicateFlags = map[string]bool{
	"source-host": true, "source-port": true, "source-user": true, "source-password": true,
	"source-auto-position": true, "start-gtid": true, "start-log-file": true, "start-log-pos": true,
	"server-id": true, "source-connect-retry": true,
}

// splitReplicateArgs separates replicate's flags from serve's.
func splitReplicateArgs(args []string) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || name == "" {
			rest = append(rest, a)
			continue
		}
		base, _, hasValue := strings.Cut(name, "=")
		if !replicateFlags[base] {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if !hasValue && base != "source-auto-position" && i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest
}

func parseReplicateArgs(args []string, getenv func(string) string, output io.Writer) (replicateOptions, error) {
	var o replicateOptions
	fs := flag.NewFlagSet("quarry replicate", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&o.host, "source-host", "", "host of the MySQL/MariaDB primary (required)")
	fs.IntVar(&o.port, "source-port", 3306, "port of the primary")
	fs.StringVar(&o.user, "source-user", "root", "replication user (needs REPLICATION SLAVE and REPLICATION CLIENT)")
	fs.StringVar(&o.password, "source-password", getenv("QUARRY_SOURCE_PASSWORD"), "its password (env QUARRY_SOURCE_PASSWORD)")
	fs.BoolVar(&o.autoPosition, "source-auto-position", true, "GTID auto-positioning; false streams from a binlog file and offset")
	fs.StringVar(&o.startGTID, "start-gtid", "", "first run only: GTID set already applied (e.g. a dump's gtid_binlog_pos)")
	fs.StringVar(&o.startFile, "start-log-file", "", "first run only, file/position mode: binlog file to start from (default: the source's current one)")
	fs.UintVar(&o.startPos, "start-log-pos", 4, "first run only: offset in --start-log-file")
	fs.UintVar(&o.serverID, "server-id", 0, "this replica's server_id on the source (default @@server_id; must differ from the source's)")
	fs.IntVar(&o.connectRetry, "source-connect-retry", 10, "seconds between reconnection attempts")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.host == "" {
		return o, errors.New("replicate: --source-host is required")
	}
	return o, nil
}

// runReplicate is `quarry replicate [replicate flags] [serve flags]`: it
// serves like `quarry serve` and makes the server a replica of the given
// source, resuming from the applied position stored in the data directory.
func runReplicate(args []string, stderr io.Writer, getenv func(string) string) int {
	mine, rest := splitReplicateArgs(args)
	ro, err := parseReplicateArgs(mine, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "\nquarry replicate also takes every flag of quarry serve (quarry serve -h).")
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "quarry: %v\n", err)
		return 2
	}
	opts, err := parseServeArgs(rest, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "quarry: %v\n", err)
		return 2
	}
	replicaSetup = func(ctx *sql.Context, ctl *replication.Controller) error {
		if ro.serverID != 0 {
			if err := sql.SystemVariables.AssignValues(map[string]any{"server_id": uint32(ro.serverID)}); err != nil {
				return err
			}
		}
		auto := 0
		if ro.autoPosition {
			auto = 1
		}
		_ = ctl.StopReplica(ctx) // a resumed stream restarts with these options
		err := ctl.SetReplicationSourceOptions(ctx, []binlogreplication.ReplicationOption{
			*binlogreplication.NewReplicationOption("SOURCE_HOST", binlogreplication.StringReplicationOptionValue{Value: ro.host}),
			*binlogreplication.NewReplicationOption("SOURCE_PORT", binlogreplication.IntegerReplicationOptionValue{Value: ro.port}),
			*binlogreplication.NewReplicationOption("SOURCE_USER", binlogreplication.StringReplicationOptionValue{Value: ro.user}),
			*binlogreplication.NewReplicationOption("SOURCE_PASSWORD", binlogreplication.StringReplicationOptionValue{Value: ro.password}),
			*binlogreplication.NewReplicationOption("SOURCE_AUTO_POSITION", binlogreplication.IntegerReplicationOptionValue{Value: auto}),
			*binlogreplication.NewReplicationOption("SOURCE_CONNECT_RETRY", binlogreplication.IntegerReplicationOptionValue{Value: ro.connectRetry}),
		})
		if err != nil {
			return err
		}
		pos, err := ctl.Position()
		if err != nil {
			return err
		}
		if pos == (replication.Position{}) && (ro.startGTID != "" || ro.startFile != "") {
			if err := ctl.SetStartPosition(replication.Position{GTIDSet: ro.startGTID, File: ro.startFile, Pos: uint32(ro.startPos)}); err != nil {
				return err
			}
		}
		return ctl.StartReplica(ctx)
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	return serve(opts, stderr, signals)
}
