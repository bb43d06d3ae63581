package clients

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// The BI tools' connect-time and schema-sync statements (Metabase, Grafana,
// Superset, DBeaver; see /work/shared/docs/anchors.md §4), typical report
// queries, and the information_schema values those tools read. Sent over
// go-sql-driver/mysql with Grafana's DSN options; the statements are what
// matter, not the driver that sends them.

// biQuery is one statement and what its result must satisfy (nil: that it
// runs).
type biQuery struct {
	name string
	sql  string
	want func(rows [][]string) error
}

func rowsEq(want ...string) func([][]string) error {
	return func(rows [][]string) error {
		got := make([]string, len(rows))
		for i, r := range rows {
			got[i] = strings.Join(r, "|")
		}
		return eq("rows", got, want)
	}
}

func atLeast(n int) func([][]string) error {
	return func(rows [][]string) error {
		if len(rows) < n {
			return fmt.Errorf("%d rows, want at least %d", len(rows), n)
		}
		return nil
	}
}

// hasRow: some row, joined with "|", equals want.
func hasRow(want ...string) func([][]string) error {
	return func(rows [][]string) error {
		got := map[string]bool{}
		for _, r := range rows {
			got[strings.Join(r, "|")] = true
		}
		var miss []string
		for _, w := range want {
			if !got[w] {
				miss = append(miss, w)
			}
		}
		if len(miss) > 0 {
			all := make([]string, 0, len(rows))
			for _, r := range rows {
				all = append(all, strings.Join(r, "|"))
			}
			return fmt.Errorf("missing rows %q in %q", miss, all)
		}
		return nil
	}
}

// biOrder is one generated order of the BI data set.
type biOrder struct {
	cust   int
	cents  int64
	status string
	at     time.Time
}

// biData: 60 orders, one every 150 minutes from 2024-03-01 00:00 UTC.
func biData() []biOrder {
	statuses := []string{"new", "paid", "shipped", "cancelled"}
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []biOrder
	for i := 0; i < 60; i++ {
		out = append(out, biOrder{
			cust:   i%3 + 1,
			cents:  int64(i*731%9000 + 99),
			status: statuses[i*7%4],
			at:     base.Add(time.Duration(i) * 150 * time.Minute).Add(time.Duration(i*37%1000) * time.Millisecond),
		})
	}
	return out
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func TestBI(t *testing.T) {
	srv := startServer(t)
	c := newChecker(t, "bi")
	// Grafana's DSN options (collation, loc, allowNativePasswords); but
	// without parseTime, so that every value is compared as the server's
	// text.
	db, err := sql.Open("mysql", goDSN(srv.Addr, "", "&collation=utf8mb4_unicode_ci&allowNativePasswords=true&parseTime=false"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	data := biData()
	c.check("setup", func() error {
		if err := execAll(conn, "CREATE DATABASE shop", "USE shop"); err != nil {
			return err
		}
		if err := execAll(conn, schemaDDL...); err != nil {
			return err
		}
		if err := execAll(conn, `CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(20) NOT NULL,
			ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, score DOUBLE, flag TINYINT(1) NOT NULL DEFAULT 0)`,
			`CREATE VIEW paid_orders AS SELECT id, customer_id, amount FROM orders WHERE status = 'paid'`); err != nil {
			return err
		}
		for i, name := range []string{"Ann", "张伟", "Émile"} {
			if _, err := conn.ExecContext(bg(), "INSERT INTO customers (email, name, tier, created_at) VALUES (?, ?, ?, ?)",
				fmt.Sprintf("c%d@example.com", i+1), name, []string{"free", "pro", "enterprise"}[i], time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC)); err != nil {
				return err
			}
		}
		for _, o := range data {
			if _, err := conn.ExecContext(bg(), "INSERT INTO orders (customer_id, amount, status, placed_at) VALUES (?, ?, ?, ?)",
				o.cust, money(o.cents), o.status, o.at); err != nil {
				return err
			}
		}
		_, err := conn.ExecContext(bg(), "INSERT INTO events (kind, score, flag) VALUES ('a', 1.5, 1), ('b', NULL, 0)")
		return err
	})

	run := func(prefix string, qs []biQuery) {
		for _, q := range qs {
			c.check(prefix+"/"+q.name, func() error {
				rows, err := queryStrings(conn, q.sql)
				if err != nil {
					return fmt.Errorf("%s: %w", firstLine(q.sql), err)
				}
				if q.want != nil {
					if err := q.want(rows); err != nil {
						return fmt.Errorf("%s: %w", firstLine(q.sql), err)
					}
				}
				return nil
			})
		}
	}

	// Connector/J 8's connect probe and session setup (Metabase, DBeaver,
	// Tableau JDBC).
	run("connectorj", []biQuery{
		{"connect_probe", `/* mysql-connector-java-8.0.33 (Revision: 7d6b0800528b6b25c68b52dc10d6c1c8429c100c) */SELECT  @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, @@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, @@character_set_server AS character_set_server, @@collation_server AS collation_server, @@collation_connection AS collation_connection, @@init_connect AS init_connect, @@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema, @@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, @@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout`, atLeast(1)},
		{"set_names", "SET NAMES utf8mb4", nil},
		{"set_results_null", "SET character_set_results = NULL", nil},
		{"autocommit", "SET autocommit=1", nil},
		{"read_only", "SELECT @@session.transaction_read_only", rowsEq("0")},
		{"isolation", "SELECT @@session.transaction_isolation", rowsEq("REPEATABLE-READ")},
		{"show_warnings", "SHOW WARNINGS", nil},
		{"show_keys_from", "SHOW KEYS FROM `orders` FROM `shop`", func(rows [][]string) error {
			// Table Non_unique Key_name Seq_in_index Column_name Collation ... Index_type
			var got []string
			for _, r := range rows {
				if len(r) < 11 {
					return fmt.Errorf("%d columns", len(r))
				}
				got = append(got, strings.Join(append(r[:6:6], r[10]), "|"))
			}
			sort.Strings(got)
			return eq("rows", got, []string{
				"orders|0|PRIMARY|1|id|A|BTREE",
				"orders|1|idx_orders_customer_placed|1|customer_id|A|BTREE",
				"orders|1|idx_orders_customer_placed|2|placed_at|A|BTREE"})
		}},
	})

	run("metabase", []biQuery{
		{"timezone_probe", `SELECT @@GLOBAL.time_zone AS global_tz, @@system_time_zone AS system_tz, time_format(timediff(now(), convert_tz(now(), @@GLOBAL.time_zone, '+00:00')), '%H:%i') AS 'offset'`, atLeast(1)},
		{"set_time_zone", "SET @@session.time_zone = '+00:00'", nil},
		{"partial_revokes", "SHOW VARIABLES LIKE 'partial_revokes'", atLeast(1)},
		{"database", "SELECT DATABASE()", rowsEq("shop")},
		{"show_tables", "SHOW TABLES", rowsEq("customers", "events", "orders", "paid_orders")},
		{"grants", "SHOW GRANTS FOR CURRENT_USER()", atLeast(1)},
		{"local_infile", "show global variables like 'local_infile'", atLeast(1)},
		{"mysql_user", "SELECT 1 FROM mysql.user WHERE user = 'root'", atLeast(1)},
		{"describe_fields", `SELECT c.column_name AS name, c.ordinal_position - 1 AS pos, c.table_name,
			if(column_type = 'tinyint(1)', 'BIT', upper(c.data_type)) AS database_type,
			c.extra = 'auto_increment' AS auto_inc,
			(column_default IS NULL AND is_nullable = 'NO' AND NOT (c.extra = 'auto_increment')) AS required,
			c.column_key = 'PRI' AS pk, is_nullable = 'YES' AS nullable, column_default, generation_expression,
			nullif(c.column_comment, '') AS comment
			FROM information_schema.columns c
			WHERE c.table_schema NOT IN ('information_schema','performance_schema','sys','mysql')
			AND c.table_name NOT IN ('innodb_table_stats','innodb_index_stats')
			AND c.table_schema = 'shop' AND lower(c.table_name) IN ('orders', 'events')
			ORDER BY c.table_name, c.ordinal_position`, hasRow(
			"id|0|events|BIGINT|1|0|1|0|NULL||NULL",
			"flag|4|events|BIT|0|0|0|0|0||NULL",
			"ts|2|events|TIMESTAMP|0|0|0|0|CURRENT_TIMESTAMP||NULL",
			"amount|2|orders|DECIMAL|0|1|0|0|NULL||NULL",
			"status|7|orders|ENUM|0|0|0|0|new||NULL")},
		{"fk_sync", `SELECT a.referenced_table_name AS pk_table, a.referenced_column_name AS pk_column, a.table_name AS fk_table, a.column_name AS fk_column
			FROM information_schema.key_column_usage a JOIN information_schema.table_constraints b USING (constraint_schema, constraint_name, table_name)
			WHERE b.constraint_type = 'FOREIGN KEY' AND a.referenced_table_schema IS NOT NULL ORDER BY a.table_name`,
			rowsEq("customers|id|orders|customer_id")},
		{"table_comments", "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", atLeast(3)},
	})

	run("grafana", []biQuery{
		{"schemas", "SELECT DISTINCT TABLE_SCHEMA from information_schema.TABLES where TABLE_TYPE != 'SYSTEM VIEW' ORDER BY TABLE_SCHEMA", hasRow("shop")},
		{"tables", "SELECT table_name FROM information_schema.tables WHERE table_schema = database() ORDER BY table_name", rowsEq("customers", "events", "orders", "paid_orders")},
		{"columns", "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'events' ORDER BY column_name",
			rowsEq("flag|tinyint", "id|bigint", "kind|varchar", "score|double", "ts|timestamp")},
		{"time_columns", `SELECT column_name FROM information_schema.columns WHERE table_schema = database() AND table_name = 'orders'
			AND data_type IN ('timestamp','datetime','bigint','int','double','float') ORDER BY column_name`, rowsEq("customer_id", "id", "placed_at", "qty")},
		{"time_series_macro", `SELECT UNIX_TIMESTAMP(placed_at) DIV 86400 * 86400 AS "time", SUM(amount) AS "value"
			FROM orders WHERE placed_at BETWEEN FROM_UNIXTIME(1709251200) AND FROM_UNIXTIME(1709596800) GROUP BY 1 ORDER BY 1`, nil},
		{"time_sec_legacy", `SELECT UNIX_TIMESTAMP(placed_at) as time_sec, amount as value, status as metric FROM orders
			WHERE placed_at >= '2024-03-01T00:00:00Z' AND placed_at <= '2024-03-02T00:00:00Z' ORDER BY placed_at LIMIT 3`, atLeast(3)},
		{"variable_query", "SELECT DISTINCT QUOTE(status) FROM orders ORDER BY 1 LIMIT 100", rowsEq("'cancelled'", "'new'", "'paid'", "'shipped'")},
	})

	run("superset", []biQuery{
		{"sql_mode", "SHOW VARIABLES LIKE 'sql_mode'", atLeast(1)},
		{"lower_case", "SHOW VARIABLES LIKE 'lower_case_table_names'", rowsEq("lower_case_table_names|0")},
		{"select_sql_mode", "SELECT @@sql_mode", atLeast(1)},
		{"collation", "SHOW COLLATION", atLeast(10)},
		{"charset_vars", "SHOW VARIABLES LIKE 'character_set%'", atLeast(5)},
		{"schemas", "SHOW schemas", hasRow("shop", "information_schema")},
		{"full_tables", "SHOW FULL TABLES FROM `shop`", rowsEq("customers|BASE TABLE", "events|BASE TABLE", "orders|BASE TABLE", "paid_orders|VIEW")},
		{"create_table", "SHOW CREATE TABLE `shop`.`orders`", atLeast(1)},
		{"has_table", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'orders'", rowsEq("1")},
		{"preview", "SELECT id, customer_id, amount, status, placed_at FROM `shop`.`orders` LIMIT 100", atLeast(60)},
		{"time_grain_week", `SELECT DATE(DATE_SUB(placed_at, INTERVAL DAYOFWEEK(placed_at) - 1 DAY)) AS __timestamp, COUNT(*) AS count
			FROM shop.orders GROUP BY DATE(DATE_SUB(placed_at, INTERVAL DAYOFWEEK(placed_at) - 1 DAY)) ORDER BY count DESC LIMIT 10000`, atLeast(1)},
		{"time_grain_quarter", `SELECT MAKEDATE(YEAR(placed_at), 1) + INTERVAL QUARTER(placed_at) QUARTER - INTERVAL 1 QUARTER AS __timestamp, SUM(amount) AS total
			FROM orders GROUP BY 1`, rowsEq("2024-01-01|" + money(sumCents(data, func(biOrder) bool { return true })))},
		{"chart_query", `SELECT DATE_FORMAT(placed_at, '%Y-%m-%d 00:00:00') AS __timestamp, status AS status, SUM(amount) AS ` + "`SUM(amount)`" + `
			FROM shop.orders WHERE placed_at >= STR_TO_DATE('2024-03-01 00:00:00.000000', '%Y-%m-%d %H:%i:%s.%f')
			AND placed_at < STR_TO_DATE('2024-03-03 00:00:00.000000', '%Y-%m-%d %H:%i:%s.%f')
			GROUP BY DATE_FORMAT(placed_at, '%Y-%m-%d 00:00:00'), status ORDER BY ` + "`SUM(amount)`" + ` DESC LIMIT 10000`, atLeast(4)},
	})

	run("dbeaver", []biQuery{
		{"engines", "SHOW ENGINES", atLeast(1)},
		{"charset", "SHOW CHARSET", atLeast(3)},
		{"collation", "SHOW COLLATION", atLeast(10)},
		{"schemata", "SELECT * FROM information_schema.SCHEMATA", atLeast(3)},
		{"plugins", "SHOW PLUGINS", nil},
		{"status", "SHOW STATUS", atLeast(1)},
		{"full_tables", "/* ApplicationName=DBeaver 24.1.0 - Metadata */ SHOW FULL TABLES FROM `shop`", atLeast(4)},
		{"full_tables_like", "SHOW FULL TABLES FROM `shop` LIKE 'orders'", rowsEq("orders|BASE TABLE")},
		{"full_tables_where", "SHOW FULL TABLES FROM `shop` WHERE Tables_in_shop LIKE 'ord%'", rowsEq("orders|BASE TABLE")},
		{"columns", "SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='orders' ORDER BY ORDINAL_POSITION", atLeast(9)},
		{"statistics", "SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='orders' ORDER BY INDEX_NAME,SEQ_IN_INDEX", atLeast(3)},
		{"key_columns", `SELECT kc.CONSTRAINT_NAME,kc.TABLE_NAME,kc.COLUMN_NAME,kc.ORDINAL_POSITION FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE kc
			WHERE kc.TABLE_SCHEMA='shop' AND kc.REFERENCED_TABLE_NAME IS NULL AND kc.TABLE_NAME='customers' ORDER BY kc.CONSTRAINT_NAME,kc.ORDINAL_POSITION`,
			rowsEq("PRIMARY|customers|id|1", "uq_customers_email|customers|email|1")},
		{"foreign_keys", `SELECT kc.CONSTRAINT_NAME, kc.TABLE_NAME, kc.COLUMN_NAME, kc.REFERENCED_TABLE_NAME, kc.REFERENCED_COLUMN_NAME, rc.UPDATE_RULE, rc.DELETE_RULE
			FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE kc JOIN INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS rc
			ON rc.CONSTRAINT_SCHEMA = kc.CONSTRAINT_SCHEMA AND rc.CONSTRAINT_NAME = kc.CONSTRAINT_NAME
			WHERE kc.TABLE_SCHEMA = 'shop' ORDER BY kc.CONSTRAINT_NAME`, rowsEq("fk_orders_customer|orders|customer_id|customers|id|NO ACTION|NO ACTION")},
		{"routines", "SELECT * FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='shop' ORDER BY ROUTINE_NAME", nil},
		{"triggers", "SHOW FULL TRIGGERS FROM `shop`", nil},
		{"users", "SELECT * FROM mysql.user ORDER BY user", atLeast(1)},
		{"privileges", "SHOW PRIVILEGES", atLeast(10)},
		{"table_status", "SHOW TABLE STATUS FROM `shop` LIKE 'orders'", atLeast(1)},
		{"view_definition", "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'paid_orders'", atLeast(1)},
		{"global_variables", "SHOW GLOBAL VARIABLES", atLeast(50)},
	})
	c.check("dbeaver/sql_select_limit", func() error {
		// DBeaver's SQL editor caps result sets this way.
		if _, err := conn.ExecContext(bg(), "SET SQL_SELECT_LIMIT=5"); err != nil {
			return err
		}
		rows, err := queryStrings(conn, "SELECT id FROM orders")
		if _, err2 := conn.ExecContext(bg(), "SET SQL_SELECT_LIMIT=DEFAULT"); err2 != nil && err == nil {
			err = err2
		}
		if err != nil {
			return err
		}
		return eq("rows under SQL_SELECT_LIMIT=5", len(rows), 5)
	})

	// Report queries with exact expected values from the generated data.
	daily := map[string][2]int64{} // day -> count, cents
	hourly := map[int64]int{}
	for _, o := range data {
		d := o.at.Format("2006-01-02")
		v := daily[d]
		daily[d] = [2]int64{v[0] + 1, v[1] + o.cents}
		hourly[o.at.Unix()/21600*21600]++
	}
	days := make([]string, 0, len(daily))
	for d := range daily {
		days = append(days, d)
	}
	sort.Strings(days)
	var dailyRows, runningRows []string
	var running int64
	for _, d := range days {
		dailyRows = append(dailyRows, fmt.Sprintf("%s|%d|%s", d, daily[d][0], money(daily[d][1])))
		running += daily[d][1]
		runningRows = append(runningRows, fmt.Sprintf("%s|%s", d, money(running)))
	}
	buckets := make([]int64, 0, len(hourly))
	for b := range hourly {
		buckets = append(buckets, b)
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i] < buckets[j] })
	var hourlyRows []string
	for _, b := range buckets[:4] {
		hourlyRows = append(hourlyRows, fmt.Sprintf("%d|%d", b, hourly[b]))
	}
	var small, mid, large int
	for _, o := range data {
		switch {
		case o.cents < 2000:
			small++
		case o.cents < 6000:
			mid++
		default:
			large++
		}
	}
	run("report", []biQuery{
		{"date_format_daily", `SELECT DATE_FORMAT(placed_at, '%Y-%m-%d') AS day, COUNT(*) AS n, SUM(amount) AS total
			FROM orders GROUP BY day ORDER BY day`, rowsEq(dailyRows...)},
		{"unix_timestamp_div", `SELECT UNIX_TIMESTAMP(placed_at) DIV 21600 * 21600 AS "time", COUNT(*) AS n
			FROM orders GROUP BY 1 ORDER BY 1 LIMIT 4`, rowsEq(hourlyRows...)},
		{"count_distinct", "SELECT COUNT(DISTINCT customer_id), COUNT(DISTINCT status), COUNT(*) FROM orders", rowsEq("3|4|60")},
		{"case_buckets", `SELECT CASE WHEN amount < 20 THEN 'small' WHEN amount < 60 THEN 'mid' ELSE 'large' END AS bucket, COUNT(*) AS n
			FROM orders GROUP BY bucket ORDER BY FIELD(bucket, 'small', 'mid', 'large')`,
			rowsEq(fmt.Sprintf("small|%d", small), fmt.Sprintf("mid|%d", mid), fmt.Sprintf("large|%d", large))},
		{"cte_running_total", `WITH daily AS (SELECT DATE(placed_at) AS d, SUM(amount) AS total FROM orders GROUP BY DATE(placed_at))
			SELECT d, SUM(total) OVER (ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM daily ORDER BY d`, rowsEq(runningRows...)},
		{"cte_lag", `WITH daily AS (SELECT DATE(placed_at) AS d, COUNT(*) AS n FROM orders GROUP BY DATE(placed_at))
			SELECT d, n, n - LAG(n, 1, 0) OVER (ORDER BY d) AS delta FROM daily ORDER BY d LIMIT 2`,
			rowsEq(fmt.Sprintf("%s|%d|%d", days[0], daily[days[0]][0], daily[days[0]][0]), fmt.Sprintf("%s|%d|%d", days[1], daily[days[1]][0], daily[days[1]][0]-daily[days[0]][0]))},
		// ORDER BY an ENUM column sorts by member index, not by name
		// (MySQL manual, "The ENUM Type": ENUM values are sorted based on
		// their index numbers).
		{"share_of_total", `SELECT status, COUNT(*) AS n, ROUND(100 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS pct
			FROM orders GROUP BY status ORDER BY status`, rowsEq("new|15|25.0", "paid|15|25.0", "shipped|15|25.0", "cancelled|15|25.0")},
		{"rank_groups", `SELECT c.name, SUM(o.amount) AS total, RANK() OVER (ORDER BY SUM(o.amount) DESC) AS rk
			FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name ORDER BY rk`, atLeast(3)},
		{"recursive_date_spine", `WITH RECURSIVE days AS (SELECT DATE('2024-03-01') AS d UNION ALL SELECT d + INTERVAL 1 DAY FROM days WHERE d < '2024-03-08')
			SELECT days.d, COUNT(o.id) FROM days LEFT JOIN orders o ON DATE(o.placed_at) = days.d GROUP BY days.d ORDER BY days.d`, atLeast(8)},
		{"top_n_per_group", `SELECT customer_id, id, amount FROM (SELECT customer_id, id, amount,
			ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY amount DESC, id) AS rn FROM orders) t WHERE rn = 1 ORDER BY customer_id`, atLeast(3)},
		{"date_functions", `SELECT YEARWEEK(placed_at, 3), QUARTER(placed_at), DAYNAME(placed_at), TIMESTAMPDIFF(HOUR, '2024-03-01', placed_at),
			DATE_FORMAT(placed_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM orders ORDER BY id LIMIT 1`, rowsEq("202409|1|Friday|0|2024-03-01T00:00:00.000000Z")},
		{"paid_view_sum", "SELECT COUNT(*), SUM(amount) FROM paid_orders",
			rowsEq(fmt.Sprintf("15|%s", money(sumCents(data, func(o biOrder) bool { return o.status == "paid" }))))},
	})

	// information_schema values the tools read.
	run("infoschema", []biQuery{
		{"columns_types", `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY, EXTRA FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION`, rowsEq(
			"id|bigint|bigint|PRI|auto_increment",
			"customer_id|bigint|bigint|MUL|",
			"amount|decimal|decimal(12,2)||",
			"qty|int|int||",
			"note|varchar|varchar(255)||",
			"attrs|json|json||",
			"payload|blob|blob||",
			"status|enum|enum('new','paid','shipped','cancelled')||",
			"placed_at|datetime|datetime(6)||")},
		{"columns_extra_on_update", `SELECT COLUMN_NAME, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'events' AND COLUMN_NAME = 'ts'`,
			rowsEq("ts|CURRENT_TIMESTAMP|DEFAULT_GENERATED on update CURRENT_TIMESTAMP")},
		{"columns_keys", `SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'customers'
			AND COLUMN_KEY <> '' ORDER BY COLUMN_NAME`, rowsEq("email|UNI", "id|PRI", "name|MUL")},
		{"tables_rows_autoinc", `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, AUTO_INCREMENT, TABLE_COLLATION FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_TYPE, TABLE_NAME`, rowsEq(
			"customers|BASE TABLE|InnoDB|3|4|utf8mb4_0900_ai_ci",
			"events|BASE TABLE|InnoDB|2|3|utf8mb4_0900_ai_ci",
			"orders|BASE TABLE|InnoDB|60|61|utf8mb4_0900_ai_ci",
			"paid_orders|VIEW|NULL|NULL|NULL|NULL")},
		{"tables_sizes", `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_TYPE = 'BASE TABLE'
			AND DATA_LENGTH IS NOT NULL AND INDEX_LENGTH IS NOT NULL AND AVG_ROW_LENGTH IS NOT NULL AND CREATE_TIME IS NOT NULL`, rowsEq("3")},
		{"key_column_usage", `SELECT CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, POSITION_IN_UNIQUE_CONSTRAINT, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
			FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' ORDER BY REFERENCED_TABLE_NAME IS NULL, ORDINAL_POSITION`, rowsEq(
			"fk_orders_customer|customer_id|1|1|shop|customers|id",
			"PRIMARY|id|1|NULL|NULL|NULL|NULL")},
		{"referential_constraints", `SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE, TABLE_NAME, REFERENCED_TABLE_NAME
			FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop'`, rowsEq("fk_orders_customer|PRIMARY|NONE|NO ACTION|NO ACTION|orders|customers")},
		{"table_constraints", `SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME IN ('orders', 'customers')
			ORDER BY TABLE_NAME, CONSTRAINT_TYPE, CONSTRAINT_NAME`, rowsEq("PRIMARY|PRIMARY KEY", "uq_customers_email|UNIQUE", "fk_orders_customer|FOREIGN KEY", "PRIMARY|PRIMARY KEY")},
		{"statistics", `SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, NULLABLE, INDEX_TYPE FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, rowsEq(
			"PRIMARY|0|1|id|A||BTREE",
			"idx_orders_customer_placed|1|1|customer_id|A||BTREE",
			"idx_orders_customer_placed|1|2|placed_at|A||BTREE")},
		{"statistics_cardinality", `SELECT INDEX_NAME, CARDINALITY FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' AND INDEX_NAME = 'PRIMARY'`, rowsEq("PRIMARY|60")},
		{"uppercase_schema_name", "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'shop'", rowsEq("4")},
		{"tinyint1_column_type", "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'events' AND COLUMN_NAME = 'flag'", rowsEq("tinyint(1)")},
	})
}

func sumCents(data []biOrder, keep func(biOrder) bool) int64 {
	var s int64
	for _, o := range data {
		if keep(o) {
			s += o.cents
		}
	}
	return s
}
