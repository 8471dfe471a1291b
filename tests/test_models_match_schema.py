"""Every ORM's mapping of the demo database agrees with snippets/schema.sql.

The Django models, the SQLAlchemy mappings, the SQLModel classes, the Peewee models
and the Tortoise ORM models: each is reduced to the same description (tables, columns in order, type
family, nullability, primary key, foreign key target, unique column sets) and the
descriptions are compared; the fixture rows are checked to load cleanly.
"""

from __future__ import annotations

import datetime
import sqlite3
from dataclasses import dataclass
from types import ModuleType

import pytest
from django.apps import AppConfig
from django.db import models as dj
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Table as SATable

SCRIPT_NOTE = '<script>alert("notes")</script>'

EXPECTED_TABLES = {
    "categories",
    "products",
    "tags",
    "product_tags",
    "customers",
    "employees",
    "orders",
    "order_lines",
}

# Declared SQL type -> family. schema.sql may use only these.
SQL_FAMILIES = {"INTEGER": "integer", "TEXT": "text", "DATE": "date", "BOOLEAN": "boolean"}

DJANGO_FAMILIES = {
    "AutoField": "integer",
    "BigAutoField": "integer",
    "SmallAutoField": "integer",
    "IntegerField": "integer",
    "BigIntegerField": "integer",
    "SmallIntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveBigIntegerField": "integer",
    "PositiveSmallIntegerField": "integer",
    "CharField": "text",
    "TextField": "text",
    "DateField": "date",
    "BooleanField": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    family: str
    nullable: bool
    primary_key: bool
    references: tuple[str, str] | None  # (table, column) of a foreign key


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    unique: frozenset[tuple[str, ...]]  # column sets with a UNIQUE constraint (sorted)


Schema = dict[str, Table]


def unique_set(column_groups: list[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(sorted(group)) for group in column_groups)


# --- the readers --------------------------------------------------------------------


def read_sqlite(conn: sqlite3.Connection) -> Schema:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    schema: Schema = {}
    for table in names:
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        fks: dict[str, tuple[str, str]] = {}
        for _id, _seq, target, source, target_col, *_ in conn.execute(
            f'PRAGMA foreign_key_list("{table}")'
        ):
            if target_col is None:  # REFERENCES t without a column: t's primary key
                target_col = next(
                    r[1] for r in conn.execute(f'PRAGMA table_info("{target}")') if r[5]
                )
            fks[source] = (target, target_col)
        columns = tuple(
            Column(
                name=name,
                family=SQL_FAMILIES.get(declared, f"unknown SQL type {declared!r}"),
                nullable=not notnull and not pk,
                primary_key=pk > 0,
                references=fks.get(name),
            )
            for _cid, name, declared, notnull, _default, pk in info
        )
        groups = [
            tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index}")'))
            for _seq, index, unique, origin, _partial in conn.execute(
                f'PRAGMA index_list("{table}")'
            )
            if unique and origin != "pk"
        ]
        schema[table] = Table(columns, unique_set(groups))
    return schema


def django_family(field: dj.Field) -> str:
    if field.is_relation:
        field = field.target_field
    internal = field.get_internal_type()
    return DJANGO_FAMILIES.get(internal, f"unknown Django field {internal}")


def read_django(app: AppConfig) -> Schema:
    schema: Schema = {}
    for model in app.get_models(include_auto_created=True):
        meta = model._meta
        fields = meta.local_concrete_fields
        columns = tuple(
            Column(
                name=f.column,
                family=django_family(f),
                nullable=f.null,
                primary_key=f.primary_key,
                references=(
                    (f.related_model._meta.db_table, f.target_field.column)
                    if f.is_relation
                    else None
                ),
            )
            for f in fields
        )
        groups = [(f.column,) for f in fields if f.unique and not f.primary_key]
        for names in meta.unique_together:
            groups.append(tuple(meta.get_field(n).column for n in names))
        for constraint in meta.constraints:
            if isinstance(constraint, dj.UniqueConstraint):
                groups.append(tuple(meta.get_field(n).column for n in constraint.fields))
        schema[meta.db_table] = Table(columns, unique_set(groups))
    return schema


def sqlalchemy_family(column_type: object) -> str:
    if isinstance(column_type, TypeDecorator):
        # SQLModel's AutoString, for one: the type it stores as.
        column_type = column_type.impl_instance
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, String):
        return "text"
    if isinstance(column_type, Date) and not isinstance(column_type, DateTime):
        return "date"
    return f"unknown SQLAlchemy type {column_type!r}"


def read_sqlalchemy_table(table: SATable) -> Table:
    columns = []
    for col in table.columns:
        targets = [(fk.column.table.name, fk.column.name) for fk in col.foreign_keys]
        assert len(targets) <= 1, f"{table.name}.{col.name} has several foreign keys"
        columns.append(
            Column(
                name=col.name,
                family=sqlalchemy_family(col.type),
                nullable=bool(col.nullable),
                primary_key=col.primary_key,
                references=targets[0] if targets else None,
            )
        )
    groups = [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    groups += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return Table(tuple(columns), unique_set(groups))


def read_sqlalchemy(metadata: MetaData) -> Schema:
    return {name: read_sqlalchemy_table(table) for name, table in metadata.tables.items()}


def read_sqlmodel(module: ModuleType) -> Schema:
    # SQLModel.metadata is shared by every SQLModel class: read the module's own tables.
    return {cls.__tablename__: read_sqlalchemy_table(cls.__table__) for cls in module.MODELS}


def peewee_family(field: object) -> str:
    from peewee import BooleanField, CharField, DateField, ForeignKeyField, IntegerField, TextField

    if isinstance(field, ForeignKeyField):
        field = field.rel_field
    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, IntegerField):
        return "integer"
    if isinstance(field, (CharField, TextField)):
        return "text"
    if isinstance(field, DateField):
        return "date"
    return f"unknown Peewee field {type(field).__name__}"


def read_peewee(module: ModuleType) -> Schema:
    from peewee import ForeignKeyField

    schema: Schema = {}
    for model in module.MODELS:
        meta = model._meta
        fields = meta.sorted_fields
        columns = tuple(
            Column(
                name=f.column_name,
                family=peewee_family(f),
                nullable=f.null,
                primary_key=f.primary_key,
                references=(
                    (f.rel_model._meta.table_name, f.rel_field.column_name)
                    if isinstance(f, ForeignKeyField)
                    else None
                ),
            )
            for f in fields
        )
        groups = [(f.column_name,) for f in fields if f.unique and not f.primary_key]
        groups += [
            tuple(meta.fields[name].column_name for name in names)
            for names, unique in meta.indexes
            if unique
        ]
        schema[meta.table_name] = Table(columns, unique_set(groups))
    return schema


def tortoise_family(field: object) -> str:
    from tortoise.fields import BooleanField, CharField, DateField, IntField, TextField

    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, IntField):
        return "integer"
    if isinstance(field, (CharField, TextField)):
        return "text"
    if isinstance(field, DateField) and not isinstance(field, datetime.datetime):
        return "date"
    return f"unknown Tortoise field {type(field).__name__}"


def read_tortoise(module: ModuleType) -> Schema:
    """Columns in the order the model declares them: a foreign key's ``<name>_id``
    field (which Tortoise adds after the others) stands where its relation is."""
    from tortoise.fields.relational import ForeignKeyFieldInstance

    schema: Schema = {}
    for model in module.MODELS:
        meta = model._meta
        relations = {
            name: field
            for name, field in meta.fields_map.items()
            if isinstance(field, ForeignKeyFieldInstance)
        }
        sources = {field.source_field: name for name, field in relations.items()}
        columns = []
        for name, field in meta.fields_map.items():
            if name in sources or name not in meta.fields_db_projection and name not in relations:
                continue  # a foreign key's column (placed with its relation), or no column
            reference = None
            if name in relations:
                target = field.related_model._meta
                reference = (target.db_table, target.fields_db_projection[target.pk_attr])
                field = meta.fields_map[field.source_field]
            columns.append(
                Column(
                    name=meta.fields_db_projection[field.model_field_name],
                    family=tortoise_family(field),
                    nullable=field.null,
                    primary_key=field.pk,
                    references=reference,
                )
            )
        groups = [
            (meta.fields_db_projection[name],)
            for name, field in meta.fields_map.items()
            if name in meta.fields_db_projection and field.unique and not field.pk
        ]
        groups += [
            tuple(relations[name].source_field if name in relations else name for name in names)
            for names in meta.unique_together
        ]
        schema[meta.db_table] = Table(tuple(columns), unique_set(groups))
    return schema


# --- the comparison ---------------------------------------------------------------


def compare(expected: Schema, actual: Schema, actual_name: str) -> list[str]:
    """Every difference between schema.sql (expected) and an ORM's view of it."""
    problems = [
        f"{t}: table in schema.sql but not in {actual_name}"
        for t in sorted(expected.keys() - actual.keys())
    ]
    problems += [
        f"{t}: table in {actual_name} but not in schema.sql"
        for t in sorted(actual.keys() - expected.keys())
    ]
    for table in sorted(expected.keys() & actual.keys()):
        want, got = expected[table], actual[table]
        want_names = [c.name for c in want.columns]
        got_names = [c.name for c in got.columns]
        if want_names != got_names:
            problems.append(
                f"{table}: columns are {want_names} in schema.sql but {got_names} in {actual_name}"
            )
        got_by_name = {c.name: c for c in got.columns}
        for column in want.columns:
            other = got_by_name.get(column.name)
            if other is None:
                continue
            for attr in ("family", "nullable", "primary_key", "references"):
                a, b = getattr(column, attr), getattr(other, attr)
                if a != b:
                    problems.append(
                        f"{table}.{column.name}: {attr} is {a!r} in schema.sql "
                        f"but {b!r} in {actual_name}"
                    )
        if want.unique != got.unique:
            problems.append(
                f"{table}: unique column sets are {sorted(want.unique)} in schema.sql "
                f"but {sorted(got.unique)} in {actual_name}"
            )
    return problems


def read_schema_sql(sql: str) -> Schema:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(sql)
        return read_sqlite(conn)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def schema(schema_sql: str) -> Schema:
    return read_schema_sql(schema_sql)


@pytest.fixture(params=["Django", "SQLAlchemy", "SQLModel", "Peewee", "Tortoise"])
def orm_schema(request: pytest.FixtureRequest) -> tuple[str, Schema]:
    name = request.param
    if name == "Django":
        return name, read_django(request.getfixturevalue("django_demo_app"))
    if name == "SQLAlchemy":
        return name, read_sqlalchemy(request.getfixturevalue("sqlalchemy_demo").Base.metadata)
    readers = {"SQLModel": read_sqlmodel, "Peewee": read_peewee, "Tortoise": read_tortoise}
    return name, readers[name](request.getfixturevalue(f"{name.lower()}_demo"))


# --- the schema itself ------------------------------------------------------------


def test_schema_has_the_expected_tables_and_types(schema: Schema) -> None:
    assert set(schema) == EXPECTED_TABLES
    for table, spec in schema.items():
        assert [c.name for c in spec.columns if c.primary_key] == ["id"], table
        assert spec.columns[0] == Column("id", "integer", False, True, None), table
        for column in spec.columns:
            assert not column.family.startswith("unknown"), f"{table}.{column.name}"


def test_product_tags_has_the_shape_of_a_django_m2m_table(schema: Schema) -> None:
    table = schema["product_tags"]
    assert [c.name for c in table.columns] == ["id", "product_id", "tag_id"]
    assert table.unique == {("product_id", "tag_id")}


# --- the ORMs against the schema --------------------------------------------------


def test_orm_models_match_schema(schema: Schema, orm_schema: tuple[str, Schema]) -> None:
    name, actual = orm_schema
    problems = compare(schema, actual, name)
    assert not problems, "\n".join(problems)


MISMATCHES = [
    pytest.param("city TEXT NULL", "city TEXT NOT NULL", "customers.city: nullable", id="null"),
    pytest.param(
        "placed_on DATE NOT NULL", "placed_on TEXT NOT NULL", "orders.placed_on: family", id="type"
    ),
    pytest.param(
        "handled_by_id INTEGER NULL REFERENCES employees(id)",
        "handled_by_id INTEGER NULL REFERENCES customers(id)",
        "orders.handled_by_id: references",
        id="fk-target",
    ),
    pytest.param(
        "    signed_up DATE NOT NULL,\n    notes TEXT NULL\n",
        "    notes TEXT NULL,\n    signed_up DATE NOT NULL\n",
        "customers: columns are",
        id="order",
    ),
    pytest.param(
        "shipped_on DATE NULL", "shipped_at DATE NULL", "orders: columns are", id="rename"
    ),
    pytest.param(
        "email TEXT NOT NULL UNIQUE", "email TEXT NOT NULL", "customers: unique", id="unique"
    ),
    pytest.param(
        "CREATE TABLE tags (\n    id INTEGER PRIMARY KEY,",
        "CREATE TABLE tags (\n    id INTEGER,",
        "tags.id: primary_key",
        id="pk",
    ),
    pytest.param(
        "CREATE TABLE tags (",
        "CREATE TABLE labels (id INTEGER PRIMARY KEY);\nCREATE TABLE tags (",
        "labels: table in schema.sql but not in",
        id="extra-table",
    ),
]


@pytest.mark.parametrize(("old", "new", "reported"), MISMATCHES)
def test_comparison_reports_a_mismatch(
    schema_sql: str, orm_schema: tuple[str, Schema], old: str, new: str, reported: str
) -> None:
    assert schema_sql.count(old) == 1, f"the test's edit no longer applies: {old!r}"
    name, actual = orm_schema
    problems = compare(read_schema_sql(schema_sql.replace(old, new)), actual, name)
    assert any(p.startswith(reported) for p in problems), problems


def test_comparison_reports_an_orm_side_mismatch(schema: Schema) -> None:
    orders = schema["orders"]
    columns = tuple(
        Column(c.name, "text", c.nullable, c.primary_key, c.references)
        if c.name == "placed_on"
        else c
        for c in orders.columns
    )
    problems = compare(schema, {**schema, "orders": Table(columns, orders.unique)}, "Broken")
    assert problems == ["orders.placed_on: family is 'date' in schema.sql but 'text' in Broken"]


# --- the fixture rows -------------------------------------------------------------

ROW_COUNTS = {
    "categories": 12,
    "products": 20,
    "tags": 6,
    "product_tags": 30,
    "customers": 12,
    "employees": 10,
    "orders": 30,
    "order_lines": 60,
}


def test_fixtures_load_with_foreign_keys_enforced(demo_db: sqlite3.Connection) -> None:
    assert demo_db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert demo_db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert demo_db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    counts = {t: demo_db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ROW_COUNTS}
    assert counts == ROW_COUNTS


def test_fixtures_hold_exactly_one_script_note(demo_db: sqlite3.Connection) -> None:
    rows = demo_db.execute("SELECT id FROM customers WHERE notes = ?", (SCRIPT_NOTE,)).fetchall()
    assert len(rows) == 1


def test_fixtures_keep_their_invariants(demo_db: sqlite3.Connection) -> None:
    def one(sql: str) -> object:
        return demo_db.execute(sql).fetchone()[0]

    # Only shipped orders have a shipping date, never before the order was placed.
    assert (
        one("SELECT count(*) FROM orders WHERE (status = 'shipped') != (shipped_on IS NOT NULL)")
        == 0
    )
    assert one("SELECT count(*) FROM orders WHERE shipped_on < placed_on") == 0
    # Every date is an ISO date in 2024 or 2025.
    for table, column in [
        ("customers", "signed_up"),
        ("employees", "hired"),
        ("orders", "placed_on"),
        ("orders", "shipped_on"),
    ]:
        bad = one(
            f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL "
            f"AND ({column} NOT BETWEEN '2024-01-01' AND '2025-12-31' "
            f"OR date({column}) IS NOT {column})"
        )
        assert bad == 0, f"{table}.{column}"
    # Trees three levels deep, no deeper.
    for table, parent in [("categories", "parent_id"), ("employees", "manager_id")]:
        depth = one(
            f"WITH RECURSIVE t(id, depth) AS ("
            f" SELECT id, 1 FROM {table} WHERE {parent} IS NULL"
            f" UNION ALL SELECT c.id, t.depth + 1 FROM {table} c JOIN t ON c.{parent} = t.id)"
            f" SELECT max(depth) FROM t"
        )
        assert depth == 3, table
    # Booleans are stored as 0 or 1.
    assert one("SELECT count(*) FROM products WHERE discontinued NOT IN (0, 1)") == 0


def test_fixture_rows_load_through_django(
    django_demo_app: AppConfig, schema_sql: str, fixtures_sql: str
) -> None:
    from django.db import connection

    connection.ensure_connection()  # a private in-memory database
    try:
        connection.connection.executescript(schema_sql + fixtures_sql)
        models = {m._meta.db_table: m for m in django_demo_app.get_models()}
        for table, count in ROW_COUNTS.items():
            if table != "product_tags":
                assert len(list(models[table].objects.all())) == count, table
        customer = models["customers"].objects.get(pk=1)
        assert str(customer) == "Ada Lovelace"
        assert customer.signed_up == datetime.date(2024, 1, 5)
        product = models["products"].objects.get(pk=9)
        assert product.discontinued is True
        assert str(product) == "Ender's Game"
        assert sorted(t.name for t in product.tags.all()) == ["sale"]
        script = models["customers"].objects.get(notes__contains="<script>")
        assert script.notes == SCRIPT_NOTE
    finally:
        connection.close()  # drops the in-memory database


def test_fixture_rows_load_through_sqlalchemy(
    sqlalchemy_demo: ModuleType, demo_db: sqlite3.Connection
) -> None:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import StaticPool

    m = sqlalchemy_demo
    engine = create_engine("sqlite://", creator=lambda: demo_db, poolclass=StaticPool)
    try:
        with Session(engine) as session:
            for cls in (m.Category, m.Product, m.Tag, m.Customer, m.Employee, m.Order, m.OrderLine):
                count = session.scalar(select(func.count()).select_from(cls))
                assert (
                    len(session.scalars(select(cls)).all())
                    == count
                    == ROW_COUNTS[cls.__tablename__]
                )
            customer = session.get(m.Customer, 1)
            assert repr(customer) == "<Customer 1 'Ada Lovelace'>"
            assert customer.signed_up == datetime.date(2024, 1, 5)
            product = session.get(m.Product, 9)
            assert product.discontinued is True
            assert [t.name for t in product.tags] == ["sale"]
            assert repr(session.get(m.Order, 3)) == "<Order 3>"
    finally:
        engine.dispose()


def test_tortoise_many_to_many_goes_through_product_tags(tortoise_demo: ModuleType) -> None:
    # Tortoise names the link table and its columns on the field (it has no through model).
    tags = tortoise_demo.Product._meta.fields_map["tags"]
    assert (tags.through, tags.backward_key, tags.forward_key) == (
        "product_tags",
        "product_id",
        "tag_id",
    )


def test_fixture_rows_load_through_sqlmodel(
    sqlmodel_demo: ModuleType, demo_db: sqlite3.Connection
) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, func, select

    m = sqlmodel_demo
    engine = create_engine("sqlite://", creator=lambda: demo_db, poolclass=StaticPool)
    try:
        with Session(engine) as session:
            for cls in m.MODELS:
                count = session.exec(select(func.count()).select_from(cls)).one()
                assert count == ROW_COUNTS[cls.__tablename__]
            product = session.get(m.Product, 9)
            assert product.discontinued is True
            assert [t.name for t in product.tags] == ["sale"]
            assert session.get(m.Customer, 1).signed_up == datetime.date(2024, 1, 5)
    finally:
        engine.dispose()


def test_fixture_rows_load_through_peewee(
    peewee_demo: ModuleType, schema_sql: str, fixtures_sql: str
) -> None:
    from peewee import SqliteDatabase

    m = peewee_demo
    db = SqliteDatabase(":memory:")
    db.connection().executescript(schema_sql + fixtures_sql)
    m.database.initialize(db)
    try:
        for model in m.MODELS:
            assert model.select().count() == ROW_COUNTS[model._meta.table_name]
        product = m.Product.get_by_id(9)
        assert product.discontinued is True
        assert [t.name for t in product.tags] == ["sale"]
        assert m.Customer.get_by_id(1).signed_up == datetime.date(2024, 1, 5)
    finally:
        m.database.initialize(None)
        db.close()


def test_fixture_rows_load_through_tortoise(
    tortoise_demo: ModuleType, schema_sql: str, fixtures_sql: str
) -> None:
    import asyncio

    from tortoise.context import TortoiseContext

    m = tortoise_demo

    async def check() -> None:
        async with TortoiseContext() as context:
            await context.init(
                db_url="sqlite://:memory:", modules={m.APP_LABEL: [m.__name__]}, use_tz=False
            )
            await context.db().execute_script(schema_sql + fixtures_sql)
            for model in m.MODELS:
                assert await model.all().count() == ROW_COUNTS[model._meta.db_table]
            product = await m.Product.get(id=9).prefetch_related("tags")
            assert product.discontinued is True
            assert [t.name for t in product.tags] == ["sale"]
            assert (await m.Customer.get(id=1)).signed_up == datetime.date(2024, 1, 5)

    asyncio.run(check())
