package differential

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// kind is the SQL type family of a column or expression.
type kind int

const (
	kInt kind = iota
	kDec
	kStr
	kDate
	kDatetime
	kBool
)

type column struct {
	name     string
	kind     kind
	nullable bool
}

type table struct {
	name string
	cols []column
	ddl  string
}

// tables is the fixed schema: customers (c), orders (o) referring to c.id
// and p.code, and products (p).
var tables = []table{
	{
		name: "c",
		cols: []column{
			{"id", kInt, false}, {"name", kStr, true}, {"city", kStr, true},
			{"score", kInt, true}, {"balance", kDec, true}, {"born", kDate, true},
			{"tag", kStr, true},
		},
		ddl: `CREATE TABLE c (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(40) NULL,
  city VARCHAR(20) NULL,
  score INT NULL,
  balance DECIMAL(10,2) NULL,
  born DATE NULL,
  tag VARCHAR(12) NULL,
  KEY city_idx (city),
  KEY score_idx (score, born)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
	},
	{
		name: "o",
		cols: []column{
			{"id", kInt, false}, {"cid", kInt, true}, {"pcode", kStr, true},
			{"qty", kInt, false}, {"price", kDec, true}, {"status", kStr, false},
			{"placed", kDatetime, true}, {"note", kStr, true},
		},
		ddl: `CREATE TABLE o (
  id INT NOT NULL PRIMARY KEY,
  cid INT NULL,
  pcode VARCHAR(8) NULL,
  qty INT NOT NULL,
  price DECIMAL(8,2) NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL,
  placed DATETIME NULL,
  note VARCHAR(30) NULL,
  KEY cid_idx (cid),
  KEY status_placed (status, placed),
  KEY pcode_idx (pcode)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
	},
	{
		name: "p",
		cols: []column{
			{"code", kStr, false}, {"label", kStr, true}, {"weight", kInt, true},
			{"ratio", kDec, true},
		},
		ddl: `CREATE TABLE p (
  code VARCHAR(8) NOT NULL PRIMARY KEY,
  label VARCHAR(30) NULL,
  weight INT NULL,
  ratio DECIMAL(5,3) NULL,
  UNIQUE KEY label_uq (label)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
	},
}

func tableByName(name string) table {
	for _, t := range tables {
		if t.name == name {
			return t
		}
	}
	panic("differential: no table " + name)
}

// String pools: case variants, accents, CJK, an emoji and a trailing space,
// so that collation-sensitive comparison, grouping and ordering matter.
var (
	names    = []string{"alice", "Alice", "ALICE", "Bob", "bob", "Zoë", "zoe", "Émile", "emile", "张伟", "李娜", "王芳", "o'Neil", "Ann Lee", "ann lee", "Mia 🙂", "Żaneta", "carl", "Carla"}
	cities   = []string{"Paris", "paris", "Berlin", "東京", "São Paulo", "Oslo", "NYC", "nyc"}
	statuses = []string{"new", "paid", "Paid", "shipped", "cancelled", "NEW"}
	notes    = []string{"gift", "Gift wrap", "rush", "请尽快", "fragile 📦", "", "call first", "RUSH"}
	codes    = []string{"A1", "a2", "B1", "b2", "C1", "D1", "E1", "Z9"}
	// tags differ only in case and trailing spaces, which a PAD SPACE
	// collation ignores. They are not used as literals.
	tags   = []string{"vip", "VIP ", "vip  ", "gold", "Gold ", "new"}
	labels = []string{"Widget", "gadget", "Gizmo", "Doohickey", "小部件", "Thing 🙂", "sprocket", "Bolt"}
)

// seedData returns the INSERT statements of the dataset. It is fixed:
// the same for every run and every query seed.
func seedData() []string {
	r := rand.New(rand.NewPCG(20241121, 7))
	maybe := func(pNull float64, v string) string {
		if r.Float64() < pNull {
			return "NULL"
		}
		return v
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	var stmts []string

	var rows []string
	for i, code := range codes {
		label := maybe(0.1, quote(labels[i]))
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s)", quote(code), label,
			maybe(0.2, fmt.Sprint(r.IntN(50)-5)),
			maybe(0.2, fmt.Sprintf("%d.%03d", r.IntN(3), r.IntN(1000)))))
	}
	stmts = append(stmts, "INSERT INTO p VALUES "+strings.Join(rows, ", "))

	rows = rows[:0]
	const customers = 40
	for id := 1; id <= customers; id++ {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s)", id,
			maybe(0.1, quote(names[r.IntN(len(names))])),
			maybe(0.15, quote(cities[r.IntN(len(cities))])),
			maybe(0.2, fmt.Sprint(r.IntN(200)-50)),
			maybe(0.2, fmt.Sprintf("%d.%02d", r.IntN(20000)-5000, r.IntN(100))),
			maybe(0.2, fmt.Sprintf("'%04d-%02d-%02d'", 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28))),
			maybe(0.3, quote(tags[r.IntN(len(tags))]))))
	}
	stmts = append(stmts, "INSERT INTO c VALUES "+strings.Join(rows, ", "))

	rows = rows[:0]
	for id := 1; id <= 160; id++ {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %d, %s, %s, %s, %s)", id,
			maybe(0.1, fmt.Sprint(1+r.IntN(customers+5))), // some refer to no customer
			maybe(0.1, quote(codes[r.IntN(len(codes))])),
			1+r.IntN(12),
			maybe(0.15, fmt.Sprintf("%d.%02d", r.IntN(500), r.IntN(100))),
			quote(statuses[r.IntN(len(statuses))]),
			maybe(0.1, fmt.Sprintf("'2024-%02d-%02d %02d:%02d:%02d'", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))),
			maybe(0.4, quote(notes[r.IntN(len(notes))]))))
	}
	stmts = append(stmts, "INSERT INTO o VALUES "+strings.Join(rows, ", "))
	return stmts
}
