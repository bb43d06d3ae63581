package differential

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	gmssql "github.com/dolthub/go-mysql-server/sql"
)

// result is a statement's outcome on one server: rows of text values (nil
// is NULL) or an error.
type result struct {
	cols int
	rows [][]*string
	err  error
}

// run executes q over the text protocol on conn.
func run(ctx context.Context, conn *sql.Conn, q string) result {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return result{err: err}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return result{err: err}
	}
	res := result{cols: len(cols)}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return result{err: err}
		}
		row := make([]*string, len(cols))
		for i, b := range raw {
			if b != nil {
				s := string(b)
				row[i] = &s
			}
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return result{err: err}
	}
	return res
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// canonNumber formats a number by value to 12 significant digits: MySQL
// and MariaDB differ legitimately in the scale of computed decimals and in
// float formatting, and the type and scale of aggregates are the client
// tests' business.
func canonNumber(s string) (string, bool) {
	if !numberRE.MatchString(s) {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", false
	}
	if f == 0 {
		f = 0 // no negative zero
	}
	return strconv.FormatFloat(f, 'g', 12, 64), true
}

var generalCI = gmssql.Collation_utf8mb4_general_ci.Sorter()

// fold maps s to its utf8mb4_general_ci weight string (PAD SPACE: trailing
// spaces do not count), so strings equal under the collation fold equally.
func fold(s string) string {
	s = strings.TrimRight(s, " ")
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "%x.", generalCI(r))
	}
	return b.String()
}

// leniency loosens the comparison to classify a difference.
type leniency struct {
	// midnight: a DATETIME at midnight equals the DATE.
	midnight bool
	// cents: numbers are compared rounded to two decimals.
	cents bool
}

var midnightRE = regexp.MustCompile(`^(\d{4}-\d\d-\d\d) 00:00:00$`)

// cellKey is the comparison key of one value.
func cellKey(v *string, folded bool, l leniency) string {
	if v == nil {
		return "\x00NULL"
	}
	if l.midnight {
		if m := midnightRE.FindStringSubmatch(*v); m != nil {
			v = &m[1]
		}
	}
	if l.cents && numberRE.MatchString(*v) {
		if f, err := strconv.ParseFloat(*v, 64); err == nil {
			return "n:" + strconv.FormatFloat(math.Round(f*100)/100+0, 'f', 2, 64)
		}
	}
	if n, ok := canonNumber(*v); ok {
		return "n:" + n
	}
	if folded {
		return "f:" + fold(*v)
	}
	return "s:" + *v
}

func rowKey(row []*string, folded bool, l leniency) string {
	keys := make([]string, len(row))
	for i, v := range row {
		keys[i] = cellKey(v, folded, l)
	}
	return strings.Join(keys, "\x01")
}

// diff compares Quarry's result with MariaDB's for q and describes the
// first difference, or returns "" when they agree.
func diff(q query, quarry, maria result) string {
	switch {
	case quarry.err != nil && maria.err != nil:
		return ""
	case quarry.err != nil:
		return fmt.Sprintf("Quarry failed: %v", quarry.err)
	case maria.err != nil:
		return fmt.Sprintf("MariaDB failed (Quarry returned %d rows): %v", len(quarry.rows), maria.err)
	case quarry.cols != maria.cols:
		return fmt.Sprintf("columns: Quarry %d, MariaDB %d", quarry.cols, maria.cols)
	case len(quarry.rows) != len(maria.rows):
		return fmt.Sprintf("row count: Quarry %d, MariaDB %d\n%s", len(quarry.rows), len(maria.rows), sample(quarry, maria))
	}
	d := compareRows(q, quarry, maria, leniency{})
	if d == "" {
		return ""
	}
	// Name the differences MySQL-family servers are known to have in
	// formatting, so the list of known mismatches can refer to them.
	lenient := compareRows(q, quarry, maria, leniency{midnight: true})
	if lenient == "" {
		return "DATE shown as DATETIME (nothing else differs): " + d
	}
	if compareRows(q, quarry, maria, leniency{cents: true}) == "" ||
		compareRows(q, quarry, maria, leniency{cents: true, midnight: true}) == "" {
		return "numbers differ below 0.01 (nothing else differs): " + d
	}
	if lenient != d {
		d += "\n  with DATE = DATETIME at midnight: " + lenient
	}
	return d
}

// compareRows compares two results of the same shape under l.
func compareRows(q query, quarry, maria result, l leniency) string {
	keys := func(r result, folded bool) []string {
		ks := make([]string, len(r.rows))
		for i, row := range r.rows {
			ks[i] = rowKey(row, folded, l)
		}
		return ks
	}
	if q.ordered {
		qk, mk := keys(quarry, true), keys(maria, true)
		for i := range qk {
			if qk[i] != mk[i] {
				return fmt.Sprintf("ordered row %d: Quarry %s, MariaDB %s", i, show(quarry.rows[i]), show(maria.rows[i]))
			}
		}
	}
	qk, mk := keys(quarry, !q.exact), keys(maria, !q.exact)
	if onlyQ, onlyM := multisetDiff(quarry, qk, mk), multisetDiff(maria, mk, qk); len(onlyQ)+len(onlyM) > 0 {
		return fmt.Sprintf("rows differ (as multisets, exact=%v)\n  only Quarry: %s\n  only MariaDB: %s",
			q.exact, strings.Join(onlyQ, " "), strings.Join(onlyM, " "))
	}
	return ""
}

// multisetDiff shows (up to 8 of) the rows of r whose keys (ak) are not
// matched in bk.
func multisetDiff(r result, ak, bk []string) []string {
	count := map[string]int{}
	for _, k := range bk {
		count[k]++
	}
	var out []string
	for i, k := range ak {
		if count[k] > 0 {
			count[k]--
			continue
		}
		if len(out) == 8 {
			out = append(out, "...")
			break
		}
		out = append(out, show(r.rows[i]))
	}
	return out
}

func show(row []*string) string {
	parts := make([]string, len(row))
	for i, v := range row {
		if v == nil {
			parts[i] = "NULL"
		} else {
			parts[i] = strconv.Quote(*v)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// sample prints the first rows of both results.
func sample(quarry, maria result) string {
	const n = 8
	var b strings.Builder
	for _, side := range []struct {
		name string
		r    result
	}{{"Quarry ", quarry}, {"MariaDB", maria}} {
		fmt.Fprintf(&b, "  %s:", side.name)
		for i, row := range side.r.rows {
			if i == n {
				fmt.Fprintf(&b, " ... (%d rows)", len(side.r.rows))
				break
			}
			b.WriteString(" " + show(row))
		}
		b.WriteString("\n")
	}
	return b.String()
}
