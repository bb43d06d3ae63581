package indexes

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/quarrydb/quarry/storage"
)

// Aggregation from the index: GROUP BY one keyword column with COUNT(*),
// answered from the keyword field's doc values (the terms bleve's terms
// facet counts) over the matches of an exact search.
//
// Groups follow GMS's grouping: string values are grouped by their
// collation weight string (sql.CollationID.WriteWeightString, which
// GMS's groupingKey hashes), so 'Paid' and 'paid', or 'north' and
// 'north ' under a PAD SPACE collation, form one group. The keyword field
// holds each row's original value, so a group's members and their counts
// are known exactly. Its value is the one the table path returns, the
// value of the group's first row in primary-key order (GMS takes the
// group's first row; a full scan, and the analytics pushdown, read in
// primary-key order): when a group holds several distinct values, the
// group's match with the smallest document ID (its encoded primary key,
// whose byte order is the primary key's) gives it. Empty strings have no
// keyword term (they count as missing, like NULLs, which the NULL-marker
// field tells apart); a group that mixes '' with other values cannot be
// resolved that way and the caller falls back to the table path.

// Group is one group of a GROUP BY answered from a search index.
type Group struct {
	Value any // the group's value; nil is the NULL group
	Count int64
}

// GroupableField returns the field of search index d that GROUP BY col
// can be answered from: a keyword field over a VARCHAR column.
func GroupableField(d storage.SearchIndexDef, col string) (Field, bool) {
	sp, err := ParseSpec(d)
	if err != nil {
		return Field{}, false
	}
	for _, f := range sp.Fields {
		if strings.EqualFold(f.Col.Name, col) && f.Kind == KindKeyword && f.Col.Type.Type() == sqltypes.VarChar {
			if _, ok := f.Col.Type.(sql.StringType); ok {
				return f, true
			}
		}
	}
	return Field{}, false
}

// Groups returns the groups of GROUP BY f (a GroupableField of the
// search's index) over the search's matches, when the search is exact
// for the statement's snapshot (see withIndex) and the groups' values can
// be resolved (see the comment above); ok is false otherwise and the
// caller aggregates rows instead. Groups come in weight order, the NULL
// group first.
func (s *Search) Groups(ctx *sql.Context, f Field) (groups []Group, ok bool, err error) {
	if s.K > 0 || s.Pushed != nil && !s.PushedExact {
		return nil, false, nil
	}
	st, isStr := f.Col.Type.(sql.StringType)
	if !isStr {
		return nil, false, nil
	}
	exact, err := s.withIndex(ctx, func(ix *Index, q query.Query, exact bool) error {
		if !exact {
			return nil
		}
		odd, err := s.oddMatches(ctx, ix)
		if err != nil || odd {
			return err
		}
		groups, ok, err = ix.groups(ctx, q, f, st.Collation())
		return err
	})
	if err != nil || !exact {
		return nil, false, err
	}
	if ok {
		groupsAnswered.Add(1)
	}
	return groups, ok, nil
}

// groupsAnswered counts the GROUP BYs answered from an index.
var groupsAnswered atomic.Int64

// GroupsAnswered returns how many GROUP BYs were answered from a search
// index (Search.Groups with ok) since the process started.
func GroupsAnswered() int64 { return groupsAnswered.Load() }

// oddMatches reports whether a document carries an out-of-range marker
// the pushed query assumes absent (see pusher.rangeQuery): the query may
// then match rows the predicate rejects.
func (s *Search) oddMatches(ctx context.Context, ix *Index) (bool, error) {
	for _, f := range s.PushedOdd {
		oq := bleve.NewTermQuery(outOfRangeTerm)
		oq.SetField(f)
		c, err := ix.Matches(ctx, oq, nil)
		if err != nil || c > 0 {
			return c > 0, err
		}
	}
	return false, nil
}

// valueGroup is the members of one group: its distinct values (keyword
// terms) and counts.
type valueGroup struct {
	weight []byte
	terms  []string
	count  int64
	// rep is the group's value once resolved; minID the smallest
	// document ID seen while resolving it.
	rep   string
	minID string
	mixed bool
}

// groups computes the groups of f over q's matches (see Search.Groups).
func (ix *Index) groups(ctx context.Context, q query.Query, f Field, coll sql.CollationID) ([]Group, bool, error) {
	field := f.Name()
	counts := map[string]int64{}
	var missing int64
	err := ix.visitValues(ctx, q, field, false, func(_ func() (string, error), term []byte, has bool) error {
		if !has {
			missing++
			return nil
		}
		counts[string(term)]++
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	var nulls int64
	if missing > 0 {
		nq := bleve.NewTermQuery(nullTerm)
		nq.SetField(f.NullName())
		n, err := ix.Matches(ctx, bleve.NewConjunctionQuery(q, nq), nil)
		if err != nil {
			return nil, false, err
		}
		nulls = int64(n)
	}
	empties := missing - nulls // non-NULL values without a term: ''
	if empties < 0 {
		return nil, false, fmt.Errorf("indexes: %s: %d NULLs among %d documents without a value", ix.Spec.Def.Name, nulls, missing)
	}
	if empties > 0 {
		counts[""] += empties
	}
	byWeight := map[string]*valueGroup{}
	var buf bytes.Buffer
	for term, c := range counts {
		buf.Reset()
		if err := coll.WriteWeightString(&buf, term); err != nil {
			return nil, false, err
		}
		g := byWeight[buf.String()]
		if g == nil {
			g = &valueGroup{weight: bytes.Clone(buf.Bytes())}
			byWeight[buf.String()] = g
		}
		g.terms = append(g.terms, term)
		g.count += c
	}
	// term -> its group, for the groups with several values.
	mixedOf := map[string]*valueGroup{}
	for _, g := range byWeight {
		if len(g.terms) == 1 {
			g.rep = g.terms[0]
			continue
		}
		for _, t := range g.terms {
			if t == "" {
				return nil, false, nil // '' cannot be told from NULL by doc values
			}
			mixedOf[t] = g
		}
		g.mixed = true
	}
	if len(mixedOf) > 0 {
		err := ix.visitValues(ctx, q, field, true, func(id func() (string, error), term []byte, has bool) error {
			if !has {
				return nil
			}
			g := mixedOf[string(term)]
			if g == nil {
				return nil
			}
			d, err := id()
			if err != nil {
				return err
			}
			if g.minID == "" || d < g.minID {
				g.minID, g.rep = d, string(term)
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	out := make([]*valueGroup, 0, len(byWeight))
	for _, g := range byWeight {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].weight, out[j].weight) < 0 })
	res := make([]Group, 0, len(out)+1)
	if nulls > 0 {
		res = append(res, Group{Value: nil, Count: nulls})
	}
	for _, g := range out {
		res = append(res, Group{Value: g.rep, Count: g.count})
	}
	return res, true, nil
}

// visitValues calls fn for every match of q with the match's term of
// keyword field (has: the document has one) and a function returning the
// match's document ID (resolved on demand, with needIDs).
func (ix *Index) visitValues(ctx context.Context, q query.Query, field string, needIDs bool, fn func(id func() (string, error), term []byte, has bool) error) error {
	ii, err := ix.b.Advanced()
	if err != nil {
		return err
	}
	r, err := ii.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	dvr, err := r.DocValueReader([]string{field})
	if err != nil {
		return fmt.Errorf("indexes: doc values of %s: %w", ix.Spec.Def.Name, err)
	}
	sr, err := unscoredForm(q, ix.b.Mapping()).Searcher(ctx, r, ix.b.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
	}
	defer sr.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	var term []byte
	var has bool
	visit := func(_ string, t []byte) { term, has = append(term[:0], t...), true }
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return fmt.Errorf("indexes: search %s: %w", ix.Spec.Def.Name, err)
		}
		if dm == nil {
			return nil
		}
		has = false
		if err := dvr.VisitDocValues(dm.IndexInternalID, visit); err != nil {
			return fmt.Errorf("indexes: doc values of %s: %w", ix.Spec.Def.Name, err)
		}
		internal := dm.IndexInternalID
		id := func() (string, error) { return r.ExternalID(internal) }
		if !needIDs {
			id = nil
		}
		if err := fn(id, term, has); err != nil {
			return err
		}
		sctx.DocumentMatchPool.Put(dm)
	}
}
