"""SQLModel classes for the demo database.

The tables already exist (snippets/schema.sql is the source of truth); these
classes map them with the same class names as the Django models in demo/models.py
and the SQLAlchemy mappings in demo_sqlalchemy.py. Each class is at once a
Pydantic model and an SQLAlchemy mapped class. Attribute names equal column names,
and the relationships mirror the SQLAlchemy ones: Order.customer / Customer.orders,
Order.lines, Product.tags (through the link model ProductTag), Category.parent /
children, Employee.manager / reports.
tests/test_models_match_schema.py checks that the classes and the schema agree.
"""

import datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel


class ProductTag(SQLModel, table=True):
    """The many-to-many link table, shaped like Django's auto-created one."""

    __tablename__ = "product_tags"
    __table_args__ = (UniqueConstraint("product_id", "tag_id"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id")
    tag_id: int = Field(foreign_key="tags.id")


class Category(SQLModel, table=True):
    __tablename__ = "categories"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="categories.id")

    parent: Optional["Category"] = Relationship(
        back_populates="children", sa_relationship_kwargs={"remote_side": "Category.id"}
    )
    children: list["Category"] = Relationship(back_populates="parent")
    products: list["Product"] = Relationship(back_populates="category")


class Tag(SQLModel, table=True):
    __tablename__ = "tags"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)

    products: list["Product"] = Relationship(back_populates="tags", link_model=ProductTag)


class Product(SQLModel, table=True):
    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    category_id: int = Field(foreign_key="categories.id")
    price_cents: int = Field(ge=0)
    stock: int = Field(ge=0)
    discontinued: bool

    category: "Category" = Relationship(back_populates="products")
    tags: list["Tag"] = Relationship(back_populates="products", link_model=ProductTag)
    order_lines: list["OrderLine"] = Relationship(back_populates="product")


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)
    city: str | None = Field(default=None, max_length=100)
    signed_up: datetime.date
    notes: str | None = None

    orders: list["Order"] = Relationship(back_populates="customer")


class Employee(SQLModel, table=True):
    __tablename__ = "employees"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    title: str = Field(max_length=100)
    manager_id: int | None = Field(default=None, foreign_key="employees.id")
    hired: datetime.date

    manager: Optional["Employee"] = Relationship(
        back_populates="reports", sa_relationship_kwargs={"remote_side": "Employee.id"}
    )
    reports: list["Employee"] = Relationship(back_populates="manager")
    handled_orders: list["Order"] = Relationship(back_populates="handled_by")


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id")
    placed_on: datetime.date
    # One of 'pending', 'paid', 'shipped', 'cancelled' (a CHECK in schema.sql).
    status: str = Field(max_length=10)
    shipped_on: datetime.date | None = None
    handled_by_id: int | None = Field(default=None, foreign_key="employees.id")

    customer: "Customer" = Relationship(back_populates="orders")
    handled_by: Optional["Employee"] = Relationship(back_populates="handled_orders")
    lines: list["OrderLine"] = Relationship(
        back_populates="order", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    product_id: int = Field(foreign_key="products.id")
    quantity: int = Field(ge=0)
    unit_price_cents: int = Field(ge=0)

    order: "Order" = Relationship(back_populates="lines")
    product: "Product" = Relationship(back_populates="order_lines")


# The classes a sqlmodel section sees, by name.
MODELS = (Category, Tag, ProductTag, Product, Customer, Employee, Order, OrderLine)
