"""tests/e2e/test_nodes.py: the node routes over HTTP against the real server (spec/api.md §5,
decisions in docs/API.md): shapes, every list filter and its order, children, dependency
edges, patch, delete (404 / 409), bad input. On SQLite and PostgreSQL (both_engines)."""
import re

import pytest

from conftest import DEFAULT_USER
from support.api import post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
KEYS = ["id", "userId", "type", "branchId", "parentId", "title", "desc", "accuracyScore",
        "createdAt", "updatedAt"]


def node(srv, type_, title, branch=None, parent=None, **kw):
    return post(srv, "/api/nodes", {"userId": U, "type": type_, "branchId": branch,
                                    "parentId": parent, "title": title, **kw})


def ids(reply):
    assert reply.status == 200, reply
    return [x["id"] for x in reply.json]


def test_create_shape(server):
    b = post(server, "/api/branches", {"title": "T", "userId": U})
    r = node(server, "root", "Linear Algebra", b["id"], None, desc="")
    assert list(r) == KEYS
    assert r["type"] == "root" and r["branchId"] == b["id"] and r["parentId"] is None
    assert r["desc"] is None and r["accuracyScore"] == 0 and isinstance(r["accuracyScore"], int)
    assert SQLITE_TS.match(r["createdAt"]) and r["updatedAt"] == r["createdAt"]
    got = server.request("GET", f"/api/nodes/{r['id']}")
    assert got.status == 200 and got.json == r
    r2 = node(server, "concept", "c", b["id"], r["id"], desc="d", accuracyScore=0.9)
    assert r2["desc"] == "d" and r2["accuracyScore"] == 0 and r2["parentId"] == r["id"]


def test_create_bad_input(server):
    for body in ({}, {"userId": U, "type": "root"}, {"userId": U, "title": "t"},
                 {"type": "root", "title": "t"}, {"userId": U, "type": "", "title": "t"},
                 {"userId": U, "type": "root", "title": 0}):
        r = server.request("POST", "/api/nodes", json=body)
        assert r.status == 400 and r.json == {"error": "userId, type, and title are required"}
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "banana", "title": "t"})
    assert r.status == 400 and r.json == {"error": "type must be one of: root, concept, subconcept"}
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "root", "title": "t",
                                                   "branchId": "b-missing"})
    assert r.status == 404 and r.json == {"error": "branchId b-missing not found"}
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "root", "title": "t",
                                                   "parentId": "p-missing"})
    assert r.status == 404 and r.json == {"error": "parentId p-missing not found"}
    r = server.request("POST", "/api/nodes", json={"userId": "u-missing", "type": "root",
                                                   "title": "t"})
    assert r.status == 404 and r.json == {"error": "userId u-missing not found"}
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "root", "title": "t",
                                                   "desc": 7})
    assert r.status == 400 and "desc" in r.json["error"]
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "root", "title": "t",
                                                   "branchId": 12})
    assert r.status == 400 and "branchId" in r.json["error"]
    r = server.request("POST", "/api/nodes", body="[1,",
                       headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = server.request("POST", "/api/nodes", json={"userId": U, "type": "root",
                                                   "title": "t" * 200000})
    assert r.status == 413
    assert server.request("GET", "/api/nodes").json == []


def test_list_filters_and_order(server):
    b1 = post(server, "/api/branches", {"title": "1", "userId": U})
    b2 = post(server, "/api/branches", {"title": "2", "userId": U})
    r1 = node(server, "root", "r1", b1["id"])
    s1 = node(server, "subconcept", "s1", b1["id"], None)
    c1 = node(server, "concept", "c1", b1["id"], r1["id"])
    r2 = node(server, "root", "r2", b2["id"])
    c2 = node(server, "concept", "c2", b2["id"], r2["id"])
    c3 = node(server, "concept", "c3", b1["id"], r1["id"])
    everything = [r1, s1, c1, r2, c2, c3]
    by_id = lambda xs: [x["id"] for x in xs]
    assert ids(server.request("GET", "/api/nodes")) == by_id(everything)
    assert ids(server.request("GET", "/api/nodes?userId=")) == by_id(everything)
    # userId alone: grouped by type (concept < root < subconcept), insertion order within
    assert ids(server.request("GET", f"/api/nodes?userId={U}")) == by_id([c1, c2, c3, r1, r2, s1])
    assert ids(server.request("GET", f"/api/nodes?userId={U}&type=concept")) == by_id([c1, c2, c3])
    assert ids(server.request("GET", "/api/nodes?type=root")) == by_id([r1, r2])
    assert ids(server.request("GET", f"/api/nodes?branchId={b1['id']}")) == by_id([r1, s1, c1, c3])
    assert ids(server.request("GET", f"/api/nodes?userId={U}&branchId={b1['id']}")) == \
        by_id([r1, s1, c1, c3])
    assert ids(server.request("GET", f"/api/nodes?parentId={r1['id']}")) == by_id([c1, c3])
    assert ids(server.request("GET", f"/api/nodes?branchId={b1['id']}&type=concept"
                                     f"&parentId={r1['id']}&userId={U}")) == by_id([c1, c3])
    assert ids(server.request("GET", "/api/nodes?type=banana")) == []
    assert ids(server.request("GET", "/api/nodes?userId=someone-else")) == []
    full = server.request("GET", f"/api/nodes?branchId={b2['id']}").json
    assert full == [r2, c2]


def test_get_children_missing(server):
    r = server.request("GET", "/api/nodes/nope")
    assert r.status == 404 and r.json == {"error": "Node not found"}
    r = server.request("GET", "/api/nodes/children")
    assert r.status == 404 and r.json == {"error": "Node not found"}
    r = server.request("GET", "/api/nodes/nope/children")
    assert r.status == 200 and r.json == []
    root = node(server, "root", "r")
    kids = [node(server, t, t, None, root["id"]) for t in ("subconcept", "concept", "concept")]
    assert ids(server.request("GET", f"/api/nodes/{root['id']}/children")) == [k["id"] for k in kids]


def test_dependency_edges(server):
    root = node(server, "root", "r")
    a, b, c = (node(server, "concept", t, None, root["id"]) for t in "abc")
    sub = node(server, "subconcept", "s", None, root["id"])
    other = node(server, "concept", "o")
    for eid, s, t in (("e3", c, a), ("e1", b, c), ("e2", a, b), ("e4", a, other), ("e5", sub, a)):
        server.sql_exec("INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?,?,?)",
                        eid, s["id"], t["id"])
    r = server.request("GET", f"/api/nodes/{root['id']}/dependency-edges?childType=concept")
    assert r.status == 200
    assert all(list(e) == ["id", "sourceNodeId", "targetNodeId", "createdAt"] for e in r.json)
    got = [(e["sourceNodeId"], e["targetNodeId"]) for e in r.json]
    want = sorted([(c["id"], a["id"]), (b["id"], c["id"]), (a["id"], b["id"])])
    assert got == want
    r = server.request("GET", f"/api/nodes/{root['id']}/dependency-edges")
    assert len(r.json) == 4  # the subconcept's edge counts without a type filter
    r = server.request("GET", f"/api/nodes/{root['id']}/dependency-edges?childType=")
    assert len(r.json) == 4
    r = server.request("GET", f"/api/nodes/{root['id']}/dependency-edges?childType=subconcept")
    assert r.json == []
    assert server.request("GET", "/api/nodes/nope/dependency-edges").json == []


def test_patch(server):
    n = node(server, "concept", "t", desc="d")
    r = server.request("PATCH", f"/api/nodes/{n['id']}",
                       json={"title": "t2", "desc": "", "accuracyScore": 0.5, "type": "root",
                             "branchId": "x", "userId": "y"})
    assert r.status == 200, r
    j = r.json
    assert j["title"] == "t2" and j["desc"] == "" and j["accuracyScore"] == 0.5
    assert j["type"] == "concept" and j["branchId"] is None and j["userId"] == U
    assert ISO_TS.match(j["updatedAt"]) and j["createdAt"] == n["createdAt"]
    r = server.request("PATCH", f"/api/nodes/{n['id']}", json={"desc": None, "accuracyScore": 1})
    assert r.status == 200 and r.json["desc"] is None and r.json["accuracyScore"] == 1
    for bad in ({"title": None}, {"accuracyScore": None}, {"accuracyScore": "abc"},
                {"title": 3}, {"accuracyScore": True}):
        r = server.request("PATCH", f"/api/nodes/{n['id']}", json=bad)
        assert r.status == 400 and list(bad)[0] in r.json["error"], (bad, r)
    assert server.request("GET", f"/api/nodes/{n['id']}").json["title"] == "t2"
    r = server.request("PATCH", "/api/nodes/nope", json={"title": "x"})
    assert r.status == 404 and r.json == {"error": "Node not found"}


def test_delete(server):
    r = server.request("DELETE", "/api/nodes/nope")
    assert r.status == 404 and r.json == {"error": "Node not found"}
    parent = node(server, "concept", "p")
    child = node(server, "subconcept", "c", None, parent["id"])
    post(server, "/api/progress", {"userId": U, "nodeId": parent["id"]})
    r = server.request("DELETE", f"/api/nodes/{parent['id']}")
    assert r.status == 409
    assert r.json["error"].startswith("Node is still referenced by ")
    assert "child nodes" in r.json["error"] and "progress records" in r.json["error"]
    assert server.request("GET", f"/api/nodes/{parent['id']}").status == 200
    r = server.request("DELETE", f"/api/nodes/{child['id']}")
    assert r.status == 204 and r.raw == b""
    assert server.request("GET", f"/api/nodes/{child['id']}").status == 404
