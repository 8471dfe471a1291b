"""Peewee models for the demo database.

The tables already exist (snippets/schema.sql is the source of truth); these
models map them with the same class names as the Django models in demo/models.py.
Field names follow Django's (``Order.customer`` stores ``customer_id``), and the
back-references mirror Django's related names: Customer.orders, Order.lines,
Product.tags (through the model ProductTag), Category.parent / children,
Employee.manager / reports.

The models are bound to ``database``, a proxy: whoever runs them (the snippet runner,
a test) points it at a real ``SqliteDatabase`` with ``database.initialize(...)``.
tests/test_models_match_schema.py checks that the models and the schema agree.
"""

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DeferredThroughModel,
    ForeignKeyField,
    IntegerField,
    ManyToManyField,
    Model,
    TextField,
)

database = DatabaseProxy()


class DemoModel(Model):
    class Meta:
        database = database


class Category(DemoModel):
    name = CharField(max_length=100)
    parent = ForeignKeyField("self", null=True, backref="children")

    class Meta:
        table_name = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(DemoModel):
    name = CharField(max_length=50, unique=True)

    class Meta:
        table_name = "tags"

    def __str__(self) -> str:
        return self.name


ProductTagThrough = DeferredThroughModel()


class Product(DemoModel):
    sku = CharField(max_length=20, unique=True)
    name = CharField(max_length=200)
    category = ForeignKeyField(Category, backref="products")
    price_cents = IntegerField()
    stock = IntegerField()
    discontinued = BooleanField()
    tags = ManyToManyField(Tag, backref="products", through_model=ProductTagThrough)

    class Meta:
        table_name = "products"

    def __str__(self) -> str:
        return self.name


class ProductTag(DemoModel):
    """The many-to-many link table, shaped like Django's auto-created one."""

    product = ForeignKeyField(Product)
    tag = ForeignKeyField(Tag)

    class Meta:
        table_name = "product_tags"
        indexes = ((("product", "tag"), True),)


ProductTagThrough.set_model(ProductTag)


class Customer(DemoModel):
    name = CharField(max_length=100)
    email = CharField(max_length=254, unique=True)
    city = CharField(max_length=100, null=True)
    signed_up = DateField()
    notes = TextField(null=True)

    class Meta:
        table_name = "customers"

    def __str__(self) -> str:
        return self.name


class Employee(DemoModel):
    name = CharField(max_length=100)
    title = CharField(max_length=100)
    manager = ForeignKeyField("self", null=True, backref="reports")
    hired = DateField()

    class Meta:
        table_name = "employees"

    def __str__(self) -> str:
        return self.name


class Order(DemoModel):
    customer = ForeignKeyField(Customer, backref="orders")
    placed_on = DateField()
    # One of 'pending', 'paid', 'shipped', 'cancelled' (a CHECK in schema.sql).
    status = CharField(max_length=10)
    shipped_on = DateField(null=True)
    handled_by = ForeignKeyField(Employee, null=True, backref="handled_orders")

    class Meta:
        table_name = "orders"

    def __str__(self) -> str:
        return f"Order {self.id}"


class OrderLine(DemoModel):
    order = ForeignKeyField(Order, backref="lines")
    product = ForeignKeyField(Product, backref="order_lines")
    quantity = IntegerField()
    unit_price_cents = IntegerField()

    class Meta:
        table_name = "order_lines"

    def __str__(self) -> str:
        return f"OrderLine {self.id}"


# The models a peewee section sees, by name.
MODELS = (Category, Tag, ProductTag, Product, Customer, Employee, Order, OrderLine)
