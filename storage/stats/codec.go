package stats

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	gmsstats "github.com/dolthub/go-mysql-server/sql/stats"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// ErrCorrupt is wrapped by the errors returned for stored records that
// cannot be decoded.
var ErrCorrupt = errors.New("stats: corrupt statistics record")

// recordVersion is the value of record.Version this package writes.
const recordVersion = 1

// record is the persisted form of one statistic. go-mysql-server's own JSON
// form of stats.Statistic (its struct tags, read back through
// stats.StatisticJSON) drops the column types and turns every bound value
// into a float64 or string, so it cannot be used to restore a histogram the
// optimizer compares against typed keys.
type record struct {
	Version       int            `json:"v"`
	Database      string         `json:"database"`
	Schema        string         `json:"schema,omitempty"`
	Table         string         `json:"table"`
	Index         string         `json:"index"`
	Columns       []string       `json:"columns"`
	Types         []string       `json:"types"` // sql.Type.String(); "" if unknown
	RowCount      uint64         `json:"row_count"`
	DistinctCount uint64         `json:"distinct_count"`
	NullCount     uint64         `json:"null_count"`
	AvgSize       uint64         `json:"avg_size"`
	CreatedAt     string         `json:"created_at"` // RFC 3339, UTC, nanoseconds
	IndexClass    uint8          `json:"index_class"`
	LowerBound    []value        `json:"lower_bound"`
	Buckets       []bucketRecord `json:"buckets"`
}

type bucketRecord struct {
	RowCount      uint64    `json:"row_count"`
	DistinctCount uint64    `json:"distinct_count"`
	NullCount     uint64    `json:"null_count"`
	BoundCount    uint64    `json:"bound_count"`
	UpperBound    []value   `json:"upper_bound"`
	McvCounts     []uint64  `json:"mcv_counts"`
	Mcvs          [][]value `json:"mcvs"`
}

// value is one key value, written as JSON null or as a [tag, text] pair.
type value struct {
	null bool
	tag  string
	text string
}

// Value tags. Each names the Go type the value is restored as, except
// tagSQL, whose text is the base64 of the value's SQL encoding
// (sql.Type.SQL) and which is restored with the column type's Convert.
const (
	tagBool     = "bool"
	tagInt      = "int"
	tagInt8     = "i8"
	tagInt16    = "i16"
	tagInt32    = "i32"
	tagInt64    = "i64"
	tagUint     = "uint"
	tagUint8    = "u8"
	tagUint16   = "u16"
	tagUint32   = "u32"
	tagUint64   = "u64"
	tagFloat32  = "f32"
	tagFloat64  = "f64"
	tagString   = "str"
	tagBytes    = "bytes"    // base64
	tagTime     = "time"     // RFC 3339 with nanoseconds
	tagDecimal  = "dec"      // <coefficient>e<exponent>
	tagTimespan = "timespan" // types.Timespan, microseconds
	tagSQL      = "sql"
)

func (v value) MarshalJSON() ([]byte, error) {
	if v.null {
		return []byte("null"), nil
	}
	return json.Marshal([2]string{v.tag, v.text})
}

func (v *value) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*v = value{null: true}
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("value must be null or a [tag, text] pair, got %d elements", len(pair))
	}
	*v = value{tag: pair[0], text: pair[1]}
	return nil
}

// encodeValue encodes v, a value of column type typ (which may be nil when
// v's Go type is one of the natively tagged ones).
func encodeValue(ctx *sql.Context, typ sql.Type, v interface{}) (value, error) {
	switch x := v.(type) {
	case nil:
		return value{null: true}, nil
	case bool:
		return value{tag: tagBool, text: strconv.FormatBool(x)}, nil
	case int:
		return value{tag: tagInt, text: strconv.FormatInt(int64(x), 10)}, nil
	case int8:
		return value{tag: tagInt8, text: strconv.FormatInt(int64(x), 10)}, nil
	case int16:
		return value{tag: tagInt16, text: strconv.FormatInt(int64(x), 10)}, nil
	case int32:
		return value{tag: tagInt32, text: strconv.FormatInt(int64(x), 10)}, nil
	case int64:
		return value{tag: tagInt64, text: strconv.FormatInt(x, 10)}, nil
	case uint:
		return value{tag: tagUint, text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint8:
		return value{tag: tagUint8, text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint16:
		return value{tag: tagUint16, text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint32:
		return value{tag: tagUint32, text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint64:
		return value{tag: tagUint64, text: strconv.FormatUint(x, 10)}, nil
	case float32:
		return value{tag: tagFloat32, text: strconv.FormatFloat(float64(x), 'g', -1, 32)}, nil
	case float64:
		return value{tag: tagFloat64, text: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case string:
		return value{tag: tagString, text: x}, nil
	case []byte:
		return value{tag: tagBytes, text: base64.StdEncoding.EncodeToString(x)}, nil
	case time.Time:
		b, err := x.MarshalText()
		if err != nil {
			return value{}, err
		}
		return value{tag: tagTime, text: string(b)}, nil
	case decimal.Decimal:
		return value{tag: tagDecimal, text: x.Coefficient().String() + "e" + strconv.FormatInt(int64(x.Exponent()), 10)}, nil
	case types.Timespan:
		return value{tag: tagTimespan, text: strconv.FormatInt(int64(x), 10)}, nil
	}
	if typ == nil {
		return value{}, fmt.Errorf("cannot encode value of type %T without a column type", v)
	}
	sv, err := typ.SQL(ctx, nil, v)
	if err != nil {
		return value{}, fmt.Errorf("cannot encode %T value as %s: %w", v, typ, err)
	}
	return value{tag: tagSQL, text: base64.StdEncoding.EncodeToString(sv.Raw())}, nil
}

// decodeValue is the inverse of encodeValue. typ is only needed for tagSQL.
func decodeValue(ctx *sql.Context, typ sql.Type, v value) (interface{}, error) {
	if v.null {
		return nil, nil
	}
	s := v.text
	switch v.tag {
	case tagBool:
		return strconv.ParseBool(s)
	case tagInt:
		n, err := strconv.ParseInt(s, 10, strconv.IntSize)
		return int(n), err
	case tagInt8:
		n, err := strconv.ParseInt(s, 10, 8)
		return int8(n), err
	case tagInt16:
		n, err := strconv.ParseInt(s, 10, 16)
		return int16(n), err
	case tagInt32:
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err
	case tagInt64:
		return strconv.ParseInt(s, 10, 64)
	case tagUint:
		n, err := strconv.ParseUint(s, 10, strconv.IntSize)
		return uint(n), err
	case tagUint8:
		n, err := strconv.ParseUint(s, 10, 8)
		return uint8(n), err
	case tagUint16:
		n, err := strconv.ParseUint(s, 10, 16)
		return uint16(n), err
	case tagUint32:
		n, err := strconv.ParseUint(s, 10, 32)
		return uint32(n), err
	case tagUint64:
		return strconv.ParseUint(s, 10, 64)
	case tagFloat32:
		f, err := strconv.ParseFloat(s, 32)
		return float32(f), err
	case tagFloat64:
		return strconv.ParseFloat(s, 64)
	case tagString:
		return s, nil
	case tagBytes:
		return base64.StdEncoding.DecodeString(s)
	case tagTime:
		var t time.Time
		err := t.UnmarshalText([]byte(s))
		return t, err
	case tagDecimal:
		i := strings.LastIndexByte(s, 'e')
		if i < 0 {
			return nil, fmt.Errorf("malformed decimal %q", s)
		}
		coef, ok := new(big.Int).SetString(s[:i], 10)
		if !ok {
			return nil, fmt.Errorf("malformed decimal %q", s)
		}
		exp, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("malformed decimal %q: %w", s, err)
		}
		return decimal.NewFromBigInt(coef, int32(exp)), nil
	case tagTimespan:
		n, err := strconv.ParseInt(s, 10, 64)
		return types.Timespan(n), err
	case tagSQL:
		if typ == nil {
			return nil, fmt.Errorf("value needs its column type, which is unknown")
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		out, _, err := typ.Convert(ctx, raw)
		return out, err
	default:
		return nil, fmt.Errorf("unknown value tag %q", v.tag)
	}
}

// encodeRow encodes a key row; position i has column type typs[i] if known.
// nil stays nil so that the JSON distinguishes an absent row from an empty one.
func encodeRow(ctx *sql.Context, typs []sql.Type, row sql.Row) ([]value, error) {
	if row == nil {
		return nil, nil
	}
	out := make([]value, len(row))
	for i, v := range row {
		var err error
		out[i], err = encodeValue(ctx, typeAt(typs, i), v)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeRow(ctx *sql.Context, typs []sql.Type, vals []value) (sql.Row, error) {
	if vals == nil {
		return nil, nil
	}
	out := make(sql.Row, len(vals))
	for i, v := range vals {
		var err error
		out[i], err = decodeValue(ctx, typeAt(typs, i), v)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func typeAt(typs []sql.Type, i int) sql.Type {
	if i < len(typs) {
		return typs[i]
	}
	return nil
}

// cachedStat is a decoded record.
type cachedStat struct {
	key  string
	stat *gmsstats.Statistic
	// typeNames are the persisted column type names ("" if unknown).
	typeNames []string
	// typesOK reports whether every column type could be parsed, that is,
	// whether stat can be handed out without a live table schema.
	typesOK bool
}

// encodeStatistic returns the key and value of the record for s.
func encodeStatistic(ctx *sql.Context, s sql.Statistic) ([]byte, []byte, error) {
	q := s.Qualifier()
	q = sql.NewStatQualifier(q.Database, q.Sch, q.Tab, q.Idx)
	if q.Database == "" || q.Tab == "" {
		return nil, nil, fmt.Errorf("stats: statistic %q has no database or table", q.String())
	}
	cols := s.Columns()
	typs := s.Types()
	rec := record{
		Version:       recordVersion,
		Database:      q.Database,
		Schema:        q.Sch,
		Table:         q.Tab,
		Index:         q.Idx,
		Columns:       cols,
		Types:         make([]string, len(cols)),
		RowCount:      s.RowCount(),
		DistinctCount: s.DistinctCount(),
		NullCount:     s.NullCount(),
		AvgSize:       s.AvgSize(),
		CreatedAt:     s.CreatedAt().UTC().Format(time.RFC3339Nano),
		IndexClass:    uint8(s.IndexClass()),
	}
	if rec.Columns == nil {
		rec.Columns = []string{}
	}
	for i := range cols {
		if t := typeAt(typs, i); t != nil {
			rec.Types[i] = t.String()
		}
	}
	var err error
	if rec.LowerBound, err = encodeRow(ctx, typs, s.LowerBound()); err != nil {
		return nil, nil, err
	}
	if h := s.Histogram(); h != nil {
		rec.Buckets = make([]bucketRecord, len(h))
		for i, b := range h {
			br := bucketRecord{
				RowCount:      b.RowCount(),
				DistinctCount: b.DistinctCount(),
				NullCount:     b.NullCount(),
				BoundCount:    b.BoundCount(),
				McvCounts:     b.McvCounts(),
			}
			if br.UpperBound, err = encodeRow(ctx, typs, b.UpperBound()); err != nil {
				return nil, nil, err
			}
			if mcvs := b.Mcvs(); mcvs != nil {
				br.Mcvs = make([][]value, len(mcvs))
				for j, m := range mcvs {
					if br.Mcvs[j], err = encodeRow(ctx, typs, m); err != nil {
						return nil, nil, err
					}
				}
			}
			rec.Buckets[i] = br
		}
	}
	data, err := json.Marshal(&rec)
	if err != nil {
		return nil, nil, err
	}
	return statKey(q, cols), data, nil
}

// decodeStatistic decodes the record stored under key. Errors wrap ErrCorrupt.
func decodeStatistic(ctx *sql.Context, key, data []byte) (*cachedStat, error) {
	c, err := decodeRecord(ctx, key, data)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v (ANALYZE TABLE rebuilds it)", ErrCorrupt, key, err)
	}
	return c, nil
}

func decodeRecord(ctx *sql.Context, key, data []byte) (*cachedStat, error) {
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	if rec.Version != recordVersion {
		return nil, fmt.Errorf("unsupported record version %d", rec.Version)
	}
	if len(rec.Types) != len(rec.Columns) {
		return nil, fmt.Errorf("%d types for %d columns", len(rec.Types), len(rec.Columns))
	}
	q := sql.NewStatQualifier(rec.Database, rec.Schema, rec.Table, rec.Index)
	if want := statKey(q, rec.Columns); !bytes.Equal(want, key) {
		return nil, fmt.Errorf("record belongs under key %q", want)
	}
	created, err := time.Parse(time.RFC3339Nano, rec.CreatedAt)
	if err != nil {
		return nil, err
	}
	c := &cachedStat{key: string(key), typeNames: rec.Types, typesOK: true}
	var typs []sql.Type
	if len(rec.Types) > 0 {
		typs = make([]sql.Type, len(rec.Types))
	}
	for i, name := range rec.Types {
		if name != "" {
			typs[i], _ = planbuilder.ParseColumnTypeString(name)
		}
		if typs[i] == nil {
			// Not fatal: GetTableStats takes types from the live table.
			c.typesOK = false
		}
	}
	lower, err := decodeRow(ctx, typs, rec.LowerBound)
	if err != nil {
		return nil, fmt.Errorf("lower bound: %w", err)
	}
	var hist []sql.HistogramBucket
	if rec.Buckets != nil {
		hist = make([]sql.HistogramBucket, len(rec.Buckets))
		for i, br := range rec.Buckets {
			upper, err := decodeRow(ctx, typs, br.UpperBound)
			if err != nil {
				return nil, fmt.Errorf("bucket %d upper bound: %w", i, err)
			}
			var mcvs []sql.Row
			if br.Mcvs != nil {
				mcvs = make([]sql.Row, len(br.Mcvs))
				for j, m := range br.Mcvs {
					if mcvs[j], err = decodeRow(ctx, typs, m); err != nil {
						return nil, fmt.Errorf("bucket %d mcv %d: %w", i, j, err)
					}
				}
			}
			hist[i] = gmsstats.NewHistogramBucket(br.RowCount, br.DistinctCount, br.NullCount, br.BoundCount, upper, br.McvCounts, mcvs)
		}
	}
	s := gmsstats.NewStatistic(rec.RowCount, rec.DistinctCount, rec.NullCount, rec.AvgSize, created, q,
		rec.Columns, typs, hist, sql.IndexClass(rec.IndexClass), lower)
	// Without a table there is nothing to derive dependencies from; hand out
	// an empty (never nil) set. GetTableStats replaces it.
	s.Fds = sql.NewTablescanFDs(sql.ColSet{}, nil, nil, sql.ColSet{})
	c.stat = s
	return c, nil
}
