package sqlserver_test

import (
	"strings"
	"testing"
)

// TestShowMetadataLikeMySQL: SHOW TABLE STATUS, SHOW INDEX,
// information_schema.STATISTICS, COLUMNS.COLUMN_KEY, SCHEMATA and SHOW
// VARIABLES report MySQL 8.0's values where GMS reports constants (client
// issues Q11, Q12, Q20).
func TestShowMetadataLikeMySQL(t *testing.T) {
	db := startWith(t,
		"CREATE DATABASE sm",
		"CREATE TABLE sm.orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id BIGINT NOT NULL, placed_at DATETIME, note TEXT, code INT NOT NULL, KEY idx_cp (customer_id, placed_at), UNIQUE KEY uq_code (code), FULLTEXT KEY ft_note (note)) COMMENT 'customer orders'",
		"INSERT INTO sm.orders (customer_id, placed_at, note, code) VALUES (1, NOW(), 'a', 10), (1, NOW(), 'b', 20), (2, NOW(), 'c', 30)",
		"CREATE TABLE sm.plain (k INT)",
		"CREATE VIEW sm.v AS SELECT id FROM sm.orders",
	)
	if _, err := db.Exec("USE sm"); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	check := func(q string, cols []int, want string) {
		t.Helper()
		_, rows := queryText(t, db, q)
		var got []string
		for _, r := range rows {
			var cells []string
			for _, c := range cols {
				cells = append(cells, r[c])
			}
			got = append(got, strings.Join(cells, "|"))
		}
		if g := strings.Join(got, ";"); g != want {
			t.Errorf("%s\n got %s\nwant %s", q, g, want)
		}
	}
	// Name Engine Row_format Rows Auto_increment Create_options Comment;
	// views: all NULL but the name and Comment VIEW.
	check("SHOW TABLE STATUS", []int{0, 1, 3, 4, 10, 16, 17},
		"orders|InnoDB|Dynamic|3|4||customer orders;plain|InnoDB|Dynamic|0|NULL||;v|NULL|NULL|NULL|NULL|NULL|VIEW")
	_, rows := queryText(t, db, "SHOW TABLE STATUS LIKE 'orders'")
	if rows[0][11] == "NULL" {
		t.Error("SHOW TABLE STATUS: Create_time is NULL")
	}
	// MySQL's last column is Comment (GMS: Comments).
	if cols, _ := queryText(t, db, "SHOW TABLE STATUS LIKE 'plain'"); cols[len(cols)-1] != "Comment" {
		t.Errorf("SHOW TABLE STATUS: last column %q, want Comment", cols[len(cols)-1])
	}
	if _, rows := queryText(t, db, "SHOW TABLE STATUS WHERE Comment = 'VIEW'"); len(rows) != 1 || rows[0][0] != "v" {
		t.Errorf("SHOW TABLE STATUS WHERE Comment = 'VIEW': %v, want v", rows)
	}
	// Key_name Seq_in_index Column_name Collation Cardinality Index_type,
	// in MySQL's order: primary, unique, others, FULLTEXT last. Cardinality
	// is counted without ANALYZE TABLE, for every key prefix (both rows of
	// customer 1 share one NOW()).
	check("SHOW INDEX FROM orders", []int{2, 3, 4, 5, 6, 10},
		"PRIMARY|1|id|A|3|BTREE;uq_code|1|code|A|3|BTREE;idx_cp|1|customer_id|A|2|BTREE;idx_cp|2|placed_at|A|2|BTREE;ft_note|1|note|NULL|0|FULLTEXT")
	// ANALYZE TABLE changes nothing for a table this small.
	queryText(t, db, "ANALYZE TABLE orders")
	check("SHOW KEYS FROM orders", []int{2, 3, 5, 6},
		"PRIMARY|1|A|3;uq_code|1|A|3;idx_cp|1|A|2;idx_cp|2|A|2;ft_note|1|NULL|0")
	check("SELECT INDEX_NAME, SEQ_IN_INDEX, COLLATION, CARDINALITY FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'sm' AND TABLE_NAME = 'orders' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
		[]int{0, 1, 2, 3}, "ft_note|1|NULL|0;idx_cp|1|A|2;idx_cp|2|A|2;PRIMARY|1|A|3;uq_code|1|A|3")
	// Sub_part: the prefix length of a column prefix, NULL for a whole
	// column (also beside a prefix in the same index); Cardinality counts
	// prefixes under the column's collation, NULLs as one value.
	queryText(t, db, "CREATE TABLE px (id INT PRIMARY KEY, s VARCHAR(100), b BLOB, KEY ks (s(3)), KEY kb (b(2)), KEY k2 (id, s(5)))")
	queryText(t, db, "INSERT INTO px VALUES (1, 'abcd', 'xx1'), (2, 'ABCe', 'xy'), (3, 'abx', 'xx2'), (4, NULL, NULL), (5, NULL, 'q')")
	check("SHOW INDEX FROM px", []int{2, 3, 6, 7},
		"PRIMARY|1|5|NULL;k2|1|5|NULL;k2|2|5|5;kb|1|4|2;ks|1|3|3")
	check("SELECT INDEX_NAME, SEQ_IN_INDEX, CARDINALITY, SUB_PART FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'sm' AND TABLE_NAME = 'px' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
		[]int{0, 1, 2, 3}, "k2|1|5|NULL;k2|2|5|5;kb|1|4|2;ks|1|3|3;PRIMARY|1|5|NULL")
	// COLUMN_KEY: only the first column of a composite index is MUL.
	check("SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sm' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION",
		[]int{0, 1}, "id|PRI;customer_id|MUL;placed_at|;note|MUL;code|UNI")
	check("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('mysql', 'sm', 'information_schema') ORDER BY 1",
		[]int{0}, "information_schema;mysql;sm")
	check("SHOW VARIABLES WHERE Variable_name IN ('autocommit', 'offline_mode', 'wait_timeout')", []int{0, 1},
		"autocommit|ON;offline_mode|OFF;wait_timeout|28800")
	check("SELECT @@autocommit", []int{0}, "1")
}
