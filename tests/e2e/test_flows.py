"""tests/e2e/test_flows.py: the web client's call sequences (spec/api.md §11) end to end, and
bad input thrown at every JSON route: malformed JSON, non-object bodies, wrong content types,
oversized bodies, unknown routes and methods. Nothing may crash the server or leave a partial
write (row counts are compared in the database afterwards). On SQLite and PostgreSQL
(both_engines)."""
from urllib.parse import quote

import pytest

from conftest import DEFAULT_USER
from support.api import counts as table_counts, post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
TABLES = ["branches", "nodes", "node_edges", "topic_documents", "node_contents",
          "node_generations", "assessments", "questions", "answers", "user_node_progress",
          "chat_sessions", "chat_messages", "hint_events", "users"]


def get(srv, path):
    r = srv.request("GET", path)
    assert r.status == 200, r
    return r.json


def counts(srv):
    return table_counts(srv, TABLES)


def test_new_branch_graph_load_and_delete(server):
    # graph page load on an empty database
    assert get(server, f"/api/branches?userId={U}") == []
    assert get(server, f"/api/nodes?userId={U}") == []
    assert get(server, f"/api/progress?userId={U}") == []
    # new branch: createBranch -> createNode(root)
    b = post(server, "/api/branches", {"userId": U, "title": "Linear Algebra"})
    root = post(server, "/api/nodes", {"userId": U, "type": "root", "branchId": b["id"],
                                       "parentId": None, "title": "Linear Algebra", "desc": None})
    # a branch without a root gets one on the next load
    b2 = post(server, "/api/branches", {"userId": U, "title": "Rootless"})
    branches = get(server, f"/api/branches?userId={U}")
    assert [x["id"] for x in branches] == [b["id"], b2["id"]]
    nodes = get(server, f"/api/nodes?userId={U}")
    have_root = {n["branchId"] for n in nodes if n["type"] == "root"}
    for br in branches:
        if br["id"] not in have_root:
            post(server, "/api/nodes", {"userId": U, "type": "root", "branchId": br["id"],
                                        "parentId": None, "title": br["title"]})
    nodes = get(server, f"/api/nodes?userId={U}")
    roots = [n for n in nodes if n["type"] == "root"]
    assert [n["branchId"] for n in roots] == [b["id"], b2["id"]]
    for n in roots:
        assert get(server, f"/api/nodes/{n['id']}/dependency-edges?childType=concept") == []
    # delete branch -> reload
    assert server.request("DELETE", f"/api/branches/{b2['id']}").status == 204
    assert [x["id"] for x in get(server, f"/api/branches?userId={U}")] == [b["id"]]
    assert [n["id"] for n in get(server, f"/api/nodes?userId={U}")] == [root["id"]]
    assert get(server, f"/api/progress?userId={U}") == []


def test_open_concept_and_learn_subconcept(server):
    b = post(server, "/api/branches", {"userId": U, "title": "T"})
    root = post(server, "/api/nodes", {"userId": U, "type": "root", "branchId": b["id"],
                                       "parentId": None, "title": "T"})
    concept = post(server, "/api/nodes", {"userId": U, "type": "concept", "branchId": b["id"],
                                          "parentId": root["id"], "title": "C"})
    subs = [post(server, "/api/nodes", {"userId": U, "type": "subconcept", "branchId": b["id"],
                                        "parentId": concept["id"], "title": f"S{i}"})
            for i in range(2)]
    server.sql_exec("INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES ('e', ?, ?)",
                    subs[0]["id"], subs[1]["id"])
    # open a concept: edges between its subconcepts, then the diagnostic survey
    edges = get(server, f"/api/nodes/{concept['id']}/dependency-edges?childType=subconcept")
    assert [(e["sourceNodeId"], e["targetNodeId"]) for e in edges] == [(subs[0]["id"], subs[1]["id"])]
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": concept["id"]})
    qs = [post(server, f"/api/assessments/{a['id']}/questions",
               {"format": f, "prompt": p, "options": o})
          for f, p, o in (("mcq", "2+2?", ["3", "4"]), ("open_ended", "Why?", None))]
    assert get(server, f"/api/assessments/{a['id']}/answers?userId={U}") == []
    answered = {}
    for q, sent in zip(qs, ({"answerText": None, "selectedOption": "4", "isCorrect": True, "score": 1},
                            {"answerText": "because", "selectedOption": None, "isCorrect": None,
                             "score": None})):
        row = post(server, f"/api/assessments/{a['id']}/answers",
                   {"userId": U, "questionId": q["id"], "feedback": None, **sent})
        answered[row["questionId"]] = row
    assert set(answered) == {q["id"] for q in qs}
    assert get(server, f"/api/assessments/{a['id']}")["completedAt"] is not None
    r = server.request("PATCH", f"/api/assessments/{a['id']}",
                       json={"completedAt": "2026-11-25T18:45:03.000Z"})
    assert r.status == 200
    # learn a subconcept: sessions -> create -> messages; node + active content
    sub = subs[0]
    sessions = get(server, f"/api/chat/sessions?userId={U}&nodeId={sub['id']}")
    assert sessions == []
    s = post(server, "/api/chat/sessions", {"userId": U, "nodeId": sub["id"]})
    assert s["endedAt"] is None
    assert get(server, f"/api/chat/sessions/{s['id']}/messages") == []
    for role, content in (("assistant", "Welcome"), ("user", "[ANSWER] 4"), ("assistant", "Right")):
        post(server, f"/api/chat/sessions/{s['id']}/messages",
             {"userId": U, "role": role, "content": content})
    msgs = get(server, f"/api/chat/sessions/{s['id']}/messages")
    assert [m["content"] for m in msgs] == ["Welcome", "[ANSWER] 4", "Right"]
    n = get(server, f"/api/nodes/{sub['id']}")
    assert n["title"] == "S0" and n["desc"] is None
    assert server.request("GET", f"/api/nodes/{sub['id']}/contents/active").json is None
    post(server, "/api/progress", {"userId": U, "nodeId": sub["id"]})
    prog = get(server, f"/api/progress?userId={U}")
    assert [p["nodeId"] for p in prog] == [sub["id"]]
    assert {"nodeId", "completedAt", "masteryScore"} <= set(prog[0])
    # and the branch goes away with everything on it
    assert server.request("DELETE", f"/api/branches/{b['id']}").status == 204
    assert {k: v for k, v in counts(server).items() if v} == {"users": 1}


JSON_ROUTES = [
    ("POST", "/api/branches"), ("PATCH", "/api/branches/{b}"),
    ("POST", "/api/nodes"), ("PATCH", "/api/nodes/{n}"),
    ("POST", "/api/nodes/{n}/contents"), ("POST", "/api/nodes/{n}/generations"),
    ("POST", "/api/assessments"), ("PATCH", "/api/assessments/{a}"),
    ("POST", "/api/assessments/{a}/questions"), ("POST", "/api/assessments/{a}/answers"),
    ("POST", "/api/progress"), ("PATCH", "/api/progress/{p}"),
    ("POST", "/api/chat/sessions"), ("PATCH", "/api/chat/sessions/{s}"),
    ("POST", "/api/chat/sessions/{s}/messages"), ("POST", "/api/chat/hints"),
]
JSON = "application/json"
TOO_BIG = (413, "request body too large (limit 102400 bytes)")
# (body, content type, expected status, the start of the expected error message)
BAD_BODIES = [
    (b"{", JSON, 400, "malformed JSON: string or '}' expected near end of file at line 1"),
    (b'{"a":', JSON, 400, "malformed JSON: unexpected token near end of file at line 1"),
    (b"nul", JSON, 400, "malformed JSON: invalid token near 'nul'"),
    (b"null", JSON, 400, "the request body must be a JSON object, not null"),
    (b"42", JSON, 400, "the request body must be a JSON object, not a number"),
    (b'"str"', JSON, 400, "the request body must be a JSON object, not a string"),
    (b"[1,2]", JSON, 400, "the request body must be a JSON object, not an array"),
    (b"\xff\xfe{}", JSON, 400, "malformed JSON: unable to decode byte 0xff"),
    (b'{"a":1}garbage', JSON, 400, "malformed JSON: end of file expected near 'garbage'"),
    (b'{"title":"x"}', "text/plain", 415, "unsupported Content-Type 'text/plain': send application/json"),
    (b"title=x", "application/x-www-form-urlencoded", 415,
     "unsupported Content-Type 'application/x-www-form-urlencoded': send application/json"),
    (b"{}" + b" " * (101 * 1024), JSON, *TOO_BIG),
    (b'{"userId":"' + b"a" * (200 * 1024) + b'"}', JSON, *TOO_BIG),
]


def test_bad_bodies_on_every_json_route(server):
    b = post(server, "/api/branches", {"userId": U, "title": "T"})
    n = post(server, "/api/nodes", {"userId": U, "type": "root", "title": "T", "branchId": b["id"]})
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"]})
    p = post(server, "/api/progress", {"userId": U, "nodeId": n["id"]})
    s = post(server, "/api/chat/sessions", {"userId": U, "nodeId": n["id"]})
    ids = dict(b=b["id"], n=n["id"], a=a["id"], p=p["id"], s=s["id"])
    before = counts(server)
    snapshot = {k: get(server, path) for k, path in (
        ("b", f"/api/branches/{b['id']}"), ("n", f"/api/nodes/{n['id']}"),
        ("a", f"/api/assessments/{a['id']}"), ("p", f"/api/progress?userId={U}"),
        ("s", "/api/chat/sessions"))}
    for method, pattern in JSON_ROUTES:
        path = pattern.format(**ids)
        for body, ctype, status, message in BAD_BODIES:
            r = server.request(method, path, body=body, headers={"Content-Type": ctype})
            assert r.status == status, (method, path, body[:30], r)
            assert r.json["error"].startswith(message), (method, path, body[:30], r)
        r = server.request(method, path)  # no body, no content type
        assert r.status == 400, (method, path, r)
        assert r.json == {"error": "a JSON object body is required (Content-Type: application/json)"}
    assert counts(server) == before
    assert snapshot == {k: get(server, path) for k, path in (
        ("b", f"/api/branches/{b['id']}"), ("n", f"/api/nodes/{n['id']}"),
        ("a", f"/api/assessments/{a['id']}"), ("p", f"/api/progress?userId={U}"),
        ("s", "/api/chat/sessions"))}
    assert server.request("GET", "/api/health").status == 200


def test_empty_json_body_is_an_empty_object(server):
    r = server.request("POST", "/api/branches", body=b"", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json == {"error": "title and userId are required"}


def test_unknown_routes_and_methods(server):
    b = post(server, "/api/branches", {"userId": U, "title": "T"})
    for method, path, status in (
            ("GET", "/api/nope", 404), ("PUT", f"/api/branches/{b['id']}", 405),
            ("DELETE", "/api/branches", 405), ("POST", "/api/nodes/x/children", 405),
            ("GET", "/api/nodes/a/b/c/d", 404), ("PATCH", "/api/progress", 405),
            ("GET", "/api/chat", 404), ("DELETE", "/api/chat/sessions/x", 405),
            ("POST", "/api/health", 405), ("GET", "/api/branchesx", 404)):
        r = server.request(method, path)
        assert r.status == status, (method, path, r)
        assert isinstance(r.json["error"], str)
    assert get(server, f"/api/branches/{b['id']}")["title"] == "T"


def test_odd_ids_and_queries_are_plain_data(server):
    weird = "x'; DROP TABLE nodes; --"
    r = server.request("GET", "/api/nodes/" + quote(weird, safe=""))
    assert r.status == 404 and r.json == {"error": "Node not found"}
    r = server.request("GET", "/api/nodes?userId=" + quote(weird, safe=""))
    assert r.status == 200 and r.json == []
    r = server.request("GET", f"/api/branches?userId={U}&userId=other")
    assert r.status == 400 and "userId" in r.json["error"]  # the original: 500
    assert get(server, "/api/nodes") == []
