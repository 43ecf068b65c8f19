"""tests/support/api.py: small helpers shared by the e2e route tests (JSON POST with an
expected status, a node to hang rows on, row counts read straight from the SQLite file)."""
import sqlite3

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
