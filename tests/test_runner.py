"""The snippet runner (snippets/runner/orm_runner), driven as the Rust CLI drives it.

Most tests look at one response: every snippet below is sent in a single request to a
runner subprocess (one process, like a real capture run), and each test checks its own
snippet's sections. A few tests need their own run (a second run for determinism, a
malformed request, a time budget).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNNER_DIR = REPO_ROOT / "snippets" / "runner"
MODELS_DIR = REPO_ROOT / "snippets" / "models"

Section = dict[str, Any]

SNIPPETS: dict[str, list[tuple[str, str]]] = {
    "django-filter": [("django", "Customer.objects.filter(city='London').order_by('id')")],
    "sqlalchemy-select": [
        (
            "sqlalchemy",
            "session.scalars(\n"
            "    select(Customer).where(Customer.city == 'London').order_by(Customer.id)\n"
            ").all()",
        )
    ],
    "refused": [
        ("django", "Customer.objects.create(name=None, email='x@example.com')"),
        (
            "sqlalchemy",
            "session.add_all([Tag(name='dup'), Tag(name='dup')])\nsession.flush()",
        ),
    ],
    "sqlalchemy-commit": [
        ("sqlalchemy", "session.add(Tag(name='runner test'))\nsession.commit()"),
    ],
    "django-atomic": [
        (
            "django",
            "from django.db import transaction\n"
            "\n"
            "with transaction.atomic():\n"
            "    customer = Customer.objects.get(pk=1)\n"
            "    customer.city = 'Paris'\n"
            "    customer.save()",
        )
    ],
    "django-atomic-rollback": [
        (
            "django",
            "from django.db import transaction\n"
            "\n"
            "try:\n"
            "    with transaction.atomic():\n"
            "        Customer.objects.filter(pk=1).update(city='Paris')\n"
            "        raise RuntimeError('undo')\n"
            "except RuntimeError:\n"
            "    pass\n"
            "Customer.objects.get(pk=1).city",
        )
    ],
    "django-nested-atomic": [
        (
            "django",
            "from django.db import transaction\n"
            "\n"
            "with transaction.atomic():\n"
            "    with transaction.atomic():\n"
            "        Tag.objects.create(name='runner test')",
        )
    ],
    "sqlalchemy-executemany": [
        (
            "sqlalchemy",
            "from sqlalchemy import insert\n"
            "\n"
            "session.execute(insert(Tag), [{'name': 'a'}, {'name': 'b'}, {'name': 'c'}])\n"
            "session.commit()",
        )
    ],
    # Orders 1, 2 and 4 belong to three different customers (1, 2, 3): no lazy load
    # can be answered from SQLAlchemy's identity map.
    "lazy-loop": [
        (
            "django",
            "for order in Order.objects.filter(id__in=[1, 2, 4]).order_by('id'):\n"
            "    print(order.id, order.customer.name)",
        ),
        (
            "sqlalchemy",
            "orders = select(Order).where(Order.id.in_([1, 2, 4])).order_by(Order.id)\n"
            "for order in session.scalars(orders):\n"
            "    print(order.id, order.customer.name)",
        ),
    ],
    "delete-then-count": [
        ("django", "OrderLine.objects.filter(order_id=1).delete()\nOrderLine.objects.count()"),
        ("django", "OrderLine.objects.count()"),
        (
            "sqlalchemy",
            "from sqlalchemy import delete, func\n"
            "session.execute(delete(OrderLine))\n"
            "session.scalar(select(func.count()).select_from(OrderLine))",
        ),
        (
            "sqlalchemy",
            "from sqlalchemy import func\nsession.scalar(select(func.count(OrderLine.id)))",
        ),
    ],
    "count-in-next-snippet": [("django", "OrderLine.objects.count()")],
    "errors": [
        (
            "django",
            "first = Customer.objects.get(pk=1)\n\nCustomer.objects.get(pk=999)\nprint('no')",
        ),
        ("sqlalchemy", "customer = session.get(Customer, 1)\nx = 1\ncustomer.no_such_attribute"),
        ("django", "def helper():\n    raise ValueError('deep')\n\nhelper()"),
        ("django", "x = (\n1 +"),
        ("django", "Customer.objects.raw('SELECT * FROM no_such_table')"),
    ],
    "stdout": [
        ("django", "print('hello', Customer.objects.count())"),
        ("sqlalchemy", "print('hi')\nprint(session.get(Customer, 1).name)"),
    ],
    "memory-address": [("django", "print('before')\nprint(object())")],
    "unknown-kind": [("peewee-2000", "Customer.select()")],
    "driver-on-sqlite": [("asyncpg", "await conn.fetch('SELECT 1')")],
    "shapes": [
        ("django", "Customer.objects.values('id', 'city').order_by('id')[:2]"),
        ("django", "Customer.objects.values_list('name', flat=True).order_by('id')[:2]"),
        ("django", "from django.db.models import Count\nOrder.objects.aggregate(n=Count('id'))"),
        ("django", "Customer.objects.count()"),
        ("django", "Product.objects.get(pk=5)"),
        ("django", "Customer.objects"),
        (
            "sqlalchemy",
            "session.execute(select(Customer.id, Customer.name).where(Customer.id < 3))",
        ),
        ("sqlalchemy", "session.get(Product, 5)"),
        ("sqlalchemy", "session.scalars(select(Customer).where(Customer.id < 0))"),
    ],
    "many-rows": [("django", "Customer.objects.order_by('id')")],
    "top-level-await": [
        (
            "django",
            "import threading\n"
            "count = await Customer.objects.filter(city='London').acount()\n"
            "on_main = threading.current_thread() is threading.main_thread()\n"
            "print('coroutine on the main thread:', on_main)\n"
            "count",
        ),
        (
            "sqlalchemy-async",
            "from sqlalchemy import func\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "\n"
            "async with AsyncSession(engine) as session:\n"
            "    count = await session.scalar(\n"
            "        select(func.count()).select_from(Customer).where(Customer.city == 'London')\n"
            "    )\n"
            "count",
        ),
    ],
    "await-last-expression": [
        # The last expression runs on the event loop too, so the lazy load is refused.
        ("django", "order = await Order.objects.aget(pk=1)\norder.customer.name"),
        (
            "sqlalchemy-async",
            "from sqlalchemy import func\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "\n"
            "session = AsyncSession(engine)\n"
            "await session.scalar(select(func.count()).select_from(Customer)) * 2",
        ),
    ],
    # The same query under the three other libraries.
    "others-filter": [
        (
            "sqlmodel",
            "session.exec(\n"
            "    select(Customer).where(Customer.city == 'London').order_by(Customer.id)\n"
            ").all()",
        ),
        ("peewee", "Customer.select().where(Customer.city == 'London').order_by(Customer.id)"),
        ("tortoise", "await Customer.filter(city='London').order_by('id')"),
    ],
    "others-write": [
        ("sqlmodel", "session.add(Tag(name='runner test'))\nsession.commit()"),
        ("peewee", "Tag.create(name='runner test')"),
        (
            "peewee",
            "with db.atomic():\n    Tag.create(name='runner test')\nTag.select().count()",
        ),
        ("tortoise", "await Tag.create(name='runner test')"),
        (
            "tortoise",
            "from tortoise.transactions import in_transaction\n"
            "\n"
            "async with in_transaction():\n"
            "    await Tag.create(name='runner test')\n"
            "await Tag.all().count()",
        ),
    ],
    "others-shapes": [
        (
            "peewee",
            "from peewee import fn\n"
            "(Customer.select(Customer.city, fn.COUNT(Customer.id).alias('n'))\n"
            "    .where(Customer.city.is_null(False))\n"
            "    .group_by(Customer.city).order_by(Customer.city).limit(2).tuples())",
        ),
        ("peewee", "Order.get_by_id(3)"),
        ("peewee", "Customer.select().where(Customer.id < 0)"),
        ("peewee", "Product.update(stock=0).where(Product.id == 1)"),
        ("tortoise", "await Order.get(id=3)"),
        (
            "tortoise",
            "from tortoise.functions import Count\n"
            "await (Customer.filter(city__not_isnull=True).annotate(n=Count('id'))\n"
            "    .group_by('city').order_by('city').limit(2).values('city', 'n'))",
        ),
        ("tortoise", "Customer.filter(city='London')"),
        ("sqlmodel", "session.get(Order, 3)"),
    ],
    # What each library's connection set-up left: the preprocessor's
    # SectionKind::connection_setup() must repeat what differs from SQLite's defaults.
    "connection-setup": [
        (
            "tortoise",
            "from tortoise import connections\n"
            "\n"
            "client = connections.get('default')\n"
            "[\n"
            "    (await client.execute_query_dict(f'PRAGMA {name}'))[0][name]\n"
            "    for name in ('foreign_keys', 'journal_mode', 'journal_size_limit')\n"
            "]",
        ),
        ("peewee", "db.execute_sql('PRAGMA foreign_keys').fetchone()"),
        (
            "sqlmodel",
            "from sqlalchemy import text\nsession.execute(text('PRAGMA foreign_keys')).one()",
        ),
    ],
    # Tortoise ORM turns SQLite's foreign keys on; each section has its own context.
    "tortoise-fresh": [
        (
            "tortoise",
            "await OrderLine.filter(order_id=1).delete()\n"
            "await OrderLine.create(order_id=999, product_id=1, quantity=1, unit_price_cents=1)",
        ),
        ("tortoise", "await OrderLine.all().count()"),
    ],
}


# The tests run in the first stack's environment.
CURRENT_LOCK = REPO_ROOT / "snippets" / "stacks" / "current.lock"

# The limits a request from the preprocessor carries (book.toml's defaults).
LIMITS = {
    "seconds": 30,
    "memory_bytes": 1 << 30,
    "output_bytes": 64 << 10,
    "value_chars": 64 << 10,
    "answer_bytes": 8 << 20,
}


def _request(
    snippets: dict[str, list[tuple[str, str]]], max_rows: int = 1000, **limits: float
) -> dict[str, Any]:
    return {
        "lock": str(CURRENT_LOCK),
        "database": "sqlite",
        "max_rows": max_rows,
        "jobs": 2,
        "limits": {**LIMITS, **limits},
        "snippets": [
            {
                "id": snippet_id,
                "sections": [{"kind": kind, "code": code} for kind, code in sections],
            }
            for snippet_id, sections in snippets.items()
        ],
    }


def run_runner(
    request: dict[str, Any] | bytes, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[bytes]:
    payload = request if isinstance(request, bytes) else json.dumps(request).encode()
    return subprocess.run(
        [sys.executable, "-m", "orm_runner"],
        input=payload,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER_DIR), str(MODELS_DIR)])},
        timeout=120,
        check=False,
    )


def answers(stdout: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """The runner's lines as one object: its versions, and the snippets in request order
    (the runner answers each snippet when its sections are done)."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    by_id = {line["id"]: line for line in lines[1:]}
    assert len(by_id) == len(lines) - 1, "a snippet was answered twice"
    order = [snippet["id"] for snippet in request["snippets"]]
    assert sorted(by_id) == sorted(order)
    return {"versions": lines[0]["versions"], "snippets": [by_id[i] for i in order]}


def run_ok(request: dict[str, Any]) -> dict[str, list[Section]]:
    """Runs a request that must succeed; its sections by snippet id."""
    done = run_runner(request)
    assert done.returncode == 0, done.stderr.decode()
    return {s["id"]: s["sections"] for s in answers(done.stdout, request)["snippets"]}


@pytest.fixture(scope="module")
def raw_response() -> bytes:
    done = run_runner(_request(SNIPPETS))
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def response(raw_response: bytes) -> dict[str, Any]:
    return answers(raw_response, _request(SNIPPETS))


@pytest.fixture(scope="module")
def sections(response: dict[str, Any]) -> dict[str, list[Section]]:
    return {snippet["id"]: snippet["sections"] for snippet in response["snippets"]}


def _sqls(section: Section) -> list[tuple[str, str]]:
    return [(statement["origin"], statement["sql"]) for statement in section["statements"]]


def _no_error(section: Section) -> Section:
    assert section["error"] is None, section["error"]
    return section


def test_response_shape_and_versions(response: dict[str, Any]) -> None:
    assert list(response) == ["versions", "snippets"]
    versions = response["versions"]
    assert list(versions)[:2] == ["python", "sqlite"]
    # Every library pinned in the lock, by its lower-cased name.
    assert {"django", "sqlalchemy", "django-cte", "asgiref"} <= set(versions)
    # The versions of the lock the request names, as installed.
    lock = CURRENT_LOCK.read_text(encoding="utf-8")
    for name in ("Django", "SQLAlchemy"):
        (pinned,) = re.findall(rf"^{name}==(\S+)$", lock, re.MULTILINE)
        assert response["versions"][name.lower()] == pinned
    assert [snippet["id"] for snippet in response["snippets"]] == list(SNIPPETS)
    section = response["snippets"][0]["sections"][0]
    assert list(section) == ["kind", "setup", "statements", "result", "stdout", "error"]
    assert list(section["statements"][0]) == [
        "sql",
        "params",
        "many",
        "origin",
        "columns",
        "rows",
        "total_rows",
    ]


def test_django_filter_records_one_select(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["django-filter"]
    _no_error(section)
    (statement,) = section["statements"]
    assert statement["sql"].startswith("SELECT ")
    assert '"customers"."city" = ?' in statement["sql"]
    assert "%s" not in statement["sql"]
    assert statement["params"] == ["London"]
    assert statement["many"] is False
    assert statement["origin"] == "orm"
    assert statement["columns"] == ["id", "name", "email", "city", "signed_up", "notes"]
    assert [row[0] for row in statement["rows"]] == [1, 2, 11]
    assert statement["rows"][0] == [
        1,
        "Ada Lovelace",
        "ada@example.com",
        "London",
        "2024-01-05",
        None,
    ]
    assert statement["total_rows"] == 3
    assert section["result"] == {
        "columns": statement["columns"],
        "rows": statement["rows"],
        "total_rows": 3,
    }


def test_sqlalchemy_select_records_one_select(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["sqlalchemy-select"]
    _no_error(section)
    (statement,) = section["statements"]
    assert "WHERE customers.city = ?" in statement["sql"]
    assert statement["params"] == ["London"]
    assert statement["origin"] == "orm"
    assert [row[0] for row in statement["rows"]] == [1, 2, 11]
    assert section["result"]["columns"] == ["id", "name", "email", "city", "signed_up", "notes"]
    assert section["result"]["rows"] == statement["rows"]


def test_sqlalchemy_commit_shows_driver_begin_and_commit(
    sections: dict[str, list[Section]],
) -> None:
    (section,) = sections["sqlalchemy-commit"]
    _no_error(section)
    assert _sqls(section) == [
        ("driver", "BEGIN"),
        ("orm", "INSERT INTO tags (name) VALUES (?)"),
        ("driver", "COMMIT"),
    ]
    assert section["statements"][1]["params"] == ["runner test"]
    assert section["statements"][0]["params"] == []


def test_django_atomic_save_is_wrapped_in_begin_commit(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["django-atomic"]
    _no_error(section)
    statements = _sqls(section)
    # atomic() sends BEGIN through the cursor; the commit comes from connection.commit().
    assert statements[0] == ("orm", "BEGIN")
    assert statements[-1] == ("driver", "COMMIT")
    assert statements[1][1].startswith("SELECT ")
    assert statements[2][1].startswith('UPDATE "customers" SET ')
    assert len(statements) == 4
    assert "Paris" in section["statements"][2]["params"]


def test_django_atomic_rollback_is_recorded(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["django-atomic-rollback"]
    _no_error(section)
    origins = _sqls(section)
    assert origins[0] == ("orm", "BEGIN")
    assert origins[1][1].startswith("UPDATE ")
    assert origins[2] == ("driver", "ROLLBACK")
    assert section["result"]["rows"] == [["London"]]


def test_django_savepoint_names_are_deterministic(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["django-nested-atomic"]
    _no_error(section)
    sqls = [sql for _, sql in _sqls(section)]
    assert sqls[0] == "BEGIN"
    assert sqls[1] == 'SAVEPOINT "s1_x1"'
    assert sqls[-2:] == ['RELEASE SAVEPOINT "s1_x1"', "COMMIT"]


def test_executemany_is_recorded_with_many(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["sqlalchemy-executemany"]
    _no_error(section)
    many = [statement for statement in section["statements"] if statement["many"]]
    assert len(many) == 1
    assert many[0]["sql"] == "INSERT INTO tags (name) VALUES (?)"
    assert many[0]["params"] == [["a"], ["b"], ["c"]]
    assert many[0]["rows"] is None
    assert _sqls(section)[0] == ("driver", "BEGIN")
    assert _sqls(section)[-1] == ("driver", "COMMIT")


@pytest.mark.parametrize("index", [0, 1], ids=["django", "sqlalchemy"])
def test_lazy_loop_is_one_plus_n(sections: dict[str, list[Section]], index: int) -> None:
    section = _no_error(sections["lazy-loop"][index])
    statements = section["statements"]
    assert len(statements) == 4
    assert all(statement["sql"].startswith("SELECT ") for statement in statements)
    assert "orders" in statements[0]["sql"]
    assert [statement["params"][0] for statement in statements[1:]] == [1, 2, 3]
    assert section["stdout"] == "1 Ada Lovelace\n2 Alan Turing\n4 Grace Hopper\n"


def test_every_section_starts_from_fresh_data(sections: dict[str, list[Section]]) -> None:
    deleted, fresh, sa_deleted, sa_fresh = (
        _no_error(section) for section in sections["delete-then-count"]
    )
    total = fresh["result"]["rows"][0][0]
    assert total > 3
    assert deleted["result"]["rows"] == [[total - 3]]
    assert sa_deleted["result"]["rows"] == [[0]]
    assert sa_fresh["result"]["rows"] == [[total]]
    (next_snippet,) = sections["count-in-next-snippet"]
    assert next_snippet["result"]["rows"] == [[total]]


def test_errors_report_type_line_and_keep_statements(sections: dict[str, list[Section]]) -> None:
    does_not_exist, attribute, nested, syntax, runtime_sql = sections["errors"]
    assert does_not_exist["error"] == {
        "type": "DoesNotExist",
        "message": "Customer matching query does not exist.",
        "line": 3,
    }
    assert len(does_not_exist["statements"]) == 2
    assert does_not_exist["statements"][1]["params"] == [999]
    assert does_not_exist["stdout"] == ""
    assert attribute["error"]["type"] == "AttributeError"
    assert attribute["error"]["line"] == 3
    assert len(attribute["statements"]) == 1
    assert nested["error"] == {"type": "ValueError", "message": "deep", "line": 2}
    assert syntax["error"]["type"] == "SyntaxError"
    assert syntax["error"]["line"] in (1, 2)
    assert syntax["statements"] == []
    # Raised while the result was made (the RawQuerySet runs then): the last line.
    assert runtime_sql["error"]["type"] == "OperationalError"
    assert runtime_sql["error"]["line"] == 1
    assert runtime_sql["statements"][0]["sql"] == "SELECT * FROM no_such_table"


def test_statements_the_database_refused_carry_its_message(
    sections: dict[str, list[Section]],
) -> None:
    django, sqlalchemy = sections["refused"]
    assert django["error"]["type"] == "IntegrityError"
    (insert,) = [s for s in django["statements"] if s["origin"] == "orm"]
    assert insert["refused"] == "NOT NULL constraint failed: customers.name"
    assert sqlalchemy["error"]["type"] == "IntegrityError"
    refused = [s["refused"] for s in sqlalchemy["statements"] if "refused" in s]
    assert refused == ["UNIQUE constraint failed: tags.name"]
    # Statements SQLite ran carry no such key.
    assert all("refused" not in s for s in sections["django-filter"][0]["statements"])


def test_stdout_is_captured(sections: dict[str, list[Section]]) -> None:
    django, sqlalchemy = (_no_error(section) for section in sections["stdout"])
    assert django["stdout"] == "hello 12\n"
    assert django["result"] is None
    assert sqlalchemy["stdout"] == "hi\nAda Lovelace\n"


def test_memory_address_in_stdout_is_an_error(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["memory-address"]
    assert section["error"]["type"] == "NondeterministicOutput"
    assert section["error"]["line"] == 2
    assert section["stdout"].startswith("before\n<object object at 0x")
    assert section["stdout"] == "before\n<object object at 0x…>\n"


def test_unknown_section_kind(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["unknown-kind"]
    assert section["kind"] == "peewee-2000"
    assert section["error"]["type"] == "UnknownSection"
    assert section["statements"] == []


def test_a_postgresql_only_kind_says_what_to_do(sections: dict[str, list[Section]]) -> None:
    (section,) = sections["driver-on-sqlite"]
    assert section["error"]["type"] == "SetupError"
    assert "db=postgresql" in section["error"]["message"]
    assert section["statements"] == []


def test_result_shapes(sections: dict[str, list[Section]]) -> None:
    values, flat, aggregate, count, instance, manager, rows, sa_instance, empty = sections["shapes"]
    assert values["result"] == {
        "columns": ["id", "city"],
        "rows": [[1, "London"], [2, "London"]],
        "total_rows": 2,
    }
    assert flat["result"]["columns"] == ["name"]
    assert flat["result"]["rows"] == [["Ada Lovelace"], ["Alan Turing"]]
    assert aggregate["result"]["columns"] == ["n"]
    assert count["result"] == {"columns": ["value"], "rows": [[12]], "total_rows": 1}
    # Booleans stay booleans in the result; in the statement rows they are SQLite's 0/1.
    assert instance["result"]["columns"][-1] == "discontinued"
    assert instance["result"]["rows"][0][-1] is True
    assert instance["statements"][0]["rows"][0][-1] == 1
    assert sa_instance["result"] == instance["result"]
    assert manager["error"]["type"] == "UnsupportedResult"
    assert rows["result"] == {
        "columns": ["id", "name"],
        "rows": [[1, "Ada Lovelace"], [2, "Alan Turing"]],
        "total_rows": 2,
    }
    assert empty["result"] == {
        "columns": ["id", "name", "email", "city", "signed_up", "notes"],
        "rows": [],
        "total_rows": 0,
    }


def test_same_request_gives_the_same_bytes(raw_response: bytes) -> None:
    again = run_runner(_request(SNIPPETS))
    assert again.returncode == 0, again.stderr.decode()
    # Snippets are answered as they finish, so in an order that may change; each line
    # is the same.
    assert sorted(again.stdout.splitlines()) == sorted(raw_response.splitlines())


def test_max_rows_cuts_rows_but_counts_all() -> None:
    found = run_ok(_request({"many-rows": SNIPPETS["many-rows"]}, max_rows=2))
    (section,) = found["many-rows"]
    (statement,) = section["statements"]
    assert len(statement["rows"]) == 2
    assert statement["total_rows"] == 12
    assert len(section["result"]["rows"]) == 2
    assert section["result"]["total_rows"] == 12


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"snippets": [{"id": "x"}]}',
        b'{"snippets": [], "max_rowz": 3}',
        b'{"snippets": [], "limits": {"seconds": 0}}',
        b'{"lock": "x", "database": "oracle", "snippets": [], "max_rows": 1, "limits": {}}',
    ],
)
def test_malformed_request_exits_non_zero(payload: bytes) -> None:
    done = run_runner(payload)
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"malformed request" in done.stderr


def test_runaway_sections_hit_the_time_budget() -> None:
    request = _request(
        {
            "runaway": [
                ("django", "while True:\n    pass"),
                (
                    "sqlalchemy",
                    "from sqlalchemy import text\n"
                    "session.execute(text(\n"
                    "    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) '\n"
                    "    'SELECT count(*) FROM r'\n"
                    ")).all()",
                ),
                ("django", "Customer.objects.count()"),
            ],
            # Django's async code runs on the event loop's thread, which no signal reaches.
            "runaway-async": [
                ("django", "import asyncio\nawait asyncio.sleep(0)\nwhile True:\n    pass"),
                ("sqlalchemy-async", "import asyncio\nwhile True:\n    await asyncio.sleep(0)"),
            ],
        },
        seconds=1,
    )
    found = run_ok(request)
    for section in found["runaway-async"]:
        assert section["error"]["type"] == "Timeout", section
        assert section["error"]["by_runner"] is True
        # Wherever the budget ran out: the loop's header or its body (or, on a slow
        # machine, the await before the loop).
        assert section["error"]["line"] in (2, 3, 4)
    python_loop, sql_loop, after = found["runaway"]
    assert python_loop["error"]["type"] == "Timeout"
    assert python_loop["error"]["line"] in (1, 2)
    assert sql_loop["error"]["type"] == "Timeout"
    assert sql_loop["error"]["line"] == 2
    assert len(sql_loop["statements"]) == 1
    assert after["error"] is None
    assert after["result"]["rows"] == [[12]]


# -- isolation: each section in a process of its own, limits enforced from outside ----


def _error(section: Section) -> tuple[str, int | None]:
    assert section["error"] is not None, section
    assert section["error"].get("by_runner") is True, section["error"]
    return section["error"]["type"], section["error"]["line"]


def test_a_section_that_switches_its_budget_off_is_killed_from_outside() -> None:
    code = "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0)\nwhile True:\n    pass"
    started = time.monotonic()
    found = run_ok(
        _request({"off": [("django", code), ("django", "Tag.objects.count()")]}, seconds=1)
    )
    assert time.monotonic() - started < 20
    (stopped, after) = found["off"]
    assert _error(stopped) == ("Timeout", None)
    assert "killed" in stopped["error"]["message"]
    assert after["result"]["rows"] == [[6]]


def test_a_thread_left_running_does_not_keep_the_section_alive() -> None:
    code = "import threading, time\nthreading.Thread(target=time.sleep, args=(10_000,)).start()\n1"
    started = time.monotonic()
    (section,) = run_ok(_request({"thread": [("django", code)]}, seconds=5))["thread"]
    assert time.monotonic() - started < 20
    assert section["error"] is None
    assert section["result"]["rows"] == [[1]]


def test_what_a_section_does_to_python_never_reaches_another() -> None:
    found = run_ok(
        _request(
            {
                "ordering": [
                    (
                        "django",
                        "Customer._meta.ordering = ['-id']\nlist(Customer.objects.all()[:1])",
                    ),
                ],
                "patched-recorder": [
                    (
                        "django",
                        "from orm_runner import recording\n"
                        "recording.Recorder.end_call = lambda self, call: None\n"
                        "Customer.objects.count()",
                    ),
                ],
                "after": [("django", "list(Customer.objects.all()[:1])")],
            }
        )
    )
    (after,) = found["after"]
    (select,) = after["statements"]
    assert "ORDER BY" not in select["sql"], select["sql"]
    assert found["ordering"][0]["statements"][0]["sql"].endswith(
        'ORDER BY "customers"."id" DESC LIMIT 1'
    )


@pytest.mark.parametrize(
    ("code", "kind", "line"),
    [
        ("import os\nos._exit(1)", "ProcessExited", None),
        ("import ctypes\nctypes.string_at(0)", "ProcessCrashed", None),
        ("x = 1\nraise KeyboardInterrupt", "KeyboardInterrupt", 2),
        ("x = b'x' * (10 * 1024**3)", "MemoryError", 1),
        ("print('x' * 10_000_000)", "OutputTooLarge", 1),
        ("'x' * 100_000", "ValueTooLarge", None),
    ],
)
def test_a_crash_or_a_limit_is_blamed_on_its_own_section(
    code: str, kind: str, line: int | None
) -> None:
    request = _request(
        {
            "harmless-before": [("django", "Tag.objects.count()")],
            "culprit": [("django", "Tag.objects.count()"), ("django", code)],
            "harmless-after": [("sqlalchemy", "session.get(Tag, 1).name")],
        }
    )
    found = run_ok(request)
    harmless, culprit = found["culprit"]
    assert harmless["error"] is None
    # An exception the code raised is the section's own; the others the runner reports.
    own = kind == "KeyboardInterrupt"
    assert culprit["error"]["type"] == kind
    assert culprit["error"]["line"] == line
    assert culprit["error"].get("by_runner", False) is not own
    assert found["harmless-before"][0]["result"]["rows"] == [[6]]
    assert found["harmless-after"][0]["error"] is None


def test_sections_run_in_a_throwaway_working_directory(tmp_path: Path) -> None:
    code = "import os\nfrom pathlib import Path\nPath('left.txt').write_text('x')\nos.getcwd()"
    request = _request({"cwd": [("django", code), ("django", "import os\nos.listdir('.')")]})
    done = run_runner(request, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    wrote, looked = answers(done.stdout, request)["snippets"][0]["sections"]
    assert wrote["result"]["rows"][0][0] != str(tmp_path)
    assert looked["result"]["total_rows"] == 0
    assert list(tmp_path.iterdir()) == []
    assert not Path(wrote["result"]["rows"][0][0]).exists()


def test_a_section_that_changes_the_book_fails_with_the_file_it_changed(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "snippets").mkdir(parents=True)
    fixtures = book / "snippets" / "fixtures.sql"
    fixtures.write_text("-- rows\n")
    code = f"with open({str(fixtures)!r}, 'a') as f:\n    f.write('-- more\\n')"
    request = {**_request({"writer": [("django", code)]}), "watch": [str(book / "snippets")]}
    request["jobs"] = 1
    done = run_runner(request, cwd=book)
    assert done.returncode == 0, done.stderr.decode()
    (section,) = answers(done.stdout, request)["snippets"][0]["sections"]
    assert _error(section)[0] == "RepositoryChanged"
    assert section["error"]["message"].startswith("snippets/fixtures.sql changed while")


def test_recording_cursor_sits_below_the_orm_cursor() -> None:
    sys.path.insert(0, str(RUNNER_DIR))
    try:
        import sqlite3

        from django.db.backends.sqlite3.base import SQLiteCursorWrapper

        from orm_runner.recording import RecordingCursor, recording_cursor_class
    finally:
        sys.path.remove(str(RUNNER_DIR))
    combined = recording_cursor_class(SQLiteCursorWrapper)
    assert combined.__mro__[1:] == (SQLiteCursorWrapper, RecordingCursor, sqlite3.Cursor, object)


def test_top_level_await_runs_and_records_the_queries(sections: dict[str, list[Section]]) -> None:
    django, sqlalchemy = sections["top-level-await"]
    for section in (django, sqlalchemy):
        assert section["error"] is None, section["error"]
        assert [s["sql"].split()[0] for s in section["statements"]] == ["SELECT"]
    assert django["result"] == sqlalchemy["result"]
    assert django["result"]["rows"][0][0] > 0
    # Django's async API sends the query from the runner's thread, not the event loop's.
    assert django["stdout"] == "coroutine on the main thread: False\n"


def test_the_last_expression_of_async_code_runs_on_the_event_loop(
    sections: dict[str, list[Section]],
) -> None:
    django, sqlalchemy = sections["await-last-expression"]
    assert django["error"] == {
        "type": "SynchronousOnlyOperation",
        "message": "You cannot call this from an async context - use a thread or sync_to_async.",
        "line": 2,
    }
    assert len(django["statements"]) == 1
    assert _no_error(sqlalchemy)["result"]["rows"] == [[24]]


def test_other_libraries_record_one_select_and_give_the_same_table(
    sections: dict[str, list[Section]],
) -> None:
    (django,) = sections["django-filter"]
    for section in sections["others-filter"]:
        _no_error(section)
        (statement,) = section["statements"]
        assert statement["origin"] == "orm"
        assert statement["sql"].startswith("SELECT ")
        assert statement["params"] == ["London"]
        assert section["result"] == django["result"], section["kind"]


def test_other_libraries_record_their_transactions(sections: dict[str, list[Section]]) -> None:
    sqlmodel, peewee, peewee_atomic, tortoise, tortoise_atomic = (
        _no_error(section) for section in sections["others-write"]
    )
    # SQLModel is SQLAlchemy: the driver's BEGIN before the write, the session's COMMIT.
    assert _sqls(sqlmodel) == [
        ("driver", "BEGIN"),
        ("orm", "INSERT INTO tags (name) VALUES (?)"),
        ("driver", "COMMIT"),
    ]
    # Peewee runs in autocommit mode: no BEGIN unless asked, and then its own.
    assert _sqls(peewee) == [("orm", 'INSERT INTO "tags" ("name") VALUES (?)')]
    assert peewee["result"]["columns"] == ["id", "name"]
    assert peewee["result"]["rows"] == [[7, "runner test"]]
    sqls = _sqls(peewee_atomic)
    assert sqls[0] == ("orm", "BEGIN")
    assert sqls[2] == ("orm", "COMMIT")
    assert peewee_atomic["result"]["rows"] == [[7]]
    # Tortoise ORM asks for the new id with a second statement.
    assert _sqls(tortoise) == [
        ("orm", 'INSERT INTO "tags" ("name") VALUES (?)'),
        ("orm", "SELECT last_insert_rowid()"),
    ]
    assert tortoise["result"]["rows"] == [[7, "runner test"]]
    sqls = _sqls(tortoise_atomic)
    assert sqls[0] == ("orm", "BEGIN")
    assert ("driver", "COMMIT") in sqls
    assert tortoise_atomic["result"]["rows"] == [[7]]


def test_other_libraries_result_shapes(sections: dict[str, list[Section]]) -> None:
    (pw_tuples, pw_instance, pw_empty, pw_update, tt_instance, tt_values, tt_query, sm_instance) = (
        sections["others-shapes"]
    )
    assert _no_error(pw_tuples)["result"] == {
        "columns": ["city", "n"],
        "rows": [["Amsterdam", 2], ["Boston", 2]],
        "total_rows": 2,
    }
    assert _no_error(tt_values)["result"] == pw_tuples["result"]
    # An instance: the model's columns in the schema's order, foreign keys as *_id.
    columns = ["id", "customer_id", "placed_on", "status", "shipped_on", "handled_by_id"]
    for section in (pw_instance, tt_instance, sm_instance):
        assert _no_error(section)["result"]["columns"] == columns, section["kind"]
        assert section["result"]["rows"] == pw_instance["result"]["rows"]
    assert _no_error(pw_empty)["result"] == {
        "columns": ["id", "name", "email", "city", "signed_up", "notes"],
        "rows": [],
        "total_rows": 0,
    }
    # Queries that never ran say how to run them, and sent nothing.
    for section, hint in ((pw_update, ".execute()"), (tt_query, "await")):
        assert section["error"]["type"] == "UnsupportedResult"
        assert hint in section["error"]["message"]
        assert section["statements"] == []


def test_tortoise_sections_are_isolated_and_enforce_foreign_keys(
    sections: dict[str, list[Section]],
) -> None:
    refused, fresh = sections["tortoise-fresh"]
    assert refused["error"]["type"] == "IntegrityError"
    delete, insert = refused["statements"]
    assert delete["sql"].startswith("DELETE ")
    assert insert["refused"] == "FOREIGN KEY constraint failed"
    # The next section sees every line again: nothing of the first one's context is left.
    (count,) = _no_error(fresh)["statements"]
    assert count["sql"].startswith("SELECT COUNT(*)")
    assert fresh["result"]["rows"] == [[60]]


def test_connection_setup_of_the_other_libraries(sections: dict[str, list[Section]]) -> None:
    tortoise, peewee, sqlmodel = (_no_error(section) for section in sections["connection-setup"])
    # Tortoise ORM 1.1.9's PRAGMAs (journal_mode=WAL stays "memory" in memory).
    assert tortoise["result"]["rows"] == [[1], ["memory"], [16384]]
    # Peewee and SQLModel leave SQLite's default: foreign keys off.
    assert peewee["result"]["rows"] == [[0]]
    assert sqlmodel["result"]["rows"] == [[0]]


def test_error_messages_name_no_folder_of_this_machine() -> None:
    # An ImportError names the file of the module it looked in; a capture holding it
    # would differ from one checkout to the next.
    found = run_ok(_request({"paths": [("sqlalchemy", "from sqlalchemy.exc import Nope")]}))
    (section,) = found["paths"]
    message = section["error"]["message"]
    assert section["error"]["type"] == "ImportError"
    assert "/site-packages/sqlalchemy/exc.py" in message
    assert str(REPO_ROOT) not in message and sys.prefix not in message
