package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
)

// FormatVersion is the first byte of every encoded record. Decoders reject
// other versions; any change to the encoding must bump it.
const FormatVersion byte = 1

// Kind is the second byte of every encoded record and says what it holds.
type Kind byte

// Record kinds.
const (
	KindDatabase  Kind = 'D'
	KindTable     Kind = 'T'
	KindView      Kind = 'V'
	KindTrigger   Kind = 'G'
	KindProcedure Kind = 'P'
	KindEvent     Kind = 'E'
)

func (k Kind) String() string {
	switch k {
	case KindDatabase:
		return "database"
	case KindTable:
		return "table"
	case KindView:
		return "view"
	case KindTrigger:
		return "trigger"
	case KindProcedure:
		return "procedure"
	case KindEvent:
		return "event"
	default:
		return fmt.Sprintf("kind(%d)", byte(k))
	}
}

// RecordKind returns the kind of an encoded record after checking its
// version.
func RecordKind(b []byte) (Kind, error) {
	if len(b) < 2 {
		return 0, fmt.Errorf("catalog: record of %d bytes is too short", len(b))
	}
	if b[0] != FormatVersion {
		return 0, fmt.Errorf("catalog: unsupported record format version %d (want %d)", b[0], FormatVersion)
	}
	return Kind(b[1]), nil
}

// encode writes version, kind and the deterministic JSON form of v. JSON
// cannot carry invalid UTF-8 exactly, so such strings are rejected rather
// than silently replaced.
func encode(kind Kind, v any) ([]byte, error) {
	if path, bad := invalidUTF8(reflect.ValueOf(v), kind.String()); bad {
		return nil, fmt.Errorf("catalog: %s is not valid UTF-8 and cannot be persisted", path)
	}
	var buf bytes.Buffer
	buf.WriteByte(FormatVersion)
	buf.WriteByte(byte(kind))
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("catalog: encoding %s: %w", kind, err)
	}
	out := buf.Bytes()
	// json.Encoder terminates the value with a newline; it is not part of
	// the format.
	return out[:len(out)-1], nil
}

func decode(b []byte, kind Kind, v any) error {
	got, err := RecordKind(b)
	if err != nil {
		return err
	}
	if got != kind {
		return fmt.Errorf("catalog: record holds a %s, not a %s", got, kind)
	}
	dec := json.NewDecoder(bytes.NewReader(b[2:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("catalog: decoding %s: %w", kind, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("catalog: decoding %s: trailing data after record", kind)
	}
	return nil
}

// invalidUTF8 finds the first string reachable from v that is not valid
// UTF-8 and returns its path.
func invalidUTF8(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path, true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return invalidUTF8(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if p, bad := invalidUTF8(v.Field(i), path+"."+v.Type().Field(i).Name); bad {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p, bad := invalidUTF8(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); bad {
				return p, true
			}
		}
	}
	return "", false
}

// Wire forms. Field names and order are part of the on-disk format.

type databaseRecord struct {
	ID        uint32 `json:"id"`
	Name      string `json:"name"`
	Collation string `json:"collation"`
}

type tableRecord struct {
	ID           uint32         `json:"id"`
	Name         string         `json:"name"`
	Comment      string         `json:"comment,omitempty"`
	Collation    string         `json:"collation"`
	Columns      []columnRecord `json:"columns"`
	NextColumnID uint32         `json:"next_column_id"`
	PrimaryKey   []keyPart      `json:"primary_key,omitempty"`
	Indexes      []indexRecord  `json:"indexes,omitempty"`
	NextIndexID  uint32         `json:"next_index_id"`
	Checks       []checkRecord  `json:"checks,omitempty"`
	ForeignKeys  []fkRecord     `json:"foreign_keys,omitempty"`
	Version      uint64         `json:"version"`
	Created      int64          `json:"created,omitempty"`
}

type columnRecord struct {
	ID            uint32 `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	Nullable      bool   `json:"nullable,omitempty"`
	Default       string `json:"default,omitempty"`
	Generated     string `json:"generated,omitempty"`
	OnUpdate      string `json:"on_update,omitempty"`
	Virtual       bool   `json:"virtual,omitempty"`
	AutoIncrement bool   `json:"auto_increment,omitempty"`
	Comment       string `json:"comment,omitempty"`
	Extra         string `json:"extra,omitempty"`
}

// keyPart names a key column by ID.
type keyPart struct {
	Column uint32 `json:"column"`
	Length uint16 `json:"length,omitempty"`
}

type indexRecord struct {
	ID       uint32    `json:"id"`
	Name     string    `json:"name"`
	Columns  []keyPart `json:"columns"`
	Unique   bool      `json:"unique,omitempty"`
	Spatial  bool      `json:"spatial,omitempty"`
	FullText bool      `json:"fulltext,omitempty"`
	Vector   bool      `json:"vector,omitempty"`
	Using    uint8     `json:"using,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
}

type checkRecord struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Enforced   bool   `json:"enforced"`
}

type fkRecord struct {
	Name           string   `json:"name"`
	Database       string   `json:"database"`
	SchemaName     string   `json:"schema,omitempty"`
	Table          string   `json:"table"`
	Columns        []string `json:"columns"`
	ParentDatabase string   `json:"parent_database"`
	ParentSchema   string   `json:"parent_schema,omitempty"`
	ParentTable    string   `json:"parent_table"`
	ParentColumns  []string `json:"parent_columns"`
	OnUpdate       string   `json:"on_update"`
	OnDelete       string   `json:"on_delete"`
	IsResolved     bool     `json:"resolved"`
}

func collationName(c sql.CollationID) string {
	if c == sql.Collation_Unspecified {
		return ""
	}
	return c.Name()
}

func parseCollation(name string) (sql.CollationID, error) {
	if name == "" {
		return sql.Collation_Unspecified, nil
	}
	c, err := sql.ParseCollation("", name, false)
	if err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	return c, nil
}

// EncodeDatabase serializes a database record.
func EncodeDatabase(d *Database) ([]byte, error) {
	if d.Name == "" {
		return nil, fmt.Errorf("catalog: database name is empty")
	}
	return encode(KindDatabase, databaseRecord{ID: d.ID, Name: d.Name, Collation: collationName(d.Collation)})
}

// DecodeDatabase parses a record written by EncodeDatabase.
func DecodeDatabase(b []byte) (*Database, error) {
	var r databaseRecord
	if err := decode(b, KindDatabase, &r); err != nil {
		return nil, err
	}
	coll, err := parseCollation(r.Collation)
	if err != nil {
		return nil, err
	}
	if r.Name == "" {
		return nil, fmt.Errorf("catalog: database record without a name")
	}
	return &Database{ID: r.ID, Name: r.Name, Collation: coll}, nil
}

// EncodeTable validates and serializes a table.
func EncodeTable(t *Table) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	r := tableRecord{
		ID:           t.ID,
		Name:         t.Name,
		Comment:      t.Comment,
		Collation:    collationName(t.Collation),
		NextColumnID: t.NextColumnID,
		NextIndexID:  t.NextIndexID,
		Version:      t.Version,
		Created:      t.Created,
	}
	for _, c := range t.Columns {
		r.Columns = append(r.Columns, columnRecord(c))
	}
	for i, o := range t.PrimaryKey {
		kp := keyPart{Column: t.Columns[o].ID}
		if t.PKPrefixLengths != nil {
			kp.Length = t.PKPrefixLengths[i]
		}
		r.PrimaryKey = append(r.PrimaryKey, kp)
	}
	for _, idx := range t.Indexes {
		ir := indexRecord{
			ID:       idx.ID,
			Name:     idx.Name,
			Unique:   idx.Unique,
			Spatial:  idx.Spatial,
			FullText: idx.FullText,
			Vector:   idx.Vector,
			Using:    uint8(idx.Using),
			Comment:  idx.Comment,
			Disabled: idx.Disabled,
		}
		for _, ic := range idx.Columns {
			ir.Columns = append(ir.Columns, keyPart{Column: ic.ColumnID, Length: ic.Length})
		}
		r.Indexes = append(r.Indexes, ir)
	}
	for _, c := range t.Checks {
		r.Checks = append(r.Checks, checkRecord(c))
	}
	for _, fk := range t.ForeignKeys {
		r.ForeignKeys = append(r.ForeignKeys, fkRecord{
			Name:           fk.Name,
			Database:       fk.Database,
			SchemaName:     fk.SchemaName,
			Table:          fk.Table,
			Columns:        fk.Columns,
			ParentDatabase: fk.ParentDatabase,
			ParentSchema:   fk.ParentSchema,
			ParentTable:    fk.ParentTable,
			ParentColumns:  fk.ParentColumns,
			OnUpdate:       string(fk.OnUpdate),
			OnDelete:       string(fk.OnDelete),
			IsResolved:     fk.IsResolved,
		})
	}
	return encode(KindTable, r)
}

// DecodeTable parses and validates a record written by EncodeTable.
func DecodeTable(b []byte) (*Table, error) {
	var r tableRecord
	if err := decode(b, KindTable, &r); err != nil {
		return nil, err
	}
	coll, err := parseCollation(r.Collation)
	if err != nil {
		return nil, err
	}
	t := &Table{
		ID:           r.ID,
		Name:         r.Name,
		Comment:      r.Comment,
		Collation:    coll,
		NextColumnID: r.NextColumnID,
		NextIndexID:  r.NextIndexID,
		Version:      r.Version,
		Created:      r.Created,
	}
	byID := make(map[uint32]int, len(r.Columns))
	for i, c := range r.Columns {
		t.Columns = append(t.Columns, Column(c))
		if _, dup := byID[c.ID]; dup {
			return nil, fmt.Errorf("catalog: table %q has two columns with ID %d", r.Name, c.ID)
		}
		byID[c.ID] = i
	}
	lookup := func(what string, id uint32) (int, error) {
		o, ok := byID[id]
		if !ok {
			return 0, fmt.Errorf("catalog: table %q %s refers to unknown column ID %d", r.Name, what, id)
		}
		return o, nil
	}
	var pkLens []uint16
	for _, kp := range r.PrimaryKey {
		o, err := lookup("primary key", kp.Column)
		if err != nil {
			return nil, err
		}
		t.PrimaryKey = append(t.PrimaryKey, o)
		pkLens = append(pkLens, kp.Length)
	}
	t.PKPrefixLengths = normalizeLengths(pkLens)
	for _, ir := range r.Indexes {
		idx := Index{
			ID:       ir.ID,
			Name:     ir.Name,
			Unique:   ir.Unique,
			Spatial:  ir.Spatial,
			FullText: ir.FullText,
			Vector:   ir.Vector,
			Using:    sql.IndexUsing(ir.Using),
			Comment:  ir.Comment,
			Disabled: ir.Disabled,
		}
		for _, kp := range ir.Columns {
			o, err := lookup("index "+ir.Name, kp.Column)
			if err != nil {
				return nil, err
			}
			idx.Columns = append(idx.Columns, IndexColumn{ColumnID: kp.Column, Name: t.Columns[o].Name, Length: kp.Length})
		}
		t.Indexes = append(t.Indexes, idx)
	}
	for _, c := range r.Checks {
		t.Checks = append(t.Checks, Check(c))
	}
	for _, fk := range r.ForeignKeys {
		t.ForeignKeys = append(t.ForeignKeys, ForeignKey{
			Name:           fk.Name,
			Database:       fk.Database,
			SchemaName:     fk.SchemaName,
			Table:          fk.Table,
			Columns:        fk.Columns,
			ParentDatabase: fk.ParentDatabase,
			ParentSchema:   fk.ParentSchema,
			ParentTable:    fk.ParentTable,
			ParentColumns:  fk.ParentColumns,
			OnUpdate:       sql.ForeignKeyReferentialAction(fk.OnUpdate),
			OnDelete:       sql.ForeignKeyReferentialAction(fk.OnDelete),
			IsResolved:     fk.IsResolved,
		})
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// EncodeView serializes a view.
func EncodeView(v View) ([]byte, error) { return encode(KindView, v) }

// DecodeView parses a record written by EncodeView.
func DecodeView(b []byte) (View, error) {
	var v View
	err := decode(b, KindView, &v)
	return v, err
}

// EncodeTrigger serializes a trigger.
func EncodeTrigger(t Trigger) ([]byte, error) { return encode(KindTrigger, t) }

// DecodeTrigger parses a record written by EncodeTrigger.
func DecodeTrigger(b []byte) (Trigger, error) {
	var t Trigger
	err := decode(b, KindTrigger, &t)
	return t, err
}

// EncodeProcedure serializes a stored procedure.
func EncodeProcedure(p Procedure) ([]byte, error) { return encode(KindProcedure, p) }

// DecodeProcedure parses a record written by EncodeProcedure.
func DecodeProcedure(b []byte) (Procedure, error) {
	var p Procedure
	err := decode(b, KindProcedure, &p)
	return p, err
}

// EncodeEvent serializes an event.
func EncodeEvent(e Event) ([]byte, error) { return encode(KindEvent, e) }

// DecodeEvent parses a record written by EncodeEvent.
func DecodeEvent(b []byte) (Event, error) {
	var e Event
	err := decode(b, KindEvent, &e)
	return e, err
}
