package replication

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql/binlogreplication"
	"github.com/dolthub/vitess/go/mysql"
)

const (
	flavorMariaDB = "MariaDB"
	flavorMySQL   = "MySQL56"

	// heartbeatPeriod asks the source for a heartbeat event after this
	// much idle time (nanoseconds), so a dead source is noticed.
	heartbeatPeriod = 1_000_000_000
	// eventQueue is how many events the reader may run ahead of the
	// applier.
	eventQueue = 1024
)

// sourceInfo is what the replica checks on the source at connect time.
type sourceInfo struct {
	flavor   string
	serverID uint32
	uuid     string
}

func fetchOne(conn *mysql.Conn, q string) ([]string, error) {
	qr, err := conn.ExecuteFetch(q, 1, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if len(qr.Rows) != 1 {
		return nil, fmt.Errorf("%s: %d rows", q, len(qr.Rows))
	}
	out := make([]string, len(qr.Rows[0]))
	for i, v := range qr.Rows[0] {
		out[i] = v.ToString()
	}
	return out, nil
}

// checkSource verifies the source's binlog settings. Errors that a retry
// cannot fix are fatalIOErrors.
func checkSource(conn *mysql.Conn, cfg sourceConfig) (sourceInfo, error) {
	info := sourceInfo{flavor: flavorMySQL}
	if conn.IsMariaDB() {
		info.flavor = flavorMariaDB
	}
	row, err := fetchOne(conn, "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image, @@GLOBAL.server_id")
	if err != nil {
		return info, err
	}
	if row[0] != "1" && !strings.EqualFold(row[0], "ON") {
		return info, &fatalIOError{errors.New("the source has no binary log (log_bin=OFF); enable log_bin with binlog_format=ROW")}
	}
	if !strings.EqualFold(row[1], "ROW") {
		return info, &fatalIOError{fmt.Errorf("the source has binlog_format=%s; Quarry replicates ROW format only (SET GLOBAL binlog_format=ROW on the source)", row[1])}
	}
	if !strings.EqualFold(row[2], "FULL") {
		return info, &fatalIOError{fmt.Errorf("the source has binlog_row_image=%s; Quarry needs FULL row images", row[2])}
	}
	id, err := strconv.ParseUint(row[3], 10, 32)
	if err != nil {
		return info, fmt.Errorf("source server_id %q: %w", row[3], err)
	}
	info.serverID = uint32(id)
	if info.serverID == cfg.ServerID {
		return info, &fatalIOError{mysql.NewSQLError(1593, "HY000",
			"Fatal error: The replica I/O thread stops because source and replica have equal server ids (%d); "+
				"SET GLOBAL server_id to a unique value and run CHANGE REPLICATION SOURCE TO again", cfg.ServerID)}
	}
	if info.flavor == flavorMySQL {
		if r, err := fetchOne(conn, "SELECT @@GLOBAL.server_uuid"); err == nil {
			info.uuid = r[0]
		}
		if r, err := fetchOne(conn, "SELECT @@GLOBAL.binlog_transaction_compression"); err == nil && (r[0] == "1" || strings.EqualFold(r[0], "ON")) {
			return info, &fatalIOError{errors.New("the source has binlog_transaction_compression=ON, which Quarry cannot read; turn it off")}
		}
	}
	return info, nil
}

// currentSourcePosition is SHOW MASTER STATUS (SHOW BINARY LOG STATUS on
// MySQL 8.4).
func currentSourcePosition(conn *mysql.Conn) (string, uint32, error) {
	for _, q := range []string{"SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"} {
		qr, err := conn.ExecuteFetch(q, 1, false)
		if err != nil {
			continue
		}
		if len(qr.Rows) == 0 {
			return "", 0, &fatalIOError{errors.New("the source has no binary log")}
		}
		pos, err := strconv.ParseUint(qr.Rows[0][1].ToString(), 10, 32)
		if err != nil {
			return "", 0, err
		}
		return qr.Rows[0][0].ToString(), uint32(pos), nil
	}
	return "", 0, errors.New("cannot read the source's binlog position")
}

type streamItem struct {
	ev  mysql.BinlogEvent
	err error
}

// stream runs one connection: connect, check, request the binlog from the
// applied position, then read and apply until an error. connected is
// called once the stream is established.
func (c *Controller) stream(ctx context.Context, cfg sourceConfig, connected func()) error {
	conn, err := mysql.Connect(ctx, &mysql.ConnParams{
		Host: cfg.Host, Port: cfg.Port, Uname: cfg.User, Pass: cfg.Password, ConnectTimeoutMs: 10_000,
	})
	if err != nil {
		return fmt.Errorf("error connecting to source '%s@%s:%d': %w", cfg.User, cfg.Host, cfg.Port, err)
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.Close()
	}()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	info, err := checkSource(conn, cfg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.srcID, c.srcUUID = strconv.FormatUint(uint64(info.serverID), 10), info.uuid
	c.mu.Unlock()

	a, err := newApplier(c, info.flavor)
	if err != nil {
		return &applyError{err}
	}
	defer a.close()

	for _, q := range []string{
		"SET @master_binlog_checksum = @@GLOBAL.binlog_checksum",
		"SET @source_binlog_checksum = @@GLOBAL.binlog_checksum",
		fmt.Sprintf("SET @master_heartbeat_period = %d", heartbeatPeriod),
	} {
		if _, err := conn.ExecuteFetch(q, 0, false); err != nil {
			c.log.Debug("source did not accept session setting", "query", q, "err", err)
		}
	}
	if cfg.AutoPosition {
		if a.pos.GTIDSet != "" && a.pos.Flavor != "" && a.pos.Flavor != info.flavor {
			return &fatalIOError{fmt.Errorf("the applied GTID set is %s but the source is %s; RESET REPLICA first", a.pos.Flavor, info.flavor)}
		}
		set, err := parseGTIDSet(info.flavor, a.pos.GTIDSet)
		if err != nil {
			return &fatalIOError{err}
		}
		start := mysql.Position{GTIDSet: set}
		if err := conn.SendBinlogDumpCommand(cfg.ServerID, start); err != nil {
			return fmt.Errorf("request binlog from GTID set %q: %w", a.pos.GTIDSet, err)
		}
	} else {
		if a.pos.File == "" {
			file, pos, err := currentSourcePosition(conn)
			if err != nil {
				return err
			}
			a.pos.File, a.pos.Pos = file, pos
			// Persist the starting point: events after it must not be
			// skipped if nothing is applied before a restart.
			if err := a.savePosition(); err != nil {
				return &applyError{err}
			}
		}
		if info.flavor == flavorMariaDB {
			if _, err := conn.ExecuteFetch("SET @mariadb_slave_capability=4", 0, false); err != nil {
				return err
			}
		}
		if err := conn.WriteComBinlogDump(cfg.ServerID, a.pos.File, a.pos.Pos, 0); err != nil {
			return fmt.Errorf("request binlog from %s:%d: %w", a.pos.File, a.pos.Pos, err)
		}
	}
	c.setIOState(binlogreplication.ReplicaIoRunning)
	c.log.Info("replicating", "source", fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), "flavor", info.flavor, "from", a.pos.String())

	items := make(chan streamItem, eventQueue)
	go func() {
		for {
			ev, err := conn.ReadBinlogEvent()
			if err != nil {
				items <- streamItem{err: err}
				close(items)
				return
			}
			c.received.Add(1)
			select {
			case items <- streamItem{ev: ev}:
			case <-ctx.Done():
				close(items)
				return
			}
		}
	}()
	defer func() {
		conn.Close()
		for range items { // let the reader finish
		}
	}()
	first := true
	for it := range items {
		if it.err != nil {
			a.rollback()
			return fmt.Errorf("reading the binlog from the source: %w", it.err)
		}
		if err := a.handle(it.ev); err != nil {
			a.rollback()
			return &applyError{err}
		}
		if len(items) == 0 {
			// Nothing queued: make the commit group durable now.
			if err := a.flush(); err != nil {
				a.rollback()
				return &applyError{err}
			}
		}
		c.applied.Add(1)
		if first {
			first = false
			connected()
		}
		if ctx.Err() != nil {
			a.rollback()
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// Binlog event types the applier handles by type code (the vitess event
// interface has no predicate for them).
const (
	evStop            = 3
	evRotate          = 4
	evUserVar         = 14
	evRowsQuery       = 29
	evAnonymousGTID   = 34
	evHeartbeat       = 27
	evPartialUpdate   = 39
	evTxnPayload      = 40
	evHeartbeatV2     = 41
	evMariaAnnotate   = 160
	evMariaCheckpoint = 161
	evMariaGTIDList   = 163
	evMariaStartEnc   = 164

	flagIgnorable = 0x80 // LOG_EVENT_IGNORABLE_F
	headerLen     = 19
)

func evType(ev mysql.BinlogEvent) byte { return ev.Bytes()[4] }

func evFlags(ev mysql.BinlogEvent) uint16 { return binary.LittleEndian.Uint16(ev.Bytes()[17:19]) }

// evNextPos is the event header's log_pos: the offset of the next event in
// the source's binlog file.
func evNextPos(ev mysql.BinlogEvent) uint32 { return binary.LittleEndian.Uint32(ev.Bytes()[13:17]) }

// rotateTarget parses a ROTATE event (file name and offset of the next
// event). Rotate events may come before the format description event, so
// a trailing CRC32 is recognised by checking it.
func rotateTarget(ev mysql.BinlogEvent) (string, uint32, error) {
	b := ev.Bytes()
	size := int(binary.LittleEndian.Uint32(b[9:13]))
	if size > len(b) || size < headerLen+8 {
		return "", 0, fmt.Errorf("malformed ROTATE event (%d bytes)", len(b))
	}
	b = b[:size]
	if len(b) >= headerLen+8+4 {
		n := len(b) - 4
		if crc32.ChecksumIEEE(b[:n]) == binary.LittleEndian.Uint32(b[n:]) {
			b = b[:n]
		}
	}
	pos := binary.LittleEndian.Uint64(b[headerLen : headerLen+8])
	return string(b[headerLen+8:]), uint32(pos), nil
}

// queryKind classifies the SQL of a QUERY event.
type queryKind uint8

const (
	qkDDL queryKind = iota
	qkBegin
	qkCommit
	qkRollback
	qkSavepoint
	qkRollbackTo
	qkRelease
	qkDML // statement-based row change: unsupported
)

func classifyQuery(q string) (queryKind, string) {
	s := strings.TrimSpace(stripLeadingComments(q))
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return qkDDL, ""
	}
	first := strings.ToUpper(strings.TrimRight(fields[0], ";"))
	second := ""
	if len(fields) > 1 {
		second = strings.ToUpper(fields[1])
	}
	last := ""
	if len(fields) > 1 {
		last = strings.Trim(fields[len(fields)-1], "`;")
	}
	switch first {
	case "BEGIN":
		return qkBegin, ""
	case "START":
		if second == "TRANSACTION" {
			return qkBegin, ""
		}
	case "COMMIT", "XA":
		if first == "XA" {
			return qkDML, ""
		}
		return qkCommit, ""
	case "ROLLBACK":
		if second == "TO" {
			return qkRollbackTo, last
		}
		return qkRollback, ""
	case "SAVEPOINT":
		return qkSavepoint, last
	case "RELEASE":
		return qkRelease, last
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD", "CALL", "DO", "SET", "SELECT", "WITH":
		return qkDML, ""
	}
	return qkDDL, ""
}

func stripLeadingComments(s string) string {
	for {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "/*") && !strings.HasPrefix(s, "/*!"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return s
			}
			s = s[i+2:]
		case strings.HasPrefix(s, "#"), strings.HasPrefix(s, "-- "):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		default:
			return s
		}
	}
}
