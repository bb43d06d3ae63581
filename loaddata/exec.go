package loaddata

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/quarrydb/quarry/internal/insertparse"
)

// Options are the choices of the caller, which knows the INSERT around
// the LOAD DATA node.
type Options struct {
	// Prefetch parses the file on another goroutine, ahead of the rows'
	// consumer.
	Prefetch bool
	// DateColumns[i], for a DATE or DATETIME column i of DestSch, turns
	// its canonical fields ('YYYY-MM-DD[ hh:mm:ss[.ffffff]]') into
	// time.Time values, which the column type converts as it converts
	// the string, only faster. The caller guarantees that nothing between
	// this node and that conversion reads the value (CHECK constraints,
	// triggers, defaults over other columns).
	DateColumns []bool
}

// Build returns the row iterator of a LOAD DATA node: rows of n.DestSch
// for the INSERT above it.
func Build(ctx *sql.Context, n *plan.LoadData, opts Options) (sql.RowIter, error) {
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
	it := &iter{n: n, r: r, p: NewParser(r, f), ignore: n.IgnoreNum, dates: opts.DateColumns}
	it.set = make([]bool, len(n.DestSch))
	// fieldToCol maps each entry of the column list (a column or an
	// @variable; without a list, every column) to its index in DestSch, or
	// -1 for a variable. GMS's projection above this node expects the
	// values of listed columns in list order.
	names := n.ColNames
	if len(names) == 0 {
		for _, c := range n.DestSch {
			names = append(names, c.Name)
		}
	}
	it.fieldToCol = make([]int, len(n.UserVars))
	for fi, ci := 0, 0; fi < len(n.UserVars) && ci < len(names); fi++ {
		if n.UserVars[fi] != nil {
			it.fieldToCol[fi] = -1
			continue
		}
		it.fieldToCol[fi] = n.DestSch.IndexOfColName(names[ci])
		ci++
	}
	if opts.Prefetch {
		it.pre = startPrefetch(ctx, it.p, it.ignore)
		it.ignore = 0
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

type iter struct {
	n          *plan.LoadData
	r          io.ReadCloser
	p          *Parser
	pre        *prefetcher // nil: records are parsed in Next
	ignore     int64
	fieldToCol []int
	dates      []bool
	set        []bool // scratch for row
}

// Next implements sql.RowIter.
func (it *iter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.pre != nil {
		fields, err := it.pre.next(ctx)
		if err != nil {
			return nil, err
		}
		return it.row(ctx, fields)
	}
	for ; it.ignore > 0; it.ignore-- {
		more, err := it.p.SkipLine()
		if err != nil {
			return nil, err
		}
		if !more {
			return nil, io.EOF
		}
	}
	fields, err := it.p.Record()
	if err != nil {
		return nil, err
	}
	return it.row(ctx, fields)
}

func (it *iter) row(ctx *sql.Context, fields []Field) (sql.Row, error) {
	n := it.n
	sch := n.DestSch
	vals := make([]any, len(sch))
	set := it.set
	clear(set)
	// The file's values as a row, for SET expressions.
	var fieldRow sql.Row
	if len(n.SetExprs) > 0 {
		fieldRow = make(sql.Row, len(fields))
		for i, f := range fields {
			if !f.Null {
				fieldRow[i] = fieldString(f.Value)
			}
		}
	}
	pos := 0
	for fi := 0; fi < len(fields) && fi < len(n.UserVars); fi++ {
		var val any
		if !fields[fi].Null {
			s := fieldString(fields[fi].Value)
			val = s
			if ci := it.fieldToCol[fi]; it.dates != nil && ci >= 0 && it.dates[ci] && n.UserVars[fi] == nil {
				if t, ok := insertparse.CanonicalDatetime(s); ok {
					val = t
				}
			}
		}
		if uv := n.UserVars[fi]; uv != nil {
			sf, ok := uv.(*expression.SetField)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable target %s", uv)
			}
			v, ok := sf.LeftChild.(*expression.UserVar)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable target %s", uv)
			}
			if err := ctx.SetUserVariable(ctx, v.Name, val, types.ApproximateTypeFromValue(val)); err != nil {
				return nil, err
			}
			continue
		}
		if pos >= len(vals) {
			continue
		}
		if val == "" && it.fieldToCol[fi] >= 0 {
			// An empty field: '' for strings, the default (or NULL) otherwise.
			col := sch[it.fieldToCol[fi]]
			if _, isString := col.Type.(sql.StringType); !isString {
				v, err := defaultOf(ctx, col, nil)
				if err != nil {
					return nil, err
				}
				val = v
			}
		}
		vals[pos], set[pos] = val, true
		pos++
	}
	// SET col = expr, in list order.
	pos = 0
	for fi := 0; len(n.SetExprs) > 0 && fi < len(it.fieldToCol) && pos < len(vals); fi++ {
		ci := it.fieldToCol[fi]
		if ci == -1 {
			continue
		}
		if e := n.SetExprs[ci]; e != nil {
			v, err := e.Eval(ctx, fieldRow)
			if err != nil {
				return nil, err
			}
			vals[pos], set[pos] = v, true
		}
		pos++
	}
	// Without a column list every column is in the row: missing trailing
	// fields take their defaults.
	// Defaults that are expressions over other columns are evaluated
	// last, over the row.
	if len(n.ColNames) == 0 {
		var exprDefaults []int
		for i, col := range sch {
			if set[i] {
				continue
			}
			if !col.Nullable && col.Default == nil && !col.AutoIncrement {
				return nil, sql.ErrInsertIntoNonNullableDefaultNullColumn.New(col.Name)
			}
			if col.Default != nil && !col.Default.IsLiteral() {
				exprDefaults = append(exprDefaults, i)
				continue
			}
			v, err := defaultOf(ctx, col, nil)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		for _, i := range exprDefaults {
			v, err := defaultOf(ctx, sch[i], vals)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	return sql.NewRow(vals...), nil
}

func defaultOf(ctx *sql.Context, col *sql.Column, row sql.Row) (any, error) {
	if col.Default == nil {
		return nil, nil
	}
	return col.Default.Eval(ctx, row)
}

// Close implements sql.RowIter.
func (it *iter) Close(*sql.Context) error {
	if it.pre != nil {
		it.pre.stop()
	}
	return it.r.Close()
}

// fieldString returns a field's value as a string without copying it:
// the parser never writes to a value's bytes once it returned them.
func fieldString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
