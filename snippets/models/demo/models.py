"""Django models for the demo database.

The tables already exist (snippets/schema.sql is the source of truth), so each
model names its table; tests/test_models_match_schema.py checks that the models
and the schema agree, column by column.
"""

from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        db_table = "categories"
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        db_table = "tags"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price_cents = models.PositiveIntegerField()
    stock = models.PositiveIntegerField()
    discontinued = models.BooleanField()
    tags = models.ManyToManyField(Tag, db_table="product_tags", related_name="products")

    class Meta:
        db_table = "products"

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, unique=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    signed_up = models.DateField()
    notes = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "customers"

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=100)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    hired = models.DateField()

    class Meta:
        db_table = "employees"

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        SHIPPED = "shipped"
        CANCELLED = "cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status)
    shipped_on = models.DateField(null=True, blank=True)
    handled_by = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_orders",
    )

    class Meta:
        db_table = "orders"

    def __str__(self) -> str:
        return f"Order {self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.PositiveIntegerField()

    class Meta:
        db_table = "order_lines"

    def __str__(self) -> str:
        return f"OrderLine {self.pk}"
