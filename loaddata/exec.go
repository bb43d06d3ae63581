package loaddata

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Build returns the row iterator of a LOAD DATA node: rows of n.DestSch
// for the INSERT above it.
func Build(ctx *sql.Context, n *plan.LoadData) (sql.RowIter, error) {
	if len(n.FieldsEnclosedBy) > 1 || len(n.FieldsEscapedBy) > 1 {
		return nil, sql.ErrUnexpectedSeparator.New()
	}
	r, err := open(ctx, n)
	if err != nil {
		return nil, err
	}
	f := Format{FieldsTerminatedBy: n.FieldsTerminatedBy, LinesTerminatedBy: n.LinesTerminatedBy, LinesStartingBy: n.LinesStartingBy}
	if n.FieldsEnclosedBy != "" {
		f.EnclosedBy = n.FieldsEnclosedBy[0]
	}
	if n.FieldsEscapedBy != "" {
		f.EscapedBy = n.FieldsEscapedBy[0]
	}
	it := &iter{n: n, r: r, p: NewParser(r, f), ignore: n.IgnoreNum}
	// Column list entries are columns or @user variables; without a list
	// every column of the table in order.
	names := n.ColNames
	if len(names) == 0 {
		for _, c := range n.DestSch {
			names = append(names, c.Name)
		}
	}
	for i, ci := 0, 0; i < max(len(n.UserVars), len(names)); i++ {
		if i < len(n.UserVars) && n.UserVars[i] != nil {
			it.targets = append(it.targets, target{col: -1, userVar: n.UserVars[i]})
			continue
		}
		if ci >= len(names) {
			break
		}
		idx := n.DestSch.IndexOfColName(names[ci])
		ci++
		if idx < 0 {
			return nil, sql.ErrColumnNotFound.New(names[ci-1])
		}
		it.targets = append(it.targets, target{col: idx})
	}
	return it, nil
}

func open(ctx *sql.Context, n *plan.LoadData) (io.ReadCloser, error) {
	if n.Local {
		_, v, ok := sql.SystemVariables.GetGlobal("local_infile")
		if !ok || fmt.Sprint(v) == "0" {
			return nil, fmt.Errorf("local_infile needs to be set to 1 to use LOCAL")
		}
		return ctx.LoadInfile(n.File)
	}
	_, v, _ := sql.SystemVariables.GetGlobal("secure_file_priv")
	dir, _ := v.(string)
	if v == nil {
		return nil, sql.ErrLoadDataCannotOpen.New("secure_file_priv is NULL: LOAD DATA INFILE is disabled")
	}
	if dir != "" {
		absDir, err1 := filepath.Abs(dir)
		absFile, err2 := filepath.Abs(n.File)
		if err1 != nil || err2 != nil || !strings.HasPrefix(absFile, strings.TrimSuffix(absDir, "/")+"/") {
			return nil, sql.ErrLoadDataCannotOpen.New(fmt.Sprintf("%s is not under secure_file_priv %s", n.File, dir))
		}
	}
	f, err := os.Open(n.File)
	if err != nil {
		return nil, sql.ErrLoadDataCannotOpen.New(err.Error())
	}
	return f, nil
}

type target struct {
	col     int            // destination column, or -1
	userVar sql.Expression // SetField(@var, ...) when col < 0
}

type iter struct {
	n       *plan.LoadData
	r       io.ReadCloser
	p       *Parser
	ignore  int64
	targets []target
	line    int64
}

// Next implements sql.RowIter.
func (it *iter) Next(ctx *sql.Context) (sql.Row, error) {
	for ; it.ignore > 0; it.ignore-- {
		more, err := it.p.SkipLine()
		if err != nil {
			return nil, err
		}
		it.line++
		if !more {
			return nil, io.EOF
		}
	}
	fields, err := it.p.Record()
	if err != nil {
		return nil, err
	}
	it.line++
	return it.row(ctx, fields)
}

func (it *iter) row(ctx *sql.Context, fields []Field) (sql.Row, error) {
	sch := it.n.DestSch
	row := make(sql.Row, len(sch))
	set := make([]bool, len(sch))
	// Values of the file as a row, for SET expressions referring to them.
	fieldRow := make(sql.Row, len(fields))
	for i, f := range fields {
		if !f.Null {
			fieldRow[i] = string(f.Value)
		}
	}
	for i, t := range it.targets {
		var val any
		present := i < len(fields)
		if present && !fields[i].Null {
			val = string(fields[i].Value)
		}
		if t.col < 0 {
			sf, ok := t.userVar.(*expression.SetField)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable target %s", t.userVar)
			}
			uv, ok := sf.LeftChild.(*expression.UserVar)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable target %s", t.userVar)
			}
			if err := ctx.SetUserVariable(ctx, uv.Name, val, types.ApproximateTypeFromValue(val)); err != nil {
				return nil, err
			}
			continue
		}
		if !present {
			continue // missing trailing fields take defaults below
		}
		col := sch[t.col]
		if val == "" {
			// An empty field: '' for strings, the default (or NULL) otherwise.
			if _, isString := col.Type.(sql.StringType); !isString {
				v, err := defaultOf(ctx, col, row)
				if err != nil {
					return nil, err
				}
				val = v
			}
		}
		row[t.col], set[t.col] = val, true
	}
	for i, e := range it.n.SetExprs {
		if e == nil {
			continue
		}
		v, err := e.Eval(ctx, fieldRow)
		if err != nil {
			return nil, err
		}
		row[i], set[i] = v, true
	}
	for i, col := range sch {
		if set[i] {
			continue
		}
		if !col.Nullable && col.Default == nil && !col.AutoIncrement {
			return nil, sql.ErrInsertIntoNonNullableDefaultNullColumn.New(col.Name)
		}
		v, err := defaultOf(ctx, col, row)
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

func defaultOf(ctx *sql.Context, col *sql.Column, row sql.Row) (any, error) {
	if col.Default == nil {
		return nil, nil
	}
	return col.Default.Eval(ctx, row)
}

// Close implements sql.RowIter.
func (it *iter) Close(*sql.Context) error { return it.r.Close() }
