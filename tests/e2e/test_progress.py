"""tests/e2e/test_progress.py: progress routes over HTTP (spec/api.md §9, docs/API.md):
visit create/update (201/200, ISO timestamps, attempts), concurrent first visits (no UNIQUE
race), list order, patch fields and bad input. On SQLite and PostgreSQL (both_engines)."""
import re
import threading

import pytest

from conftest import DEFAULT_USER
from support.api import a_node, count, post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
KEYS = ["id", "userId", "nodeId", "firstEnteredAt", "lastEnteredAt", "completedAt",
        "masteryScore", "attemptsCount", "hasGeneratedSubnodes", "createdAt", "updatedAt"]


def test_visit_create_then_update(server):
    n = a_node(server)
    p = post(server, "/api/progress", {"userId": U, "nodeId": n["id"], "masteryScore": 0.9})
    assert list(p) == KEYS
    assert ISO_TS.match(p["firstEnteredAt"]) and p["lastEnteredAt"] == p["firstEnteredAt"]
    assert p["completedAt"] is None and p["masteryScore"] == 0 and p["attemptsCount"] == 1
    assert p["hasGeneratedSubnodes"] is False
    assert SQLITE_TS.match(p["createdAt"]) and SQLITE_TS.match(p["updatedAt"])
    p2 = post(server, "/api/progress", {"userId": U, "nodeId": n["id"]}, status=200)
    assert p2["id"] == p["id"] and p2["attemptsCount"] == 2
    assert p2["firstEnteredAt"] == p["firstEnteredAt"] and ISO_TS.match(p2["updatedAt"])
    assert p2["lastEnteredAt"] >= p["lastEnteredAt"] and p2["createdAt"] == p["createdAt"]


def test_concurrent_first_visits_make_one_row(server):
    n = a_node(server)
    statuses = []

    def visit():
        statuses.append(server.request("POST", "/api/progress",
                                       json={"userId": U, "nodeId": n["id"]}).status)
    threads = [threading.Thread(target=visit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 11 + [201]
    rows = server.request("GET", f"/api/progress?userId={U}").json
    assert len(rows) == 1 and rows[0]["attemptsCount"] == 12


def test_list(server):
    nodes = [a_node(server, str(i)) for i in range(4)]
    for n in nodes:
        post(server, "/api/progress", {"userId": U, "nodeId": n["id"]})
    for q in ("", "?userId=", f"?nodeId={nodes[0]['id']}"):
        r = server.request("GET", "/api/progress" + q)
        assert r.status == 400 and r.json == {"error": "userId query param required"}
    r = server.request("GET", f"/api/progress?userId={U}")
    assert [x["nodeId"] for x in r.json] == sorted(n["id"] for n in nodes)
    r = server.request("GET", f"/api/progress?userId={U}&nodeId={nodes[2]['id']}")
    assert [x["nodeId"] for x in r.json] == [nodes[2]["id"]]
    r = server.request("GET", f"/api/progress?userId={U}&nodeId=")
    assert len(r.json) == 4
    assert server.request("GET", "/api/progress?userId=else").json == []


def test_visit_bad_input(server):
    n = a_node(server)
    for body in ({}, {"userId": U}, {"nodeId": n["id"]}, {"userId": U, "nodeId": 0}):
        r = server.request("POST", "/api/progress", json=body)
        assert r.status == 400 and r.json == {"error": "userId and nodeId are required"}
    r = server.request("POST", "/api/progress", json={"userId": U, "nodeId": "ghost"})
    assert r.status == 404 and r.json == {"error": "nodeId ghost not found"}
    r = server.request("POST", "/api/progress", json={"userId": "ghost", "nodeId": n["id"]})
    assert r.status == 404 and r.json == {"error": "userId ghost not found"}
    r = server.request("POST", "/api/progress", json={"userId": U, "nodeId": 5})
    assert r.status == 400 and "nodeId" in r.json["error"]
    r = server.request("POST", "/api/progress", body="{]", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert count(server, "user_node_progress") == 0


def test_patch(server):
    n = a_node(server)
    p = post(server, "/api/progress", {"userId": U, "nodeId": n["id"]})
    path = f"/api/progress/{p['id']}"
    r = server.request("PATCH", path, json={})
    assert r.status == 200 and ISO_TS.match(r.json["updatedAt"]) and r.json["attemptsCount"] == 1
    r = server.request("PATCH", path, json={"masteryScore": 0.75, "completedAt": "2026-01-01",
                                            "hasGeneratedSubnodes": True, "attemptsCount": 99})
    assert r.status == 200
    j = r.json
    assert j["masteryScore"] == 0.75 and j["completedAt"] == "2026-01-01"
    assert j["hasGeneratedSubnodes"] is True and j["attemptsCount"] == 1
    r = server.request("PATCH", path, json={"completedAt": None, "hasGeneratedSubnodes": 0,
                                            "masteryScore": 1})
    assert r.json["completedAt"] is None and r.json["hasGeneratedSubnodes"] is False
    assert r.json["masteryScore"] == 1
    for bad in ({"masteryScore": None}, {"hasGeneratedSubnodes": None},
                {"hasGeneratedSubnodes": "false"}, {"masteryScore": "0.5"}, {"completedAt": 1}):
        r = server.request("PATCH", path, json=bad)
        assert r.status == 400 and list(bad)[0] in r.json["error"], bad
    assert server.request("GET", f"/api/progress?userId={U}").json[0]["masteryScore"] == 1
    r = server.request("PATCH", "/api/progress/nope", json={"masteryScore": 1})
    assert r.status == 404 and r.json == {"error": "Progress record not found"}
