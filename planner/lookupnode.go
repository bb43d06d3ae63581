package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
)

// LookupNode is a Quarry scan node that reads one static index lookup. The
// server's plan cache re-keys such a node with the ranges of new literal
// values, as it does GMS's IndexedTableAccess.
type LookupNode interface {
	sql.Node
	// IndexLookup returns the node's lookup; ok is false for a full scan.
	IndexLookup() (sql.IndexLookup, bool)
	// WithIndexLookup returns a copy of the node reading lookup instead,
	// with execution statistics of its own.
	WithIndexLookup(lookup sql.IndexLookup) sql.Node
	// InternalExpressions returns the expressions the node evaluates that
	// it does not expose as a sql.Expressioner (filters, group keys,
	// aggregate arguments), so that callers can inspect them.
	InternalExpressions() []sql.Expression
}

// HasLiteral reports whether any of exprs contains a literal other than
// the non-NULL argument of a COUNT (COUNT(*) binds as COUNT(1)).
func HasLiteral(exprs []sql.Expression) bool {
	for _, e := range exprs {
		switch x := e.(type) {
		case *expression.Literal:
			return true
		case *aggregation.Count:
			for _, ch := range x.Children() {
				if l, ok := ch.(*expression.Literal); ok && l.Value() != nil {
					continue
				}
				if HasLiteral([]sql.Expression{ch}) {
					return true
				}
			}
			continue
		}
		if e != nil && HasLiteral(e.Children()) {
			return true
		}
	}
	return false
}

var _ LookupNode = (*AggScan)(nil)

// IndexLookup implements LookupNode.
func (n *AggScan) IndexLookup() (sql.IndexLookup, bool) {
	if n.src.lookup == nil {
		return sql.IndexLookup{}, false
	}
	return *n.src.lookup, true
}

// WithIndexLookup implements LookupNode.
func (n *AggScan) WithIndexLookup(lookup sql.IndexLookup) sql.Node {
	c := *n
	c.src.lookup = &lookup
	c.stats = &execStats{}
	return &c
}

// InternalExpressions implements LookupNode.
func (n *AggScan) InternalExpressions() []sql.Expression {
	var out []sql.Expression
	if n.src.filter != nil {
		out = append(out, n.src.filter)
	}
	out = append(out, n.group...)
	out = append(out, n.selected...)
	for _, s := range n.specs {
		out = append(out, s.args...)
	}
	return out
}

var _ LookupNode = (*TopKScan)(nil)

// IndexLookup implements LookupNode.
func (n *TopKScan) IndexLookup() (sql.IndexLookup, bool) {
	if n.src.lookup == nil {
		return sql.IndexLookup{}, false
	}
	return *n.src.lookup, true
}

// WithIndexLookup implements LookupNode.
func (n *TopKScan) WithIndexLookup(lookup sql.IndexLookup) sql.Node {
	c := *n
	c.src.lookup = &lookup
	c.stats = &execStats{}
	return &c
}

// InternalExpressions implements LookupNode: the residual filter and the
// sort keys (the row count k is part of the node, not an expression).
func (n *TopKScan) InternalExpressions() []sql.Expression {
	var out []sql.Expression
	if n.src.filter != nil {
		out = append(out, n.src.filter)
	}
	for _, f := range n.fields {
		out = append(out, f.Column)
	}
	return out
}
