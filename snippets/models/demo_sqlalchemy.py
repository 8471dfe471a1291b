"""SQLAlchemy 2.x declarative mappings for the demo database.

The tables already exist (snippets/schema.sql is the source of truth); these
classes map them with the same class names as the Django models in demo/models.py.
Attribute names equal column names (customer_id, placed_on, ...), and the
relationships mirror the Django ones: Order.customer / Customer.orders,
Order.lines, Product.tags, Category.parent / children, Employee.manager / reports.
tests/test_models_match_schema.py checks that the mappings and the schema agree.
"""

from __future__ import annotations

import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    def __repr__(self) -> str:
        # Deterministic: class, primary key and, where there is one, the name.
        name = getattr(self, "name", None)
        label = f" {name!r}" if name is not None else ""
        return f"<{type(self).__name__} {getattr(self, 'id', None)}{label}>"


# The many-to-many association table, shaped like Django's auto-created one.
product_tags = Table(
    "product_tags",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tags.id"), nullable=False),
    UniqueConstraint("product_id", "tag_id"),
)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))

    parent: Mapped[Category | None] = relationship(
        back_populates="children", remote_side="Category.id"
    )
    children: Mapped[list[Category]] = relationship(back_populates="parent")
    products: Mapped[list[Product]] = relationship(back_populates="category")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    products: Mapped[list[Product]] = relationship(secondary=product_tags, back_populates="tags")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    discontinued: Mapped[bool] = mapped_column(Boolean)

    category: Mapped[Category] = relationship(back_populates="products")
    tags: Mapped[list[Tag]] = relationship(secondary=product_tags, back_populates="products")
    order_lines: Mapped[list[OrderLine]] = relationship(back_populates="product")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    city: Mapped[str | None] = mapped_column(String(100))
    signed_up: Mapped[datetime.date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    hired: Mapped[datetime.date] = mapped_column(Date)

    manager: Mapped[Employee | None] = relationship(
        back_populates="reports", remote_side="Employee.id"
    )
    reports: Mapped[list[Employee]] = relationship(back_populates="manager")
    handled_orders: Mapped[list[Order]] = relationship(back_populates="handled_by")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    placed_on: Mapped[datetime.date] = mapped_column(Date)
    # One of 'pending', 'paid', 'shipped', 'cancelled' (a CHECK in schema.sql).
    status: Mapped[str] = mapped_column(String(10))
    shipped_on: Mapped[datetime.date | None] = mapped_column(Date)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))

    customer: Mapped[Customer] = relationship(back_populates="orders")
    handled_by: Mapped[Employee | None] = relationship(back_populates="handled_orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(back_populates="order_lines")
