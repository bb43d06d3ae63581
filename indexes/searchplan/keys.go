package searchplan

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/quarrydb/quarry/indexes"
)

// indexOnly enables keysFromIndex (tests turn it off to compare with the
// general path).
var indexOnly atomic.Bool

func init() { indexOnly.Store(true) }

// keysAnswered counts the searchKeys answered from the index (tests).
var keysAnswered atomic.Int64

// searchKeys answers SELECT <primary key columns> FROM t WHERE <matches
// of one search> from the index alone when the search is exact for the
// statement's snapshot (see indexes.Search.ExactKeys): the matches' document
// IDs are then exactly the primary keys of the rows the WHERE clause
// accepts, and the selected columns are decoded from them, in primary
// key order (the order the search lookup reads rows in), without reading
// a row. Otherwise it runs its child, the original projection over the
// filtered lookup.
type searchKeys struct {
	s       *indexes.Search
	decoder func() func(pk []byte, row sql.Row) error
	cols    []string // the decoded columns, for EXPLAIN
	child   *plan.Project
	exec    sql.NodeExecBuilder
}

var (
	_ sql.ExecSourceRel      = (*searchKeys)(nil)
	_ sql.CollationCoercible = (*searchKeys)(nil)
)

func (k *searchKeys) Resolved() bool       { return true }
func (k *searchKeys) IsReadOnly() bool     { return true }
func (k *searchKeys) Schema() sql.Schema   { return k.child.Schema() }
func (k *searchKeys) Children() []sql.Node { return []sql.Node{k.child} }
func (k *searchKeys) String() string {
	tp := sql.NewTreePrinter()
	_ = tp.WriteNode("SearchKeys(%s; columns: %s; else:)", k.s.Describe(), strings.Join(k.cols, ", "))
	tp.WriteChildren(k.child.String())
	return tp.String()
}

func (k *searchKeys) WithChildren(ch ...sql.Node) (sql.Node, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(k, len(ch), 1)
	}
	p, ok := ch[0].(*plan.Project)
	if !ok {
		return nil, fmt.Errorf("searchplan: SearchKeys over %T", ch[0])
	}
	nk := *k
	nk.child = p
	return &nk, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (k *searchKeys) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return k.child.CollationCoercibility(ctx)
}

// RowIter implements sql.ExecSourceRel.
func (k *searchKeys) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	keys, exact, err := k.s.ExactKeys(ctx)
	if err != nil {
		return nil, err
	}
	if !exact {
		return k.exec.Build(ctx, k.child, row)
	}
	keysAnswered.Add(1)
	return &keysIter{keys: keys, decode: k.decoder(), width: len(k.cols)}, nil
}

// keysIter returns the rows decoded from keys.
type keysIter struct {
	keys   [][]byte
	decode func(pk []byte, row sql.Row) error
	width  int     // columns per row
	chunk  sql.Row // values of the rows to come (see next)
}

// keysChunk is how many rows keysIter allocates at once.
const keysChunk = 64

func (it *keysIter) Next(*sql.Context) (sql.Row, error) {
	if len(it.keys) == 0 {
		return nil, io.EOF
	}
	pk := it.keys[0]
	it.keys[0] = nil
	it.keys = it.keys[1:]
	// Rows are handed out and may be kept (sorts, joins), so each is a
	// distinct piece of a chunk, capped at its width; chunks are never
	// reused.
	if len(it.chunk) < it.width {
		it.chunk = make(sql.Row, min(keysChunk, len(it.keys)+1)*it.width)
	}
	row := it.chunk[:it.width:it.width]
	it.chunk = it.chunk[it.width:]
	if err := it.decode(pk, row); err != nil {
		return nil, err
	}
	return row, nil
}

func (it *keysIter) Close(*sql.Context) error { it.keys = nil; return nil }

// keysFromIndex replaces a projection of primary key columns over a
// filter that only requires matches of one search (searchOnly), over that
// search's lookup, by a searchKeys.
func keysFromIndex(ctx *sql.Context, exec sql.NodeExecBuilder, n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	p, ok := n.(*plan.Project)
	if !ok || !indexOnly.Load() {
		return n, transform.SameTree, nil
	}
	f, ok := p.Child.(*plan.Filter)
	if !ok {
		return n, transform.SameTree, nil
	}
	s := searchOf(ctx, f.Child)
	if s == nil || s.Def.Keyless || !searchOnly(s, f) {
		return n, transform.SameTree, nil
	}
	table := f.Child.(*plan.IndexedTableAccess).Name()
	var ords []int
	var cols []string
	for _, e := range p.Projections {
		if al, ok := e.(*expression.Alias); ok {
			e = al.Child
		}
		gf, ok := e.(*expression.GetField)
		if !ok || !strings.EqualFold(gf.Table(), table) {
			return n, transform.SameTree, nil
		}
		o := s.Def.Schema.IndexOfColName(gf.Name())
		if o < 0 {
			return n, transform.SameTree, nil
		}
		ords = append(ords, o)
		cols = append(cols, s.Def.Schema[o].Name)
	}
	decoder, ok := s.Table.PKDecoder(ords)
	if !ok {
		return n, transform.SameTree, nil
	}
	return &searchKeys{s: s, decoder: decoder, cols: cols, child: p, exec: exec}, transform.NewTree, nil
}

// hasSearchKeys reports whether n holds a searchKeys already.
func hasSearchKeys(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		if _, ok := n.(*searchKeys); ok {
			found = true
		}
		return !found
	})
	return found
}
