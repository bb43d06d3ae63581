"""mysqlclient (MySQLdb, the C driver Django and Superset use)."""

import MySQLdb
import MySQLdb.cursors

import common


def connect(db, autocommit):
    kw = dict(host=common.HOST, port=common.PORT, user=common.USER, passwd=common.PASSWORD,
              charset="utf8mb4", connect_timeout=5, autocommit=autocommit)
    if db:
        kw["db"] = db
    return MySQLdb.connect(**kw)


print("version: mysqlclient %s, libmysqlclient %s" % (".".join(map(str, MySQLdb.version_info[:3])),
                                                       MySQLdb._mysql.get_client_info()))
common.dbapi_scenario(connect)


def c_server_info():
    conn = connect(common.DB, True)
    try:
        info = conn.get_server_info()
        if not info.startswith("8."):
            raise AssertionError("get_server_info() = %r" % info)
        conn.ping()
        cur = conn.cursor(MySQLdb.cursors.DictCursor)
        cur.execute("SELECT id, name FROM customers WHERE name = %s", ("Bob",))
        common.eq("DictCursor keys", sorted(cur.fetchone()), ["id", "name"])
        cur = conn.cursor(MySQLdb.cursors.SSCursor)
        cur.execute("SELECT id FROM orders ORDER BY id")
        common.eq("SSCursor rows", len(cur.fetchall()), 2)
        common.eq("character_set_name()", conn.character_set_name(), "utf8mb4")
    finally:
        conn.close()


common.check("server_info_and_cursors", c_server_info)
common.done()
