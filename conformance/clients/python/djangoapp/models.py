"""The application schema as Django models (created by migrate --run-syncdb)."""

from django.db import models


class Customer(models.Model):
    TIERS = [("free", "free"), ("pro", "pro"), ("enterprise", "enterprise")]
    email = models.CharField(max_length=190, unique=True)
    name = models.CharField(max_length=100, db_index=True)
    nickname = models.CharField(max_length=100, null=True)
    tier = models.CharField(max_length=10, choices=TIERS, default="free")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    qty = models.IntegerField(default=1)
    note = models.CharField(max_length=255, null=True)
    attrs = models.JSONField(null=True)
    payload = models.BinaryField(null=True)
    status = models.CharField(max_length=10, default="new")
    placed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "placed_at"], name="idx_orders_customer_placed")]
