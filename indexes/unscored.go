package indexes

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// unscoredForm rewrites q, for a search that only collects matches
// (Score "none"), into a flatter query matching exactly the same
// documents: match queries become their term queries, nested
// conjunctions one conjunction, one-clause conjunctions and disjunctions
// their clause, and a boolean query with only required clauses their
// conjunction. Bleve intersects a conjunction of plain term searchers as
// posting bitmaps ("conjunction:unadorned"), but only when no clause is
// itself a composite searcher: MATCH ... AGAINST('+a +b' IN BOOLEAN
// MODE) builds a conjunction of one-term conjunctions, which it walks
// document by document instead. A boolean query keeps its shape, with
// its clauses rewritten (its must clause then intersects as bitmaps) and
// its optional clauses dropped when it has required ones.
func unscoredForm(q query.Query, m mapping.IndexMapping) query.Query {
	switch x := q.(type) {
	case *query.MatchQuery:
		if x.Fuzziness != 0 || x.Prefix != 0 { // (Quarry never sets auto fuzziness)
			return q
		}
		an := x.Analyzer
		if an == "" {
			an = m.AnalyzerNameForPath(x.FieldVal)
		}
		a := m.AnalyzerNamed(an)
		if a == nil || x.FieldVal == "" {
			return q // the search reports the error
		}
		tokens := a.Analyze([]byte(x.Match))
		if len(tokens) == 0 {
			return bleve.NewMatchNoneQuery()
		}
		tqs := make([]query.Query, len(tokens))
		for i, t := range tokens {
			tq := bleve.NewTermQuery(string(t.Term))
			tq.SetField(x.FieldVal)
			tqs[i] = tq
		}
		if len(tqs) == 1 {
			return tqs[0]
		}
		if x.Operator == query.MatchQueryOperatorAnd {
			return bleve.NewConjunctionQuery(tqs...)
		}
		d := bleve.NewDisjunctionQuery(tqs...)
		d.SetMin(1)
		return d
	case *query.ConjunctionQuery:
		var cs []query.Query
		for _, c := range x.Conjuncts {
			c = unscoredForm(c, m)
			if cc, ok := c.(*query.ConjunctionQuery); ok {
				cs = append(cs, cc.Conjuncts...)
			} else {
				cs = append(cs, c)
			}
		}
		if len(cs) == 1 {
			return cs[0]
		}
		return bleve.NewConjunctionQuery(cs...)
	case *query.DisjunctionQuery:
		if len(x.Disjuncts) == 1 && x.Min <= 1 {
			return unscoredForm(x.Disjuncts[0], m)
		}
		ds := make([]query.Query, len(x.Disjuncts))
		for i, d := range x.Disjuncts {
			ds[i] = unscoredForm(d, m)
		}
		d := bleve.NewDisjunctionQuery(ds...)
		d.SetMin(x.Min)
		return d
	case *query.BooleanQuery:
		if x.Filter != nil {
			return q
		}
		should := x.Should
		if d, ok := should.(*query.DisjunctionQuery); ok && d.Min == 0 && x.Must != nil {
			// Optional clauses only score: without scores they match
			// nothing more or less (bleve's BooleanSearcher accepts a
			// must match whatever should says when its Min is 0).
			should = nil
		}
		if should == nil && x.MustNot == nil && x.Must != nil {
			return unscoredForm(x.Must, m)
		}
		out := &query.BooleanQuery{}
		if x.Must != nil {
			out.Must = unscoredForm(x.Must, m)
		}
		if should != nil {
			d, ok := should.(*query.DisjunctionQuery)
			if !ok {
				return q
			}
			// Keep it a disjunction: the boolean searcher reads its Min.
			ds := make([]query.Query, len(d.Disjuncts))
			for i, c := range d.Disjuncts {
				ds[i] = unscoredForm(c, m)
			}
			nd := bleve.NewDisjunctionQuery(ds...)
			nd.SetMin(d.Min)
			out.Should = nd
		}
		if x.MustNot != nil {
			out.MustNot = unscoredForm(x.MustNot, m)
		}
		return out
	}
	return q
}
