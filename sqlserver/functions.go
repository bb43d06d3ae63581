package sqlserver

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/shopspring/decimal"
)

// quarryFunctions are MySQL built-in functions GMS lacks (INSERT,
// TRUNCATE, MAKEDATE, WEIGHT_STRING) or gets wrong (JSON path escapes; LPAD and RPAD count bytes, not
// characters, and cut multi-byte characters in half; COALESCE's decimal
// type; SIGN of a decimal between -1 and 1; GREATEST/LEAST of decimals;
// LOCATE counts bytes and rejects values that are not Go strings; IFNULL
// takes its first argument's type, so IFNULL(varchar(8) column, 'a longer
// text') fails with 1406). They are looked up
// before GMS's built-ins, through analyzer.ExternalFunctionProvider, the
// hook GMS offers integrators; it is process-wide, and every engine Quarry
// builds installs the same registry.
var quarryFunctions = function.Registry{
	"insert": sql.Function4{Name: "insert", Fn: func(s, pos, n, repl sql.Expression) sql.Expression {
		return newFunc("insert", stringType, evalInsert, s, pos, n, repl)
	}},
	"truncate": sql.Function2{Name: "truncate", Fn: func(x, d sql.Expression) sql.Expression {
		return newFunc("truncate", truncateType, evalTruncate, x, d)
	}},
	"weight_string": sql.Function1{Name: "weight_string", Fn: newWeightString},
	"makedate": sql.Function2{Name: "makedate", Fn: func(y, d sql.Expression) sql.Expression {
		return newFunc("makedate", func([]sql.Expression) sql.Type { return types.Date }, evalMakedate, y, d)
	}},
	"lpad": sql.Function3{Name: "lpad", Fn: func(s, n, pad sql.Expression) sql.Expression {
		return newFunc("lpad", stringType, evalPad(true), s, n, pad)
	}},
	"coalesce": sql.FunctionN{Name: "coalesce", Fn: newCoalesce},
	"ifnull": sql.Function2{Name: "ifnull", Fn: func(a, b sql.Expression) sql.Expression {
		return &ifNull{function.NewIfNull(a, b).(*function.IfNull)}
	}},
	"sign": sql.Function1{Name: "sign", Fn: func(x sql.Expression) sql.Expression {
		return newFunc("sign", func([]sql.Expression) sql.Type { return types.Int64 }, evalSign, x)
	}},
	"locate": sql.FunctionN{Name: "locate", Fn: newLocate},
	// Path member names with \uXXXX escapes (jsonpath.go).
	"json_extract":       sql.FunctionN{Name: "json_extract", Fn: newJSONExtract},
	"json_contains_path": sql.FunctionN{Name: "json_contains_path", Fn: newJSONContainsPath},
	"greatest":           sql.FunctionN{Name: "greatest", Fn: greatestLeast(true)},
	"least":              sql.FunctionN{Name: "least", Fn: greatestLeast(false)},
	"rpad": sql.Function3{Name: "rpad", Fn: func(s, n, pad sql.Expression) sql.Expression {
		return newFunc("rpad", stringType, evalPad(false), s, n, pad)
	}},
}

// installFunctions makes quarryFunctions visible to every engine.
func installFunctions() {
	analyzer.ExternalFunctionProvider = quarryFunctions
}

// fn is a scalar function over its arguments: NULL when any argument is
// NULL, otherwise eval of the argument values.
type fn struct {
	name string
	args []sql.Expression
	typ  func(args []sql.Expression) sql.Type
	eval func(ctx *sql.Context, args []sql.Expression, vals []any) (any, error)
}

var _ sql.FunctionExpression = (*fn)(nil)
var _ sql.CollationCoercible = (*fn)(nil)

func newFunc(name string, typ func([]sql.Expression) sql.Type, eval func(*sql.Context, []sql.Expression, []any) (any, error), args ...sql.Expression) *fn {
	return &fn{name: name, args: args, typ: typ, eval: eval}
}

func (f *fn) FunctionName() string       { return f.name }
func (f *fn) Description() string        { return "MySQL's " + strings.ToUpper(f.name) + "()" }
func (f *fn) Children() []sql.Expression { return f.args }
func (f *fn) Type() sql.Type             { return f.typ(f.args) }
func (f *fn) IsNullable() bool           { return true }
func (f *fn) Resolved() bool             { return expression.ExpressionsResolved(f.args...) }
func (f *fn) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != len(f.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(c), len(f.args))
	}
	return &fn{name: f.name, args: c, typ: f.typ, eval: f.eval}, nil
}

func (f *fn) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	// GMS prints its functions' arguments without spaces, except LPAD and
	// RPAD; SHOW CREATE TABLE and information_schema defaults show it.
	sep := ","
	if f.name == "lpad" || f.name == "rpad" {
		sep = ", "
	}
	return fmt.Sprintf("%s(%s)", f.name, strings.Join(parts, sep))
}

// CollationCoercibility is the first argument's (the string operated on).
func (f *fn) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	if types.IsText(f.typ(f.args)) {
		return sql.GetCoercibility(ctx, f.args[0])
	}
	return sql.Collation_binary, 5
}

func (f *fn) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil || v == nil {
			return nil, err
		}
		vals[i] = v
	}
	return f.eval(ctx, f.args, vals)
}

func stringType([]sql.Expression) sql.Type { return types.LongText }

func toString(ctx *sql.Context, v any) (string, error) {
	v, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return "", err
	}
	s, _, err := sql.Unwrap[string](ctx, v)
	return s, err
}

func toInt(ctx *sql.Context, v any) (int64, error) {
	v, _, err := types.Int64.Convert(ctx, v)
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// evalInsert is INSERT(str, pos, len, newstr): str with len characters
// from pos replaced by newstr; str itself when pos is outside it.
func evalInsert(ctx *sql.Context, _ []sql.Expression, v []any) (any, error) {
	s, err := toString(ctx, v[0])
	if err != nil {
		return nil, err
	}
	pos, err := toInt(ctx, v[1])
	if err != nil {
		return nil, err
	}
	n, err := toInt(ctx, v[2])
	if err != nil {
		return nil, err
	}
	repl, err := toString(ctx, v[3])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	size := int64(len(r))
	if pos < 1 || pos > size {
		return s, nil
	}
	if n < 0 || n > size-pos+1 {
		n = size - pos + 1
	}
	return string(r[:pos-1]) + repl + string(r[pos-1+n:]), nil
}

// evalPad is LPAD/RPAD counted in characters: str cut to n characters, or
// padded to n characters with pad repeated (cut to fit).
func evalPad(left bool) func(*sql.Context, []sql.Expression, []any) (any, error) {
	return func(ctx *sql.Context, _ []sql.Expression, v []any) (any, error) {
		s, err := toString(ctx, v[0])
		if err != nil {
			return nil, err
		}
		n, err := toInt(ctx, v[1])
		if err != nil {
			return nil, err
		}
		pad, err := toString(ctx, v[2])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		r := []rune(s)
		if int64(len(r)) >= n {
			return string(r[:n]), nil
		}
		p := []rune(pad)
		if len(p) == 0 {
			return nil, nil
		}
		need := int(n) - len(r)
		fill := make([]rune, 0, need)
		for len(fill) < need {
			fill = append(fill, p[:min(len(p), need-len(fill))]...)
		}
		if left {
			return string(fill) + s, nil
		}
		return s + string(fill), nil
	}
}

// truncateType: an integer stays an integer, a decimal keeps its integer
// digits and takes D as its scale when D is a constant, anything else is
// a DOUBLE.
func truncateType(args []sql.Expression) sql.Type {
	xt := args[0].Type()
	switch {
	case types.IsInteger(xt):
		if types.IsUnsigned(xt) {
			return types.Uint64
		}
		return types.Int64
	case types.IsDecimal(xt):
		dt := xt.(sql.DecimalType)
		scale := int(dt.Scale())
		if lit, ok := args[1].(*expression.Literal); ok {
			if d, _, err := types.Int64.Convert(sql.NewEmptyContext(), lit.Value()); err == nil {
				scale = int(min(max(d.(int64), 0), 30))
			}
		}
		prec := min(max(int(dt.Precision())-int(dt.Scale())+scale, 1), 65)
		return types.MustCreateDecimalType(uint8(prec), uint8(scale))
	default:
		return types.Float64
	}
}

// evalTruncate is TRUNCATE(X, D): X cut (towards zero) to D decimals; a
// negative D zeroes digits left of the point.
func evalTruncate(ctx *sql.Context, args []sql.Expression, v []any) (any, error) {
	d, err := toInt(ctx, v[1])
	if err != nil {
		return nil, err
	}
	d = min(max(d, -65), 30)
	switch t := truncateType(args).(type) {
	case sql.DecimalType:
		x, _, err := types.InternalDecimalType.Convert(ctx, v[0])
		if err != nil {
			return nil, err
		}
		dec := x.(decimal.Decimal).Shift(int32(d)).Truncate(0).Shift(-int32(d))
		return dec.Round(int32(t.Scale())), nil
	default:
		if types.IsInteger(t) {
			if d >= 0 {
				x, _, err := t.Convert(ctx, v[0])
				return x, err
			}
			p := int64(math.Pow10(int(-d)))
			if t == types.Uint64 {
				x, _, err := types.Uint64.Convert(ctx, v[0])
				if err != nil || -d > 19 {
					return uint64(0), err
				}
				return x.(uint64) / uint64(p) * uint64(p), nil
			}
			x, err := toInt(ctx, v[0])
			if err != nil || -d > 18 {
				return int64(0), err
			}
			return x / p * p, nil
		}
		x, _, err := types.Float64.Convert(ctx, v[0])
		if err != nil {
			return nil, err
		}
		p := math.Pow10(int(d))
		return math.Trunc(x.(float64)*p) / p, nil
	}
}

// evalMakedate is MAKEDATE(year, dayofyear): NULL for a day of year below
// 1 or a date past 9999; years below 100 follow the two-digit year rule.
func evalMakedate(ctx *sql.Context, _ []sql.Expression, v []any) (any, error) {
	y, err := toInt(ctx, v[0])
	if err != nil {
		return nil, err
	}
	doy, err := toInt(ctx, v[1])
	if err != nil {
		return nil, err
	}
	switch {
	case y < 0 || doy < 1:
		return nil, nil
	case y < 70:
		y += 2000
	case y < 100:
		y += 1900
	}
	if y > 9999 || doy > 3660000 {
		return nil, nil
	}
	t := time.Date(int(y), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(doy-1))
	if t.Year() > 9999 {
		return nil, nil
	}
	return t, nil
}

// coalesce fixes the type GMS gives COALESCE over decimals: GMS takes the
// last decimal argument's DECIMAL(p,s), so COALESCE(DECIMAL(5,3) column,
// 0.5) is DECIMAL(1,1) and 1.377 comes back as 1.4 (or fails as out of
// range). MySQL's type keeps the most integer digits and the largest scale
// of the arguments.
type coalesce struct {
	*function.Coalesce
}

func newCoalesce(args ...sql.Expression) (sql.Expression, error) {
	c, err := function.NewCoalesce(args...)
	if err != nil {
		return nil, err
	}
	return &coalesce{c.(*function.Coalesce)}, nil
}

func (c *coalesce) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	return newCoalesce(children...)
}

func (c *coalesce) Type() sql.Type {
	if t := mergedDecimal(c.Children()); t != nil {
		return t
	}
	return c.Coalesce.Type()
}

// mergedDecimal is MySQL's result type for a function returning one of
// args when they are all decimals or integers (NULL aside) and at least
// one is a decimal: the most integer digits and the largest scale; nil
// otherwise.
func mergedDecimal(args []sql.Expression) sql.Type {
	intDigits, scale, decimals := 0, 0, 0
	for _, a := range args {
		if a == nil {
			continue
		}
		switch at := a.Type(); {
		case at == types.Null:
		case types.IsDecimal(at):
			dt := at.(sql.DecimalType)
			intDigits = max(intDigits, int(dt.Precision())-int(dt.Scale()))
			scale = max(scale, int(dt.Scale()))
			decimals++
		case types.IsInteger(at):
			intDigits = max(intDigits, 20)
		default:
			return nil
		}
	}
	if decimals == 0 {
		return nil
	}
	scale = min(scale, 30)
	return types.MustCreateDecimalType(uint8(min(max(intDigits+scale, 1), 65)), uint8(scale))
}

func (c *coalesce) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	t := c.Type()
	if !types.IsDecimal(t) {
		return c.Coalesce.Eval(ctx, row)
	}
	for _, a := range c.Children() {
		if a == nil {
			continue
		}
		v, err := a.Eval(ctx, row)
		if err != nil || v == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		v, _, err = t.Convert(ctx, v)
		return v, err
	}
	return nil, nil
}

// evalSign is SIGN(X): -1, 0 or 1. GMS truncates decimals to integers
// first, so SIGN(-0.25) was 0.
func evalSign(ctx *sql.Context, args []sql.Expression, v []any) (any, error) {
	if types.IsFloat(args[0].Type()) || types.IsText(args[0].Type()) {
		f, _, err := types.Float64.Convert(ctx, v[0])
		if err != nil {
			return nil, err
		}
		switch x := f.(float64); {
		case x > 0:
			return int64(1), nil
		case x < 0:
			return int64(-1), nil
		}
		return int64(0), nil
	}
	d, _, err := types.InternalDecimalType.Convert(ctx, v[0])
	if err != nil {
		return nil, err
	}
	return int64(d.(decimal.Decimal).Sign()), nil
}

// greatestLeast is GREATEST/LEAST: over numbers it compares them as
// decimals (GMS fails with "unsupported type ... decimal.Decimal" as soon
// as a value is a decimal, even from CEIL of a DECIMAL column); any other
// mix is GMS's.
func greatestLeast(greatest bool) func(...sql.Expression) (sql.Expression, error) {
	name, gms := "least", function.NewLeast
	if greatest {
		name, gms = "greatest", function.NewGreatest
	}
	return func(args ...sql.Expression) (sql.Expression, error) {
		if len(args) == 0 {
			return nil, sql.ErrInvalidArgumentNumber.New(strings.ToUpper(name), "1 or more", 0)
		}
		// GMS refuses ENUM and SET arguments when it builds the function;
		// MySQL compares their strings (enumstring.go).
		args = enumStringArgs(args)
		if !expression.ExpressionsResolved(args...) {
			return gms(args...)
		}
		if kind := temporalStringMix(args); kind != nil {
			return newFunc(name, stringType, temporalGreatestLeast(greatest, kind), args...), nil
		}
		if !allNumbers(args) {
			return gms(args...)
		}
		eval := func(ctx *sql.Context, args []sql.Expression, v []any) (any, error) {
			t := numbersType(args)
			var best decimal.Decimal
			for i, x := range v {
				d, _, err := types.InternalDecimalType.Convert(ctx, x)
				if err != nil {
					return nil, err
				}
				dd := d.(decimal.Decimal)
				if i == 0 || (greatest && dd.GreaterThan(best)) || (!greatest && dd.LessThan(best)) {
					best = dd
				}
			}
			out, _, err := t.Convert(ctx, best)
			return out, err
		}
		return newFunc(name, numbersType, eval, args...), nil
	}
}

// temporalStringMix returns the type GREATEST/LEAST compares its
// arguments as when MySQL compares them as temporal values and GMS cannot:
// DATE, DATETIME or TIMESTAMP arguments mixed with strings are compared as
// DATETIME, TIME arguments mixed with strings as TIME (GMS compared a DATE
// with a string as numbers, 0, and refused TIME). The result is then a
// string: the winning argument's own text. nil for any other mix (numbers,
// dates with times, no strings).
func temporalStringMix(args []sql.Expression) sql.Type {
	dates, times, texts := 0, 0, 0
	for _, a := range args {
		switch t := a.Type(); {
		case t == types.Null:
		case types.IsText(t):
			texts++
		case types.IsTimespan(t):
			times++
		case types.IsTime(t):
			dates++
		default:
			return nil
		}
	}
	switch {
	case texts == 0:
		return nil
	case dates > 0 && times == 0:
		return types.DatetimeMaxPrecision
	case times > 0 && dates == 0:
		return types.Time
	}
	return nil
}

// temporalGreatestLeast compares values as kind (DATETIME or TIME) and
// returns the winner's text. A string that is not a valid value of kind
// compares as zero with warning 1292, as MySQL.
func temporalGreatestLeast(greatest bool, kind sql.Type) func(*sql.Context, []sql.Expression, []any) (any, error) {
	return func(ctx *sql.Context, args []sql.Expression, v []any) (any, error) {
		best := -1
		var bestKey any
		for i, x := range v {
			key, _, err := kind.Convert(ctx, x)
			if err != nil || key == nil {
				if s, ok := x.(string); ok {
					name := "datetime"
					if types.IsTimespan(kind) {
						name = "time"
					}
					ctx.Warn(mysql.ERTruncatedWrongValue, "Truncated incorrect %s value: '%s'", name, s)
				}
				key = kind.Zero()
			}
			if best >= 0 {
				c, err := kind.Compare(ctx, key, bestKey)
				if err != nil {
					return nil, err
				}
				if !(greatest && c > 0 || !greatest && c < 0) {
					continue
				}
			}
			best, bestKey = i, key
		}
		if s, ok := v[best].(string); ok {
			return s, nil
		}
		out, err := args[best].Type().SQL(ctx, nil, v[best])
		if err != nil {
			return nil, err
		}
		return out.ToString(), nil
	}
}

// allNumbers reports whether every argument is numeric (or NULL).
func allNumbers(args []sql.Expression) bool {
	for _, a := range args {
		if t := a.Type(); t != types.Null && !types.IsNumber(t) {
			return false
		}
	}
	return true
}

// numbersType is the type of GREATEST/LEAST over numbers: DOUBLE with a
// float argument, else the merged DECIMAL, else BIGINT.
func numbersType(args []sql.Expression) sql.Type {
	for _, a := range args {
		if types.IsFloat(a.Type()) {
			return types.Float64
		}
	}
	if t := mergedDecimal(args); t != nil {
		return t
	}
	return types.Int64
}

// newLocate is LOCATE(substr, str[, pos]): the 1-based character position
// of substr in str at or after pos, 0 if absent, compared case-
// insensitively like GMS's (which counted bytes, failed on values storage
// hands over as wrapped strings, and panicked on a negative pos).
func newLocate(args ...sql.Expression) (sql.Expression, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, sql.ErrInvalidArgumentNumber.New("LOCATE", "2 or 3", len(args))
	}
	return newFunc("locate", func([]sql.Expression) sql.Type { return types.Int64 }, evalLocate, args...), nil
}

func evalLocate(ctx *sql.Context, _ []sql.Expression, v []any) (any, error) {
	sub, err := toString(ctx, v[0])
	if err != nil {
		return nil, err
	}
	str, err := toString(ctx, v[1])
	if err != nil {
		return nil, err
	}
	pos := int64(1)
	if len(v) == 3 {
		if pos, err = toInt(ctx, v[2]); err != nil {
			return nil, err
		}
	}
	s := []rune(strings.ToLower(str))
	if pos < 1 || pos > int64(len(s))+1 {
		return int64(0), nil
	}
	i := strings.Index(string(s[pos-1:]), strings.ToLower(sub))
	if i < 0 {
		return int64(0), nil
	}
	return pos + int64(len([]rune(string(s[pos-1:])[:i]))), nil
}

// ifNull is GMS's IFNULL typed like COALESCE of its two arguments (MySQL
// gives IFNULL the type that holds both; GMS gave it the first's).
type ifNull struct {
	*function.IfNull
}

func (f *ifNull) Type() sql.Type {
	c, err := newCoalesce(f.LeftChild, f.RightChild)
	if err != nil {
		return f.IfNull.Type()
	}
	return c.Type()
}

func (f *ifNull) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := f.IfNull.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &ifNull{e.(*function.IfNull)}, nil
}
