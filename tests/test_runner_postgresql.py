"""The runner on PostgreSQL: a private server per request, what each driver got, in order.

One runner process answers a request of several snippets (like a capture run of the
``*-postgresql`` targets). The tests check the recording of psycopg (Django, SQLAlchemy)
and asyncpg (SQLAlchemy's async engine), the transaction control the drivers send by
themselves, fresh data per section, the limits, and that the server is gone afterwards,
even when the runner is killed.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from test_runner import CURRENT_LOCK, LIMITS, MODELS_DIR, REPO_ROOT, RUNNER_DIR

Section = dict[str, Any]

SNIPPETS: dict[str, list[tuple[str, str]]] = {
    "atomic": [
        (
            "django",
            "from django.db import transaction\n"
            "with transaction.atomic():\n"
            "    c = Customer.objects.get(pk=1)\n"
            "    c.city = 'Paris'\n"
            "    c.save()\n"
            "Customer.objects.filter(name__icontains='smith').values('id', 'name')",
        ),
        (
            "sqlalchemy",
            "c = session.get(Customer, 1)\n"
            "c.city = 'Paris'\n"
            "session.commit()\n"
            "session.scalars(select(Customer).where(Customer.name.icontains('smith'))).all()",
        ),
        (
            "sqlalchemy-async",
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "async with AsyncSession(engine) as s:\n"
            "    rows = (await s.execute(select(Product.id, Product.discontinued)"
            ".where(Product.stock == 0).order_by(Product.id))).all()\n"
            "rows",
        ),
    ],
    "fresh": [
        ("django", "OrderLine.objects.all().delete()"),
        ("django", "OrderLine.objects.count()"),
    ],
    "insert-id": [("django", "Tag.objects.create(name='a new tag').id")],
    "template": [
        (
            "sqlalchemy",
            "import psycopg\n"
            "info = session.connection().connection.dbapi_connection.info\n"
            "psycopg.connect(f'host={info.host} dbname=demo user=book')",
        )
    ],
    "names": [
        (
            "django",
            "from django.db import connection\n"
            "print(connection.settings_dict['NAME'], connection.settings_dict['HOST'])",
        )
    ],
    "slow": [("django", "list(Customer.objects.raw('SELECT pg_sleep(30), 1 AS id'))")],
    "peewee": [("peewee", "Customer.select().count()")],
    "stream": [
        ("django", "[p.id for p in Product.objects.filter(stock=0).order_by('id').iterator(2)]"),
        (
            "sqlalchemy",
            "stmt = select(Product.id).where(Product.stock == 0).order_by(Product.id)\n"
            "list(session.scalars(stmt.execution_options(yield_per=4)))",
        ),
    ],
    "drivers": [
        (
            "psycopg",
            "with conn.transaction(), conn.cursor() as cur:\n"
            "    cur.execute('UPDATE customers SET city = %s WHERE id = %s', ['Paris', 1])\n"
            "conn.execute('SELECT id, city FROM customers WHERE id = %s', [1])",
        ),
        (
            "asyncpg",
            "async with conn.transaction():\n"
            "    await conn.execute('UPDATE customers SET city = $1 WHERE id = $2', 'Paris', 1)\n"
            "    await conn.executemany('UPDATE customers SET city = $1 WHERE id = $2',"
            " [('Lyon', 2), ('Nice', 3)])\n"
            "await conn.execute('ANALYZE customers')\n"
            "await conn.fetch('SELECT id, city FROM customers WHERE id <= $1 ORDER BY id', 3)",
        ),
    ],
}

# A table the section creates, and its OID read back from the catalogue.
NEW_TABLE_OID = (
    "django",
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('CREATE TABLE scratch (id integer)')\n"
    "    cursor.execute(\"SELECT 'scratch'::regclass::oid, 'products'::regclass::oid\")",
)


def _request(snippets: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    return {
        "lock": str(CURRENT_LOCK),
        "database": "postgresql",
        "max_rows": 1000,
        "jobs": 2,
        "limits": {**LIMITS, "seconds": 3},
        "snippets": [
            {"id": key, "sections": [{"kind": kind, "code": code} for kind, code in sections]}
            for key, sections in snippets.items()
        ],
    }


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER_DIR), str(MODELS_DIR)])}


def _server_folders() -> set[str]:
    """Server folders in memory or in the temporary folder, wherever the runner put them."""
    places = ["/dev/shm", os.environ.get("TMPDIR", "/tmp")]
    return {path for place in places for path in glob.glob(os.path.join(place, "ormcompare-pg-*"))}


@pytest.fixture(scope="module")
def run() -> tuple[dict[str, Any], dict[str, list[Section]], set[str]]:
    before = _server_folders()
    done = subprocess.run(
        [sys.executable, "-m", "orm_runner"],
        input=json.dumps(_request(SNIPPETS)).encode(),
        capture_output=True,
        cwd=REPO_ROOT,
        env=_env(),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    versions = lines[0]["versions"]
    answers = {line["id"]: line["sections"] for line in lines[1:]}
    return versions, answers, _server_folders() - before


def _sqls(section: Section) -> list[tuple[str, str]]:
    return [(s["origin"], " ".join(s["sql"].split())) for s in section["statements"]]


def test_versions_name_the_server_not_sqlite(run: Any) -> None:
    versions, _, _ = run
    assert versions["postgresql"].startswith("16.")
    assert "sqlite" not in versions
    assert versions["psycopg"] and versions["asyncpg"]


def test_django_on_psycopg_with_the_begin_and_commit_psycopg_sends(run: Any) -> None:
    django = run[1]["atomic"][0]
    assert django["error"] is None
    sqls = _sqls(django)
    assert [origin for origin, _ in sqls] == ["driver", "orm", "orm", "driver", "orm"]
    assert sqls[0][1] == "BEGIN" and sqls[3][1] == "COMMIT"
    assert sqls[1][1].startswith('SELECT "customers"."id"') and sqls[1][1].endswith("LIMIT 21")
    assert 'UPPER("customers"."name"::text) LIKE UPPER(%s)' in sqls[4][1]
    assert django["statements"][4]["params"] == ["%smith%"]
    assert django["result"]["rows"] == [[9, "ADAM SMITH"]]


def test_sqlalchemy_on_psycopg_names_its_parameters(run: Any) -> None:
    sqlalchemy = run[1]["atomic"][1]
    assert sqlalchemy["error"] is None
    statements = sqlalchemy["statements"]
    assert [s["sql"] for s in statements if s["origin"] == "driver"] == ["BEGIN", "COMMIT", "BEGIN"]
    update = next(s for s in statements if s["sql"].startswith("UPDATE"))
    assert "%(city)s" in update["sql"] and update["params"]["city"] == "Paris"
    assert "ILIKE" in statements[-1]["sql"]
    # What the library sent while it connected is the set-up, not the section's.
    assert any("version()" in s["sql"] for s in sqlalchemy["setup"])


def test_sqlalchemy_async_on_asyncpg_with_numbered_parameters(run: Any) -> None:
    section = run[1]["atomic"][2]
    assert section["error"] is None
    sqls = _sqls(section)
    assert sqls[0] == ("driver", "BEGIN;")
    select = section["statements"][1]
    assert "products.stock = $1" in select["sql"] and select["params"] == [0]
    # Booleans stay booleans on PostgreSQL.
    assert select["rows"][:2] == [[2, False], [5, True]]
    assert section["result"]["rows"][:2] == [[2, False], [5, True]]


def test_every_section_starts_from_a_fresh_copy(run: Any) -> None:
    deleted, counted = run[1]["fresh"]
    assert deleted["error"] is None and counted["error"] is None
    assert counted["result"]["rows"] == [[60]]


def test_an_inserted_row_gets_the_next_id(run: Any) -> None:
    assert run[1]["insert-id"][0]["result"]["rows"] == [[7]]


def test_a_snippet_cannot_reach_the_template(run: Any) -> None:
    error = run[1]["template"][0]["error"]
    assert error["type"] == "OperationalError"
    assert 'permission denied for database "demo"' in error["message"]
    assert '"…/pg/.s.PGSQL.5432"' in error["message"], "the server's folder changes every run"


def test_names_that_change_every_run_are_shown_fixed(run: Any) -> None:
    assert run[1]["names"][0]["stdout"] == "section_db …/pg\n"


def test_a_long_statement_is_stopped_by_the_budget(run: Any) -> None:
    section = run[1]["slow"][0]
    assert section["error"]["type"] == "Timeout"
    assert "statement timeout" in section["statements"][0]["refused"]


def test_a_sqlite_only_kind_says_what_to_do(run: Any) -> None:
    error = run[1]["peewee"][0]["error"]
    assert error["type"] == "SetupError" and "db=sqlite" in error["message"]


def test_the_server_is_gone_after_the_request(run: Any) -> None:
    # Folders that appeared during the request and are still there (another test's
    # server, started before, may well be running).
    assert run[2] == set(), "the request left its server folder behind"


def test_a_killed_runner_leaves_no_server(tmp_path: Any) -> None:
    before = _server_folders()
    request = _request({"slow": [("django", "import time\ntime.sleep(30)")]})
    request["limits"]["seconds"] = 60
    runner = subprocess.Popen(
        [sys.executable, "-m", "orm_runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO_ROOT,
        env=_env(),
    )
    assert runner.stdin is not None and runner.stdout is not None
    runner.stdin.write(json.dumps(request).encode())
    runner.stdin.close()
    assert b"versions" in runner.stdout.readline()  # the server is up
    started = _server_folders() - before
    assert len(started) == 1
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 30
    while _server_folders() & started and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _server_folders() & started
    folder = started.pop()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert folder not in processes


def test_a_server_side_cursor_is_recorded_as_psycopg_sends_it(run: Any) -> None:
    django, sqlalchemy = run[1]["stream"]
    assert django["error"] is None and sqlalchemy["error"] is None
    name = '"_django_curs_…_sync_1"'
    assert [sql.split(" FOR ")[0] for _, sql in _sqls(django)] == [
        f"DECLARE {name} NO SCROLL CURSOR WITH HOLD",
        *[f"FETCH FORWARD 2 FROM {name}"] * 4,
        f"CLOSE {name}",
    ]
    fetched = [[row[0] for row in s["rows"]] for s in django["statements"][1:5]]
    assert fetched == [[2, 5], [9, 13], [15, 20], []]
    assert django["statements"][0]["params"] == [0], "Django binds client-side"
    sqls = _sqls(sqlalchemy)
    assert sqls[1][1].startswith('DECLARE "c_…_1" CURSOR FOR SELECT products.id')
    assert sqlalchemy["statements"][1]["params"] == {"stock_1": 0}
    rows = [row for s in sqlalchemy["statements"][2:] for row in s["rows"] or []]
    assert rows == [[2], [5], [9], [13], [15], [20]]
    assert sqls[-1] == ("orm", 'CLOSE "c_…_1"')


def _new_table_oids(before: list[tuple[str, str]]) -> list[Any]:
    request = _request({"oid": [*before, NEW_TABLE_OID]})
    request["jobs"] = 1
    done = subprocess.run(
        [sys.executable, "-m", "orm_runner"],
        input=json.dumps(request).encode(),
        capture_output=True,
        cwd=REPO_ROOT,
        env=_env(),
        timeout=180,
        check=True,
    )
    last = json.loads(done.stdout.splitlines()[-1])["sections"][-1]
    assert last["error"] is None, last["error"]
    return last["statements"][-1]["rows"]


def test_oids_of_new_objects_do_not_depend_on_what_ran_before() -> None:
    alone = _new_table_oids([])
    tables = "\n".join(f"cursor.execute('CREATE TABLE t{n} (id integer)')" for n in range(5))
    after_others = _new_table_oids(
        [("django", "from django.db import connection\ncursor = connection.cursor()\n" + tables)]
    )
    assert alone == after_others
    ((scratch, products),) = alone
    assert scratch > products, "the demo's table keeps its own OID, the new one is numbered after"


def test_psycopg_used_directly(run: Any) -> None:
    section = run[1]["drivers"][0]
    assert section["error"] is None
    assert _sqls(section) == [
        ("driver", "BEGIN"),
        ("orm", "UPDATE customers SET city = %s WHERE id = %s"),
        ("driver", "COMMIT"),
        ("driver", "BEGIN"),
        ("orm", "SELECT id, city FROM customers WHERE id = %s"),
    ]
    assert section["statements"][1]["params"] == ["Paris", 1]
    assert section["result"] == {"columns": ["id", "city"], "rows": [[1, "Paris"]], "total_rows": 1}


def test_asyncpg_used_directly(run: Any) -> None:
    section = run[1]["drivers"][1]
    assert section["error"] is None
    update = "UPDATE customers SET city = $1 WHERE id = $2"
    assert _sqls(section) == [
        ("driver", "BEGIN;"),
        ("orm", update),
        ("orm", update),
        ("driver", "COMMIT;"),
        ("orm", "ANALYZE customers"),
        ("orm", "SELECT id, city FROM customers WHERE id <= $1 ORDER BY id"),
    ]
    statements = section["statements"]
    assert statements[1]["params"] == ["Paris", 1]
    assert statements[2]["many"] and statements[2]["params"] == [["Lyon", 2], ["Nice", 3]]
    assert statements[-1]["columns"] == ["id", "city"]
    assert statements[-1]["rows"] == [[1, "Paris"], [2, "Lyon"], [3, "Nice"]]
    assert section["result"]["rows"] == [[1, "Paris"], [2, "Lyon"], [3, "Nice"]]


def test_a_server_made_from_nothing_and_one_from_the_snapshot_answer_the_same(
    tmp_path: Any,
) -> None:
    """The first run of a stack makes the server and saves it; the next starts from
    the copy. Both give the same bytes, and neither leaves a folder behind."""
    request = json.dumps(_request({"atomic": SNIPPETS["atomic"], "stream": SNIPPETS["stream"]}))
    env = {**_env(), "ORMCOMPARE_PG_SNAPSHOTS": str(tmp_path)}
    answers = []
    for _ in range(2):
        before = _server_folders()
        done = subprocess.run(
            [sys.executable, "-m", "orm_runner"],
            input=request.encode(),
            capture_output=True,
            cwd=REPO_ROOT,
            env=env,
            timeout=180,
            check=True,
        )
        assert _server_folders() - before == set(), "a folder was left behind"
        answers.append(sorted(done.stdout.splitlines()[1:]))
    assert len(list(tmp_path.iterdir())) == 1, "one snapshot, made by the first run"
    assert answers[0] == answers[1]
