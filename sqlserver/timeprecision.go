package sqlserver

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// GMS has one TIME type, which keeps microseconds (it is TIME(6); plain
// TIME columns are shown as time(6) too) and rejects a declared precision
// of 0 to 5 with "TIME length not yet supported", so a MySQL schema with
// a TIME(3) column (mysqldump output, ORM migrations) did not load.
// timePrecisionParser declares such columns with GMS's TIME, as plain
// TIME already is: CREATE TABLE and ALTER TABLE accept TIME(0) to TIME(5).
// Known difference, shared with plain TIME: values keep the fraction they
// were written with instead of being rounded to the declared precision,
// and the column shows as time(6).

func timePrecisionParser(base sql.Parser) sql.Parser { return timePrecision{base} }

type timePrecision struct{ sql.Parser }

func (p timePrecision) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.Parse(ctx, query, multi)
	if err == nil {
		widenTimeColumns(st)
	}
	return st, q, rest, err
}

func (p timePrecision) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	st, q, rest, err := p.Parser.ParseWithOptions(ctx, query, delimiter, multi, options)
	if err == nil {
		widenTimeColumns(st)
	}
	return st, q, rest, err
}

func (p timePrecision) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	st, n, err := p.Parser.ParseOneWithOptions(ctx, query, options)
	if err == nil {
		widenTimeColumns(st)
	}
	return st, n, err
}

// widenTimeColumns drops a precision of 0 to 5 from the TIME columns that
// st (CREATE TABLE, ALTER TABLE) defines. Other precisions are left for
// GMS to accept (6) or reject (above 6, with its error).
func widenTimeColumns(st ast.Statement) {
	switch s := st.(type) {
	case *ast.DDL:
		widenTimeSpec(s.TableSpec)
	case *ast.AlterTable:
		for _, d := range s.Statements {
			widenTimeSpec(d.TableSpec)
		}
	}
}

func widenTimeSpec(spec *ast.TableSpec) {
	if spec == nil {
		return
	}
	for _, c := range spec.Columns {
		l := c.Type.Length
		if l == nil || len(l.Val) != 1 || l.Val[0] < '0' || l.Val[0] > '5' {
			continue
		}
		if strings.EqualFold(c.Type.Type, "time") {
			c.Type.Length = nil
		}
	}
}
