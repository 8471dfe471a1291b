-- The demo database: a small shop that every ORM in the book maps.
--
-- This file is the single source of truth for the schema (SQLite dialect).
-- Every snippet runs against a fresh database made from this file and
-- fixtures.sql, both by the Python capture runner and by the book's engine.
-- The Django models (models/demo/models.py) and the SQLAlchemy mappings
-- (models/demo_sqlalchemy.py) map these tables; tests/test_models_match_schema.py
-- checks that they agree with it, column by column.
--
-- Conventions: plural snake_case table names; every table has an
-- "id INTEGER PRIMARY KEY"; foreign key columns end in "_id"; declared types
-- are only INTEGER, TEXT, DATE (ISO 8601 text) and BOOLEAN (0 or 1); money is
-- integer cents. There are no indexes besides those that PRIMARY KEY and UNIQUE
-- create, so query plans show what a missing index costs.

-- A tree, three levels deep, for recursive queries.
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER NULL REFERENCES categories(id)
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    discontinued BOOLEAN NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Many-to-many between products and tags, in the shape of the table Django
-- creates for a ManyToManyField (columns id, product_id, tag_id).
CREATE TABLE product_tags (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    UNIQUE (product_id, tag_id)
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    city TEXT NULL,
    signed_up DATE NOT NULL,
    notes TEXT NULL
);

-- A hierarchy, three levels deep: each employee reports to a manager.
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    manager_id INTEGER NULL REFERENCES employees(id),
    hired DATE NOT NULL
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    placed_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    shipped_on DATE NULL,
    handled_by_id INTEGER NULL REFERENCES employees(id)
);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0)
);
