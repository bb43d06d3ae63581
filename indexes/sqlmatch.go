package indexes

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/fulltext"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/storage"
)

// Search is one MATCH ... AGAINST bound to a search index: the query text
// expression and mode. Its board holds the hits of the current statement.
type Search struct {
	m       *Manager
	Def     storage.SearchIndexDef
	Text    sql.Expression
	Boolean bool
	// K > 0 limits the search to the K best hits (ORDER BY ... LIMIT).
	K int
	// Table is the table searched (nil: unknown, searches are verified).
	Table *storage.Table
	// Scoreless is set (by the planner) when no relevance value of this
	// search is used, only whether rows match: an exact search then
	// skips ranking and scoring.
	Scoreless bool
	// Pushed, when not nil, is a predicate pushdown (see pushdown.go)
	// instead of a MATCH: the query, and its rendering for EXPLAIN.
	Pushed     query.Query
	PushedDesc string
	// PushedExact: the pushed query matches exactly the rows the WHERE
	// clause accepts, provided the NULL-marker fields PushedOdd hold no
	// out-of-range marker (see pusher.rangeQuery).
	PushedExact bool
	PushedOdd   []string

	mu       sync.Mutex
	hits     map[string]Hit
	complete bool
	// exact: the hits came from an exact search (a row without a hit
	// does not match in the statement's snapshot).
	exact bool
	// changed (when covered) lists the documents that may differ from
	// their rows in the statement's snapshot, as of the search that found
	// the hits, when it was not exact (see changedRows).
	changed []string
	covered bool
	// docs, when the changes are not known (the slow path), holds the
	// stored hash of every document of the index the hits came from.
	docs map[string]string
	spec *Spec
	// probes counts single-document searches (see hit).
	probes int
	// latest: the lookup reads the latest rows (Ranges.MoreKeys), and
	// rounds counts how often it searched again.
	latest bool
	rounds int
}

// maxProbes is how many rows hit scores one by one (a search restricted
// to the row's document) before it runs the whole search once instead.
const maxProbes = 64

func (s *Search) key(ctx *sql.Context) string {
	if s.Pushed != nil {
		return fmt.Sprintf("push/%p", s) // never paired with a relevance
	}
	if text, ok := constText(ctx, s.Text); ok {
		// The same search whether its string was folded (a WHERE
		// conjunct) or not (a select expression): CONCAT(BooleanMarker,
		// 'x') and the literal it folds to give one key.
		boolean := s.Boolean || strings.HasPrefix(text, BooleanMarker)
		return fmt.Sprintf("%d/%d/%v/=%q", s.Def.TableID, s.Def.IndexID, boolean, strings.TrimPrefix(text, BooleanMarker))
	}
	return fmt.Sprintf("%d/%d/%v/%s", s.Def.TableID, s.Def.IndexID, s.Boolean, s.Text.String())
}

// constText evaluates a search string made only of string literals and
// CONCAT (as the boolean-mode rewrite builds it), with the statement's
// context ctx: literals and CONCAT read nothing of the session (a fresh
// empty context per call built a session and its status variables, a
// seventh of a short boolean search's CPU).
func constText(ctx *sql.Context, e sql.Expression) (string, bool) {
	constant := true
	transform.InspectExpr(e, func(e sql.Expression) bool {
		switch x := e.(type) {
		case *expression.Literal:
		case sql.FunctionExpression:
			if !strings.EqualFold(x.FunctionName(), "concat") {
				constant = false
			}
		default:
			constant = false
		}
		return !constant
	})
	if !constant {
		return "", false
	}
	v, err := e.Eval(ctx, nil)
	str, ok := v.(string)
	if err != nil || !ok {
		return "", false
	}
	return str, true
}

// Describe renders the bleve query for EXPLAIN.
func (s *Search) Describe() string {
	if s.Pushed != nil {
		return fmt.Sprintf("bleve %s(%s) pushed: %s", s.Def.Name, colNames(s.Def), s.PushedDesc)
	}
	mode := "natural"
	if s.Boolean {
		mode = "boolean"
	}
	text := strings.ReplaceAll(s.Text.String(), BooleanMarker, "")
	out := fmt.Sprintf("bleve %s(%s) %s: %s", s.Def.Name, colNames(s.Def), mode, text)
	if s.K > 0 {
		out += fmt.Sprintf(" top %d", s.K)
	}
	if s.Scoreless {
		out += " unscored"
	}
	return out
}

func colNames(d storage.SearchIndexDef) string {
	n := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		n[i] = c.Name
	}
	return strings.Join(n, ",")
}

func (s *Search) getSpec() (Spec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spec == nil {
		sp, err := ParseSpec(s.Def)
		if err != nil {
			return Spec{}, err
		}
		s.spec = &sp
	}
	return *s.spec, nil
}

func (s *Search) query(ctx *sql.Context, sp Spec) (query.Query, error) {
	if s.Pushed != nil {
		return s.Pushed, nil
	}
	v, err := s.Text.Eval(ctx, nil)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return bleve.NewMatchNoneQuery(), nil
	}
	text := toString(v)
	if strings.HasPrefix(text, BooleanMarker) {
		return sp.BooleanQuery(text[len(BooleanMarker):]), nil
	}
	if s.Boolean {
		return sp.BooleanQuery(text), nil
	}
	return sp.NaturalQuery(text), nil
}

// run searches (after catching the table's log up) and records the hits.
// When the search is not exact, it also records the documents changed
// since the statement's snapshot (changedRows), and a top-k search
// fetches k more hits per such document: at most that many of the
// index's best hits differ from the snapshot's rows, so the rest still
// holds the k best unchanged ones.
func (s *Search) run(ctx *sql.Context, k int) ([]Hit, bool, error) {
	var hits []Hit
	var changed []string
	var docs map[string]string
	covered := false
	exact, err := s.withIndex(ctx, func(ix *Index, q query.Query, exact bool) (err error) {
		if !exact {
			changed, covered = s.changedRows(ctx)
			if covered {
				s.m.covered.Add(1)
			} else {
				s.m.uncovered.Add(1)
			}
			if k > 0 && covered {
				k += len(changed)
			}
			if !covered && s.Pushed == nil && s.Table != nil && s.Table.SearchSnapshotReads(ctx) {
				// The slow path: the lookup scans the table, and
				// Relevance compares each row without a hit with its
				// document as of these hits (all of them).
				k = 0
				if docs, err = ix.AllDocIDs(); err != nil {
					return err
				}
			}
		}
		if (exact && s.Scoreless || !exact && s.Pushed != nil) && k <= 0 {
			// Scores unused, and hashes too: an exact search is not
			// verified, a pushed one is by the residual filter.
			_, err = ix.Matches(ctx, q, func(id []byte) {
				hits = append(hits, Hit{PK: id, Score: 1})
			})
			return err
		}
		hits, err = ix.Search(q, k, !exact)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if exact {
		for i := range hits {
			hits[i].Exact = true
		}
	}
	s.mu.Lock()
	s.hits = make(map[string]Hit, len(hits))
	for _, h := range hits {
		s.hits[string(h.PK)] = h
	}
	s.complete = k <= 0 || len(hits) < k
	s.exact = exact
	s.changed, s.covered, s.docs = changed, covered, docs
	s.mu.Unlock()
	return hits, exact, nil
}

// changedRows returns, for a search that is not exact, the documents
// that may differ from their rows in the statement's snapshot: those
// changed by the apply rounds the snapshot may not see (changes.go). The
// caller holds the table state (withIndex), so the list matches the index
// searched. covered is false when the statement reads the latest rows
// (locking reads), has no snapshot, or the rounds it needs are no longer
// retained.
func (s *Search) changedRows(ctx *sql.Context) (ids []string, covered bool) {
	if s.Table == nil || !s.Table.SearchSnapshotReads(ctx) {
		return nil, false
	}
	pos, ok := s.Table.SearchSnapshot(ctx)
	if !ok {
		return nil, false
	}
	return s.m.stateOf(s.Def.TableID).changes.since(pos.Pos)
}

// unchanged reports whether the document pk is known to equal its row in
// the statement's snapshot (or to be absent with it), as of now: the
// retained changes only grow until dropped (then the snapshot is no
// longer covered), so a document unchanged now was unchanged at any
// earlier search.
func (s *Search) unchanged(ctx *sql.Context, pk []byte) bool {
	if s.Table == nil || !s.Table.SearchSnapshotReads(ctx) {
		return false
	}
	pos, ok := s.Table.SearchSnapshot(ctx)
	if !ok {
		return false
	}
	st := s.m.stateOf(s.Def.TableID)
	st.mu.RLock()
	changed, covered := st.changes.changedSince(pos.Pos, DocID(pk))
	st.mu.RUnlock()
	return covered && !changed
}

// withIndex catches the table's log up and calls fn with the index and
// the query, holding the index state so that it does not change during
// fn, and tells whether the search is exact: the index holds exactly the
// rows of the snapshot the statement reads the table from. Its hits are
// then that snapshot's matching rows and need no check against the table
// (Hit.Exact). Otherwise hits carry the stored hash of their indexed
// values, which Relevance compares with the row.
//
// Exact searches: a statement that has not read yet gets its snapshot
// here, and the index is caught up from that very snapshot
// (Manager.searchFrom). A statement that already has a snapshot (a
// transaction's earlier statement, or another table read first) is exact
// when the snapshot's search position is the index's
// (storage.SearchPosition, tableState).
func (s *Search) withIndex(ctx *sql.Context, fn func(ix *Index, q query.Query, exact bool) error) (bool, error) {
	plain := s.Table != nil && s.Table.SearchReads(ctx)
	if plain {
		if snap, has := s.Table.SearchSnapshot(ctx); has {
			return s.withPositioned(ctx, snap, fn)
		}
		err := s.m.searchFrom(ctx, s.Table, s.Def, func(ix *Index) error {
			q, err := s.query(ctx, ix.Spec)
			if err != nil {
				return err
			}
			return fn(ix, q, true)
		})
		if !errors.Is(err, errNotExact) {
			return err == nil, err
		}
	} else if s.Table != nil && s.Table.SearchSnapshotReads(ctx) {
		// The statement will read its transaction's snapshot: take it
		// before the index catches up, so that the index is not behind it.
		if _, has := s.Table.SearchSnapshot(ctx); !has {
			s.Table.TakeSearchSnapshot(ctx)
		}
	}
	return s.withPositioned(ctx, storage.SearchPosition{}, fn)
}

// withPositioned is withIndex for a statement reading a snapshot at
// position snap (unknown: never exact).
func (s *Search) withPositioned(ctx *sql.Context, snap storage.SearchPosition, fn func(ix *Index, q query.Query, exact bool) error) (bool, error) {
	ix, err := s.m.Lookup(s.Def)
	if err != nil {
		return false, err
	}
	q, err := s.query(ctx, ix.Spec)
	if err != nil {
		return false, err
	}
	st := s.m.stateOf(s.Def.TableID)
	st.mu.RLock()
	defer st.mu.RUnlock()
	exact := st.pos.Same(snap)
	return exact, fn(ix, q, exact)
}

// Count returns the number of the search's matches when the search is
// exact for the statement's snapshot (see withIndex): then every match is
// a row of that snapshot and every matching row is a match (not for
// keyless tables, where a match may be several equal rows). exact is
// false (and n meaningless) otherwise; the caller counts rows instead.
func (s *Search) Count(ctx *sql.Context) (n int, exact bool, err error) {
	if s.K > 0 || s.Pushed != nil && !s.PushedExact || s.Def.Keyless {
		// A keyless table's document stands for every copy of its row.
		return 0, false, nil
	}
	odd := false // a document the pushed query may match wrongly
	exact, err = s.withIndex(ctx, func(ix *Index, q query.Query, exact bool) error {
		if !exact {
			return nil
		}
		var err error
		if odd, err = s.oddMatches(ctx, ix); err != nil || odd {
			return err
		}
		n, err = ix.Matches(ctx, q, nil)
		return err
	})
	return n, exact && !odd, err
}

// miss says what a search without a hit for a row tells.
type miss int

const (
	// missProbe: a one-document search found no match (as of now).
	missProbe miss = iota
	// missExact: a complete exact search: the row does not match.
	missExact
	// missRun: a complete search that was not exact (Search.docs, when
	// set, holds that index's documents).
	missRun
)

// ExactKeys returns the primary keys (document IDs) of the search's
// matches in ascending byte order, which is primary key order, when the
// search is exact for the statement's snapshot (see withIndex and Count):
// they are then exactly the keys of that snapshot's rows the search
// accepts, and the rows need not be read to know which they are. exact
// is false (keys nil) otherwise, for top-k searches, pushed queries that
// are not exact, and keyless tables (a document stands for every copy of
// its row); the caller reads rows instead.
func (s *Search) ExactKeys(ctx *sql.Context) (keys [][]byte, exact bool, err error) {
	if s.K > 0 || s.Pushed != nil && !s.PushedExact || s.Def.Keyless {
		return nil, false, nil
	}
	odd := false
	exact, err = s.withIndex(ctx, func(ix *Index, q query.Query, exact bool) error {
		if !exact {
			return nil
		}
		var err error
		if odd, err = s.oddMatches(ctx, ix); err != nil || odd {
			return err
		}
		keys, err = ix.MatchIDs(ctx, q)
		return err
	})
	if err != nil || !exact || odd {
		return nil, false, err
	}
	return sortKeys(keys), true, nil
}

// hit returns the hit for pk, running the full search once if the hits
// recorded so far may be incomplete; without a hit, why (miss), and the
// stored hash of pk's document in the searched index when the search
// recorded them (Search.docs; has says whether it did).
func (s *Search) hit(ctx *sql.Context, pk []byte) (h Hit, ok bool, why miss, doc string, has bool, err error) {
	s.mu.Lock()
	h, ok = s.hits[string(pk)]
	done := s.hits != nil && s.complete
	if ok || done {
		why, doc, has = s.missLocked(pk)
		s.mu.Unlock()
		return h, ok, why, doc, has, nil
	}
	probe := s.probes < maxProbes
	if probe {
		s.probes++
	}
	s.mu.Unlock()
	if probe {
		h, ok, err = s.probe(ctx, pk)
		return h, ok, missProbe, "", false, err
	}
	if _, _, err := s.run(ctx, 0); err != nil {
		return Hit{}, false, missProbe, "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok = s.hits[string(pk)]
	why, doc, has = s.missLocked(pk)
	return h, ok, why, doc, has, nil
}

// missLocked tells what the recorded complete search says of pk when it
// has no hit for it (see hit); the caller holds s.mu.
func (s *Search) missLocked(pk []byte) (why miss, doc string, recorded bool) {
	if s.exact {
		return missExact, "", false
	}
	if s.docs != nil {
		return missRun, s.docs[string(pk)], true // "": no document
	}
	return missRun, "", false
}

// probe searches one document: the query restricted to pk's document.
func (s *Search) probe(ctx *sql.Context, pk []byte) (Hit, bool, error) {
	ix, err := s.m.Lookup(s.Def)
	if err != nil {
		return Hit{}, false, err
	}
	q, err := s.query(ctx, ix.Spec)
	if err != nil {
		return Hit{}, false, err
	}
	hits, err := ix.Search(bleve.NewConjunctionQuery(q, bleve.NewDocIDQuery([]string{DocID(pk)})), 1, true)
	if err != nil || len(hits) == 0 {
		return Hit{}, false, err
	}
	return hits[0], true, nil
}

// Ranges is the sql.RangeCollection of a search lookup (storage.SearchRanges).
type Ranges struct{ S *Search }

var _ storage.GrowingSearchRanges = (*Ranges)(nil)

func (r *Ranges) String() string      { return r.S.Describe() }
func (r *Ranges) DebugString() string { return r.S.Describe() }
func (r *Ranges) Len() int            { return 1 }
func (r *Ranges) ToRanges() []sql.Range {
	return nil
}
func (r *Ranges) Equals(o sql.RangeCollection) (bool, error) {
	x, ok := o.(*Ranges)
	return ok && x.S == r.S, nil
}

// Keys implements storage.SearchRanges.
func (r *Ranges) Keys(ctx *sql.Context) (keys [][]byte, all bool, err error) {
	hits, exact, err := r.S.run(ctx, r.S.K)
	if err != nil {
		return nil, false, err
	}
	keys = make([][]byte, len(hits))
	for i, h := range hits {
		keys[i] = h.PK
	}
	if exact {
		return keys, false, nil
	}
	// The index is ahead of the statement's snapshot: a row of the
	// snapshot may have matched and changed since. The documents changed
	// since are read too (the filter above verifies every row); when they
	// are not known, the filter scans the table. Locking reads (not
	// covered) read the latest rows: a MATCH keeps the index's hits.
	r.S.mu.Lock()
	changed, covered := r.S.changed, r.S.covered
	r.S.mu.Unlock()
	if covered {
		in := make(map[string]bool, len(hits))
		for _, h := range hits {
			in[string(h.PK)] = true
		}
		for _, id := range changed {
			if !in[id] {
				keys = append(keys, []byte(id))
			}
		}
		return keys, false, nil
	}
	if r.S.Pushed != nil || r.S.Table != nil && r.S.Table.SearchSnapshotReads(ctx) {
		return nil, true, nil
	}
	// Locking reads and writes read the latest rows: MoreKeys adds the
	// rows that match after the commits made since.
	r.S.mu.Lock()
	r.S.latest, r.S.rounds = true, 0
	r.S.mu.Unlock()
	return keys, false, nil
}

// MoreKeys implements storage.GrowingSearchRanges for lookups that read
// the latest rows (see Keys): the search runs again, its index caught up
// to every commit made so far, among them any commit the rows read since
// the last search have shown, and returns the keys of all its hits (the
// lookup skips those it has read). The lookup ends when a search finds
// no row it has not read: every row that matches then has been read (and
// locked) in its current version. The earlier hits stay recorded:
// Relevance still checks a row against its hit's hash, and a row read
// and locked earlier keeps its content.
//
// A lookup that keeps finding new rows (matching rows committed faster
// than it reads them) gives up after maxMoreRounds searches with a lock
// wait timeout error, rather than return rows no single moment had.
func (r *Ranges) MoreKeys(ctx *sql.Context) ([][]byte, error) {
	s := r.S
	s.mu.Lock()
	latest, earlier := s.latest, s.hits
	s.rounds++
	rounds := s.rounds
	s.mu.Unlock()
	if !latest {
		return nil, nil
	}
	if rounds > maxMoreRounds {
		return nil, storage.ErrLockWaitTimeout()
	}
	if hook := moreKeysHook.Load(); hook != nil {
		(*hook)()
	}
	hits, _, err := s.run(ctx, s.K)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(hits))
	for i, h := range hits {
		keys[i] = h.PK
	}
	s.mu.Lock()
	for id, h := range earlier {
		if _, ok := s.hits[id]; !ok {
			s.hits[id] = h
		}
	}
	s.mu.Unlock()
	return keys, nil
}

// maxMoreRounds bounds the searches MoreKeys runs for one lookup.
const maxMoreRounds = 64

// moreKeysHook, when set, runs before each of MoreKeys' searches (tests
// commit rows there).
var moreKeysHook atomic.Pointer[func()]

// searchOf returns the Search for a MATCH ... AGAINST over one of our
// indexes, or nil.
func (m *Manager) searchOf(ma *expression.MatchAgainst) (*Search, error) {
	si, ok := ma.GetIndex().(*storage.SearchIndex)
	if !ok {
		return nil, nil
	}
	s := &Search{m: m, Def: si.Def(), Text: ma.Expr}
	switch ma.SearchModifier {
	case fulltext.SearchModifier_NaturalLanguage:
	case fulltext.SearchModifier_Boolean:
		s.Boolean = true
	default:
		return nil, sql.ErrUnsupportedFeature.New("MATCH ... AGAINST with query expansion")
	}
	if lit, ok := ma.Expr.(*expression.Literal); ok {
		if v, ok := lit.Value().(string); ok && strings.HasPrefix(v, BooleanMarker) {
			s.Boolean = true
		}
	}
	return s, nil
}

// matchConjunct recognises a WHERE conjunct that requires a match:
// MATCH(...) AGAINST(...) itself or MATCH(...) AGAINST(...) > c with c >= 0.
func matchConjunct(e sql.Expression) *expression.MatchAgainst {
	switch x := e.(type) {
	case *expression.MatchAgainst:
		return x
	case *expression.GreaterThan:
		ma, ok := x.Left().(*expression.MatchAgainst)
		if !ok {
			return nil
		}
		lit, ok := x.Right().(*expression.Literal)
		if !ok {
			return nil
		}
		if f, ok := toFloat(lit.Value()); ok && f >= 0 {
			return ma
		}
	}
	return nil
}

// LookupForExpressions implements storage.SearchBackend: a MATCH conjunct
// over one of the table's search indexes becomes a bleve lookup. Inside a
// transaction with uncommitted writes to the table the table path is used
// (the relevance expression scores those rows itself).
func (m *Manager) LookupForExpressions(ctx *sql.Context, t *storage.Table, exprs ...sql.Expression) (sql.IndexLookup, *sql.FuncDepSet, sql.Expression, bool, error) {
	if t.TxnWritesTable(ctx) || pkPinned(t, exprs) {
		return sql.IndexLookup{}, nil, nil, false, nil
	}
	for _, e := range exprs {
		ma := matchConjunct(e)
		if ma == nil {
			continue
		}
		s, err := m.searchOf(ma)
		if err != nil {
			return sql.IndexLookup{}, nil, nil, false, err
		}
		if s == nil || s.Def.TableID != t.TableID() {
			continue
		}
		var idx sql.Index
		ixs, err := t.GetIndexes(ctx)
		if err != nil {
			return sql.IndexLookup{}, nil, nil, false, err
		}
		for _, i := range ixs {
			if si, ok := i.(*storage.SearchIndex); ok && si.Def().IndexID == s.Def.IndexID {
				idx = si
			}
		}
		if idx == nil {
			continue
		}
		s.Table = t
		// The whole filter stays above the lookup (search indexes are never
		// precise): the relevance expression verifies every row.
		return sql.IndexLookup{Index: idx, Ranges: &Ranges{S: s}}, nil, expression.JoinAnd(exprs...), true, nil
	}
	l, ok, err := m.pushdownLookup(ctx, t, exprs)
	if err != nil || !ok {
		return sql.IndexLookup{}, nil, nil, false, err
	}
	// The whole filter stays above as the residual (see pushdown.go).
	return l, nil, expression.JoinAnd(exprs...), true, nil
}

// pkPinned reports whether the conjuncts fix every primary key column with
// = or IN: a primary key lookup then beats any search, and the relevance
// expression scores its few rows one by one.
func pkPinned(t *storage.Table, exprs []sql.Expression) bool {
	pk := t.PrimaryKeySchema()
	if len(pk.PkOrdinals) == 0 {
		return false
	}
	pinned := map[string]bool{}
	for _, e := range exprs {
		var left sql.Expression
		switch x := e.(type) {
		case *expression.Equals:
			if _, ok := x.Right().(*expression.Literal); ok {
				left = x.Left()
			}
		case *expression.InTuple:
			if tup, ok := x.Right().(expression.Tuple); ok {
				lits := true
				for _, c := range tup {
					_, ok := c.(*expression.Literal)
					lits = lits && ok
				}
				if lits {
					left = x.Left()
				}
			}
		}
		if gf, ok := left.(*expression.GetField); ok {
			pinned[strings.ToLower(gf.Name())] = true
		}
	}
	for _, o := range pk.PkOrdinals {
		if !pinned[strings.ToLower(pk.Schema[o].Name)] {
			return false
		}
	}
	return true
}

// BooleanMarker prefixes the search string of an IN BOOLEAN MODE match:
// GMS's planbuilder rejects that mode, so Quarry's parser wrapper rewrites
// it into natural mode over CONCAT(BooleanMarker, string).
const BooleanMarker = "\x00quarry:boolean\x00"

// Relevance replaces MATCH ... AGAINST over a search index: it returns the
// BM25 relevance of the row (0 when it does not match) and is how every
// row is verified against the table. For each row:
//   - a row the transaction wrote and has not committed is scored by
//     evaluating the query on that row alone;
//   - otherwise the row's search hit is looked up; a hit whose indexed
//     content (hash) differs from the row's is re-evaluated on the row;
//   - a row without a hit scores 0.
type Relevance struct {
	S     *Search
	Table *storage.Table
	// Cols are the index columns, PK the primary key columns, as read from
	// the row (GetFields).
	Cols []sql.Expression
	PK   []sql.Expression
	name string
}

var _ sql.Expression = (*Relevance)(nil)

func (r *Relevance) Resolved() bool   { return true }
func (r *Relevance) String() string   { return r.name }
func (r *Relevance) Type() sql.Type   { return types.Float64 }
func (r *Relevance) IsNullable() bool { return false }

// NeedsFullRow tells scans that decode only some columns (the analytics
// pushdown) not to evaluate a relevance: it reads the row's key columns.
func (r *Relevance) NeedsFullRow() bool { return true }

func (r *Relevance) Children() []sql.Expression {
	out := make([]sql.Expression, 0, len(r.Cols)+len(r.PK))
	return append(append(out, r.Cols...), r.PK...)
}
func (r *Relevance) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != len(r.Cols)+len(r.PK) {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(c), len(r.Cols)+len(r.PK))
	}
	nr := *r
	nr.Cols = c[:len(r.Cols)]
	nr.PK = c[len(r.Cols):]
	return &nr, nil
}

// Eval implements sql.Expression.
func (r *Relevance) Eval(ctx *sql.Context, row sql.Row) (interface{}, error) {
	d := r.S.Def
	full := make(sql.Row, len(d.Schema))
	for i, c := range d.Columns {
		v, err := r.Cols[i].Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		full[c.Ord] = v
	}
	for i, o := range d.PK {
		v, err := r.PK[i].Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		full[o] = v
	}
	pk, err := r.Table.PKOf(full)
	if err != nil {
		return nil, err
	}
	sp, err := r.S.getSpec()
	if err != nil {
		return nil, err
	}
	if r.Table.TxnTouched(ctx, pk) {
		return r.evalRow(ctx, sp, full)
	}
	h, ok, why, doc, hasDocs, err := r.S.hit(ctx, pk)
	if err != nil {
		return nil, err
	}
	if !ok {
		// The index has no matching document for the row. Unless it is
		// at the statement's snapshot, or the document is known to be
		// the row's snapshot content, the row may have changed since
		// (a delete, or an update that no longer matches) and matched:
		// it is evaluated alone, as uncommitted rows are.
		if why == missExact || !r.Table.SearchSnapshotReads(ctx) {
			return float64(0), nil
		}
		if hasDocs {
			// The slow path: the searched index's document, if it has
			// the row's content, did not match.
			if doc != "" && doc == sp.Hash(full) {
				return float64(0), nil
			}
		} else if r.S.unchanged(ctx, pk) {
			return float64(0), nil
		}
		return r.evalRow(ctx, sp, full)
	}
	if h.Exact {
		return h.Score, nil
	}
	if h.Hash != sp.Hash(full) {
		return r.evalRow(ctx, sp, full)
	}
	return h.Score, nil
}

// evalRow evaluates the query on one row alone (an in-memory index of one
// document); it returns 1 for a match (relevance against a one-document
// corpus is meaningless) and 0 otherwise.
func (r *Relevance) evalRow(ctx *sql.Context, sp Spec, full sql.Row) (interface{}, error) {
	var b bleve.Index
	var err error
	if m := r.S.m; m != nil {
		if b, err = m.alone.get(sp); err != nil {
			return nil, err
		}
		defer m.alone.put(sp, b)
	} else {
		if b, err = newAlone(sp); err != nil {
			return nil, err
		}
		defer b.Close()
	}
	if err := b.Index("r", sp.Doc(full)); err != nil {
		return nil, err
	}
	q, err := r.S.query(ctx, sp)
	if err != nil {
		return nil, err
	}
	res, err := b.Search(bleve.NewSearchRequestOptions(q, 1, 0, false))
	if err != nil {
		return nil, err
	}
	if len(res.Hits) > 0 {
		return float64(1), nil
	}
	return float64(0), nil
}

// NewRelevance binds a MatchAgainst over one of our indexes; table is the
// table the match columns come from. nil when ma is not ours.
func (m *Manager) NewRelevance(ma *expression.MatchAgainst, table *storage.Table) (*Relevance, error) {
	s, err := m.searchOf(ma)
	if err != nil || s == nil {
		return nil, err
	}
	// The match columns are GetFields of the table; the primary key columns
	// get GetFields with the same table and the column IDs the planbuilder
	// assigned (a table's columns have consecutive IDs in schema order).
	d := s.Def
	gf0, ok := ma.Columns[0].(*expression.GetField)
	if !ok {
		return nil, fmt.Errorf("indexes: MATCH column %s is not a column reference", ma.Columns[0])
	}
	ord0 := d.Schema.IndexOfColName(gf0.Name())
	if ord0 < 0 {
		return nil, fmt.Errorf("indexes: MATCH column %s not found", gf0.Name())
	}
	base := int(gf0.Id()) - ord0
	col := func(ord int) sql.Expression {
		c := d.Schema[ord]
		return expression.NewGetFieldWithTable(base+ord, int(gf0.TableId()), c.Type, gf0.Database(), gf0.Table(), c.Name, c.Nullable)
	}
	s.Table = table
	r := &Relevance{S: s, Table: table, name: matchDisplay(ma)}
	for _, c := range d.Columns {
		r.Cols = append(r.Cols, col(c.Ord))
	}
	for _, o := range d.PK {
		r.PK = append(r.PK, col(o))
	}
	return r, nil
}

// matchDisplay is how a MATCH prints (EXPLAIN, column names): as the user
// wrote it, without the boolean-mode rewrite (the marker, folded into the
// search string or still CONCAT(marker, string), and natural mode).
func matchDisplay(ma *expression.MatchAgainst) string {
	text := ma.Expr
	boolean := ma.SearchModifier == fulltext.SearchModifier_Boolean
	switch x := text.(type) {
	case *expression.Literal:
		if v, ok := x.Value().(string); ok && strings.HasPrefix(v, BooleanMarker) {
			text, boolean = expression.NewLiteral(v[len(BooleanMarker):], x.Type()), true
		}
	case *function.Concat:
		if args := x.Children(); len(args) == 2 {
			if lit, ok := args[0].(*expression.Literal); ok && lit.Value() == BooleanMarker {
				text, boolean = args[1], true
			}
		}
	}
	if !boolean {
		return ma.String()
	}
	cols := make([]string, len(ma.Columns))
	for i, c := range ma.Columns {
		cols[i] = c.String()
	}
	return fmt.Sprintf("MATCH (%s) AGAINST (%s IN BOOLEAN MODE)", strings.Join(cols, ","), text)
}

// Key identifies the search a relevance or lookup runs, for pairing them.
func (s *Search) Key(ctx *sql.Context) string { return s.key(ctx) }

// Share makes r use the hits of lookup search s (same query, same table).
func (r *Relevance) Share(s *Search) { r.S = s }
