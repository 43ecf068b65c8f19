"""tests/support/api.py: small helpers shared by the e2e route tests (JSON POST with an
expected status, a node to hang rows on, row counts read and extra users written straight into
the server's database on either engine (srv.sql, tests/conftest.py), a trigger that makes
deletes from a table fail, a second server on the same database, the same request sent twice at
once, polling for a state)."""
import sqlite3
import threading
import time

from conftest import DEFAULT_USER


def post(srv, path, body, status=201):
    r = srv.request("POST", path, json=body)
    assert r.status == status, r
    return r.json


def a_node(srv, title="n", type="subconcept"):
    return post(srv, "/api/nodes", {"userId": DEFAULT_USER, "type": type, "title": title})


def count(srv, table):
    """Rows in `table` of a server's database (a Server: either engine) or of a SQLite file."""
    if hasattr(srv, "sql"):
        return srv.sql(f"SELECT count(*) AS n FROM {table}")[0]["n"]
    with sqlite3.connect(srv) as c:
        return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def counts(srv, tables):
    """{table: rows} for each of `tables`, read in one query (one consistent snapshot)."""
    q = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in tables)
    return {r["t"]: r["n"] for r in srv.sql(q)}


def add_user(srv, uid):
    """A second user (the API has no route that makes users)."""
    srv.sql_exec("INSERT INTO users (id, email) VALUES (?, ?)", uid, uid + "@x")
    return uid


def refuse_deletes(srv, table):
    """Make every DELETE from `table` fail inside the database (a constraint error, as SQLite's
    RAISE(ABORT) in a trigger is: SQLSTATE 23000 on PostgreSQL); allow_deletes() undoes it."""
    if srv.engine == "sqlite":
        srv.sql_exec(f"CREATE TRIGGER refuse_{table} BEFORE DELETE ON {table} "
                     "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
        return
    srv.sql_exec("CREATE OR REPLACE FUNCTION refuse_by_test() RETURNS trigger LANGUAGE plpgsql AS "
                 "'BEGIN RAISE EXCEPTION ''refused by test'' USING ERRCODE = ''23000''; END'")
    srv.sql_exec(f'CREATE TRIGGER refuse_{table} BEFORE DELETE ON "{table}" '
                 "FOR EACH ROW EXECUTE FUNCTION refuse_by_test()")


def allow_deletes(srv, table):
    if srv.engine == "sqlite":
        srv.sql_exec(f"DROP TRIGGER refuse_{table}")
    else:
        srv.sql_exec(f'DROP TRIGGER refuse_{table} ON "{table}"')


def same_database(srv, env=None):
    """start_server(**same_database(srv)): another server on srv's database, either engine
    (env: more environment for it)."""
    env = dict(env or {}, **({"DATABASE_URL": srv.db_url} if srv.db_url else {}))
    return {"db": srv.db, "env": env or None}


def insertion_order(srv):
    """The column a test query orders by for insertion order: rowid on both engines (SQLite's
    implicit one; on PostgreSQL every table's hidden identity column, docs/POSTGRESQL.md)."""
    return "rowid"


def twice_at_once(call, join_timeout=60):
    """call() from two threads, the second started 0.2 s after the first (so that it finds the
    first request's run in progress and joins it); both results, in start order."""
    out = [None, None]

    def go(i):
        out[i] = call()

    ths = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for th in ths:
        th.start()
        time.sleep(0.2)
    for th in ths:
        th.join(join_timeout)
    return out


def until(cond, what, deadline_s=60):
    """Poll cond() until it is true; fail naming what after deadline_s (a hang, not a speed)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("never happened: " + what)
