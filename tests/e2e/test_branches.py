"""tests/e2e/test_branches.py: the branch routes over HTTP against the real server
(spec/api.md §4, decisions in docs/API.md): shapes, order, errors, and the delete cascade
(everything hanging off a branch goes, in one transaction). Every test runs on SQLite and on
PostgreSQL (both_engines, tests/conftest.py)."""
import re

import pytest

from conftest import DEFAULT_USER
from support.api import allow_deletes, counts as table_counts, post, refuse_deletes

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TABLES = ["branches", "nodes", "node_edges", "topic_documents", "node_contents",
          "node_generations", "assessments", "questions", "answers", "user_node_progress",
          "chat_sessions", "chat_messages", "hint_events"]


def counts(srv):
    return table_counts(srv, TABLES)


def test_create_get_list_shape_and_order(server):
    made = [post(server, "/api/branches", {"title": t, "userId": U}) for t in ("B", "A", "C")]
    b = made[0]
    assert list(b) == ["id", "title", "userId", "createdAt", "updatedAt"]
    assert UUID.match(b["id"]) and b["title"] == "B" and b["userId"] == U
    assert SQLITE_TS.match(b["createdAt"]) and SQLITE_TS.match(b["updatedAt"])
    r = server.request("GET", f"/api/branches/{b['id']}")
    assert r.status == 200 and r.json == b
    assert r.headers["content-type"].startswith("application/json")
    r = server.request("GET", f"/api/branches?userId={U}")
    assert r.status == 200 and [x["id"] for x in r.json] == [x["id"] for x in made]
    r = server.request("GET", "/api/branches?userId=nobody")
    assert r.status == 200 and r.json == []


def test_list_requires_user(server):
    for q in ("", "?userId=", "?other=1"):
        r = server.request("GET", "/api/branches" + q)
        assert r.status == 400 and r.json == {"error": "userId query param required"}


def test_get_missing(server):
    r = server.request("GET", "/api/branches/nope")
    assert r.status == 404 and r.json == {"error": "Branch not found"}


def test_create_bad_input(server):
    for body in ({}, {"title": "x"}, {"userId": U}, {"title": "", "userId": U},
                 {"title": "x", "userId": None}, {"title": 0, "userId": U},
                 {"title": False, "userId": U}):
        r = server.request("POST", "/api/branches", json=body)
        assert r.status == 400 and r.json == {"error": "title and userId are required"}, body
    r = server.request("POST", "/api/branches", json={"title": 123, "userId": U})
    assert r.status == 400 and "title" in r.json["error"] and "string" in r.json["error"]
    r = server.request("POST", "/api/branches", json={"title": ["a", "b"], "userId": U})
    assert r.status == 400 and "title" in r.json["error"]
    r = server.request("POST", "/api/branches", json={"title": "x", "userId": {"a": 1}})
    assert r.status == 400 and "userId" in r.json["error"]
    r = server.request("POST", "/api/branches", json={"title": "x", "userId": "ghost"})
    assert r.status == 404 and r.json == {"error": "userId ghost not found"}
    r = server.request("POST", "/api/branches", body='{"title": "x",',
                       headers={"Content-Type": "application/json"})
    assert r.status == 400 and isinstance(r.json["error"], str)
    r = server.request("POST", "/api/branches", body="null",
                       headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = server.request("POST", "/api/branches", json=[{"title": "x", "userId": U}])
    assert r.status == 400
    r = server.request("POST", "/api/branches", body="title=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415 and r.json == {
        "error": "unsupported Content-Type 'application/x-www-form-urlencoded': send application/json"}
    big = {"title": "x" * (101 * 1024), "userId": U}
    r = server.request("POST", "/api/branches", json=big)
    assert r.status == 413
    assert counts(server)["branches"] == 0


def test_title_kept_verbatim_and_unicode(server):
    b = post(server, "/api/branches", {"title": "  Ünïcode \"q\" /\n ", "userId": U, "x": 1})
    assert b["title"] == "  Ünïcode \"q\" /\n "


def test_patch(server):
    b = post(server, "/api/branches", {"title": "old", "userId": U})
    r = server.request("PATCH", f"/api/branches/{b['id']}", json={"title": "new", "userId": "x"})
    assert r.status == 200 and r.json["title"] == "new" and r.json["userId"] == U
    assert ISO_TS.match(r.json["updatedAt"]) and r.json["createdAt"] == b["createdAt"]
    r = server.request("PATCH", f"/api/branches/{b['id']}", json={})
    assert r.status == 200 and r.json["title"] == "new"
    r = server.request("PATCH", f"/api/branches/{b['id']}", json={"title": ""})
    assert r.status == 200 and r.json["title"] == ""
    r = server.request("PATCH", f"/api/branches/{b['id']}", json={"title": None})
    assert r.status == 400 and "title" in r.json["error"]
    r = server.request("PATCH", f"/api/branches/{b['id']}", json={"title": 5})
    assert r.status == 400
    assert server.request("GET", f"/api/branches/{b['id']}").json["title"] == ""
    r = server.request("PATCH", "/api/branches/nope", json={"title": "x"})
    assert r.status == 404 and r.json == {"error": "Branch not found"}
    r = server.request("PATCH", f"/api/branches/{b['id']}", body="{oops",
                       headers={"Content-Type": "application/json"})
    assert r.status == 400


def test_delete_empty_and_missing(server):
    b = post(server, "/api/branches", {"title": "x", "userId": U})
    r = server.request("DELETE", f"/api/branches/{b['id']}")
    assert r.status == 204 and r.raw == b""
    r = server.request("DELETE", f"/api/branches/{b['id']}")
    assert r.status == 404 and r.json == {"error": "Branch not found"}
    assert server.request("GET", f"/api/branches/{b['id']}").status == 404


def build_graph(srv, title):
    """A branch with a root, a concept, a subconcept and one row in every dependent table."""
    b = post(srv, "/api/branches", {"title": title, "userId": U})
    root = post(srv, "/api/nodes", {"userId": U, "type": "root", "branchId": b["id"],
                                     "parentId": None, "title": title})
    c = post(srv, "/api/nodes", {"userId": U, "type": "concept", "branchId": b["id"],
                                  "parentId": root["id"], "title": "c"})
    c2 = post(srv, "/api/nodes", {"userId": U, "type": "concept", "branchId": b["id"],
                                   "parentId": root["id"], "title": "c2"})
    s = post(srv, "/api/nodes", {"userId": U, "type": "subconcept", "branchId": b["id"],
                                  "parentId": c["id"], "title": "s"})
    srv.sql_exec("INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?,?,?)",
                 f"e-{title}", c["id"], c2["id"])
    srv.sql_exec("INSERT INTO topic_documents (id, node_id, original_filename, s3_key, mime_type,"
                 " file_size_bytes, extraction_status) VALUES (?,?,?,?,?,?,?)",
                 f"d-{title}", root["id"], "a.txt", f"documents/d-{title}.txt", "text/plain",
                 3, "completed")
    post(srv, f"/api/nodes/{s['id']}/contents", {"explanationMd": "x"})
    post(srv, f"/api/nodes/{s['id']}/generations", {"trigger": "on_first_enter"})
    post(srv, "/api/progress", {"userId": U, "nodeId": s["id"]})
    a = post(srv, "/api/assessments", {"userId": U, "targetNodeId": c["id"]})
    q = post(srv, f"/api/assessments/{a['id']}/questions", {"format": "mcq", "prompt": "p",
                                                             "nodeId": c["id"]})
    post(srv, f"/api/assessments/{a['id']}/answers", {"userId": U, "questionId": q["id"]})
    ses = post(srv, "/api/chat/sessions", {"userId": U, "nodeId": s["id"]})
    m = post(srv, f"/api/chat/sessions/{ses['id']}/messages",
             {"userId": U, "role": "user", "content": "hi"})
    post(srv, "/api/chat/hints", {"userId": U, "nodeId": s["id"], "sessionId": ses["id"],
                                  "requestMessageId": m["id"]})
    return dict(branch=b, root=root, concept=c, concept2=c2, sub=s, assessment=a, question=q,
                session=ses, message=m)


def test_delete_cascade_removes_everything_and_only_that(server):
    keep = build_graph(server, "keep")
    before_keep = counts(server)
    g = build_graph(server, "gone")
    # references from outside the branch that the original's cascade tripped over
    outside = post(server, "/api/nodes", {"userId": U, "type": "concept", "branchId": None,
                                          "parentId": g["concept"]["id"], "title": "stray child"})
    oq = post(server, f"/api/assessments/{keep['assessment']['id']}/questions",
              {"format": "open_ended", "prompt": "tagged", "nodeId": g["sub"]["id"]})
    oh = post(server, "/api/chat/hints", {"userId": U, "nodeId": keep["sub"]["id"],
                                          "sessionId": g["session"]["id"],
                                          "responseMessageId": g["message"]["id"]})
    r = server.request("DELETE", f"/api/branches/{g['branch']['id']}")
    assert r.status == 204, r
    after = counts(server)
    # the kept branch is intact (plus the one question and hint event added from outside)
    expect = dict(before_keep)
    expect["questions"] += 1
    expect["hint_events"] += 1
    assert after == expect
    assert server.request("GET", f"/api/nodes/{outside['id']}").status == 404
    q = [x for x in server.request("GET", f"/api/assessments/{keep['assessment']['id']}/questions").json
         if x["id"] == oq["id"]][0]
    assert q["nodeId"] is None
    h = [x for x in server.request("GET", "/api/chat/hints").json if x["id"] == oh["id"]][0]
    assert h["sessionId"] is None and h["responseMessageId"] is None
    assert server.request("GET", f"/api/branches/{keep['branch']['id']}").status == 200
    assert server.request("GET", f"/api/nodes/{keep['sub']['id']}").status == 200


def test_delete_is_all_or_nothing(server):
    g = build_graph(server, "g")
    before = counts(server)
    refuse_deletes(server, "branches")
    r = server.request("DELETE", f"/api/branches/{g['branch']['id']}")
    assert r.status == 409, r
    assert r.json["error"].startswith("Branch could not be deleted (nothing was changed)")
    assert counts(server) == before
    allow_deletes(server, "branches")
    assert server.request("DELETE", f"/api/branches/{g['branch']['id']}").status == 204
    assert all(v == 0 for v in counts(server).values())


def test_delete_removes_document_bytes(start_server, tmp_path):
    srv = start_server(env={"STORAGE_DIR": str(tmp_path / "objs")})
    g = build_graph(srv, "docs")
    f = tmp_path / "objs" / "documents" / "d-docs.txt"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("abc")
    assert srv.request("DELETE", f"/api/branches/{g['branch']['id']}").status == 204
    assert not f.exists()
