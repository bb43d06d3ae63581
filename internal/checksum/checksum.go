// Package checksum computes order-independent table checksums over the
// MySQL protocol, the same way on Quarry and on MySQL/MariaDB, so tests
// and tools can compare a table on both. It is Quarry's documented
// equivalent of CHECKSUM TABLE: every row is read as text (the client
// protocol's rendering), each row hashes with SHA-256 over its
// length-prefixed column values (NULL is distinct from the empty string), and the table
// checksum is the row count plus the sum of the rows' first 8 hash bytes
// modulo 2^64. Equal data gives equal checksums whatever the row order.
//
// Temporal values are compared without trailing fractional zeros: Quarry
// (GMS v0.20) renders DATETIME(6) '...05.100000' as '...05.1', MySQL pads
// to the column's precision; the stored value is the same.
package checksum

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// Sum is a table checksum.
type Sum struct {
	Rows int64
	Hash uint64
}

func (s Sum) String() string { return fmt.Sprintf("%d rows, %016x", s.Rows, s.Hash) }

// Table checksums db.table. h must not use the driver's parseTime (values
// must arrive as the server's text).
func Table(ctx context.Context, h *sql.DB, db, table string) (Sum, error) {
	q := fmt.Sprintf("SELECT * FROM %s.%s", quote(db), quote(table))
	rows, err := h.QueryContext(ctx, q)
	if err != nil {
		return Sum{}, fmt.Errorf("checksum %s.%s: %w", db, table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Sum{}, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var s Sum
	var lenBuf [9]byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Sum{}, err
		}
		hh := sha256.New()
		for _, v := range vals {
			if v == nil {
				hh.Write([]byte{0xff})
				continue
			}
			v = trimFraction(v)
			lenBuf[0] = 0
			binary.BigEndian.PutUint64(lenBuf[1:], uint64(len(v)))
			hh.Write(lenBuf[:])
			hh.Write(v)
		}
		s.Hash += binary.BigEndian.Uint64(hh.Sum(nil)[:8])
		s.Rows++
	}
	if err := rows.Err(); err != nil {
		return Sum{}, fmt.Errorf("checksum %s.%s: %w", db, table, err)
	}
	return s, nil
}

// Database checksums every base table of db, by table name (lower case).
func Database(ctx context.Context, h *sql.DB, db string) (map[string]Sum, error) {
	rows, err := h.QueryContext(ctx,
		"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", db)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make(map[string]Sum, len(names))
	for _, n := range names {
		s, err := Table(ctx, h, db, n)
		if err != nil {
			return nil, err
		}
		out[strings.ToLower(n)] = s
	}
	return out, nil
}

// Diff describes how two database checksums differ ("" if equal).
func Diff(want, got map[string]Sum) string {
	var b strings.Builder
	for n, w := range want {
		g, ok := got[n]
		switch {
		case !ok:
			fmt.Fprintf(&b, "table %s missing (want %s)\n", n, w)
		case g != w:
			fmt.Fprintf(&b, "table %s: want %s, got %s\n", n, w, g)
		}
	}
	for n, g := range got {
		if _, ok := want[n]; !ok {
			fmt.Fprintf(&b, "extra table %s (%s)\n", n, g)
		}
	}
	return b.String()
}

func quote(id string) string { return "`" + strings.ReplaceAll(id, "`", "``") + "`" }

// trimFraction drops trailing zeros (and a bare dot) of the fractional
// seconds of a rendered TIME/DATETIME/TIMESTAMP value; other values are
// returned unchanged.
func trimFraction(v []byte) []byte {
	dot := bytes.LastIndexByte(v, '.')
	if dot < 8 || v[dot-3] != ':' || v[dot-6] != ':' {
		return v
	}
	for _, i := range []int{1, 2, 4, 5, 7} {
		if c := v[dot-i]; c < '0' || c > '9' {
			return v
		}
	}
	for _, c := range v[dot+1:] {
		if c < '0' || c > '9' {
			return v
		}
	}
	end := len(v)
	for end > dot+1 && v[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return v[:end]
}
