"""Django ORM over mysqlclient: migrate --run-syncdb, the ORM, atomic()
transactions, select_for_update, aggregates and window functions, and the
introspection inspectdb uses."""

import datetime
import decimal
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

import common  # noqa: E402

settings.configure(
    DEBUG=False,
    USE_TZ=False,
    INSTALLED_APPS=["djangoapp"],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.mysql", "NAME": common.DB, "USER": common.USER, "PASSWORD": common.PASSWORD,
        "HOST": common.HOST, "PORT": str(common.PORT),
        "OPTIONS": {"charset": "utf8mb4", "connect_timeout": 5},
        "TEST": {"NAME": common.DB},
    }},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
print("version: Django %s" % django.get_version())


def c_connect():
    import MySQLdb
    conn = MySQLdb.connect(host=common.HOST, port=common.PORT, user=common.USER, passwd=common.PASSWORD)
    conn.cursor().execute("CREATE DATABASE " + common.DB)
    conn.close()
    django.setup()
    from django.db import connection
    connection.ensure_connection()
    v = connection.mysql_version
    if v[0] != 8:
        raise AssertionError("mysql_version = %r" % (v,))


common.check("connect", c_connect)
if not django.apps.apps.ready:
    common.done()
    raise SystemExit(0)

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402


def c_migrate():
    out = io.StringIO()
    call_command("migrate", run_syncdb=True, verbosity=1, stdout=out)
    tables = connection.introspection.table_names()
    for t in ("djangoapp_customer", "djangoapp_order", "django_migrations"):
        if t not in tables:
            raise AssertionError("table %s missing after migrate; tables: %r" % (t, tables))


common.check("migrate_syncdb", c_migrate)

from djangoapp.models import Customer, Order  # noqa: E402

ids = {}


def c_create():
    z = Customer.objects.create(email="zhang@example.com", name="张伟", nickname=common.NICK, tier="pro",
                                created_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 123456))
    b = Customer.objects.create(email="bob@example.com", name="Bob", created_at=datetime.datetime(2024, 2, 1, 0, 0, 0, 1))
    c = Customer.objects.create(email="carol@example.com", name="Carol", tier="enterprise", created_at=datetime.datetime(2024, 2, 3))
    if not (z.pk and b.pk and c.pk and z.pk < b.pk < c.pk):
        raise AssertionError("pks %r %r %r" % (z.pk, b.pk, c.pk))
    Order.objects.bulk_create([
        Order(customer=z, amount=decimal.Decimal("12.34"), qty=2, attrs={"gift": True, "名": "值"}, payload=common.BLOB, status="paid", placed_at=common.PLACED[0]),
        Order(customer=z, amount=decimal.Decimal("0.01"), qty=1, note="多 emoji 🚀", placed_at=common.PLACED[1]),
        Order(customer=b, amount=decimal.Decimal("99999999.99"), qty=3, attrs={}, payload=b"", status="shipped", placed_at=common.PLACED[2]),
    ])
    ids.update(z=z.pk, b=b.pk, c=c.pk, o=list(Order.objects.order_by("id").values_list("id", flat=True)))


common.check("create_bulk_create", c_create)


def c_read():
    z = Customer.objects.get(email="zhang@example.com")
    os_ = list(z.orders.order_by("id"))
    errs = []
    if z.nickname != common.NICK or z.created_at != datetime.datetime(2024, 1, 2, 3, 4, 5, 123456):
        errs.append("customer %r %r" % (z.nickname, z.created_at))
    if [o.amount for o in os_] != [decimal.Decimal("12.34"), decimal.Decimal("0.01")]:
        errs.append("amounts %r" % [o.amount for o in os_])
    if os_[0].attrs != {"gift": True, "名": "值"} or bytes(os_[0].payload) != common.BLOB or os_[1].payload is not None:
        errs.append("attrs/payload %r %r" % (os_[0].attrs, os_[0].payload))
    if Order.objects.filter(attrs__名="值").count() != 1:
        errs.append("JSON key lookup attrs__名 found %d" % Order.objects.filter(attrs__名="值").count())
    if Order.objects.filter(attrs__gift=True).count() != 1:
        errs.append("JSON lookup attrs__gift=True found %d" % Order.objects.filter(attrs__gift=True).count())
    if [o.placed_at for o in os_] != common.PLACED[:2]:
        errs.append("placed_at %r" % [o.placed_at for o in os_])
    if list(Order.objects.order_by("id").values_list("id", flat=True)[1:3]) != ids["o"][1:3]:
        errs.append("slice [1:3]")
    if errs:
        raise AssertionError("; ".join(errs))


common.check("read_back_json_lookups", c_read)


def c_atomic():
    class Boom(Exception):
        pass
    try:
        with transaction.atomic():
            Order.objects.update(qty=0)
            Order.objects.filter(customer_id=ids["b"]).delete()
            raise Boom()
    except Boom:
        pass
    with transaction.atomic():
        Order.objects.filter(pk=ids["o"][0]).update(qty=models.F("qty") + 10)
        with transaction.atomic():  # savepoint
            Order.objects.create(customer_id=ids["c"], amount=1, placed_at=common.PLACED[2])
            transaction.set_rollback(True)
    agg = Order.objects.aggregate(total=models.Sum("qty"), n=models.Count("id"))
    common.eq("after atomic blocks", (agg["total"], agg["n"]), (16, 3))


common.check("atomic_and_savepoints", c_atomic)


def c_for_update():
    with transaction.atomic():
        o = Order.objects.select_for_update().get(pk=ids["o"][1])
        o.qty += 1
        o.save(update_fields=["qty"])
    common.eq("qty", Order.objects.get(pk=ids["o"][1]).qty, 2)


common.check("select_for_update", c_for_update)


def c_aggregates():
    from django.db.models import Count, F, Sum, Window
    from django.db.models.functions import RowNumber, TruncMonth
    rows = list(Customer.objects.annotate(n=Count("orders"), total=Sum("orders__amount")).filter(n__gt=0)
                .order_by("id").values_list("name", "n", "total"))
    common.eq("annotate", rows, [("张伟", 2, decimal.Decimal("12.35")), ("Bob", 1, decimal.Decimal("99999999.99"))])
    months = list(Order.objects.annotate(m=TruncMonth("placed_at")).values("m").annotate(n=Count("id")).order_by("m").values_list("m", "n"))
    common.eq("TruncMonth", months, [(datetime.datetime(2024, 3, 1), 2), (datetime.datetime(2024, 4, 1), 1)])
    rn = list(Order.objects.annotate(rn=Window(RowNumber(), partition_by=[F("customer_id")], order_by=F("placed_at").desc()))
              .order_by("id").values_list("id", "rn"))
    common.eq("Window(RowNumber())", rn, [(ids["o"][0], 2), (ids["o"][1], 1), (ids["o"][2], 1)])


common.check("aggregates_window", c_aggregates)


def c_introspection():
    with connection.cursor() as cur:
        cons = connection.introspection.get_constraints(cur, "djangoapp_order")
        desc = {d.name: d for d in connection.introspection.get_table_description(cur, "djangoapp_order")}
    errs = []
    fks = [(c["columns"], c["foreign_key"]) for c in cons.values() if c["foreign_key"]]
    if fks != [(["customer_id"], ("djangoapp_customer", "id"))]:
        errs.append("foreign keys %r" % fks)
    idx = cons.get("idx_orders_customer_placed")
    if not idx or idx["columns"] != ["customer_id", "placed_at"] or not idx["index"]:
        errs.append("idx_orders_customer_placed %r" % idx)
    pk = [c["columns"] for c in cons.values() if c["primary_key"]]
    if pk != [["id"]]:
        errs.append("primary key %r" % pk)
    if desc["amount"].precision != 12 or desc["amount"].scale != 2:
        errs.append("amount precision/scale %r/%r" % (desc["amount"].precision, desc["amount"].scale))
    out = io.StringIO()
    call_command("inspectdb", "djangoapp_customer", "djangoapp_order", stdout=out)
    src = out.getvalue()
    for want in ("email = models.CharField(unique=True, max_length=190)",
                 "amount = models.DecimalField(max_digits=12, decimal_places=2)",
                 "customer = models.ForeignKey(DjangoappCustomer, models.DO_NOTHING)",
                 "attrs = models.JSONField(blank=True, null=True)"):
        if want not in src:
            errs.append("inspectdb lacks %r" % want)
    if errs:
        raise AssertionError("; ".join(errs))


common.check("introspection_inspectdb", c_introspection)


def c_protect():
    from django.db.models import ProtectedError
    try:
        Customer.objects.get(pk=ids["z"]).delete()
    except ProtectedError:
        pass
    else:
        raise AssertionError("deleting a customer with orders was not refused")
    n, _ = Order.objects.filter(customer_id=ids["z"]).delete()
    common.eq("deleted orders", n, 2)
    Customer.objects.filter(pk=ids["z"]).delete()
    common.eq("customers left", Customer.objects.count(), 2)


common.check("update_delete", c_protect)
common.done()
