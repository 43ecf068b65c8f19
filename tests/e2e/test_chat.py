"""tests/e2e/test_chat.py: chat sessions, messages and hint events over HTTP (spec/api.md §10,
docs/API.md): shapes, orders per filter, session end rules, message insertion order within
one second, JSON-in-text fields, bad input. On SQLite and PostgreSQL (both_engines)."""
import json
import re

import pytest

from conftest import DEFAULT_USER
from support.api import a_node, add_user, count, post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
S_KEYS = ["id", "userId", "nodeId", "startedAt", "endedAt"]
M_KEYS = ["id", "sessionId", "userId", "role", "kind", "content", "wasSuccessful",
          "successSignal", "createdAt"]
H_KEYS = ["id", "userId", "nodeId", "sessionId", "requestMessageId", "responseMessageId",
          "referencedSuccessMessageIds", "createdAt"]


def test_sessions(server):
    n1, n2 = a_node(server, "1"), a_node(server, "2")
    s = post(server, "/api/chat/sessions", {"userId": U, "nodeId": n1["id"]})
    assert list(s) == S_KEYS and SQLITE_TS.match(s["startedAt"]) and s["endedAt"] is None
    s0 = post(server, "/api/chat/sessions", {"userId": U, "nodeId": ""})
    assert s0["nodeId"] is None
    add_user(server, "u2")  # and an older session, to check startedAt order
    server.sql_exec("INSERT INTO chat_sessions (id, user_id, node_id, started_at) VALUES "
                    "('old', ?, ?, '2020-01-01 00:00:00')", U, n1["id"])
    server.sql_exec("INSERT INTO chat_sessions (id, user_id, node_id) VALUES ('u2s', 'u2', ?)",
                    n2["id"])
    ids = lambda q: [x["id"] for x in server.request("GET", "/api/chat/sessions" + q).json]
    assert ids("") == [s["id"], s0["id"], "old", "u2s"]
    assert ids(f"?userId={U}") == ["old", s["id"], s0["id"]]
    assert ids(f"?userId={U}&nodeId={n1['id']}") == ["old", s["id"]]
    assert ids(f"?nodeId={n2['id']}") == ["u2s"]
    assert ids("?userId=&nodeId=") == [s["id"], s0["id"], "old", "u2s"]
    for body in ({}, {"userId": ""}, {"nodeId": n1["id"]}):
        r = server.request("POST", "/api/chat/sessions", json=body)
        assert r.status == 400 and r.json == {"error": "userId is required"}
    r = server.request("POST", "/api/chat/sessions", json={"userId": U, "nodeId": "gone"})
    assert r.status == 404 and r.json == {"error": "nodeId gone not found"}
    assert count(server, "chat_sessions") == 4


def test_session_end(server):
    s = post(server, "/api/chat/sessions", {"userId": U})
    path = f"/api/chat/sessions/{s['id']}"
    r = server.request("PATCH", path, json={})
    assert r.status == 200 and ISO_TS.match(r.json["endedAt"])
    r = server.request("PATCH", path, json={"endedAt": "2030-01-01T00:00:00.000Z"})
    assert r.json["endedAt"] == "2030-01-01T00:00:00.000Z"
    r = server.request("PATCH", path, json={"endedAt": None})
    assert r.status == 200 and ISO_TS.match(r.json["endedAt"])
    assert r.json["endedAt"] != "2030-01-01T00:00:00.000Z"
    r = server.request("PATCH", path, json={"endedAt": 5})
    assert r.status == 400 and "endedAt" in r.json["error"]
    r = server.request("PATCH", path)
    assert r.status == 400 and r.json == {
        "error": "a JSON object body is required (Content-Type: application/json)"}
    r = server.request("PATCH", "/api/chat/sessions/nope", json={})
    assert r.status == 404 and r.json == {"error": "Session not found"}


def test_messages(server):
    s = post(server, "/api/chat/sessions", {"userId": U})
    path = f"/api/chat/sessions/{s['id']}/messages"
    m = post(server, path, {"userId": U, "role": "user", "content": "[ANSWER] 4", "kind": "",
                            "wasSuccessful": False, "successSignal": {"ok": True}})
    assert list(m) == M_KEYS
    assert m["kind"] == "learning" and m["wasSuccessful"] is False
    assert m["successSignal"] == '{"ok":true}' and m["sessionId"] == s["id"]
    made = [m] + [post(server, path, {"userId": U, "role": r, "content": f"m{i}",
                                      "kind": "hint_request" if i % 2 else "learning",
                                      "wasSuccessful": None if i % 3 else True})
                  for i, r in enumerate(["assistant", "user", "system", "assistant"] * 5)]
    got = server.request("GET", path).json
    assert [x["id"] for x in got] == [x["id"] for x in made]  # insertion order within a second
    assert got[1]["wasSuccessful"] is True and got[2]["wasSuccessful"] is None
    assert server.request("GET", "/api/chat/sessions/nope/messages").json == []
    for body in ({}, {"userId": U, "role": "user"}, {"userId": U, "content": "c"},
                 {"role": "user", "content": "c"}, {"userId": U, "role": "user", "content": ""}):
        r = server.request("POST", path, json=body)
        assert r.status == 400 and r.json == {"error": "userId, role, and content are required"}
    r = server.request("POST", path, json={"userId": U, "role": "robot", "content": "c"})
    assert r.status == 400 and r.json == {"error": "role must be one of: system, user, assistant"}
    r = server.request("POST", path, json={"userId": U, "role": "user", "content": "c",
                                           "kind": "chit-chat"})
    assert r.status == 400 and r.json["error"].startswith("kind must be one of: ")
    r = server.request("POST", path, json={"userId": U, "role": "user", "content": "c",
                                           "wasSuccessful": "yes"})
    assert r.status == 400 and "wasSuccessful" in r.json["error"]
    r = server.request("POST", "/api/chat/sessions/nope/messages",
                       json={"userId": U, "role": "user", "content": "c"})
    assert r.status == 404 and r.json == {"error": "Session not found"}
    r = server.request("POST", path, json={"userId": "ghost", "role": "user", "content": "c"})
    assert r.status == 404 and r.json == {"error": "userId ghost not found"}
    r = server.request("POST", path, json={"userId": U, "role": "user", "content": "c" * 110000})
    assert r.status == 413
    assert count(server, "chat_messages") == 21


def test_message_order_is_created_at_then_insertion(server):
    """The list's ORDER BY created_at, rowid, with timestamps written out of insertion order and
    ties between them, another session's messages in between (PostgreSQL reads it straight from
    chat_messages_session_created_idx, which ends with rowid there: no sort). The reply's bytes
    are JSON.stringify's of the rows in that order, escapes included, on both engines."""
    s = post(server, "/api/chat/sessions", {"userId": U})
    other = post(server, "/api/chat/sessions", {"userId": U})
    path = f"/api/chat/sessions/{s['id']}/messages"
    texts = ['plain', 'quote " and \\ backslash', 'line\nbreak\ttab\r', 'ctl \x01\x1f end',
             'caf\u00e9 \u2028 \U0001f331', 'x' * 40 + '"', '', ' ']
    stamps = ["2026-01-01 10:00:05", "2026-01-01 10:00:01", "2026-01-01 10:00:05",
              "2026-01-01 09:59:59", "2026-01-01 10:00:01", "2026-01-01 10:00:05",
              "2026-01-01 10:00:01", "2026-01-01 10:00:00"]
    made = []
    for i, (text, stamp) in enumerate(zip(texts, stamps)):
        m = post(server, path, {"userId": U, "role": "user", "content": text or "-",
                                "wasSuccessful": [None, True, False][i % 3]})
        post(server, f"/api/chat/sessions/{other['id']}/messages",
             {"userId": U, "role": "assistant", "content": "other %d" % i})
        server.sql_exec("UPDATE chat_messages SET created_at = ?, content = ? WHERE id = ?",
                        stamp, text, m["id"])
        made.append(dict(m, createdAt=stamp, content=text))
    want = sorted(made, key=lambda m: m["createdAt"])  # stable: insertion order among ties
    r = server.request("GET", path)
    assert r.status == 200
    assert [m["id"] for m in r.json] == [m["id"] for m in want]
    assert r.raw == json.dumps(want, ensure_ascii=False, separators=(",", ":")).encode()


def test_hints(server):
    n1, n2 = a_node(server, "1"), a_node(server, "2")
    s = post(server, "/api/chat/sessions", {"userId": U, "nodeId": n1["id"]})
    m = post(server, f"/api/chat/sessions/{s['id']}/messages",
             {"userId": U, "role": "user", "content": "help"})
    h = post(server, "/api/chat/hints", {"userId": U, "nodeId": n2["id"], "sessionId": s["id"],
                                         "requestMessageId": m["id"], "responseMessageId": "",
                                         "referencedSuccessMessageIds": [m["id"]]})
    assert list(h) == H_KEYS
    assert h["responseMessageId"] is None and h["referencedSuccessMessageIds"] == f'["{m["id"]}"]'
    h2 = post(server, "/api/chat/hints", {"userId": U, "nodeId": n1["id"]})
    assert h2["sessionId"] is None and h2["referencedSuccessMessageIds"] is None
    h3 = post(server, "/api/chat/hints", {"userId": U, "nodeId": n2["id"]})
    ids = lambda q: [x["id"] for x in server.request("GET", "/api/chat/hints" + q).json]
    assert ids("") == [h["id"], h2["id"], h3["id"]]
    assert ids(f"?nodeId={n2['id']}") == [h["id"], h3["id"]]
    assert ids(f"?userId={U}&nodeId={n2['id']}") == [h["id"], h3["id"]]
    by_node = sorted([(n2["id"], 0, h["id"]), (n1["id"], 1, h2["id"]), (n2["id"], 2, h3["id"])])
    assert ids(f"?userId={U}") == [x[2] for x in by_node]
    for body in ({}, {"userId": U}, {"nodeId": n1["id"]}):
        r = server.request("POST", "/api/chat/hints", json=body)
        assert r.status == 400 and r.json == {"error": "userId and nodeId are required"}
    for field in ("sessionId", "requestMessageId", "responseMessageId"):
        r = server.request("POST", "/api/chat/hints", json={"userId": U, "nodeId": n1["id"],
                                                            field: "zz"})
        assert r.status == 404 and r.json == {"error": f"{field} zz not found"}
    assert count(server, "hint_events") == 3
