"""tests/support/api.py: small helpers shared by the e2e route tests (JSON POST with an
expected status, a node to hang rows on, row counts read straight from the SQLite file, the same
request sent twice at once)."""
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


def count(db, table):
    with sqlite3.connect(db) as c:
        return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


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
