package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// TypeString returns the canonical SQL text that the catalog persists for a
// column type. Unlike sql.Type.String, the text is self-contained: string,
// enum and set types always carry their character set and collation, enum and
// set values are escaped so that quotes, commas and backslashes survive, and
// spatial types carry their SRID. ParseType(TypeString(t)) returns a type that
// is identical to t; TypeString reports an error when that cannot be
// guaranteed, so a column whose type cannot be persisted exactly is rejected
// instead of being silently changed.
func TypeString(t sql.Type) (string, error) {
	if t == nil {
		return "", fmt.Errorf("catalog: column has no type")
	}
	text := typeText(t)
	back, err := ParseType(text)
	if err != nil {
		return "", fmt.Errorf("catalog: type %s (persisted as %q) cannot be restored: %w", t.String(), text, err)
	}
	if !TypesIdentical(t, back) {
		return "", fmt.Errorf("catalog: type %s (persisted as %q) does not round trip (restored as %s)", t.String(), text, back.String())
	}
	return text, nil
}

func typeText(t sql.Type) string {
	var s string
	switch tt := t.(type) {
	case sql.EnumType:
		s = "enum(" + quoteValues(tt.Values()) + ")" + charsetClause(tt.Collation())
	case sql.SetType:
		s = "set(" + quoteValues(tt.Values()) + ")" + charsetClause(tt.Collation())
	case sql.TypeWithCollation:
		// With an unspecified table collation, string types always spell out
		// their character set and collation (binary types print neither, as
		// their collation is implied by the type name).
		s = tt.StringWithTableCollation(sql.Collation_Unspecified)
	default:
		s = t.String()
	}
	if sp, ok := t.(sql.SpatialColumnType); ok {
		if srid, defined := sp.GetSpatialTypeSRID(); defined {
			s += " SRID " + strconv.FormatUint(uint64(srid), 10)
		}
	}
	return s
}

func charsetClause(c sql.CollationID) string {
	if c == sql.Collation_Unspecified {
		return ""
	}
	return " CHARACTER SET " + c.CharacterSet().Name() + " COLLATE " + c.Name()
}

// quoteValues renders enum/set members as MySQL string literals. Both quote
// and backslash are escaped, so the text reads back identically whatever the
// member contains.
func quoteValues(vals []string) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		for j := 0; j < len(v); j++ {
			switch c := v[j]; c {
			case '\'':
				b.WriteString("''")
			case '\\':
				b.WriteString(`\\`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('\'')
	}
	return b.String()
}

// ParseType rebuilds a GMS type from text produced by TypeString. It uses the
// same path as CREATE TABLE in GMS: the vitess parser produces a column type,
// types.ColumnTypeToType converts it, and an SRID attribute is applied with
// sql.SpatialColumnType.SetSRID exactly as the planbuilder does.
func ParseType(text string) (sql.Type, error) {
	stmt, err := sqlparser.Parse("CREATE TABLE t (c " + text + ")")
	if err != nil {
		return nil, fmt.Errorf("catalog: cannot parse type %q: %w", text, err)
	}
	ddl, ok := stmt.(*sqlparser.DDL)
	if !ok || ddl.TableSpec == nil || len(ddl.TableSpec.Columns) != 1 || len(ddl.TableSpec.Indexes) != 0 ||
		len(ddl.TableSpec.Constraints) != 0 {
		return nil, fmt.Errorf("catalog: %q is not a single column type", text)
	}
	ct := ddl.TableSpec.Columns[0].Type
	if ct.Default != nil || ct.OnUpdate != nil || ct.GeneratedExpr != nil || ct.Comment != nil ||
		ct.KeyOpt != 0 || bool(ct.NotNull) || bool(ct.Null) || bool(ct.Autoincrement) ||
		ct.ForeignKeyDef != nil || ct.Constraint != nil {
		return nil, fmt.Errorf("catalog: %q contains column attributes besides the type", text)
	}
	typ, err := types.ColumnTypeToType(&ct)
	if err != nil {
		return nil, fmt.Errorf("catalog: cannot build type %q: %w", text, err)
	}
	if ct.SRID != nil {
		srid, err := strconv.ParseUint(string(ct.SRID.Val), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("catalog: bad SRID in %q: %w", text, err)
		}
		sp, ok := typ.(sql.SpatialColumnType)
		if !ok {
			return nil, fmt.Errorf("catalog: SRID on non-spatial type %q", text)
		}
		typ = sp.SetSRID(uint32(srid))
	}
	return typ, nil
}

// TypesIdentical reports whether two types are the same for every purpose the
// catalog cares about: GMS equality, SQL text, collation and spatial SRID
// (sql.Type.Equals ignores the SRID of spatial types).
func TypesIdentical(a, b sql.Type) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if !a.Equals(b) || !b.Equals(a) || a.String() != b.String() || a.Type() != b.Type() {
		return false
	}
	if ac, ok := a.(sql.TypeWithCollation); ok {
		bc, ok := b.(sql.TypeWithCollation)
		if !ok || ac.Collation() != bc.Collation() {
			return false
		}
	}
	if as, ok := a.(sql.SpatialColumnType); ok {
		bs, ok := b.(sql.SpatialColumnType)
		if !ok {
			return false
		}
		asrid, adef := as.GetSpatialTypeSRID()
		bsrid, bdef := bs.GetSpatialTypeSRID()
		if asrid != bsrid || adef != bdef {
			return false
		}
	}
	if an, ok := a.(sql.NumberType); ok {
		bn, ok := b.(sql.NumberType)
		if !ok || an.DisplayWidth() != bn.DisplayWidth() {
			return false
		}
	}
	return true
}
