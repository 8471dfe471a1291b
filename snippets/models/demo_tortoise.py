"""Tortoise ORM models for the demo database, in the app ``demo``.

The tables already exist (snippets/schema.sql is the source of truth); these
models map them with the same class names as the Django models in demo/models.py.
Field names and related names follow Django's: ``Order.customer`` stores
``customer_id``, and Customer.orders, Order.lines, Product.tags (through the table
product_tags), Category.parent / children, Employee.manager / reports.

The link table product_tags is also mapped as the model ProductTag, so that every
column of the schema is mapped. Tortoise needs ``Tortoise.init`` with these models
in an app named ``demo`` before they run queries.
tests/test_models_match_schema.py checks that the models and the schema agree.
"""

from tortoise import fields
from tortoise.models import Model

APP_LABEL = "demo"


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    parent: fields.ForeignKeyNullableRelation["Category"] = fields.ForeignKeyField(
        "demo.Category", null=True, related_name="children", on_delete=fields.RESTRICT
    )

    children: fields.ReverseRelation["Category"]
    products: fields.ReverseRelation["Product"]

    class Meta:
        table = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    products: fields.ManyToManyRelation["Product"]

    class Meta:
        table = "tags"

    def __str__(self) -> str:
        return self.name


class Product(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=20, unique=True)
    name = fields.CharField(max_length=200)
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "demo.Category", related_name="products", on_delete=fields.RESTRICT
    )
    price_cents = fields.IntField()
    stock = fields.IntField()
    discontinued = fields.BooleanField()
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "demo.Tag",
        through="product_tags",
        forward_key="tag_id",
        backward_key="product_id",
        related_name="products",
    )

    order_lines: fields.ReverseRelation["OrderLine"]

    class Meta:
        table = "products"

    def __str__(self) -> str:
        return self.name


class ProductTag(Model):
    """The many-to-many link table, shaped like Django's auto-created one."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "demo.Product", related_name=False
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField("demo.Tag", related_name=False)

    class Meta:
        table = "product_tags"
        unique_together = (("product", "tag"),)


class Customer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, unique=True)
    city = fields.CharField(max_length=100, null=True)
    signed_up = fields.DateField()
    notes = fields.TextField(null=True)

    orders: fields.ReverseRelation["Order"]

    class Meta:
        table = "customers"

    def __str__(self) -> str:
        return self.name


class Employee(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    title = fields.CharField(max_length=100)
    manager: fields.ForeignKeyNullableRelation["Employee"] = fields.ForeignKeyField(
        "demo.Employee", null=True, related_name="reports", on_delete=fields.SET_NULL
    )
    hired = fields.DateField()

    reports: fields.ReverseRelation["Employee"]
    handled_orders: fields.ReverseRelation["Order"]

    class Meta:
        table = "employees"

    def __str__(self) -> str:
        return self.name


class Order(Model):
    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "demo.Customer", related_name="orders", on_delete=fields.RESTRICT
    )
    placed_on = fields.DateField()
    # One of 'pending', 'paid', 'shipped', 'cancelled' (a CHECK in schema.sql).
    status = fields.CharField(max_length=10)
    shipped_on = fields.DateField(null=True)
    handled_by: fields.ForeignKeyNullableRelation[Employee] = fields.ForeignKeyField(
        "demo.Employee", null=True, related_name="handled_orders", on_delete=fields.SET_NULL
    )

    lines: fields.ReverseRelation["OrderLine"]

    class Meta:
        table = "orders"

    def __str__(self) -> str:
        return f"Order {self.pk}"


class OrderLine(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "demo.Order", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "demo.Product", related_name="order_lines", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    unit_price_cents = fields.IntField()

    class Meta:
        table = "order_lines"

    def __str__(self) -> str:
        return f"OrderLine {self.pk}"


# The models a tortoise section sees, by name.
MODELS = (Category, Tag, ProductTag, Product, Customer, Employee, Order, OrderLine)
