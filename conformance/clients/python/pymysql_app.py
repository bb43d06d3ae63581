"""PyMySQL (pure-Python driver; client-side parameter interpolation)."""

import pymysql

import common


def connect(db, autocommit):
    return pymysql.connect(host=common.HOST, port=common.PORT, user=common.USER, password=common.PASSWORD,
                           database=db, charset="utf8mb4", autocommit=autocommit, connect_timeout=5,
                           read_timeout=30, write_timeout=30)


print("version: PyMySQL %s" % pymysql.__version__)
common.dbapi_scenario(connect)


def c_dict_cursor():
    conn = pymysql.connect(host=common.HOST, port=common.PORT, user=common.USER, password=common.PASSWORD,
                           database=common.DB, charset="utf8mb4", cursorclass=pymysql.cursors.DictCursor)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, name FROM customers WHERE name = %(name)s", {"name": "Bob"})
            row = cur.fetchone()
            common.eq("DictCursor row keys", sorted(row), ["id", "name"])
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute("SELECT id FROM orders ORDER BY id")
            common.eq("SSCursor rows", len(list(cur)), 2)
        conn.ping(reconnect=False)
    finally:
        conn.close()


common.check("dict_and_unbuffered_cursors", c_dict_cursor)
common.done()
