"""tests/e2e/test_pg_serve.py: `sprout serve` on PostgreSQL (issue 9, points 4 and 5) against the
run's throw-away server (tests/support/pgserver.py).

- One script of REST calls (branches, nodes, edges, progress, assessments, answers, contents,
  chat, patches, branch delete) gives the same statuses and the same JSON on SQLite and on
  PostgreSQL, ids and timestamps aside (they are checked for their formats instead).
- Two instances on one database: what one writes the other reads; simultaneous first visits
  through both make one progress row.
- The database goes away: requests answer 503 JSON at once; when it is back, the same server
  answers again, and the write acknowledged before is there.
The REST suites themselves run on both engines (pytest.mark.both_engines); the script above stays
as the one place that compares whole replies across the two engines.
"""
import os
import re
import threading
import time

import pytest

from conftest import DEFAULT_USER
from support.pgserver import PgServer, _bin

pytestmark = pytest.mark.one_engine("compares the two engines itself")

U = DEFAULT_USER
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{3}Z)?$")


def script(srv):
    """Run the calls; return [(status, body)] with ids numbered by first appearance and
    timestamps replaced by their format."""
    seen = {}
    out = []

    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, str) and UUID.match(v):
            return "id#%d" % seen.setdefault(v, len(seen))
        if isinstance(v, str) and TS.match(v):
            return "ts(iso)" if v.endswith("Z") else "ts(sql)"
        return v

    def call(method, path, body=None):
        r = srv.request(method, path, json=body)
        label = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", path)
        out.append((method, label, r.status, norm(r.json) if r.raw else None))
        return r.json if r.raw else None

    b = call("POST", "/api/branches", {"title": "Algebra", "userId": U})
    root = call("POST", "/api/nodes", {"userId": U, "type": "root", "branchId": b["id"],
                                       "title": "Root", "desc": "d"})
    kids = [call("POST", "/api/nodes", {"userId": U, "type": "concept", "branchId": b["id"],
                                        "parentId": root["id"], "title": "C%d" % i,
                                        "accuracyScore": 0.5})
            for i in range(3)]
    call("POST", "/api/nodes", {"userId": U, "type": "concept", "title": "t",
                                "parentId": "ghost"})
    call("GET", "/api/nodes?userId=%s&branchId=%s" % (U, b["id"]))
    call("GET", "/api/nodes/%s/children" % root["id"])
    call("PATCH", "/api/nodes/" + kids[1]["id"], {"title": "C1b"})
    call("POST", "/api/progress", {"userId": U, "nodeId": kids[0]["id"], "masteryScore": 0.4})
    call("POST", "/api/progress", {"userId": U, "nodeId": kids[0]["id"]})
    p = call("GET", "/api/progress?userId=" + U)
    call("PATCH", "/api/progress/" + p[0]["id"], {"masteryScore": 0.75,
                                                   "hasGeneratedSubnodes": True})
    a = call("POST", "/api/assessments", {"userId": U, "targetNodeId": kids[0]["id"],
                                          "type": "diagnostic", "title": "Quiz"})
    q = call("POST", "/api/assessments/%s/questions" % a["id"],
             {"format": "mcq", "prompt": "2+2?", "options": ["3", "4"], "correctAnswer": "4",
              "gradingRubric": {"points": 1}, "nodeId": kids[0]["id"], "difficulty": 2})
    call("GET", "/api/assessments/%s/questions" % a["id"])
    call("POST", "/api/assessments/%s/answers" % a["id"],
         {"userId": U, "questionId": q.get("id"), "answerText": "4", "selectedOption": "4"})
    call("GET", "/api/assessments/%s/answers" % a["id"])
    call("PATCH", "/api/assessments/" + a["id"], {"title": "Quiz 2"})
    call("GET", "/api/assessments?userId=" + U)
    call("POST", "/api/nodes/%s/contents" % kids[2]["id"],
         {"explanationMd": "# E", "visualizationKind": "", "generatedByModel": "m",
          "cards": "[1]"})
    call("GET", "/api/nodes/%s/contents" % kids[2]["id"])
    s = call("POST", "/api/chat/sessions", {"userId": U, "nodeId": kids[0]["id"]})
    call("POST", "/api/chat/sessions/%s/messages" % s["id"],
         {"userId": U, "role": "user", "content": "[ANSWER] 4", "wasSuccessful": False,
          "successSignal": {"ok": True}})
    call("GET", "/api/chat/sessions/%s/messages" % s["id"])
    call("GET", "/api/nodes/%s/dependency-edges" % kids[0]["id"])
    call("DELETE", "/api/branches/" + b["id"])
    call("GET", "/api/nodes/" + root["id"])
    call("GET", "/api/nodes?userId=" + U)
    call("GET", "/api/progress?userId=" + U)
    call("DELETE", "/api/branches/" + b["id"])
    return out


def test_same_replies_on_sqlite_and_postgresql(start_server, pg_url, tmp_path):
    lite = script(start_server(db=tmp_path / "lite.db"))
    pg = script(start_server(db=tmp_path / "unused.db", env={"DATABASE_URL": pg_url}))
    assert len(lite) == len(pg)
    for a, b in zip(lite, pg):
        assert a == b
    statuses = {s for _, _, s, _ in lite}
    assert 201 in statuses and 200 in statuses and 404 in statuses  # the script did real work


def test_list_order_after_an_update(start_server, pg_url, tmp_path):
    """Lists end their ORDER BY with rowid: insertion order on both engines, an updated row
    keeps its place (PostgreSQL's rowid is a real identity column, never in the JSON)."""
    srv = start_server(db=tmp_path / "o.db", env={"DATABASE_URL": pg_url})
    made = [srv.request("POST", "/api/nodes", json={"userId": U, "type": "root",
                                                    "title": "n%d" % i}).json for i in range(3)]
    assert srv.request("PATCH", "/api/nodes/" + made[0]["id"], json={"title": "first"}).status == 200
    got = srv.request("GET", "/api/nodes?userId=" + U).json
    assert [x["id"] for x in got] == [x["id"] for x in made]  # SQLite's order: insertion
    assert got[0]["title"] == "first" and all("rowid" not in x for x in got)
    assert sorted(made[0]) == sorted(got[0])


def test_two_instances_share_one_database(start_server, pg_url, tmp_path):
    one = start_server(db=tmp_path / "a.db", env={"DATABASE_URL": pg_url})
    two = start_server(db=tmp_path / "b.db", env={"DATABASE_URL": pg_url})
    b = one.request("POST", "/api/branches", json={"title": "shared", "userId": U})
    assert b.status == 201
    got = two.request("GET", "/api/branches/" + b.json["id"])
    assert got.status == 200 and got.json == b.json
    n = two.request("POST", "/api/nodes", json={"userId": U, "type": "root", "title": "r"}).json
    statuses = []

    def visit(srv):
        statuses.append(srv.request("POST", "/api/progress",
                                    json={"userId": U, "nodeId": n["id"]}).status)
    threads = [threading.Thread(target=visit, args=(s,)) for s in (one, two) * 5]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [201]
    rows = one.request("GET", "/api/progress?userId=" + U).json
    assert len(rows) == 1 and rows[0]["attemptsCount"] == 10


def _pg_ctl(srv, *args):
    p = srv._run([_bin("pg_ctl"), "-D", srv.data, *args], cwd=srv.base)
    assert p.returncode == 0, p.stdout + p.stderr


def test_database_gone_then_back(start_server, tmp_path):
    srv = PgServer.start()  # its own server: this test stops it
    try:
        url = srv.create_database()
        api = start_server(db=tmp_path / "x.db", env={"DATABASE_URL": url})
        b = api.request("POST", "/api/branches", json={"title": "kept", "userId": U})
        assert b.status == 201
        _pg_ctl(srv, "-m", "fast", "-w", "stop")
        for _ in range(3):
            t0 = time.monotonic()
            r = api.request("GET", "/api/branches?userId=" + U, timeout=10)
            assert r.status == 503 and "error" in r.json, r
            assert time.monotonic() - t0 < 5
        w = api.request("POST", "/api/branches", json={"title": "lost", "userId": U})
        assert w.status == 503 and "error" in w.json
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (srv.port, srv.data))
        _pg_ctl(srv, "-o", opts, "-l", os.path.join(srv.base, "log"), "-w", "-t", "60", "start")
        r = api.request("GET", "/api/branches?userId=" + U)
        assert r.status == 200
        assert [x["title"] for x in r.json] == ["kept"]
    finally:
        srv.stop()
