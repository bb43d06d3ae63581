package stats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	gmsstats "github.com/dolthub/go-mysql-server/sql/stats"
)

// Store is the durable key-value space statistics are persisted in. The
// storage layer implements it over its system keyspace.
type Store interface {
	// Put stores value under key; it is durable when Put returns.
	Put(key, value []byte) error
	// Delete removes key (durably); deleting a missing key is not an error.
	Delete(key []byte) error
	// Scan calls fn for every key with the given prefix, in ascending key
	// order. key and value are only valid during the call. Scan stops and
	// returns fn's error if it returns one. fn does not call into the Store.
	Scan(prefix []byte, fn func(key, value []byte) error) error
}

// Provider is a persisted sql.StatsProvider. Create it with New.
type Provider struct {
	store Store
	// newBuilder is nil for the default, buildWithGMS.
	newBuilder func() sql.StatsProvider

	mu sync.Mutex
	// tables caches the decoded statistics of every table loaded so far,
	// sorted by key. Slices are never modified in place.
	tables map[tableID][]*cachedStat
}

var _ sql.StatsProvider = (*Provider)(nil)

// Option configures New.
type Option func(*Provider)

// WithBuilder sets the factory of the provider ANALYZE TABLE delegates
// histogram building to: each ANALYZE TABLE calls AnalyzeTable and then
// GetTableStats on a new instance and persists the result. The default is
// go-mysql-server's memory.StatsProv (with []byte keys presented to it as
// strings, see buildWithGMS).
func WithBuilder(newBuilder func() sql.StatsProvider) Option {
	return func(p *Provider) { p.newBuilder = newBuilder }
}

// New returns a provider persisting into store. Nothing is read until a
// table's statistics are first asked for.
func New(store Store, opts ...Option) *Provider {
	p := &Provider{
		store:  store,
		tables: make(map[tableID][]*cachedStat),
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// warnCode is MySQL's ER_UNKNOWN_ERROR, used for ANALYZE TABLE warnings.
const warnCode = 1105

// AnalyzeTable implements sql.StatsProvider: it builds fresh statistics for
// every index prefix of table and replaces all statistics stored for it.
func (p *Provider) AnalyzeTable(ctx *sql.Context, table sql.Table, db string) error {
	if isTemporary(table) {
		return nil // see isTemporary
	}
	// GMS passes the session's current database, which is wrong for
	// ANALYZE TABLE otherdb.t; the table knows better.
	if d, ok := table.(sql.Databaseable); ok && d.Database() != "" {
		db = d.Database()
	}
	tid := newTableID(db, schemaOf(table), table.Name())

	nonEmpty, err := hasRows(ctx, table)
	if err != nil {
		return err
	}
	var built []sql.Statistic
	if nonEmpty {
		if built, err = p.build(ctx, table, db); err != nil {
			return err
		}
	}

	recs := make(map[string][]byte, len(built))
	byKey := make(map[string]*cachedStat, len(built))
	for _, s := range built {
		if tableIDOf(s.Qualifier()) != tid {
			ctx.Warn(warnCode, "statistics for %s not saved: built while analyzing %s.%s", s.Qualifier(), db, table.Name())
			continue
		}
		key, data, err := encodeStatistic(ctx, s)
		if err == nil {
			// Never persist what cannot be read back.
			var c *cachedStat
			if c, err = decodeStatistic(ctx, key, data); err == nil {
				recs[c.key], byKey[c.key] = data, c
				continue
			}
		}
		ctx.Warn(warnCode, "statistics for %s (%s) not saved: %v", s.Qualifier(), strings.Join(s.Columns(), ","), err)
	}
	decoded := make([]*cachedStat, 0, len(byKey))
	for _, c := range byKey {
		decoded = append(decoded, c)
	}
	sortStats(decoded)

	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.tables, tid) // reloaded from the store if anything below fails
	old, err := p.scanKeys(tid.prefix())
	if err != nil {
		return err
	}
	for _, c := range decoded {
		if err := p.store.Put([]byte(c.key), recs[c.key]); err != nil {
			return fmt.Errorf("stats: save %q: %w", c.key, err)
		}
	}
	for _, k := range old {
		if _, keep := recs[string(k)]; !keep {
			if err := p.store.Delete(k); err != nil {
				return fmt.Errorf("stats: delete %q: %w", k, err)
			}
		}
	}
	p.tables[tid] = decoded
	return nil
}

// build runs the builder over table and returns its statistics.
func (p *Provider) build(ctx *sql.Context, table sql.Table, db string) (out []sql.Statistic, err error) {
	// memory.StatsProv panics on some inputs (e.g. key values that are not
	// comparable with ==, like spatial values); report that as an error.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("stats: building statistics for %s.%s failed: %v", db, table.Name(), r)
		}
	}()
	if p.newBuilder == nil {
		return buildWithGMS(ctx, table, db)
	}
	return runBuilder(ctx, p.newBuilder(), table, db)
}

// GetTableStats implements sql.StatsProvider. Statistics are returned in key
// order; ones that no longer match the table's columns are left out.
func (p *Provider) GetTableStats(ctx *sql.Context, db string, table sql.Table) ([]sql.Statistic, error) {
	if isTemporary(table) {
		return nil, nil
	}
	cached, err := p.load(ctx, newTableID(db, schemaOf(table), table.Name()))
	if err != nil || len(cached) == 0 {
		return nil, err
	}
	sch := fullSchema(table)
	indexes := make(map[string]sql.Index)
	if iat, ok := table.(sql.IndexAddressableTable); ok {
		idxs, err := iat.GetIndexes(ctx)
		if err != nil {
			return nil, err
		}
		for _, idx := range idxs {
			indexes[strings.ToLower(idx.ID())] = idx
		}
	}
	out := make([]sql.Statistic, 0, len(cached))
	for _, c := range cached {
		if idx, ok := indexes[strings.ToLower(c.stat.Qualifier().Idx)]; ok && idx.IsFullText() {
			// GMS's costing would build key ranges over a search index
			// (it has none); search lookups come from LookupForExpressions.
			continue
		}
		if s := resolve(c, strings.ToLower(table.Name()), sch, indexes); s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// isTemporary reports a session's temporary table. Statistics are stored
// by table name, which a temporary table shares with the permanent table
// it hides: they are neither built nor read for temporary tables.
func isTemporary(table sql.Table) bool {
	for i := 0; table != nil && i < 8; i++ {
		switch t := table.(type) {
		case sql.TemporaryTable:
			return t.IsTemporary()
		case sql.TableNode:
			table = t.UnderlyingTable()
		case sql.TableWrapper:
			table = t.Underlying()
		default:
			return false
		}
	}
	return false
}

// resolve binds a stored statistic to the live table: column types and
// functional dependencies come from sch and the statistic's index. It
// returns nil if a column is gone or its type changed.
func resolve(c *cachedStat, table string, sch sql.Schema, indexes map[string]sql.Index) sql.Statistic {
	cols := c.stat.Columns()
	typs := make([]sql.Type, len(cols))
	var colSet sql.ColSet
	for i, col := range cols {
		ord := sch.IndexOfColName(col)
		if ord < 0 {
			return nil
		}
		if c.typeNames[i] != "" && c.typeNames[i] != sch[ord].Type.String() {
			return nil
		}
		typs[i] = sch[ord].Type
		colSet.Add(sql.ColumnId(ord + 1))
	}
	var fds *sql.FuncDepSet
	if idx, ok := indexes[strings.ToLower(c.stat.Qualifier().Idx)]; ok {
		var idxCols sql.ColSet
		var err error
		if fds, idxCols, err = gmsstats.IndexFds(table, sch, idx); err != nil {
			fds = nil
		} else {
			colSet = idxCols
		}
	}
	if fds == nil {
		var all, notNull sql.ColSet
		for i, col := range sch {
			all.Add(sql.ColumnId(i + 1))
			if !col.Nullable {
				notNull.Add(sql.ColumnId(i + 1))
			}
		}
		fds = sql.NewTablescanFDs(all, nil, nil, notNull)
	}
	s := *c.stat
	s.Typs = typs
	s.Fds = fds
	s.Colset = colSet
	return &s
}

// GetStats implements sql.StatsProvider. Without a table to check against,
// the statistic is returned as stored, with its persisted column types and
// no functional dependencies.
func (p *Provider) GetStats(ctx *sql.Context, qual sql.StatQualifier, cols []string) (sql.Statistic, bool) {
	cached, err := p.load(ctx, tableIDOf(qual))
	if err != nil {
		return nil, false
	}
	key := string(statKey(qual, cols))
	for _, c := range cached {
		if c.key == key {
			if !c.typesOK {
				return nil, false
			}
			return c.stat, true
		}
	}
	return nil, false
}

// SetStats implements sql.StatsProvider: it stores (replaces) one statistic.
func (p *Provider) SetStats(ctx *sql.Context, s sql.Statistic) error {
	key, data, err := encodeStatistic(ctx, s)
	if err != nil {
		return err
	}
	c, err := decodeStatistic(ctx, key, data)
	if err != nil {
		return err
	}
	tid := tableIDOf(s.Qualifier())

	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.store.Put(key, data); err != nil {
		delete(p.tables, tid)
		return fmt.Errorf("stats: save %q: %w", key, err)
	}
	if cached, ok := p.tables[tid]; ok {
		next := make([]*cachedStat, 0, len(cached)+1)
		for _, o := range cached {
			if o.key != c.key {
				next = append(next, o)
			}
		}
		next = append(next, c)
		sortStats(next)
		p.tables[tid] = next
	}
	return nil
}

// DropStats implements sql.StatsProvider. It deletes the table's statistics
// for the given index (all indexes if qual.Idx is empty) and exactly the
// given column list (all column lists if cols is empty), so
// DropStats(ctx, sql.StatQualifier{Database: db, Tab: t}, nil) removes
// everything stored for table t. Stored records are not decoded.
func (p *Provider) DropStats(ctx *sql.Context, qual sql.StatQualifier, cols []string) error {
	tid := tableIDOf(qual)
	prefix := tid.prefix()
	all := qual.Idx == "" && len(cols) == 0
	wantIdx, wantCols := escapeName(qual.Idx), colsSegment(cols)

	p.mu.Lock()
	defer p.mu.Unlock()
	keys, err := p.scanKeys(prefix)
	if err != nil {
		return err
	}
	dropped := make(map[string]bool)
	for _, k := range keys {
		if !all {
			idx, cs, ok := splitStatKey(prefix, k)
			if !ok || (qual.Idx != "" && idx != wantIdx) || (len(cols) > 0 && cs != wantCols) {
				continue
			}
		}
		if err := p.store.Delete(k); err != nil {
			delete(p.tables, tid)
			return fmt.Errorf("stats: delete %q: %w", k, err)
		}
		dropped[string(k)] = true
	}
	if cached, ok := p.tables[tid]; ok && len(dropped) > 0 {
		var next []*cachedStat
		for _, c := range cached {
			if !dropped[c.key] {
				next = append(next, c)
			}
		}
		if len(next) == 0 {
			delete(p.tables, tid)
		} else {
			p.tables[tid] = next
		}
	}
	return nil
}

// DropDbStats implements sql.StatsProvider: it deletes every statistic of
// database db. The deletion is always durable; flush is ignored.
func (p *Provider) DropDbStats(ctx *sql.Context, db string, flush bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	db = strings.ToLower(db)
	for tid := range p.tables {
		if tid.db == db {
			delete(p.tables, tid)
		}
	}
	keys, err := p.scanKeys(dbPrefix(db))
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := p.store.Delete(k); err != nil {
			return fmt.Errorf("stats: delete %q: %w", k, err)
		}
	}
	return nil
}

// RowCount implements sql.StatsProvider. Tables implementing
// sql.StatisticsTable answer themselves; otherwise the largest row count of
// the persisted statistics is returned (0 if there are none).
func (p *Provider) RowCount(ctx *sql.Context, db string, table sql.Table) (uint64, error) {
	if st, ok := statisticsTable(table); ok {
		n, _, err := st.RowCount(ctx)
		return n, err
	}
	cached, err := p.load(ctx, newTableID(db, schemaOf(table), table.Name()))
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, c := range cached {
		n = max(n, c.stat.RowCount())
	}
	return n, nil
}

// DataLength implements sql.StatsProvider. Tables implementing
// sql.StatisticsTable answer themselves; otherwise the largest average size
// of the persisted statistics is returned (0 if there are none).
func (p *Provider) DataLength(ctx *sql.Context, db string, table sql.Table) (uint64, error) {
	if st, ok := statisticsTable(table); ok {
		return st.DataLength(ctx)
	}
	cached, err := p.load(ctx, newTableID(db, schemaOf(table), table.Name()))
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, c := range cached {
		n = max(n, c.stat.AvgSize())
	}
	return n, nil
}

// load returns the table's statistics, reading them from the store the
// first time. A table with a corrupt record is not cached, so the error is
// reported on every call until the record is replaced or dropped.
func (p *Provider) load(ctx *sql.Context, tid tableID) ([]*cachedStat, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cached, ok := p.tables[tid]; ok {
		return cached, nil
	}
	var out []*cachedStat
	prefix := tid.prefix()
	err := p.store.Scan(prefix, func(key, value []byte) error {
		if !bytes.HasPrefix(key, prefix) {
			return nil
		}
		c, err := decodeStatistic(ctx, key, value)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("stats: load %q: %w", prefix, err)
		}
		return nil, err
	}
	sortStats(out)
	p.tables[tid] = out
	return out, nil
}

// scanKeys returns copies of all keys with the prefix. p.mu must be held.
func (p *Provider) scanKeys(prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := p.store.Scan(prefix, func(key, _ []byte) error {
		if bytes.HasPrefix(key, prefix) {
			keys = append(keys, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: scan %q: %w", prefix, err)
	}
	return keys, nil
}

func sortStats(s []*cachedStat) {
	sort.Slice(s, func(i, j int) bool { return s[i].key < s[j].key })
}

// hasRows reports whether table has at least one row.
func hasRows(ctx *sql.Context, table sql.Table) (bool, error) {
	if st, ok := statisticsTable(table); ok {
		if n, exact, err := st.RowCount(ctx); err == nil && exact {
			return n > 0, nil
		}
	}
	parts, err := table.Partitions(ctx)
	if err != nil {
		return false, err
	}
	defer parts.Close(ctx)
	for {
		part, err := parts.Next(ctx)
		if errors.Is(err, io.EOF) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		rows, err := table.PartitionRows(ctx, part)
		if err != nil {
			return false, err
		}
		_, err = rows.Next(ctx)
		cerr := rows.Close(ctx)
		switch {
		case err == nil:
			return true, cerr
		case !errors.Is(err, io.EOF):
			return false, err
		case cerr != nil:
			return false, cerr
		}
	}
}

// statisticsTable finds the sql.StatisticsTable under table, unwrapping
// table nodes and wrappers.
func statisticsTable(table sql.Table) (sql.StatisticsTable, bool) {
	for i := 0; table != nil && i < 8; i++ {
		switch t := table.(type) {
		case sql.StatisticsTable:
			return t, true
		case sql.TableNode:
			table = t.UnderlyingTable()
		case sql.TableWrapper:
			table = t.Underlying()
		default:
			return nil, false
		}
	}
	return nil, false
}

// schemaOf returns the table's schema (namespace) name; "" in MySQL.
func schemaOf(table sql.Table) string {
	if t, ok := table.(sql.DatabaseSchemaTable); ok && t.DatabaseSchema() != nil {
		return t.DatabaseSchema().SchemaName()
	}
	return ""
}

// fullSchema returns all of the table's columns, even when it is projected.
func fullSchema(table sql.Table) sql.Schema {
	if pkt, ok := table.(sql.PrimaryKeyTable); ok {
		return pkt.PrimaryKeySchema().Schema
	}
	return table.Schema()
}
