import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * JDBC with MariaDB Connector/J (Debian's libmariadb-java): the application
 * scenario with client-side and with server-side prepared statements, and
 * DatabaseMetaData (getTables, getColumns, getIndexInfo, getPrimaryKeys,
 * getImportedKeys, getExportedKeys). Reports one line per check for
 * ../harness_test.go.
 */
public class JdbcApp {
    static final String HOST = env("QUARRY_HOST", "127.0.0.1");
    static final String PORT = env("QUARRY_PORT", "3306");
    static final String USER = env("QUARRY_USER", "root");
    static final String PASSWORD = env("QUARRY_PASSWORD", "");
    static final String DB = env("QUARRY_DB", "app_jdbc");
    static final String NICK = "小张 😀🎉";
    static final byte[] BLOB = {0x00, (byte) 0xff, 0x10, 0x27, 0x5c, 0x00};
    static final String[] PLACED = {"2024-03-01 10:00:00.123456", "2024-03-02 11:30:00.5", "2024-04-02 09:15:00.0"};

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    interface Check {
        void run() throws Exception;
    }

    static boolean check(String name, Check c) {
        try {
            c.run();
            System.out.println("ok " + name);
            return true;
        } catch (Throwable e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (e instanceof SQLException) {
                msg = "[" + ((SQLException) e).getErrorCode() + "] " + msg;
            }
            System.out.println("fail " + name + ": " + msg.replaceAll("\\s+", " ").substring(0, Math.min(700, msg.replaceAll("\\s+", " ").length())));
            if (System.getenv("QUARRY_TRACE") != null) {
                e.printStackTrace();
            }
            return false;
        }
    }

    static void eq(String what, Object got, Object want) {
        if (!Objects.equals(String.valueOf(got), String.valueOf(want))) {
            throw new AssertionError(what + " = " + got + ", want " + want);
        }
    }

    static void expectError(int code, Check c) throws Exception {
        try {
            c.run();
        } catch (SQLException e) {
            if (e.getErrorCode() != code) {
                throw new AssertionError("got error " + e.getErrorCode() + " (" + e.getMessage() + "), want " + code);
            }
            return;
        }
        throw new AssertionError("no error, want MySQL error " + code);
    }

    static Connection connect(String db, String props) throws SQLException {
        String url = "jdbc:mariadb://" + HOST + ":" + PORT + "/" + (db == null ? "" : db)
                + "?user=" + USER + "&password=" + PASSWORD + "&connectTimeout=5000&socketTimeout=30000" + props;
        return DriverManager.getConnection(url);
    }

    static List<String> rows(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        if (i > 1) {
                            sb.append('|');
                        }
                        sb.append(rs.getString(i));
                    }
                    out.add(sb.toString());
                }
            }
            return out;
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("version: MariaDB Connector/J " + new org.mariadb.jdbc.Driver().getMajorVersion() + "."
                + new org.mariadb.jdbc.Driver().getMinorVersion() + ", Java " + System.getProperty("java.version"));
        scenario("text", "");
        scenario("server_prep", "&useServerPrepStmts=true");
        metadata();
        System.out.println("done");
    }

    static void scenario(String mode, String props) throws Exception {
        String db = DB + "_" + mode;
        Connection[] holder = new Connection[1];
        check(mode + "/connect", () -> {
            try (Connection c0 = connect(null, props); Statement s = c0.createStatement()) {
                s.execute("CREATE DATABASE " + db);
            }
            holder[0] = connect(db, props);
            eq("product", holder[0].getMetaData().getDatabaseProductVersion().startsWith("8."), true);
        });
        Connection c = holder[0];
        if (c == null) {
            return;
        }
        check(mode + "/create_schema", () -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE customers (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(190) NOT NULL,"
                        + " name VARCHAR(100) NOT NULL, nickname VARCHAR(100) NULL, tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',"
                        + " created_at DATETIME(6) NOT NULL, updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
                        + " UNIQUE KEY uq_customers_email (email), KEY idx_customers_name (name)) COMMENT='app customers'");
                s.execute("CREATE TABLE orders (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id BIGINT NOT NULL,"
                        + " amount DECIMAL(12,2) NOT NULL, qty INT NOT NULL DEFAULT 1, note VARCHAR(255) NULL, attrs JSON NULL, payload BLOB NULL,"
                        + " status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new', placed_at DATETIME(6) NOT NULL,"
                        + " KEY idx_orders_customer_placed (customer_id, placed_at),"
                        + " CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE)");
            }
        });
        long[] cust = {1, 2, 3};
        long[] oid = {1, 2, 3};
        check(mode + "/generated_keys", () -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO customers (email, name, nickname, tier, created_at) VALUES (?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                Object[][] data = {
                    {"zhang@example.com", "张伟", NICK, "pro", "2024-01-02 03:04:05.123456"},
                    {"bob@example.com", "Bob", null, "free", "2024-02-01 00:00:00.000001"},
                    {"carol@example.com", "Carol", "", "enterprise", "2024-02-03 00:00:00"},
                };
                for (int i = 0; i < data.length; i++) {
                    ps.setString(1, (String) data[i][0]);
                    ps.setString(2, (String) data[i][1]);
                    if (data[i][2] == null) {
                        ps.setNull(3, Types.VARCHAR);
                    } else {
                        ps.setString(3, (String) data[i][2]);
                    }
                    ps.setString(4, (String) data[i][3]);
                    ps.setTimestamp(5, Timestamp.valueOf((String) data[i][4]));
                    eq("executeUpdate", ps.executeUpdate(), 1);
                    try (ResultSet k = ps.getGeneratedKeys()) {
                        if (!k.next()) {
                            throw new AssertionError("no generated key");
                        }
                        cust[i] = k.getLong(1);
                    }
                }
            }
            eq("ids", cust[0] > 0 && cust[1] == cust[0] + 1 && cust[2] == cust[1] + 1, true);
        });
        check(mode + "/batch_insert_types", () -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                Object[][] data = {
                    {cust[0], new BigDecimal("12.34"), 2, null, "{\"gift\": true, \"名\": \"值\"}", BLOB, "paid", PLACED[0]},
                    {cust[0], new BigDecimal("0.01"), 1, "多 emoji 🚀", null, null, "new", PLACED[1]},
                    {cust[1], new BigDecimal("99999999.99"), 3, "x", "{}", new byte[0], "shipped", PLACED[2]},
                };
                for (Object[] r : data) {
                    ps.setLong(1, (Long) r[0]);
                    ps.setBigDecimal(2, (BigDecimal) r[1]);
                    ps.setInt(3, (Integer) r[2]);
                    ps.setObject(4, r[3], Types.VARCHAR);
                    ps.setObject(5, r[4], Types.VARCHAR);
                    if (r[5] == null) {
                        ps.setNull(6, Types.BLOB);
                    } else {
                        ps.setBytes(6, (byte[]) r[5]);
                    }
                    ps.setString(7, (String) r[6]);
                    ps.setTimestamp(8, Timestamp.valueOf((String) r[7]));
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                eq("batch counts", counts.length, 3);
            }
            List<String> ids = rows(c, "SELECT id FROM orders ORDER BY id");
            for (int i = 0; i < 3; i++) {
                oid[i] = Long.parseLong(ids.get(i));
            }
        });
        check(mode + "/read_types", () -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT amount, placed_at, attrs, payload, status, note FROM orders WHERE id = ?")) {
                ps.setLong(1, oid[0]);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    eq("amount", rs.getBigDecimal(1), new BigDecimal("12.34"));
                    eq("placed_at", rs.getTimestamp(2), Timestamp.valueOf(PLACED[0]));
                    eq("placed_at nanos", rs.getTimestamp(2).getNanos(), 123456000);
                    eq("attrs has key", rs.getString(3).contains("\"名\": \"值\""), true);
                    eq("payload", Arrays.toString(rs.getBytes(4)), Arrays.toString(BLOB));
                    eq("status", rs.getString(5), "paid");
                    rs.getString(6);
                    eq("note wasNull", rs.wasNull(), true);
                }
            }
            eq("unicode", rows(c, "SELECT name, nickname FROM customers WHERE id = ?", cust[0]), List.of("张伟|" + NICK));
            eq("empty blob", rows(c, "SELECT HEX(payload), payload IS NULL FROM orders WHERE id = ?", oid[2]), List.of("|0"));
        });
        check(mode + "/unique_fk_errors", () -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO customers (email, name, created_at) VALUES (?, 'x', NOW())")) {
                ps.setString(1, "bob@example.com");
                expectError(1062, ps::executeUpdate);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (customer_id, amount, placed_at) VALUES (?, 1, NOW())")) {
                ps.setLong(1, 999999);
                expectError(1452, ps::executeUpdate);
            }
        });
        check(mode + "/prepared_limit", () -> {
            eq("LIMIT ?", rows(c, "SELECT id FROM orders WHERE customer_id = ? ORDER BY placed_at DESC LIMIT ?", cust[0], 1), List.of(String.valueOf(oid[1])));
            eq("LIMIT ?, ?", rows(c, "SELECT id FROM orders ORDER BY id LIMIT ?, ?", 1, 2), List.of(String.valueOf(oid[1]), String.valueOf(oid[2])));
        });
        check(mode + "/transactions_savepoint", () -> {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE orders SET qty = qty + 10 WHERE id = " + oid[0]);
                Savepoint sp = c.setSavepoint("sp1");
                s.executeUpdate("DELETE FROM orders");
                c.rollback(sp);
                c.commit();
                s.executeUpdate("UPDATE orders SET qty = 0");
                c.rollback();
            } finally {
                c.setAutoCommit(true);
            }
            eq("SUM(qty), COUNT(*)", rows(c, "SELECT CAST(SUM(qty) AS SIGNED), COUNT(*) FROM orders"), List.of("16|3"));
        });
        check(mode + "/select_for_update", () -> {
            c.setAutoCommit(false);
            try (Connection other = connect(db, props)) {
                int qty = Integer.parseInt(rows(c, "SELECT qty FROM orders WHERE id = ? FOR UPDATE", oid[1]).get(0));
                try (Statement s2 = other.createStatement()) {
                    s2.execute("SET SESSION innodb_lock_wait_timeout = 1");
                }
                other.setAutoCommit(false);
                long t0 = System.nanoTime();
                try (PreparedStatement ps = other.prepareStatement("UPDATE orders SET qty = qty + 1 WHERE id = ?")) {
                    ps.setLong(1, oid[1]);
                    expectError(1205, ps::executeUpdate);
                }
                if (System.nanoTime() - t0 < 500_000_000L) {
                    throw new AssertionError("lock wait ended too early");
                }
                other.rollback();
                try (PreparedStatement ps = c.prepareStatement("UPDATE orders SET qty = ? WHERE id = ?")) {
                    ps.setInt(1, qty + 1);
                    ps.setLong(2, oid[1]);
                    ps.executeUpdate();
                }
                c.commit();
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        });
        check(mode + "/join_group_by_window", () -> {
            eq("group by", rows(c, "SELECT c.name, COUNT(*), MAX(o.qty) FROM customers c JOIN orders o ON o.customer_id = c.id"
                    + " WHERE o.amount > ? GROUP BY c.id, c.name ORDER BY c.id", 0), List.of("张伟|2|12", "Bob|1|3"));
            eq("window", rows(c, "SELECT id, DENSE_RANK() OVER (ORDER BY customer_id) FROM orders WHERE id > ? ORDER BY id", 0),
                    List.of(oid[0] + "|1", oid[1] + "|1", oid[2] + "|2"));
        });
        check(mode + "/sum_decimal", () -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT SUM(amount) FROM orders WHERE qty > ?")) {
                ps.setInt(1, 0);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    eq("SUM(amount)", rs.getString(1), "100000012.34");
                    eq("column type", rs.getMetaData().getColumnTypeName(1), "DECIMAL");
                }
            }
        });
        check(mode + "/update_counts", () -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE orders SET status = 'cancelled' WHERE customer_id = ?")) {
                ps.setLong(1, cust[0]);
                eq("UPDATE count", ps.executeUpdate(), 2);
                // Connector/J sets CLIENT_FOUND_ROWS: matched, not changed, rows.
                eq("no-op UPDATE count (found rows)", ps.executeUpdate(), 2);
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM orders WHERE status = ?")) {
                ps.setString(1, "cancelled");
                eq("DELETE count", ps.executeUpdate(), 2);
            }
        });
        check(mode + "/resultset_metadata", () -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT o.id, amount, note, attrs, payload, status, placed_at, updated_at FROM orders o JOIN customers c ON c.id = o.customer_id")) {
                ResultSetMetaData md = rs.getMetaData();
                List<String> got = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    got.add(md.getColumnName(i) + ":" + md.getColumnTypeName(i) + ":" + md.isNullable(i));
                }
                eq("metadata", got, List.of("id:BIGINT:0", "amount:DECIMAL:0", "note:VARCHAR:1", "attrs:JSON:1", "payload:BLOB:1",
                        "status:CHAR:0", "placed_at:DATETIME:0", "updated_at:TIMESTAMP:1"));
            }
        });
        c.close();
    }

    /** DatabaseMetaData over the text-mode database (what DBeaver, Metabase and Tableau's JDBC path call). */
    static void metadata() throws Exception {
        String db = DB + "_text";
        try (Connection c = connect(db, "")) {
            DatabaseMetaData md = c.getMetaData();
            check("metadata/getTables", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getTables(db, null, "%", new String[] {"TABLE", "VIEW"})) {
                    while (rs.next()) {
                        got.add(rs.getString("TABLE_CAT") + "." + rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE") + ":" + rs.getString("REMARKS"));
                    }
                }
                eq("getTables", got, List.of(db + ".customers:TABLE:app customers", db + ".orders:TABLE:"));
            });
            check("metadata/getColumns", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getColumns(db, null, "orders", "%")) {
                    while (rs.next()) {
                        String name = rs.getString("COLUMN_NAME");
                        String size = name.equals("amount") || name.equals("note") ? ":" + rs.getInt("COLUMN_SIZE") + "," + rs.getInt("DECIMAL_DIGITS") : "";
                        got.add(name + ":" + rs.getString("TYPE_NAME") + size + ":" + rs.getString("IS_NULLABLE") + ":" + rs.getString("IS_AUTOINCREMENT")
                                + ":" + rs.getString("COLUMN_DEF"));
                    }
                }
                eq("getColumns(orders)", got, List.of(
                        "id:BIGINT:NO:YES:null",
                        "customer_id:BIGINT:NO:NO:null",
                        "amount:DECIMAL:12,2:NO:NO:null",
                        "qty:INT:NO:NO:1",
                        "note:VARCHAR:255,0:YES:NO:null",
                        "attrs:JSON:YES:NO:null",
                        "payload:BLOB:YES:NO:null",
                        "status:ENUM:NO:NO:new",
                        "placed_at:DATETIME:NO:NO:null"));
            });
            check("metadata/getPrimaryKeys", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getPrimaryKeys(db, null, "orders")) {
                    while (rs.next()) {
                        got.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ") + ":" + rs.getString("PK_NAME"));
                    }
                }
                eq("getPrimaryKeys(orders)", got, List.of("id:1:PRIMARY"));
            });
            check("metadata/getIndexInfo", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getIndexInfo(db, null, "customers", false, false)) {
                    while (rs.next()) {
                        got.add(rs.getString("INDEX_NAME") + ":" + rs.getBoolean("NON_UNIQUE") + ":" + rs.getInt("ORDINAL_POSITION") + ":" + rs.getString("COLUMN_NAME"));
                    }
                }
                got.sort(null);
                eq("getIndexInfo(customers)", got, List.of("PRIMARY:false:1:id", "idx_customers_name:true:1:name", "uq_customers_email:false:1:email"));
            });
            check("metadata/getImportedKeys", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getImportedKeys(db, null, "orders")) {
                    while (rs.next()) {
                        got.add(rs.getString("FK_NAME") + ":" + rs.getString("PKTABLE_NAME") + "." + rs.getString("PKCOLUMN_NAME") + "<-"
                                + rs.getString("FKTABLE_NAME") + "." + rs.getString("FKCOLUMN_NAME") + ":upd=" + rs.getInt("UPDATE_RULE") + ":del=" + rs.getInt("DELETE_RULE"));
                    }
                }
                eq("getImportedKeys(orders)", got, List.of("fk_orders_customer:customers.id<-orders.customer_id:upd="
                        + DatabaseMetaData.importedKeyCascade + ":del=" + DatabaseMetaData.importedKeyRestrict));
            });
            check("metadata/getExportedKeys", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getExportedKeys(db, null, "customers")) {
                    while (rs.next()) {
                        got.add(rs.getString("FK_NAME") + ":" + rs.getString("FKTABLE_NAME") + "." + rs.getString("FKCOLUMN_NAME"));
                    }
                }
                eq("getExportedKeys(customers)", got, List.of("fk_orders_customer:orders.customer_id"));
            });
            check("metadata/getCatalogs_getSchemas", () -> {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = md.getCatalogs()) {
                    while (rs.next()) {
                        got.add(rs.getString(1));
                    }
                }
                eq("getCatalogs contains db", got.contains(db) && got.contains("information_schema"), true);
                eq("getCatalog()", c.getCatalog(), db);
            });
        }
    }
}
