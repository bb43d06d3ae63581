"""SQLAlchemy ORM over mysqlclient (the Superset / Flask / Airflow stack):
create_all, sessions, relationships, locking, window functions and
inspect() reflection."""

import datetime
import decimal
import os

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Session, declarative_base, relationship

import common

DRIVER = os.environ.get("QUARRY_SQLALCHEMY_DRIVER", "mysqldb")
print("version: SQLAlchemy %s over %s" % (sa.__version__, DRIVER))

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    email = sa.Column(sa.String(190), nullable=False, unique=True)
    name = sa.Column(sa.String(100), nullable=False, index=True)
    nickname = sa.Column(sa.String(100))
    tier = sa.Column(sa.Enum("free", "pro", "enterprise", name="tier"), nullable=False, server_default="free")
    created_at = sa.Column(mysql.DATETIME(fsp=6), nullable=False)
    updated_at = sa.Column(mysql.TIMESTAMP, nullable=True,
                           server_default=sa.text("CURRENT_TIMESTAMP"),
                           server_onupdate=sa.text("CURRENT_TIMESTAMP"))
    orders = relationship("Order", back_populates="customer", order_by="Order.id")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (sa.Index("idx_orders_customer_placed", "customer_id", "placed_at"),
                      {"comment": "customer orders"})
    id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    customer_id = sa.Column(sa.BigInteger, sa.ForeignKey("customers.id", name="fk_orders_customer"), nullable=False)
    amount = sa.Column(sa.Numeric(12, 2), nullable=False)
    qty = sa.Column(sa.Integer, nullable=False, server_default="1")
    note = sa.Column(sa.String(255), comment="free text")
    attrs = sa.Column(sa.JSON)
    payload = sa.Column(sa.LargeBinary)
    status = sa.Column(sa.Enum("new", "paid", "shipped", "cancelled", name="status"), nullable=False, server_default="new")
    placed_at = sa.Column(mysql.DATETIME(fsp=6), nullable=False)
    customer = relationship("Customer", back_populates="orders")


def url(db):
    return "mysql+%s://%s:%s@%s:%d/%s?charset=utf8mb4" % (DRIVER, common.USER, common.PASSWORD, common.HOST, common.PORT, db or "")


state = {}


def c_connect():
    e = sa.create_engine(url(None), future=True)
    with e.connect() as c:
        c.execute(sa.text("CREATE DATABASE " + common.DB))
        c.commit()
    e.dispose()
    state["engine"] = sa.create_engine(url(common.DB), future=True, pool_size=2)
    with state["engine"].connect() as c:
        # The dialect's initialize() ran: server version and sql_mode parsed.
        d = state["engine"].dialect
        if d.server_version_info[0] != 8:
            raise AssertionError("server_version_info = %r" % (d.server_version_info,))
        c.execute(sa.text("SELECT 1"))


common.check("connect", c_connect)
engine = state.get("engine")
if engine is None:
    common.done()
    raise SystemExit(0)

common.check("create_all", lambda: Base.metadata.create_all(engine))


def c_create_all_again():
    # The second create_all finds every table (has_table) and creates nothing.
    Base.metadata.create_all(engine, checkfirst=True)


common.check("create_all_idempotent", c_create_all_again)


def c_inspect():
    insp = inspect(engine)
    errs = []
    tables = insp.get_table_names()
    if tables != ["customers", "orders"]:
        errs.append("get_table_names() = %r" % tables)
    cols = {c["name"]: c for c in insp.get_columns("orders")}
    want_types = {"id": "BIGINT", "amount": "DECIMAL(12, 2)", "qty": "INTEGER", "note": "VARCHAR(255)", "attrs": "JSON",
                  "payload": "BLOB", "status": "ENUM('new','paid','shipped','cancelled')", "placed_at": "DATETIME(fsp=6)"}
    for name, want in want_types.items():
        got = repr(cols[name]["type"]) if name in cols else "(missing)"
        got_s = str(cols[name]["type"].compile(dialect=engine.dialect)) if name in cols else "(missing)"
        if got_s.replace(" ", "") != want.replace(" ", "").replace("(fsp=6)", "(6)"):
            errs.append("orders.%s type %s (%s), want %s" % (name, got_s, got, want))
    if cols.get("id", {}).get("autoincrement") is not True:
        errs.append("orders.id autoincrement = %r" % cols.get("id", {}).get("autoincrement"))
    if cols.get("status", {}).get("default") not in ("'new'",):
        errs.append("orders.status default = %r, want \"'new'\"" % cols.get("status", {}).get("default"))
    if cols.get("qty", {}).get("default") not in ("'1'",):
        errs.append("orders.qty default = %r" % cols.get("qty", {}).get("default"))
    if cols.get("note", {}).get("comment") != "free text":
        errs.append("orders.note comment = %r" % cols.get("note", {}).get("comment"))
    if insp.get_pk_constraint("orders")["constrained_columns"] != ["id"]:
        errs.append("pk %r" % insp.get_pk_constraint("orders"))
    idx = {i["name"]: (i["column_names"], i["unique"]) for i in insp.get_indexes("orders")}
    if idx.get("idx_orders_customer_placed") != (["customer_id", "placed_at"], False):
        errs.append("get_indexes(orders) = %r" % idx)
    uniq = insp.get_unique_constraints("customers")
    if [u["column_names"] for u in uniq] != [["email"]]:
        errs.append("get_unique_constraints(customers) = %r" % uniq)
    fks = insp.get_foreign_keys("orders")
    if [(f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks] != \
            [("fk_orders_customer", ["customer_id"], "customers", ["id"])]:
        errs.append("get_foreign_keys(orders) = %r" % fks)
    cmt = insp.get_table_comment("orders")
    if cmt.get("text") != "customer orders":
        errs.append("get_table_comment(orders) = %r" % cmt)
    if errs:
        raise AssertionError("; ".join(errs))


common.check("inspect_reflection", c_inspect)


def c_autoload():
    md = sa.MetaData()
    t = sa.Table("customers", md, autoload_with=engine)
    tier = t.c.tier.type
    if not isinstance(tier, sa.Enum) or list(tier.enums) != ["free", "pro", "enterprise"]:
        raise AssertionError("reflected tier type %r" % tier)
    if str(t.c.updated_at.server_default.arg) != "CURRENT_TIMESTAMP":
        raise AssertionError("updated_at server_default %r" % t.c.updated_at.server_default.arg)


common.check("table_autoload", c_autoload)

ids = {}


def c_session_insert():
    with Session(engine) as s:
        z = Customer(email="zhang@example.com", name="张伟", nickname=common.NICK, tier="pro",
                     created_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 123456))
        b = Customer(email="bob@example.com", name="Bob", created_at=datetime.datetime(2024, 2, 1, 0, 0, 0, 1))
        c = Customer(email="carol@example.com", name="Carol", nickname="", tier="enterprise", created_at=datetime.datetime(2024, 2, 3))
        z.orders = [
            Order(amount=decimal.Decimal("12.34"), qty=2, attrs={"gift": True, "名": "值"}, payload=common.BLOB, status="paid", placed_at=common.PLACED[0]),
            Order(amount=decimal.Decimal("0.01"), qty=1, note="多 emoji 🚀", status="new", placed_at=common.PLACED[1]),
        ]
        b.orders = [Order(amount=decimal.Decimal("99999999.99"), qty=3, attrs={}, payload=b"", status="shipped", placed_at=common.PLACED[2])]
        s.add_all([z, b, c])
        s.flush()
        if not z.id or not b.id or not z.orders[1].id:
            raise AssertionError("ids not set after flush")
        ids.update(z=z.id, b=b.id, c=c.id, o=[o.id for o in z.orders + b.orders])
        s.commit()


common.check("session_insert_autoinc", c_session_insert)


def c_read_back():
    with Session(engine) as s:
        z = s.execute(sa.select(Customer).where(Customer.email == "zhang@example.com")).scalar_one()
        b = s.get(Customer, ids.get("b"))
        errs = []
        if z.nickname != common.NICK or z.tier != "pro" or z.created_at != datetime.datetime(2024, 1, 2, 3, 4, 5, 123456):
            errs.append("zhang %r %r %r" % (z.nickname, z.tier, z.created_at))
        if b.tier != "free" or b.nickname is not None or b.updated_at is None:
            errs.append("bob tier %r nickname %r updated_at %r" % (b.tier, b.nickname, b.updated_at))
        o = z.orders
        if [x.amount for x in o] != [decimal.Decimal("12.34"), decimal.Decimal("0.01")]:
            errs.append("amounts %r" % [x.amount for x in o])
        if o[0].attrs != {"gift": True, "名": "值"} or o[0].payload != common.BLOB or o[1].payload is not None:
            errs.append("attrs %r payload %r / %r" % (o[0].attrs, o[0].payload, o[1].payload))
        if [x.placed_at for x in o] != common.PLACED[:2] or b.orders[0].payload != b"":
            errs.append("placed_at %r" % [x.placed_at for x in o])
        if errs:
            raise AssertionError("; ".join(errs))


common.check("read_back_types", c_read_back)


def c_rollback():
    with Session(engine) as s:
        s.execute(sa.update(Order).values(qty=0))
        s.add(Order(customer_id=ids.get("c"), amount=decimal.Decimal("1"), placed_at=datetime.datetime.now()))
        s.flush()
        s.rollback()
        total = s.execute(sa.select(sa.func.sum(Order.qty))).scalar_one()
        n = s.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one()
        common.eq("SUM(qty), COUNT(*) after rollback", (int(total), n), (6, 3))


common.check("session_rollback", c_rollback)


def c_for_update():
    with Session(engine) as s:
        o = s.execute(sa.select(Order).where(Order.id == ids["o"][1]).with_for_update()).scalar_one()
        with engine.connect() as other:
            other.execute(sa.text("SET SESSION innodb_lock_wait_timeout = 1"))
            try:
                other.execute(sa.update(Order).where(Order.id == o.id).values(qty=Order.qty + 5))
            except sa.exc.OperationalError as e:
                common.eq("error code", common.err_code(e), 1205)
            else:
                raise AssertionError("UPDATE of a row locked by with_for_update() did not wait")
            other.rollback()
        o.qty += 1
        s.commit()


common.check("with_for_update", c_for_update)


def c_aggregates():
    with Session(engine) as s:
        rows = s.execute(
            sa.select(Customer.name, sa.func.count(Order.id).label("n"), sa.func.sum(Order.amount).label("total"))
            .join(Order, Order.customer_id == Customer.id)
            .group_by(Customer.id, Customer.name).order_by(Customer.id)).all()
        common.eq("group by", [(r.name, r.n) for r in rows], [("张伟", 2), ("Bob", 1)])
        common.eq("SUM(amount) per customer", [r.total for r in rows], [decimal.Decimal("12.35"), decimal.Decimal("99999999.99")])


common.check("join_group_by_sum", c_aggregates)


def c_window_limit():
    with Session(engine) as s:
        rn = sa.func.row_number().over(partition_by=Order.customer_id, order_by=Order.placed_at.desc()).label("rn")
        q = sa.select(Order.id, rn).order_by(Order.id).limit(sa.bindparam("n", 2)).offset(sa.bindparam("m", 1))
        rows = s.execute(q, {"n": 2, "m": 1}).all()
        common.eq("window + LIMIT/OFFSET params", [tuple(r) for r in rows], [(ids["o"][1], 1), (ids["o"][2], 1)])


common.check("window_limit_params", c_window_limit)


def c_update_delete():
    with Session(engine) as s:
        r = s.execute(sa.update(Customer).where(Customer.id == ids["b"]).values(tier="pro"))
        common.eq("update rowcount", r.rowcount, 1)
        r = s.execute(sa.delete(Order).where(Order.status == "shipped"))
        common.eq("delete rowcount", r.rowcount, 1)
        s.commit()
        s.delete(s.get(Customer, ids["c"]))
        s.commit()
        common.eq("customers left", s.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one(), 2)


common.check("update_delete", c_update_delete)
engine.dispose()
common.done()
