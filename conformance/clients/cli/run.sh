#!/usr/bin/env bash
# The mysql/mariadb command-line client and mysqldump against Quarry, the
# way an operator uses them. Reports "ok <check>" / "fail <check>: <why>"
# per check and "done" at the end (see ../harness_test.go).
# Environment: QUARRY_HOST, QUARRY_PORT, QUARRY_USER, QUARRY_DB; MYSQL and
# MYSQLDUMP name the binaries (default: mariadb / mariadb-dump, else mysql /
# mysqldump).
set -u
cd "$(dirname "$0")"

MYSQL=${MYSQL:-$(command -v mariadb || command -v mysql)}
MYSQLDUMP=${MYSQLDUMP:-$(command -v mariadb-dump || command -v mysqldump)}
DB=${QUARRY_DB:-app_cli}
RESTORED=${DB}_restored
WORK=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] && echo "work dir: $WORK" || trap 'rm -rf "$WORK"' EXIT

conn=(--no-defaults --protocol=TCP -h "${QUARRY_HOST:-127.0.0.1}" -P "${QUARRY_PORT:-3306}" -u "${QUARRY_USER:-root}")

# sql [db] -- statements on stdin or -e; batch mode, no column names.
q() { timeout 30 "$MYSQL" "${conn[@]}" --connect-timeout=5 --batch --skip-column-names "$@"; }

one_line() { tr '\n\t' '  ' | cut -c1-700; }

# check NAME FUNCTION: the function prints a reason and returns non-zero on
# failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok $name"
  else
    echo "fail $name: $(printf '%s' "$out" | one_line)"
  fi
}

# expect WHAT GOT WANT
expect() {
  if [ "$2" != "$3" ]; then
    printf '%s:\n got: %s\nwant: %s\n' "$1" "$2" "$3"
    return 1
  fi
}

# contains WHAT HAYSTACK NEEDLE...
contains() {
  local what=$1 hay=$2 missing=()
  shift 2
  for n in "$@"; do
    [[ "$hay" == *"$n"* ]] || missing+=("$n")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    printf '%s lacks: %s | in: %s\n' "$what" "${missing[*]}" "$hay"
    return 1
  fi
}

c_connect() {
  local v
  v=$(q -e "SELECT @@version_comment LIMIT 1") || return 1
  "$MYSQL" --version
  q -e "status" >/dev/null || return 1
  [ -n "$v" ]
}

c_load_schema() {
  q -e "CREATE DATABASE $DB" || return 1
  q "$DB" < schema.sql
}

c_fulltext_index() {
  q "$DB" -e "CREATE FULLTEXT INDEX ft_orders_note ON orders (note)"
}

c_trigger_fired() {
  expect "trimmed note" "$(q "$DB" -e "SELECT note FROM orders WHERE id = 2")" "多 emoji 🚀"
}

c_show_databases() {
  contains "SHOW DATABASES" "$(q -e "SHOW DATABASES" | tr '\n' ' ')" "information_schema" "mysql" "$DB"
}

c_show_tables() {
  expect "SHOW TABLES" "$(q "$DB" -e "SHOW TABLES" | tr '\n' ' ')" "customers order_totals orders " || return 1
  expect "SHOW FULL TABLES" "$(q "$DB" -e "SHOW FULL TABLES" | tr '\n\t' ' /')" "customers/BASE TABLE order_totals/VIEW orders/BASE TABLE " || return 1
  # DBeaver's form.
  expect "SHOW FULL TABLES ... WHERE" "$(q -e "SHOW FULL TABLES FROM \`$DB\` WHERE Tables_in_$DB LIKE 'ord%'" | tr '\n\t' ' /')" "order_totals/VIEW orders/BASE TABLE " || return 1
  expect "SHOW TABLES LIKE" "$(q "$DB" -e "SHOW TABLES LIKE 'cust%'")" "customers"
}

c_show_full_columns() {
  local got
  got=$(q "$DB" -e "SHOW FULL COLUMNS FROM customers" | cut -f1-8)
  expect "SHOW FULL COLUMNS FROM customers (Field Type Collation Null Key Default Extra Privileges)" "$got" "$(printf '%s\n' \
    $'id\tbigint\tNULL\tNO\tPRI\tNULL\tauto_increment\tselect,insert,update,references' \
    $'email\tvarchar(190)\tutf8mb4_0900_ai_ci\tNO\tUNI\tNULL\t\tselect,insert,update,references' \
    $'name\tvarchar(100)\tutf8mb4_0900_ai_ci\tNO\tMUL\tNULL\t\tselect,insert,update,references' \
    $'nickname\tvarchar(100)\tutf8mb4_0900_ai_ci\tYES\t\tNULL\t\tselect,insert,update,references' \
    $'tier\tenum(\'free\',\'pro\',\'enterprise\')\tutf8mb4_0900_ai_ci\tNO\t\tfree\t\tselect,insert,update,references' \
    $'created_at\tdatetime(6)\tNULL\tNO\t\tNULL\t\tselect,insert,update,references' \
    $'updated_at\ttimestamp\tNULL\tYES\t\tCURRENT_TIMESTAMP\tDEFAULT_GENERATED on update CURRENT_TIMESTAMP\tselect,insert,update,references')"
}

c_show_columns_types() {
  # The columns most tools read: Field, Type, Null, Key, Default, Extra.
  # note's only index is FULLTEXT: MySQL 8.0 marks the first column of a
  # FULLTEXT (or SPATIAL) index MUL as for any non-unique index
  # (mysql-server sql/dd/dd_table.cc fill_dd_index_elements_from_key_parts:
  # IT_MULTIPLE, IT_FULLTEXT and IT_SPATIAL all set CK_MULTIPLE), and
  # MariaDB prints MUL too.
  local got
  got=$(q "$DB" -e "SHOW COLUMNS FROM orders" | cut -f1-5 | tr '\n\t' ' /')
  expect "SHOW COLUMNS FROM orders" "$got" "id/bigint/NO/PRI/NULL customer_id/bigint/NO/MUL/NULL amount/decimal(12,2)/NO//NULL qty/int/NO//1 note/varchar(255)/YES/MUL/NULL attrs/json/YES//NULL payload/blob/YES//NULL status/enum('new','paid','shipped','cancelled')/NO//new placed_at/datetime(6)/NO//NULL "
}

c_show_create_table() {
  local got
  got=$(q "$DB" -e "SHOW CREATE TABLE orders" | cut -f2)
  contains "SHOW CREATE TABLE orders" "$got" \
    '`id` bigint NOT NULL AUTO_INCREMENT' '`amount` decimal(12,2) NOT NULL' "COMMENT 'free text; may hold emoji'" \
    'PRIMARY KEY (`id`)' 'KEY `idx_orders_customer_placed` (`customer_id`,`placed_at`)' \
    'CONSTRAINT `fk_orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`)' \
    'ENGINE=InnoDB' "COMMENT='customer orders'" || return 1
  got=$(q "$DB" -e "SHOW CREATE TABLE customers" | cut -f2)
  contains "SHOW CREATE TABLE customers" "$got" 'UNIQUE KEY `uq_customers_email` (`email`)' 'KEY `idx_customers_name` (`name`)'
}

c_show_create_table_defaults() {
  local got
  got=$(q "$DB" -e "SHOW CREATE TABLE orders" | cut -f2)
  contains "SHOW CREATE TABLE orders" "$got" \
    "\`status\` enum('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new'" \
    '`note` varchar(255) DEFAULT NULL' '`qty` int NOT NULL DEFAULT '"'1'" || return 1
  got=$(q "$DB" -e "SHOW CREATE TABLE customers" | cut -f2)
  contains "SHOW CREATE TABLE customers" "$got" \
    "\`tier\` enum('free','pro','enterprise') NOT NULL DEFAULT 'free'" \
    '`updated_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP'
}

c_show_create_view() {
  local got
  got=$(q "$DB" -e "SHOW CREATE VIEW order_totals")
  contains "SHOW CREATE VIEW" "$got" "order_totals" "VIEW" "group by" || contains "SHOW CREATE VIEW" "$got" "GROUP BY"
}

c_show_index() {
  local got
  got=$(q "$DB" -e "SHOW INDEX FROM orders" | cut -f1-6,11 | tr '\n\t' ' /')
  expect "SHOW INDEX FROM orders (Table Non_unique Key_name Seq Column Collation Index_type)" "$got" \
    "orders/0/PRIMARY/1/id/A/BTREE orders/1/idx_orders_customer_placed/1/customer_id/A/BTREE orders/1/idx_orders_customer_placed/2/placed_at/A/BTREE orders/1/ft_orders_note/1/note/NULL/FULLTEXT " || return 1
  got=$(q "$DB" -e "SHOW KEYS FROM customers FROM $DB" | cut -f2-5 | tr '\n\t' ' /')
  expect "SHOW KEYS FROM customers" "$got" "0/PRIMARY/1/id 0/uq_customers_email/1/email 1/idx_customers_name/1/name "
}

c_show_table_status() {
  local got
  got=$(q "$DB" -e "SHOW TABLE STATUS LIKE 'orders'" | cut -f1,2,5,11,18 | tr '\t' '/')
  expect "SHOW TABLE STATUS (Name Engine Rows Auto_increment Comment)" "$got" "orders/InnoDB/4/5/customer orders" || return 1
  got=$(q "$DB" -e "SHOW TABLE STATUS WHERE Name = 'order_totals'" | cut -f1,2,18 | tr '\t' '/')
  expect "SHOW TABLE STATUS of a view" "$got" "order_totals/NULL/VIEW"
}

c_show_variables() {
  local got
  got=$(q -e "SHOW VARIABLES WHERE Variable_name IN ('version', 'character_set_server', 'lower_case_table_names', 'autocommit')" | tr '\n\t' ' =')
  contains "SHOW VARIABLES" "$got" "autocommit=ON" "character_set_server=utf8mb4" "lower_case_table_names=0" "version=8.0" || return 1
  got=$(q -e "SHOW GLOBAL VARIABLES LIKE 'max_allowed_packet'" | cut -f1)
  expect "SHOW GLOBAL VARIABLES LIKE" "$got" "max_allowed_packet" || return 1
  got=$(q -e "SHOW SESSION VARIABLES LIKE 'sql_mode'" | cut -f2)
  contains "sql_mode" "$got" "STRICT_TRANS_TABLES" "ONLY_FULL_GROUP_BY"
}

c_show_status() {
  local got
  got=$(q -e "SHOW GLOBAL STATUS LIKE 'Uptime'" | cut -f1)
  expect "SHOW GLOBAL STATUS LIKE 'Uptime'" "$got" "Uptime" || return 1
  got=$(q -e "SHOW SESSION STATUS LIKE 'Ssl_version'" | cut -f1)
  expect "SHOW SESSION STATUS LIKE 'Ssl_version'" "$got" "Ssl_version"
}

c_show_processlist() {
  local got
  got=$(q "$DB" -e "SHOW FULL PROCESSLIST" | cut -f2,4,5,8 | tr '\t' '/')
  contains "SHOW FULL PROCESSLIST (User db Command Info)" "$got" "root/$DB/Query/SHOW FULL PROCESSLIST" || return 1
  got=$(q "$DB" -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT COUNT(*) FROM information_schema.PROCESSLIST%'")
  expect "information_schema.PROCESSLIST" "$got" "1"
}

c_information_schema() {
  local got
  got=$(q -e "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, AUTO_INCREMENT, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' ORDER BY TABLE_TYPE, TABLE_NAME" | tr '\n\t' ' /')
  expect "information_schema.TABLES" "$got" "customers/BASE TABLE/InnoDB/3/4/ orders/BASE TABLE/InnoDB/4/5/customer orders order_totals/VIEW/NULL/NULL/NULL/VIEW " || return 1
  got=$(q -e "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = '$DB' AND REFERENCED_TABLE_NAME IS NOT NULL" | tr '\t' '/')
  expect "KEY_COLUMN_USAGE" "$got" "fk_orders_customer/orders/customer_id/customers/id" || return 1
  got=$(q -e "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '$DB'")
  expect "information_schema.VIEWS" "$got" "order_totals" || return 1
  # Uppercase and mixed-case spellings are the same schema.
  got=$(q -e "SELECT COUNT(*) FROM INFORMATION_SCHEMA.tables WHERE table_schema = '$DB'")
  expect "INFORMATION_SCHEMA.tables" "$got" "3"
}

c_information_schema_triggers() {
  # Without a current database, as tools list every schema's triggers.
  local got
  got=$(q -e "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$DB'" | tr '\t' '/')
  expect "information_schema.TRIGGERS" "$got" "orders_note_trim/INSERT/orders/BEFORE"
}

c_vertical_and_html() {
  local got
  got=$(timeout 30 "$MYSQL" "${conn[@]}" "$DB" -e "SELECT id, name FROM customers WHERE id = 1\G")
  contains '\G output' "$got" "name: 张伟" || return 1
  got=$(timeout 30 "$MYSQL" "${conn[@]}" --html "$DB" -e "SELECT name FROM customers WHERE id = 1")
  contains "--html output" "$got" "<TD>张伟</TD>"
}

# SQL-level prepared statements. PREPARE's OK packet carries the info
# "Statement prepared", which the client read past the packet's end (2027
# Received malformed packet) until Quarry dropped short infos.
c_sql_prepare() {
  local got
  got=$(q "$DB" -e "PREPARE s FROM 'SELECT ? + 1'; SET @a = 41; EXECUTE s USING @a; DEALLOCATE PREPARE s") || return 1
  expect "EXECUTE s USING @a" "$got" "42" || return 1
  got=$(q "$DB" -e "PREPARE s FROM 'SELECT name FROM customers WHERE id = ?'; SET @id = 1; EXECUTE s USING @id; DEALLOCATE PREPARE s") || return 1
  expect "prepared SELECT" "$got" "张伟"
}

# snapshot DB: the data and DDL a restored copy must reproduce.
snapshot() {
  local db=$1 t
  for t in "customers ORDER BY id" "orders ORDER BY id" "order_totals ORDER BY customer_id"; do
    echo "== $t"
    q "$db" -e "SELECT * FROM $t" || return 1
  done
  echo "== typed"
  q "$db" -e "SELECT id, HEX(payload), attrs, CAST(placed_at AS CHAR), amount, HEX(note) FROM orders ORDER BY id" || return 1
  for t in customers orders; do
    echo "== create $t"
    q "$db" -e "SHOW CREATE TABLE $t" | cut -f2 | sed 's/ AUTO_INCREMENT=[0-9]*//' || return 1
  done
  echo "== triggers"
  q "$db" -e "SHOW TRIGGERS" | cut -f1-5 || return 1
}

# compare_to_original DB: DB holds what the original held before the dumps.
compare_to_original() {
  local got
  got=$(snapshot "$1" 2>&1)
  if [ "$got" != "$(cat "$WORK/orig.txt")" ]; then
    echo "restored $1 differs from the original:"
    diff <(cat "$WORK/orig.txt") <(printf '%s\n' "$got") | head -20 | cut -c1-2000
    return 1
  fi
}

c_mysqldump() {
  snapshot "$DB" > "$WORK/orig.txt" 2>&1 || { cat "$WORK/orig.txt"; return 1; }
  # mysqldump's defaults (--opt: LOCK TABLES, DISABLE KEYS, extended INSERTs).
  timeout 60 "$MYSQLDUMP" "${conn[@]}" --routines --triggers "$DB" > "$WORK/dump.sql" 2> "$WORK/dump.err" || { cat "$WORK/dump.err"; return 1; }
  contains "dump" "$(cat "$WORK/dump.sql")" "CREATE TABLE \`orders\`" "INSERT INTO \`orders\` VALUES" "CREATE" "TRIGGER" "VIEW \`order_totals\`" "小张 😀🎉"
}

c_mysqldump_restore() {
  [ -s "$WORK/dump.sql" ] || { echo "no dump"; return 1; }
  q -e "CREATE DATABASE $RESTORED" || return 1
  q "$RESTORED" < "$WORK/dump.sql"
}

c_restore_identical() {
  compare_to_original "$RESTORED" || return 1
  # AUTO_INCREMENT continues after the restored rows.
  q "$RESTORED" -e "INSERT INTO orders (customer_id, amount, placed_at) VALUES (2, 1, NOW())" || return 1
  expect "next id after restore" "$(q "$RESTORED" -e "SELECT MAX(id) FROM orders")" "5"
}

c_mysqldump_single_transaction() {
  # The usual way to dump InnoDB: one consistent snapshot, SAVEPOINT and
  # ROLLBACK TO SAVEPOINT around every table.
  timeout 60 "$MYSQLDUMP" "${conn[@]}" --single-transaction "$DB" > "$WORK/dump1.sql" 2> "$WORK/dump1.err" || { cat "$WORK/dump1.err"; return 1; }
  contains "dump" "$(cat "$WORK/dump1.sql")" "INSERT INTO \`orders\` VALUES"
}

c_mysqldump_databases_hexblob() {
  # --databases (CREATE DATABASE, USE) and --hex-blob; restored over the
  # dropped original, while another database exists.
  timeout 60 "$MYSQLDUMP" "${conn[@]}" --hex-blob --databases "$DB" > "$WORK/dump2.sql" 2> "$WORK/dump2.err" || { cat "$WORK/dump2.err"; return 1; }
  contains "dump" "$(cat "$WORK/dump2.sql")" "CREATE DATABASE" "LOCK TABLES \`orders\` WRITE" "0x00FF10275C00" || return 1
  q -e "DROP DATABASE $DB" || return 1
  q < "$WORK/dump2.sql" || return 1
  compare_to_original "$DB"
}

c_mysqldump_other_db_triggers() {
  # A second database with a trigger on a table of another name: dumping
  # the first one lists its triggers through information_schema.TRIGGERS.
  q -e "CREATE DATABASE ${DB}_audit" || return 1
  q "${DB}_audit" -e "CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(100)); CREATE TRIGGER audit_trim BEFORE INSERT ON audit_log FOR EACH ROW SET NEW.msg = TRIM(NEW.msg)" || return 1
  timeout 60 "$MYSQLDUMP" "${conn[@]}" "$DB" > "$WORK/dump4.sql" 2> "$WORK/dump4.err" || { cat "$WORK/dump4.err"; return 1; }
  contains "dump" "$(cat "$WORK/dump4.sql")" "CREATE TRIGGER orders_note_trim"
}

c_mysqldump_no_data() {
  timeout 60 "$MYSQLDUMP" "${conn[@]}" --no-data --skip-triggers "$DB" customers > "$WORK/dump3.sql" || return 1
  q -e "CREATE DATABASE ${DB}_schema_only" && q "${DB}_schema_only" < "$WORK/dump3.sql" || return 1
  expect "rows in schema-only copy" "$(q "${DB}_schema_only" -e "SELECT COUNT(*) FROM customers")" "0"
}

check connect c_connect
check load_schema c_load_schema
check fulltext_index c_fulltext_index
check trigger_fired c_trigger_fired
check show_databases c_show_databases
check show_tables c_show_tables
check show_full_columns c_show_full_columns
check show_columns_types c_show_columns_types
check show_create_table c_show_create_table
check show_create_table_defaults c_show_create_table_defaults
check show_create_view c_show_create_view
check show_index c_show_index
check show_table_status c_show_table_status
check show_variables c_show_variables
check show_status c_show_status
check show_processlist c_show_processlist
check information_schema c_information_schema
check information_schema_triggers c_information_schema_triggers
check vertical_and_html c_vertical_and_html
check sql_prepare c_sql_prepare
check mysqldump c_mysqldump
check mysqldump_restore c_mysqldump_restore
check restore_identical c_restore_identical
check mysqldump_single_transaction c_mysqldump_single_transaction
check mysqldump_databases_hexblob c_mysqldump_databases_hexblob
check mysqldump_no_data c_mysqldump_no_data
check mysqldump_other_db_triggers c_mysqldump_other_db_triggers
echo done
