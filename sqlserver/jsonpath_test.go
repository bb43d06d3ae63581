package sqlserver_test

import "testing"

// TestJSONPathUnicodeEscapes looks up JSON members through paths that spell
// the name with \uXXXX escapes, as Django's key lookups on non-ASCII keys
// do (MySQL decodes them), in literals, prepared parameters, stored JSON
// and JSON_CONTAINS_PATH.
func TestJSONPathUnicodeEscapes(t *testing.T) {
	db := startWith(t, "CREATE DATABASE jp", `CREATE TABLE jp.t (id INT PRIMARY KEY, doc JSON)`,
		`INSERT INTO jp.t VALUES (1, '{"名": "值", "a": {"ü": 2}, "plain": 3}')`)
	for _, c := range []struct {
		q    string
		args []any
		want string
	}{
		{`SELECT JSON_EXTRACT('{"名": "值"}', '$."\\u540d"')`, nil, `"值"`},
		{`SELECT JSON_EXTRACT(doc, ?) FROM jp.t`, []any{`$."\u540d"`}, `"值"`},
		{`SELECT JSON_EXTRACT(doc, '$.a."\\u00fc"') FROM jp.t`, nil, `2`},
		{`SELECT JSON_EXTRACT(doc, '$.plain', '$."\\u540d"') FROM jp.t`, nil, `[3, "值"]`},
		{`SELECT JSON_CONTAINS_PATH(doc, 'one', '$."\\u540d"') FROM jp.t`, nil, `1`},
		{`SELECT JSON_EXTRACT(doc, '$."名"') FROM jp.t`, nil, `"值"`},
		{`SELECT COUNT(*) FROM jp.t WHERE JSON_UNQUOTE(JSON_EXTRACT(doc, ?)) = '值'`, []any{`$."\u540d"`}, `1`},
	} {
		var got string
		if err := db.QueryRow(c.q, c.args...).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.q, got, c.want)
		}
	}
}
