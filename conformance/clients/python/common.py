"""Shared pieces of the Python client programs: the check protocol of
../harness_test.go ("ok <check>" / "fail <check>: <why>" / "skip ...",
then "done") and the application scenario over any DB-API 2 driver."""

import datetime
import decimal
import json
import os
import sys
import threading
import time
import traceback

HOST = os.environ.get("QUARRY_HOST", "127.0.0.1")
PORT = int(os.environ.get("QUARRY_PORT", "3306"))
USER = os.environ.get("QUARRY_USER", "root")
PASSWORD = os.environ.get("QUARRY_PASSWORD", "")
DB = os.environ.get("QUARRY_DB", "app_py")


def _one_line(s):
    return " ".join(str(s).split())[:700]


def check(name, fn):
    """Runs fn; prints ok/fail. Returns fn's result (None on failure)."""
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - every failure is a report
        detail = "%s: %s" % (type(e).__name__, e)
        if os.environ.get("QUARRY_TRACE"):
            traceback.print_exc()
        print("fail %s: %s" % (name, _one_line(detail)), flush=True)
        return None
    print("ok " + name, flush=True)
    return r


def skip(name, why):
    print("skip %s: %s" % (name, _one_line(why)), flush=True)


def done():
    print("done", flush=True)


def eq(what, got, want):
    if got != want:
        raise AssertionError("%s = %r, want %r" % (what, got, want))


def err_code(e):
    """The MySQL error number of a driver exception (PyMySQL, MySQLdb)."""
    args = getattr(e, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    orig = getattr(e, "orig", None)  # SQLAlchemy wraps driver errors
    if orig is not None:
        return err_code(orig)
    return None


def expect_error(code, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        if err_code(e) != code:
            raise AssertionError("got error %r (%s), want MySQL error %d" % (err_code(e), e, code))
        return
    raise AssertionError("no error, want MySQL error %d" % code)


SCHEMA = [
    """CREATE TABLE customers (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(190) NOT NULL,
        name VARCHAR(100) NOT NULL,
        nickname VARCHAR(100) NULL,
        tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
        created_at DATETIME(6) NOT NULL,
        updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        UNIQUE KEY uq_customers_email (email),
        KEY idx_customers_name (name)
    )""",
    """CREATE TABLE orders (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        customer_id BIGINT NOT NULL,
        amount DECIMAL(12,2) NOT NULL,
        qty INT NOT NULL DEFAULT 1,
        note VARCHAR(255) NULL,
        attrs JSON NULL,
        payload BLOB NULL,
        status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
        placed_at DATETIME(6) NOT NULL,
        KEY idx_orders_customer_placed (customer_id, placed_at),
        CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
    )""",
]

FULLTEXT = """CREATE TABLE articles (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    body TEXT,
    FULLTEXT KEY ft_articles (title, body)
)"""

PLACED = [
    datetime.datetime(2024, 3, 1, 10, 0, 0, 123456),
    datetime.datetime(2024, 3, 2, 11, 30, 0, 500000),
    datetime.datetime(2024, 4, 2, 9, 15, 0),
]
BLOB = b"\x00\xff\x10'\\\x00"
NICK = "小张 😀🎉"


def dbapi_scenario(connect, lock_wait_error=1205):
    """The application scenario over a DB-API 2 module with the 'format'
    paramstyle (%s). connect(db=None, autocommit=False) returns a new
    connection."""
    state = {"conn": None, "cust": [1, 2, 3], "orders": [1, 2, 3]}

    def c_connect():
        conn = connect(None, True)
        cur = conn.cursor()
        cur.execute("SELECT VERSION()")
        v = cur.fetchone()[0]
        if isinstance(v, bytes):
            v = v.decode()
        if not v.startswith("8."):
            raise AssertionError("VERSION() = %r" % v)
        cur.execute("CREATE DATABASE " + DB)
        conn.close()
        state["conn"] = connect(DB, False)

    check("connect", c_connect)
    conn = state["conn"]
    if conn is None:
        return

    def c_schema():
        cur = conn.cursor()
        for s in SCHEMA:
            cur.execute(s)
        conn.commit()

    check("create_schema", c_schema)
    check("fulltext_index", lambda: conn.cursor().execute(FULLTEXT))

    def c_insert():
        cur = conn.cursor()
        ids = []
        for row in [
            ("zhang@example.com", "张伟", NICK, "pro", datetime.datetime(2024, 1, 2, 3, 4, 5, 123456)),
            ("bob@example.com", "Bob", None, "free", datetime.datetime(2024, 2, 1, 0, 0, 0, 1)),
            ("carol@example.com", "Carol", "", "enterprise", datetime.datetime(2024, 2, 3)),
        ]:
            cur.execute("INSERT INTO customers (email, name, nickname, tier, created_at) VALUES (%s, %s, %s, %s, %s)", row)
            cur.execute("SELECT LAST_INSERT_ID()")
            ids.append(cur.fetchone()[0])
        conn.commit()
        if sorted(set(ids)) != ids or ids[0] <= 0:
            raise AssertionError("ids %r" % ids)
        state["cust"] = ids

    check("insert_autoinc", c_insert)
    cust = state["cust"]

    def c_lastrowid():
        cur = conn.cursor()
        cur.execute("INSERT INTO customers (email, name, created_at) VALUES (%s, %s, NOW(6))", ("dave@example.com", "Dave"))
        rid = cur.lastrowid
        cur.execute("SELECT id FROM customers WHERE email = 'dave@example.com'")
        eq("cursor.lastrowid", rid, cur.fetchone()[0])
        cur.execute("DELETE FROM customers WHERE id = %s", (rid,))
        conn.commit()

    check("lastrowid", c_lastrowid)

    def c_executemany():
        cur = conn.cursor()
        rows = [
            (cust[0], decimal.Decimal("12.34"), 2, None, json.dumps({"gift": True, "tags": ["a", "b"], "名": "值"}), BLOB, "paid", PLACED[0]),
            (cust[0], decimal.Decimal("0.01"), 1, "多 emoji 🚀", None, None, "new", PLACED[1]),
            (cust[1], decimal.Decimal("99999999.99"), 3, "it's \"quoted\" \\ back", "{}", b"", "shipped", PLACED[2]),
        ]
        n = cur.executemany(
            "INSERT INTO orders (customer_id, amount, qty, note, attrs, payload, status, placed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows)
        conn.commit()
        if n is not None:
            eq("executemany rowcount", n, 3)
        cur.execute("SELECT id FROM orders ORDER BY id")
        state["orders"] = [r[0] for r in cur.fetchall()]
        eq("orders", len(state["orders"]), 3)

    check("insert_types", c_executemany)
    oid = state["orders"]

    def fetch(sql, args=None):
        cur = conn.cursor()
        cur.execute(sql, args)
        return cur.fetchall()

    def as_text(v):
        return v.decode() if isinstance(v, (bytes, bytearray)) else v

    def c_decimal():
        rows = fetch("SELECT amount FROM orders ORDER BY id")
        eq("amounts", [r[0] for r in rows], [decimal.Decimal("12.34"), decimal.Decimal("0.01"), decimal.Decimal("99999999.99")])

    check("read_decimal", c_decimal)

    def c_datetime6():
        rows = fetch("SELECT placed_at FROM orders ORDER BY id")
        eq("placed_at", [r[0] for r in rows], PLACED)

    check("read_datetime6", c_datetime6)

    def c_json():
        rows = fetch("SELECT attrs, JSON_EXTRACT(attrs, '$.tags[1]') FROM orders WHERE id = %s", (oid[0],))
        eq("attrs", json.loads(as_text(rows[0][0])), {"gift": True, "tags": ["a", "b"], "名": "值"})
        eq("tags[1]", as_text(rows[0][1]), '"b"')
        rows = fetch("SELECT COUNT(*) FROM orders WHERE attrs->>'$.\"名\"' = %s", ("值",))
        eq("count", rows[0][0], 1)

    check("read_json", c_json)

    def c_blob():
        rows = fetch("SELECT payload FROM orders ORDER BY id")
        eq("payloads", [None if r[0] is None else bytes(r[0]) for r in rows], [BLOB, None, b""])

    check("read_blob", c_blob)

    def c_enum_unicode():
        rows = fetch("SELECT c.name, c.nickname, c.tier, o.status FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id")
        eq("rows", [tuple(r) for r in rows],
           [("张伟", NICK, "pro", "paid"), ("张伟", NICK, "pro", "new"), ("Bob", None, "free", "shipped")])
        rows = fetch("SELECT id FROM customers WHERE nickname = %s", (NICK,))
        eq("lookup by emoji", [r[0] for r in rows], [cust[0]])

    check("read_enum_null_unicode", c_enum_unicode)

    def c_unique():
        expect_error(1062, lambda: conn.cursor().execute(
            "INSERT INTO customers (email, name, created_at) VALUES (%s, %s, NOW())", ("bob@example.com", "Bob 2")))
        conn.rollback()

    check("unique_violation", c_unique)

    def c_fk():
        expect_error(1452, lambda: conn.cursor().execute(
            "INSERT INTO orders (customer_id, amount, placed_at) VALUES (%s, %s, NOW())", (999999, "1.00")))
        expect_error(1451, lambda: conn.cursor().execute("DELETE FROM customers WHERE id = %s", (cust[0],)))
        conn.rollback()

    check("fk_violation", c_fk)

    def c_limit():
        rows = fetch("SELECT id FROM orders WHERE customer_id = %s ORDER BY placed_at DESC LIMIT %s", (cust[0], 1))
        eq("LIMIT %s", [r[0] for r in rows], [oid[1]])
        rows = fetch("SELECT id FROM orders ORDER BY id LIMIT %s OFFSET %s", (2, 1))
        eq("LIMIT %s OFFSET %s", [r[0] for r in rows], oid[1:])

    check("params_limit", c_limit)

    def c_commit():
        cur = conn.cursor()
        cur.execute("UPDATE orders SET qty = qty + 10 WHERE id = %s", (oid[0],))
        cur.execute("INSERT INTO orders (customer_id, amount, placed_at) VALUES (%s, '5.00', %s)", (cust[2], PLACED[2]))
        conn.commit()
        other = connect(DB, True)
        try:
            c2 = other.cursor()
            c2.execute("SELECT SUM(qty), COUNT(*) FROM orders")
            s, n = c2.fetchone()
            eq("SUM(qty), COUNT(*) seen by another connection", (int(s), n), (17, 4))
        finally:
            other.close()

    check("tx_commit", c_commit)

    def c_rollback():
        cur = conn.cursor()
        cur.execute("UPDATE orders SET qty = 0")
        cur.execute("DELETE FROM orders WHERE customer_id = %s", (cust[2],))
        cur.execute("SELECT SUM(qty) FROM orders")
        inside = int(cur.fetchone()[0])
        conn.rollback()
        cur.execute("SELECT SUM(qty), COUNT(*) FROM orders")
        s, n = cur.fetchone()
        conn.commit()
        eq("inside, after rollback", (inside, int(s), n), (0, 17, 4))

    check("tx_rollback", c_rollback)

    def c_for_update():
        cur = conn.cursor()
        cur.execute("SELECT qty FROM orders WHERE id = %s FOR UPDATE", (oid[1],))
        qty = cur.fetchone()[0]
        other = connect(DB, False)
        lock_err = None
        try:
            c2 = other.cursor()
            c2.execute("SET SESSION innodb_lock_wait_timeout = 1")
            t0 = time.time()
            expect_error(lock_wait_error, lambda: c2.execute("UPDATE orders SET qty = qty + 1 WHERE id = %s", (oid[1],)))
            if time.time() - t0 < 0.5:
                raise AssertionError("lock wait ended after %.2fs" % (time.time() - t0))
        except AssertionError as e:
            lock_err = e
        finally:
            other.rollback()
            other.close()
        # The update the lock was taken for (also when the lock failed, so
        # that later checks see the same data).
        cur.execute("UPDATE orders SET qty = %s WHERE id = %s", (qty + 1, oid[1]))
        conn.commit()
        if lock_err is not None:
            raise lock_err

    check("select_for_update", c_for_update)

    def c_join_group():
        rows = fetch("""SELECT c.name, COUNT(o.id) AS n, SUM(o.qty) AS q
            FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
            GROUP BY c.id, c.name HAVING COUNT(o.id) > 0 ORDER BY n DESC, c.name""")
        eq("rows", [(r[0], r[1], int(r[2])) for r in rows], [("张伟", 2, 14), ("Bob", 1, 3), ("Carol", 1, 1)])

    check("join_group_by", c_join_group)

    def c_sum_decimal():
        rows = fetch("SELECT SUM(amount) FROM orders")
        eq("SUM(amount)", rows[0][0], decimal.Decimal("100000017.34"))

    check("sum_decimal", c_sum_decimal)

    def c_window():
        rows = fetch("""SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at) AS rn,
                LAG(id) OVER (ORDER BY id) AS prev, SUM(qty) OVER (PARTITION BY customer_id) AS cq
            FROM orders ORDER BY id""")
        eq("rows", [(r[0], r[1], r[2], int(r[3])) for r in rows[:3]],
           [(oid[0], 1, None, 14), (oid[1], 2, oid[0], 14), (oid[2], 1, oid[1], 3)])

    check("window_functions", c_window)

    def c_update_delete():
        cur = conn.cursor()
        cur.execute("UPDATE orders SET status = 'cancelled', note = NULL WHERE customer_id = %s", (cust[0],))
        eq("UPDATE rowcount", cur.rowcount, 2)
        cur.execute("UPDATE orders SET status = 'cancelled' WHERE customer_id = %s", (cust[0],))
        eq("no-op UPDATE rowcount (changed rows)", cur.rowcount, 0)
        cur.execute("DELETE FROM orders WHERE status = %s", ("cancelled",))
        eq("DELETE rowcount", cur.rowcount, 2)
        conn.commit()

    check("update_delete", c_update_delete)

    def c_description():
        cur = conn.cursor()
        cur.execute("SELECT id, amount, note, attrs, payload, status, placed_at FROM orders LIMIT 1")
        cur.fetchall()
        desc = [(d[0], d[1]) for d in cur.description]
        # MySQL field types: LONGLONG 8, NEWDECIMAL 246, VAR_STRING 253, JSON 245,
        # BLOB 252, STRING 254 (ENUM), DATETIME 12.
        eq("cursor.description (name, type_code)", desc,
           [("id", 8), ("amount", 246), ("note", 253), ("attrs", 245), ("payload", 252), ("status", 254), ("placed_at", 12)])

    check("cursor_description", c_description)
    conn.close()
