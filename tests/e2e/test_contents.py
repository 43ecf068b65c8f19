"""tests/e2e/test_contents.py: node contents and generations over HTTP (spec/api.md §6,
decisions in docs/API.md): shapes (cards in schema position, JSON-in-text as strings), the
"active" row, ordering, coercions and bad input. On SQLite and PostgreSQL (both_engines)."""
import pytest

from conftest import DEFAULT_USER
from support.api import a_node, count, post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
CONTENT_KEYS = ["id", "nodeId", "explanationMd", "visualizationKind", "visualizationPayload",
                "cards", "generatedByModel", "generationPromptHash", "status", "createdAt"]
GEN_KEYS = ["id", "nodeId", "trigger", "model", "prompt", "responseMeta", "createdAt"]


def test_create_shape_and_coercions(server):
    n = a_node(server)
    c = post(server, f"/api/nodes/{n['id']}/contents",
             {"explanationMd": "# E", "visualizationKind": "", "visualizationPayload": None,
              "generatedByModel": "m", "status": "", "cards": "[1]", "id": "mine"})
    assert list(c) == CONTENT_KEYS
    assert c["nodeId"] == n["id"] and c["explanationMd"] == "# E" and c["id"] != "mine"
    assert c["visualizationKind"] is None and c["visualizationPayload"] is None
    assert c["cards"] is None and c["generatedByModel"] == "m" and c["status"] == "active"
    c2 = post(server, f"/api/nodes/{n['id']}/contents",
              {"explanationMd": "x", "status": "draft", "visualizationKind": "mermaid"})
    assert c2["status"] == "draft" and c2["visualizationKind"] == "mermaid"


def test_create_bad_input(server):
    n = a_node(server)
    path = f"/api/nodes/{n['id']}/contents"
    for body in ({}, {"explanationMd": ""}, {"explanationMd": None}, {"explanationMd": 0}):
        r = server.request("POST", path, json=body)
        assert r.status == 400 and r.json == {"error": "explanationMd is required"}
    r = server.request("POST", path, json={"explanationMd": "x", "status": "bogus"})
    assert r.status == 400 and r.json == {"error": "status must be one of: draft, active, archived"}
    r = server.request("POST", path, json={"explanationMd": "x", "visualizationKind": "png"})
    assert r.status == 400 and "visualizationKind" in r.json["error"]
    r = server.request("POST", path, json={"explanationMd": {"a": 1}})
    assert r.status == 400 and "explanationMd" in r.json["error"]
    r = server.request("POST", "/api/nodes/missing/contents", json={"explanationMd": "x"})
    assert r.status == 404 and r.json == {"error": "Node not found"}
    r = server.request("POST", path, body="{", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = server.request("POST", path, json={"explanationMd": "x" * 120000})
    assert r.status == 413
    assert count(server, "node_contents") == 0


def test_active_and_list_order(server):
    n = a_node(server)
    path = f"/api/nodes/{n['id']}/contents"
    r = server.request("GET", path + "/active")
    assert r.status == 200 and r.text == "null"
    assert server.request("GET", "/api/nodes/missing/contents/active").text == "null"
    d = post(server, path, {"explanationMd": "d", "status": "draft"})
    a1 = post(server, path, {"explanationMd": "a1"})
    ar = post(server, path, {"explanationMd": "ar", "status": "archived"})
    a2 = post(server, path, {"explanationMd": "a2"})
    r = server.request("GET", path + "/active")
    assert r.status == 200 and r.json == a1  # the oldest active row
    r = server.request("GET", path)
    assert [x["id"] for x in r.json] == [a1["id"], a2["id"], ar["id"], d["id"]]
    assert server.request("GET", "/api/nodes/missing/contents").json == []


def test_active_cards_written_by_tutor_shape(server):
    n = a_node(server)
    cards = '[{"id":"k","index":0,"explanation":"e","question":null,"questionType":null}]'
    server.sql_exec("INSERT INTO node_contents (id, node_id, explanation_md, cards) VALUES (?,?,?,?)",
                    "tut", n["id"], "", cards)
    r = server.request("GET", f"/api/nodes/{n['id']}/contents/active")
    assert r.json["cards"] == cards and r.json["explanationMd"] == "" and r.json["status"] == "active"


def test_generations(server):
    n = a_node(server)
    path = f"/api/nodes/{n['id']}/generations"
    g = post(server, path, {"trigger": "on_first_enter", "model": "", "prompt": "p",
                            "responseMeta": {"count": 3, "ratio": 1.0}})
    assert list(g) == GEN_KEYS
    assert g["model"] is None and g["prompt"] == "p"
    assert g["responseMeta"] == '{"count":3,"ratio":1}'
    g2 = post(server, path, {"trigger": "manual_regenerate", "responseMeta": "abc"})
    assert g2["responseMeta"] == '"abc"'
    g3 = post(server, path, {"trigger": "system_refresh", "responseMeta": 0})
    assert g3["responseMeta"] is None
    g4 = post(server, path, {"trigger": "system_refresh", "responseMeta": [1, "é"]})
    assert g4["responseMeta"] == '[1,"é"]'
    r = server.request("GET", path)
    assert [x["id"] for x in r.json] == [g["id"], g2["id"], g3["id"], g4["id"]]
    for body in ({}, {"trigger": ""}, {"trigger": None}):
        r = server.request("POST", path, json=body)
        assert r.status == 400 and r.json == {"error": "trigger is required"}
    r = server.request("POST", path, json={"trigger": "whenever"})
    assert r.status == 400 and r.json["error"].startswith("trigger must be one of: ")
    r = server.request("POST", "/api/nodes/missing/generations", json={"trigger": "system_refresh"})
    assert r.status == 404 and r.json == {"error": "Node not found"}
    assert server.request("GET", "/api/nodes/missing/generations").json == []
    assert count(server, "node_generations") == 4
