package stats

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// keyPrefix is the first segment of every key the provider writes.
const keyPrefix = "stats/"

// nameEscaper escapes the characters that separate key segments.
var nameEscaper = strings.NewReplacer("%", "%25", "/", "%2F", ",", "%2C", ".", "%2E")

// escapeName lower-cases and escapes one identifier for use in a key.
func escapeName(name string) string {
	return nameEscaper.Replace(strings.ToLower(name))
}

// tableID identifies one table's statistics; all fields are lower-case.
type tableID struct {
	db, schema, table string
}

func newTableID(db, schema, table string) tableID {
	return tableID{db: strings.ToLower(db), schema: strings.ToLower(schema), table: strings.ToLower(table)}
}

func tableIDOf(q sql.StatQualifier) tableID {
	return newTableID(q.Database, q.Sch, q.Tab)
}

// dbPrefix is the key prefix of all statistics of database db.
func dbPrefix(db string) []byte {
	return []byte(keyPrefix + escapeName(db) + "/")
}

// prefix is the key prefix of all statistics of the table.
func (t tableID) prefix() []byte {
	seg := escapeName(t.table)
	if t.schema != "" {
		seg = escapeName(t.schema) + "." + seg
	}
	return append(dbPrefix(t.db), seg+"/"...)
}

// colsSegment is the last key segment: the escaped, lower-cased column list.
func colsSegment(cols []string) string {
	esc := make([]string, len(cols))
	for i, c := range cols {
		esc[i] = escapeName(c)
	}
	return strings.Join(esc, ",")
}

// statKey is the key of the statistic for the given index prefix columns.
func statKey(q sql.StatQualifier, cols []string) []byte {
	return append(tableIDOf(q).prefix(), escapeName(q.Idx)+"/"+colsSegment(cols)...)
}

// splitStatKey returns the escaped index and column segments of a key that
// starts with the given table prefix.
func splitStatKey(tablePrefix, key []byte) (index, cols string, ok bool) {
	if len(key) < len(tablePrefix) || string(key[:len(tablePrefix)]) != string(tablePrefix) {
		return "", "", false
	}
	index, cols, ok = strings.Cut(string(key[len(tablePrefix):]), "/")
	if !ok || strings.Contains(cols, "/") {
		return "", "", false
	}
	return index, cols, true
}
