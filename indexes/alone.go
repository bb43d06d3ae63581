package indexes

import (
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/upsidedown"
	"github.com/blevesearch/bleve/v2/index/upsidedown/store/gtreap"
)

// alonePool keeps in-memory one-document indexes per search index
// definition, for evaluating a query on one row (Relevance.evalRow):
// building the mapping and the index costs far more than indexing a row
// and searching it. An index is used by one evaluation at a time; each
// evaluation replaces the document "r".
type alonePool struct {
	mu     sync.Mutex
	free   map[string][]bleve.Index
	closed bool
}

// aloneKeep bounds the idle indexes kept per definition.
const aloneKeep = 4

// aloneKey identifies what an index's mapping depends on.
func aloneKey(sp Spec) string {
	d := sp.Def
	k := fmt.Sprintf("%d/%d/%q", d.TableID, d.IndexID, d.Comment)
	for _, c := range d.Columns {
		k += fmt.Sprintf("/%d:%s", c.Ord, c.Type)
	}
	return k
}

// newAlone builds an in-memory index for sp's documents.
func newAlone(sp Spec) (bleve.Index, error) {
	im, err := sp.Mapping()
	if err != nil {
		return nil, err
	}
	return bleve.NewUsing("", im, upsidedown.Name, gtreap.Name, nil)
}

// get returns an idle index for sp, or a new one.
func (p *alonePool) get(sp Spec) (bleve.Index, error) {
	k := aloneKey(sp)
	p.mu.Lock()
	if l := p.free[k]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[k] = l[:len(l)-1]
		p.mu.Unlock()
		return b, nil
	}
	p.mu.Unlock()
	return newAlone(sp)
}

// put returns an index to the pool (closing it when the pool is full or
// closed).
func (p *alonePool) put(sp Spec, b bleve.Index) {
	k := aloneKey(sp)
	p.mu.Lock()
	if !p.closed && len(p.free[k]) < aloneKeep {
		if p.free == nil {
			p.free = map[string][]bleve.Index{}
		}
		p.free[k] = append(p.free[k], b)
		b = nil
	}
	p.mu.Unlock()
	if b != nil {
		_ = b.Close()
	}
}

// drop closes the idle indexes of one search index (prefix: its IDs),
// or of all when all is set (the pool then stays closed).
func (p *alonePool) drop(table, index uint32, all bool) {
	pre := fmt.Sprintf("%d/%d/", table, index)
	p.mu.Lock()
	var out []bleve.Index
	for k, l := range p.free {
		if all || len(k) >= len(pre) && k[:len(pre)] == pre {
			out = append(out, l...)
			delete(p.free, k)
		}
	}
	if all {
		p.closed = true
	}
	p.mu.Unlock()
	for _, b := range out {
		_ = b.Close()
	}
}
