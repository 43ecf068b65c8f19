"""tests/support/api.py: small helpers shared by the e2e route tests (JSON POST with an
expected status, a node to hang rows on, row counts read straight from the server's database on
either engine, the same request sent twice at once)."""
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


def same_database(srv, env=None):
    """start_server(**same_database(srv)): another server on srv's database, either engine
    (env: more environment for it)."""
    env = dict(env or {}, **({"DATABASE_URL": srv.db_url} if srv.db_url else {}))
    return {"db": srv.db, "env": env or None}


def insertion_order(srv):
    """The column a test query orders by for insertion order: SQLite's rowid; on PostgreSQL
    `ctid` until its tables have their own order column (right for rows never updated)."""
    return "rowid" if getattr(srv, "engine", "sqlite") == "sqlite" else "ctid"


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
