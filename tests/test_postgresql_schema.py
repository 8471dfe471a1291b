"""The demo database on PostgreSQL is the SQLite one: same tables, columns, keys, rows.

schema.postgresql.sql is compared with schema.sql through the same description the
ORM models are checked against (``test_models_match_schema``), so the models match
both. The rows are compared value by value, and a row inserted without an id gets the
id SQLite would give it.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from test_models_match_schema import (
    EXPECTED_TABLES,
    Column,
    Schema,
    Table,
    compare,
    read_schema_sql,
    unique_set,
)

PG_FAMILIES = {"integer": "integer", "text": "text", "date": "date", "boolean": "boolean"}


@pytest.fixture
def pg_demo(pg_cluster: Any) -> Iterator[Any]:
    """A connection, as the book's role, to a fresh copy of the demo database."""
    import psycopg

    with pg_cluster.section_database() as database:
        with psycopg.connect(database.conninfo(), autocommit=True) as connection:
            yield connection


def read_postgresql(connection: Any) -> Schema:
    """The description of ``test_models_match_schema``, read from PostgreSQL's catalog."""
    keys: dict[tuple[str, str], str] = {}
    references: dict[tuple[str, str], tuple[str, str]] = {}
    groups: dict[str, dict[str, list[str]]] = {}
    for table, column, kind, name, target, target_column in connection.execute(
        """
        SELECT kcu.table_name, kcu.column_name, tc.constraint_type, tc.constraint_name,
               ccu.table_name, ccu.column_name
        FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
        LEFT JOIN information_schema.constraint_column_usage ccu
            ON tc.constraint_type = 'FOREIGN KEY'
            AND ccu.constraint_schema = tc.constraint_schema
            AND ccu.constraint_name = tc.constraint_name
        WHERE tc.table_schema = 'public'
        ORDER BY kcu.table_name, tc.constraint_name, kcu.ordinal_position
        """
    ):
        keys[(table, column)] = kind if kind != "FOREIGN KEY" else keys.get((table, column), "")
        if kind == "FOREIGN KEY":
            references[(table, column)] = (target, target_column)
        if kind == "UNIQUE":
            groups.setdefault(table, {}).setdefault(name, []).append(column)
    schema: Schema = {}
    rows = connection.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ).fetchall()
    for table in sorted({row[0] for row in rows}):
        columns = tuple(
            Column(
                name=column,
                family=PG_FAMILIES.get(data_type, f"unknown SQL type {data_type!r}"),
                nullable=nullable == "YES",
                primary_key=keys.get((table, column)) == "PRIMARY KEY",
                references=references.get((table, column)),
            )
            for name, column, data_type, nullable in rows
            if name == table
        )
        unique = unique_set([tuple(group) for group in groups.get(table, {}).values()])
        schema[table] = Table(columns, unique)
    return schema


def test_postgresql_schema_matches_schema_sql(pg_demo: Any, schema_sql: str) -> None:
    postgresql = read_postgresql(pg_demo)
    assert set(postgresql) == EXPECTED_TABLES
    assert compare(read_schema_sql(schema_sql), postgresql, "schema.postgresql.sql") == []


def _plain(value: Any) -> Any:
    """A PostgreSQL value the way SQLite stores it (booleans 0/1, dates as ISO text)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def test_postgresql_holds_the_same_rows(pg_demo: Any, demo_db: sqlite3.Connection) -> None:
    for table in sorted(EXPECTED_TABLES):
        expected = demo_db.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
        actual = [
            tuple(_plain(value) for value in row)
            for row in pg_demo.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
        ]
        assert actual == expected, table
        assert len(actual) > 0, table


def test_an_inserted_row_gets_the_id_sqlite_gives(
    pg_demo: Any, demo_db: sqlite3.Connection
) -> None:
    for table, values in (("tags", "('new tag')"), ("categories", "('New', NULL)")):
        columns = "(name)" if table == "tags" else "(name, parent_id)"
        sqlite_id = demo_db.execute(
            f"INSERT INTO {table} {columns} VALUES {values} RETURNING id"
        ).fetchone()[0]
        pg_id = pg_demo.execute(
            f"INSERT INTO {table} {columns} VALUES {values} RETURNING id"
        ).fetchone()[0]
        assert pg_id == sqlite_id, table
