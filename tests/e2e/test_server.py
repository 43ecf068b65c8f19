"""tests/e2e/test_server.py: `sprout serve` itself: start-up (migrate, backup, seed, refusals,
PORT/HOST/.env), routing (404/405/HEAD/case/trailing slash/percent-decoding), CORS, JSON body
rules and limits, multipart plumbing, keep-alive, the request log, garbage on the socket, and a
clean stop (in-flight request finished, WAL checkpointed).
Every test drives the real debug binary over loopback, on SQLite and on PostgreSQL
(both_engines); the WAL checkpoint and the SQLite file backups are SQLite-only."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import (BIN, DATA, DEFAULT_USER, ROOT, assert_no_sanitizer_report, free_port, run_sprout,
                      sql_rows)

pytestmark = pytest.mark.both_engines
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LIMIT = 102400


# ---------- helpers ----------

def launch(cwd, args=(), env=None, keep_port_env=False):
    """Start `sprout serve` with exactly the given environment additions (no PORT unless given);
    return (proc, port, log_path) once the banner is printed."""
    e = dict(os.environ)
    for k in ("PORT", "HOST", "DB_PATH", "DATABASE_URL", "AWS_S3_BUCKET"):
        e.pop(k, None)
    e.update(env or {})
    log = Path(cwd) / f"launch-{time.monotonic_ns()}.log"
    f = open(log, "w")
    p = subprocess.Popen([BIN, "serve", *map(str, args)], cwd=cwd, env=e, stdout=f,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    f.close()
    deadline = time.time() + 20
    while time.time() < deadline:
        m = re.search(r"Sprout backend running on http://localhost:(\d+)", log.read_text())
        if m:
            return p, int(m.group(1)), log
        if p.poll() is not None:
            raise AssertionError("server exited early:\n" + log.read_text())
        time.sleep(0.02)
    p.kill()
    raise AssertionError("no banner:\n" + log.read_text())


def stop(p, log):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)
    out = log.read_text()
    assert_no_sanitizer_report(out)
    assert p.returncode == 0, out
    return out


def get(host, port, path):
    c = http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def body_of_size(n):
    """A valid POST /api/branches body of exactly n bytes."""
    base = {"userId": DEFAULT_USER, "title": ""}
    pad = n - len(json.dumps(base, separators=(",", ":")))
    base["title"] = "x" * pad
    b = json.dumps(base, separators=(",", ":")).encode()
    assert len(b) == n
    return b


def make_root_node(server):
    br = server.request("POST", "/api/branches", json={"userId": DEFAULT_USER, "title": "B"})
    assert br.status == 201, br
    nd = server.request("POST", "/api/nodes", json={"userId": DEFAULT_USER, "type": "root",
                                                     "branchId": br.json["id"], "title": "R"})
    assert nd.status == 201, nd
    return nd.json["id"]


def multipart(parts, boundary="XyZbOuNdArY", close=True):
    out = b""
    for name, filename, ctype, data in parts:
        out += f"--{boundary}\r\n".encode()
        disp = f'form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += f"Content-Disposition: {disp}\r\n".encode("utf-8")
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


# ---------- health, CORS, routing ----------

def test_health_shape_and_iso_timestamp(server):
    r = server.request("GET", "/api/health")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json
    assert list(body) == ["status", "timestamp"] and body["status"] == "ok"
    assert ISO_RE.match(body["timestamp"]), body
    ts = datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - ts).total_seconds()) < 60


@pytest.mark.parametrize("path", ["/api/branches", "/no/such/path"])
def test_cors_preflight_on_existing_and_missing_paths(server, path):
    r = server.request("OPTIONS", path, headers={"Origin": "http://localhost:3000",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "content-type,x-extra"})
    assert r.status == 204 and r.raw == b""
    assert r.headers["content-length"] == "0"
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert r.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert r.headers["access-control-allow-headers"] == "content-type,x-extra"
    assert r.headers["vary"] == "Origin, Access-Control-Request-Headers"
    assert "content-type" not in r.headers and "access-control-max-age" not in r.headers


def test_preflight_without_request_headers_has_no_allow_headers(server):
    r = server.request("OPTIONS", "/api/nodes")
    assert r.status == 204
    assert "access-control-allow-headers" not in r.headers


def test_allow_origin_on_success_and_errors(server):
    for method, path, want in [("GET", "/api/health", 200), ("GET", "/nope", 404),
                               ("PUT", "/api/branches/x", 405), ("GET", "/api/branches", 400)]:
        r = server.request(method, path, headers={"Origin": "http://127.0.0.1:5173"})
        assert r.status == want, (method, path, r)
        assert r.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


def test_unknown_route_is_404_json(server):
    r = server.request("GET", "/api/unknown/thing")
    assert r.status == 404
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.json == {"error": "Cannot GET /api/unknown/thing"}
    r = server.request("DELETE", "/")
    assert r.status == 404 and r.json == {"error": "Cannot DELETE /"}


def test_wrong_method_is_405_with_allow(server):
    r = server.request("PUT", "/api/branches/abc")
    assert r.status == 405
    assert r.json == {"error": "Cannot PUT /api/branches/abc"}
    allow = [m.strip() for m in r.headers["allow"].split(",")]
    assert set(allow) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}
    r = server.request("DELETE", "/api/health")
    assert r.status == 405 and "GET" in r.headers["allow"]


def test_head_runs_get_without_body(server):
    g = server.request("GET", "/api/health")
    h = server.request("HEAD", "/api/health")
    assert h.status == 200 and h.raw == b""
    assert h.headers["content-type"] == "application/json; charset=utf-8"
    assert int(h.headers["content-length"]) == len(g.raw)
    h = server.request("HEAD", f"/api/branches?userId={DEFAULT_USER}")
    assert h.status == 200 and h.raw == b""


def test_case_insensitive_paths_and_trailing_slash(server):
    created = server.request("POST", "/API/Branches/", json={"userId": DEFAULT_USER, "title": "Case"})
    assert created.status == 201, created
    bid = created.json["id"]
    for path in [f"/api/branches?userId={DEFAULT_USER}", f"/API/BRANCHES?userId={DEFAULT_USER}",
                 f"/api/branches/?userId={DEFAULT_USER}"]:
        r = server.request("GET", path)
        assert r.status == 200 and [b["id"] for b in r.json] == [bid], (path, r)
    assert server.request("GET", f"/Api/Branches/{bid}/").json["title"] == "Case"
    # the parameter keeps its case; two trailing slashes are not tolerated
    assert server.request("GET", f"/api/branches/{bid.upper()}").status == 404
    assert server.request("GET", "/api/health//").status == 404


def test_path_parameters_are_percent_decoded(server):
    r = server.request("GET", "/api/nodes/a%2Fb%20c")
    assert r.status == 404 and r.json == {"error": "Node not found"}
    created = server.request("POST", "/api/branches", json={"userId": DEFAULT_USER, "title": "P"})
    bid = created.json["id"]
    enc = "".join(f"%{ord(ch):02X}" for ch in bid)
    assert server.request("GET", f"/api/branches/{enc}").json["id"] == bid
    bad = server.request("GET", "/api/nodes/%zz")
    assert bad.status == 400 and "percent" in bad.json["error"]


def test_repeated_query_key_is_400(server):
    r = server.request("GET", "/api/branches?userId=a&userId=b")
    assert r.status == 400
    assert r.json == {"error": "query parameter 'userId' given more than once"}


def test_too_many_query_parameters_is_400_naming_the_limit(server):
    ok = "&".join(f"k{i}=v" for i in range(32))  # API_MAX_QUERY
    assert server.request("GET", f"/api/branches?userId=u&{ok[:ok.rindex('&')]}").status == 200
    r = server.request("GET", f"/api/branches?userId=u&{ok}")
    assert r.status == 400
    assert r.json == {"error": "too many query parameters (limit 32)"}


def test_query_values_are_decoded(server):
    created = server.request("POST", "/api/branches", json={"userId": DEFAULT_USER, "title": "Q"})
    assert created.status == 201
    enc = DEFAULT_USER.replace("-", "%2D")
    r = server.request("GET", f"/api/branches?userId={enc}")
    assert r.status == 200 and [b["id"] for b in r.json] == [created.json["id"]]


def test_agent_routes_without_a_model_answer_503_naming_the_variables(server):
    for method, path in [("POST", "/api/agents/topics/t1/run"),
                         ("GET", "/api/agents/concepts/c1/diagnostic"),
                         ("POST", "/api/chat/sessions/s1/tutor"),
                         ("POST", "/api/nodes/n1/generate-concepts")]:
        r = server.request(method, path, json={"userId": DEFAULT_USER})
        assert r.status == 503, (path, r)
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        assert r.json["error"].startswith("No model is configured"), r.json
        assert "ANTHROPIC_API_KEY" in r.json["error"] and "OPENAI_BASE_URL" in r.json["error"]


# ---------- JSON bodies ----------

def test_malformed_json_is_400(server):
    r = server.request("POST", "/api/branches", body=b'{"title": "x",',
                       headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert re.match(r"^malformed JSON: .+ at line \d+ column \d+$", r.json["error"]), r.json


def test_non_object_json_is_400(server):
    for raw in [b"[1,2]", b"null", b'"text"', b"42"]:
        r = server.request("POST", "/api/branches", body=raw, headers={"Content-Type": "application/json"})
        assert r.status == 400, raw
        assert "must be a JSON object" in r.json["error"]


def test_invalid_utf8_json_is_400(server):
    r = server.request("POST", "/api/branches", body=b'{"userId":"x","title":"\xff\xfe"}',
                       headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json["error"].startswith("malformed JSON")


def test_wrong_content_type_is_415(server):
    r = server.request("POST", "/api/branches", body=b"title=x", headers={"Content-Type": "text/plain"})
    assert r.status == 415
    assert "application/json" in r.json["error"]


def test_json_content_type_with_parameters_and_empty_body(server):
    r = server.request("POST", "/api/branches", body=json.dumps({"userId": DEFAULT_USER, "title": "T"}),
                       headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert r.status == 201, r
    # an empty JSON body is {}: the handler's own required-field message
    r = server.request("POST", "/api/branches", body=b"", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json == {"error": "title and userId are required"}


def test_body_at_limit_accepted_one_past_is_413(server):
    ok = server.request("POST", "/api/branches", body=body_of_size(LIMIT),
                        headers={"Content-Type": "application/json"})
    assert ok.status == 201, ok
    assert len(ok.json["title"]) > 102000
    big = server.request("POST", "/api/branches", body=body_of_size(LIMIT + 1),
                         headers={"Content-Type": "application/json"})
    assert big.status == 413
    assert big.json == {"error": "request body too large (limit 102400 bytes)"}
    listed = server.request("GET", f"/api/branches?userId={DEFAULT_USER}").json
    assert len(listed) == 1


def test_chunked_body_past_limit_is_413(server):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    data = body_of_size(LIMIT + 5000)
    chunks = (data[i:i + 8192] for i in range(0, len(data), 8192))
    c.request("POST", "/api/branches", body=chunks, headers={"Content-Type": "application/json"},
              encode_chunked=True)
    r = c.getresponse()
    assert r.status == 413
    assert json.loads(r.read()) == {"error": "request body too large (limit 102400 bytes)"}
    c.close()
    # a chunked body under the limit is read normally
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    data = json.dumps({"userId": DEFAULT_USER, "title": "chunked"}).encode()
    c.request("POST", "/api/branches", body=iter([data[:10], data[10:]]),
              headers={"Content-Type": "application/json"}, encode_chunked=True)
    r = c.getresponse()
    assert r.status == 201 and json.loads(r.read())["title"] == "chunked"
    c.close()


def test_declared_oversize_body_is_refused_before_reading(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 5000000000\r\n\r\n{")
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data
    assert b"request body too large" in data


# ---------- connections, log, robustness ----------

def test_keep_alive_two_requests_one_connection(server):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    c.request("GET", "/api/health")
    r1 = c.getresponse()
    r1.read()
    sock = c.sock
    assert sock is not None and r1.getheader("Connection") != "close"
    c.request("OPTIONS", "/api/branches")
    r2 = c.getresponse()
    r2.read()
    c.request("GET", "/nope")
    r3 = c.getresponse()
    r3.read()
    assert (r1.status, r2.status, r3.status) == (200, 204, 404)
    assert c.sock is sock, "connection was not kept alive"
    c.close()


def test_request_log_line(start_server):
    srv = start_server()
    srv.request("GET", "/api/health")
    srv.request("GET", "/api/nope?x=1")
    out = srv.stop()
    assert re.search(r"^GET /api/health 200 \d+\.\d\dms$", out, re.M), out
    assert re.search(r"^GET /api/nope 404 \d+\.\d\dms$", out, re.M), out


def test_quiet_turns_the_log_off(start_server):
    srv = start_server(args=["--quiet"])
    srv.request("GET", "/api/health")
    out = srv.stop()
    assert "/api/health" not in out
    assert "Sprout backend running on" in out


def test_garbage_requests_do_not_crash(server):
    for raw in [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n",
                b"GET /api/health HTTP/9.9\r\n\r\n",
                b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
                b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"]:
        try:
            reply = server.raw(raw, timeout=2)
        except OSError:
            reply = b""
        assert reply == b"" or reply.startswith(b"HTTP/1."), reply[:200]
    assert server.request("GET", "/api/health").status == 200


def test_sigterm_finishes_in_flight_request_and_exits_0(start_server):
    srv = start_server()
    body = json.dumps({"userId": DEFAULT_USER, "title": "in flight"}).encode()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    s.sendall(b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert srv.proc.poll() is None, "server exited with a request in flight"
    # a request that starts during the drain is refused cleanly, not served half-way
    late = srv.request("GET", "/api/health")
    assert late.status == 503 and "shutting down" in late.json["error"]
    s.sendall(body[10:])
    data = b""
    while b"}" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 201"), data
    srv.proc.wait(timeout=20)
    out = srv.stop()
    assert "Sprout backend stopped." in out
    assert [r["title"] for r in srv.sql("select title from branches")] == ["in flight"]


@pytest.mark.sqlite_only("SQLite's write-ahead log")
def test_wal_is_checkpointed_on_stop(start_server):
    srv = start_server()
    for i in range(20):
        assert srv.request("POST", "/api/branches", json={"userId": DEFAULT_USER, "title": f"b{i}"}).status == 201
    wal = Path(str(srv.db) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    srv.stop()
    assert not wal.exists() or wal.stat().st_size == 0
    con = sqlite3.connect(srv.db)
    assert con.execute("select count(*) from branches").fetchone()[0] == 20
    con.close()


# ---------- start-up ----------

def journal_entries(folder):
    return len(json.loads((ROOT / folder / "meta" / "_journal.json").read_text())["entries"])


def test_startup_migrates_empty_database_and_seeds_user(start_server, tmp_path, db_env):
    env = db_env(tmp_path / "sprout.db")  # PostgreSQL: an empty database, not a migrated copy
    srv = start_server(env=env)
    out = srv.output()
    # every migration of the engine's folder: drizzle/ (SQLite) or drizzle-pg/ (PostgreSQL)
    n = journal_entries("drizzle" if srv.engine == "sqlite" else "drizzle-pg")
    assert ("Applied %d migration%s." % (n, "" if n == 1 else "s")) in out
    assert "Default user seeded." in out
    assert re.search(r"^Sprout backend running on http://localhost:%d$" % srv.port, out, re.M)
    assert not list(tmp_path.glob("sprout.db.2*")), "no backup for an empty database"
    assert "Backed up" not in out
    table = "__drizzle_migrations" if srv.engine == "sqlite" else "drizzle.__drizzle_migrations"
    assert srv.sql(f"select count(*) as n from {table}")[0]["n"] == n
    assert srv.sql("select email from users") == [{"email": "default@sprout.local"}]
    srv.stop()
    # second start: nothing to migrate, user already there
    srv2 = start_server(env=env)
    out2 = srv2.output()
    assert "Applied" not in out2 and "Default user seeded." not in out2


@pytest.mark.sqlite_only("the copy of the SQLite file made before migrating (PostgreSQL: "
                        "no copy, docs/POSTGRESQL.md)")
def test_startup_backs_up_before_migrating_existing_data(start_server, tmp_path):
    db = tmp_path / "hist.db"
    shutil.copy(DATA / "fixtures" / "sprout-migrated-by-drizzle-history.db", db)
    con = sqlite3.connect(db)
    before = con.execute("select count(*) from __drizzle_migrations").fetchone()[0]
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    con.close()
    assert before == 3
    srv = start_server(db=db)
    out = srv.output()
    m = re.search(r"Backed up .* to (\S+) before migrating\.", out)
    assert m, out
    backup = Path(m.group(1))
    if not backup.is_absolute():
        backup = tmp_path / backup
    assert backup.exists() and backup.name.startswith("hist.db.")
    bcon = sqlite3.connect(backup)
    assert bcon.execute("select count(*) from __drizzle_migrations").fetchone()[0] == 3
    assert {r[0] for r in bcon.execute("select name from sqlite_master where type='table'")} == tables
    bcon.close()
    assert out.index("Backed up") < out.index("Applied 1 migration.") < out.index("Sprout backend running")
    r = srv.request("POST", "/api/branches", json={"userId": DEFAULT_USER, "title": "after"})
    assert r.status == 201, r
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from __drizzle_migrations").fetchone()[0] == 4
    con.close()


def test_no_migrate_refuses_with_pending_migrations(workdir, engine, db_env):
    if engine == "sqlite":  # a database drizzle migrated before the last migration existed
        db = workdir / "hist.db"
        shutil.copy(DATA / "fixtures" / "sprout-migrated-by-drizzle-history.db", db)
        env, table, applied = {"DB_PATH": str(db)}, "__drizzle_migrations", 3
    else:                   # every migration applied, then the last one rolled back
        env, table = db_env(None), "drizzle.__drizzle_migrations"
        applied = journal_entries("drizzle-pg") - 1
        assert run_sprout("db", "migrate", cwd=workdir, env=env).returncode == 0
        assert run_sprout("db", "rollback", cwd=workdir, env=env).returncode == 0
    p = run_sprout("serve", "--no-migrate", "--port", "0", cwd=workdir, env=env)
    assert p.returncode == 1
    assert "sprout db migrate" in p.stderr and "pending" in p.stderr
    assert "Sprout backend running" not in p.stdout
    assert sql_rows(env.get("DATABASE_URL") or env["DB_PATH"],
                    f"select count(*) as n from {table}")[0]["n"] == applied


def test_no_migrate_serves_an_up_to_date_database(workdir, db_env):
    env = db_env(workdir / "ok.db")
    assert run_sprout("db", "migrate", cwd=workdir, env=env).returncode == 0
    p, port, log = launch(workdir, args=["--no-migrate", "--port", "0"], env=env)
    try:
        assert get("127.0.0.1", port, "/api/health")[0] == 200
    finally:
        out = stop(p, log)
    assert "Applied" not in out


def test_serves_from_an_empty_folder_with_the_built_in_migrations(tmp_path, db_env):
    p, port, log = launch(tmp_path, args=["--port", "0"], env=db_env(tmp_path / "x.db"))
    try:
        assert get("127.0.0.1", port, "/api/health")[0] == 200
    finally:
        out = stop(p, log)
    assert "Migrations: the migrations built into sprout " in out
    assert re.search(r"Applied \d+ migrations?\.", out)
    assert not (tmp_path / "drizzle").exists() and not (tmp_path / "drizzle-pg").exists()


def test_a_drizzle_folder_in_the_working_directory_wins(workdir, engine, db_env):
    folder = "drizzle" if engine == "sqlite" else "drizzle-pg"
    if not (workdir / folder).exists():
        shutil.copytree(ROOT / folder, workdir / folder)
    p, port, log = launch(workdir, args=["--port", "0"], env=db_env(workdir / "w.db"))
    try:
        assert get("127.0.0.1", port, "/api/health")[0] == 200
    finally:
        out = stop(p, log)
    assert f"Migrations: the folder {folder}\n" in out


def test_missing_migrations_folder_flag_refuses(tmp_path, db_env):
    p = run_sprout("serve", "--port", "0", "--migrations", tmp_path / "nope", cwd=tmp_path,
                   env=db_env(tmp_path / "x.db"))
    assert p.returncode == 1
    assert "migrations folder" in p.stderr and "--no-migrate" in p.stderr
    assert "Sprout backend running" not in p.stdout


def test_no_migrate_with_a_missing_folder_serves_the_database_as_it_is(workdir, db_env):
    env = db_env(workdir / "ok.db")
    assert run_sprout("db", "migrate", cwd=workdir, env=env).returncode == 0
    p, port, log = launch(workdir, args=["--no-migrate", "--port", "0", "--migrations",
                                         workdir / "nope"], env=env)
    try:
        assert get("127.0.0.1", port, "/api/health")[0] == 200
        assert get("127.0.0.1", port, f"/api/branches?userId={DEFAULT_USER}") == (200, b"[]")
    finally:
        out = stop(p, log)
    assert "Applied" not in out


def test_port_from_env_file_and_flag(workdir, engine, db_env):
    port = free_port()
    db = "DB_PATH=./env.db" if engine == "sqlite" else "DATABASE_URL=" + db_env(None)["DATABASE_URL"]
    (workdir / ".env").write_text(f"PORT={port}\n{db}\n")
    p, got, log = launch(workdir)
    try:
        assert got == port
        assert get("127.0.0.1", port, "/api/health")[0] == 200
    finally:
        stop(p, log)
    assert (workdir / "env.db").exists() == (engine == "sqlite")  # the .env's database was used
    # the flag beats the environment, which beats .env
    port2, port3 = free_port(), free_port()
    p, got, log = launch(workdir, args=["--port", port2], env={"PORT": str(port3)})
    try:
        assert got == port2
    finally:
        stop(p, log)
    p, got, log = launch(workdir, env={"PORT": str(port3)})
    try:
        assert got == port3
    finally:
        stop(p, log)


def test_port_zero_prints_the_real_port(workdir, db_env):
    p, port, log = launch(workdir, args=["--port", "0"], env=db_env(workdir / "z.db"))
    try:
        assert port > 0
        assert get("127.0.0.1", port, "/api/health")[0] == 200
    finally:
        stop(p, log)


def test_bad_port_is_a_usage_error(workdir):
    p = run_sprout("serve", "--port", "70000", cwd=workdir)
    assert p.returncode == 2 and "--port" in p.stderr
    p = run_sprout("serve", cwd=workdir, env={"PORT": "eighty"})
    assert p.returncode == 2 and "PORT" in p.stderr


def test_host_binding(workdir, db_env):
    p, port, log = launch(workdir, args=["--port", "0"], env={"HOST": "127.0.0.2", **db_env(workdir / "h.db")})
    try:
        assert get("127.0.0.2", port, "/api/health")[0] == 200
        with pytest.raises(OSError):
            get("127.0.0.1", port, "/api/health")
    finally:
        stop(p, log)


def test_default_host_is_loopback(workdir, db_env):
    p, port, log = launch(workdir, args=["--port", "0"], env=db_env(workdir / "d.db"))
    try:
        with open(f"/proc/{p.pid}/net/tcp") as f:
            lines = f.read().splitlines()[1:]
        listening = [l.split() for l in lines if l.split()[3] == "0A"]
        mine = [l for l in listening if int(l[1].split(":")[1], 16) == port]
        assert mine and mine[0][1].split(":")[0] == "0100007F", mine
    finally:
        stop(p, log)


def test_port_in_use_is_a_clear_error(workdir, db_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = run_sprout("serve", "--port", port, cwd=workdir, env=db_env(workdir / "u.db"))
    assert p.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in p.stderr


# ---------- multipart plumbing (documents upload route) ----------

def test_upload_utf8_filename_passes_intact(server):
    nid = make_root_node(server)
    body, ctype = multipart([("note", None, None, b"ignored form field"),
                             ("files", "Über notes ✓.txt", "text/plain", b"hello world\n")])
    r = server.request("POST", f"/api/nodes/{nid}/documents", body=body, headers={"Content-Type": ctype})
    assert r.status == 201, r
    up = r.json["uploaded"]
    assert len(up) == 1 and up[0]["originalFilename"] == "Über notes ✓.txt"
    assert up[0]["fileSizeBytes"] == 12


def test_upload_two_files_same_name(server):
    nid = make_root_node(server)
    body, ctype = multipart([("files", "a.txt", "text/plain", b"one"),
                             ("files", "a.txt", "text/plain", b"second file")])
    r = server.request("POST", f"/api/nodes/{nid}/documents", body=body, headers={"Content-Type": ctype})
    assert r.status == 201, r
    assert [u["fileSizeBytes"] for u in r.json["uploaded"]] == [3, 11]


def test_upload_malformed_multipart_is_400(server):
    nid = make_root_node(server)
    path = f"/api/nodes/{nid}/documents"
    r = server.request("POST", path, body=b"--x\r\n", headers={"Content-Type": "multipart/form-data"})
    assert r.status == 400 and "Boundary" in r.json["error"]
    r = server.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
    assert r.status == 400 and "multipart/form-data" in r.json["error"]
    body, ctype = multipart([("files", "a.txt", "text/plain", b"abc" * 1000)], close=False)
    r = server.request("POST", path, body=body[:-20], headers={"Content-Type": ctype})
    assert r.status == 400 and "Unexpected end of form" in r.json["error"], r
    assert server.request("GET", path).json == []


def test_upload_to_missing_node_is_404(server):
    body, ctype = multipart([("files", "a.txt", "text/plain", b"abc")])
    r = server.request("POST", "/api/nodes/nope/documents", body=body, headers={"Content-Type": ctype})
    assert r.status == 404 and r.json == {"error": "Node not found"}


def test_upload_empty_parts_are_separate_files(server):
    nid = make_root_node(server)
    body, ctype = multipart([("files", "e.txt", "text/plain", b""), ("files", "e.txt", "text/plain", b""),
                             ("field", None, None, b"x"), ("files", "a.txt", "text/plain", b"abc"),
                             ("files", "e.txt", "text/plain", b""), ("files", "", "text/plain", b"")])
    r = server.request("POST", f"/api/nodes/{nid}/documents", body=body, headers={"Content-Type": ctype})
    assert r.status == 201, r
    assert [(u["originalFilename"], u["fileSizeBytes"]) for u in r.json["uploaded"]] == \
        [("e.txt", 0), ("e.txt", 0), ("a.txt", 3), ("e.txt", 0)]


def test_upload_dropped_connection_leaves_nothing(server):
    nid = make_root_node(server)
    body, ctype = multipart([("files", "x.txt", "text/plain", b"a" * 300000)])
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(f"POST /api/nodes/{nid}/documents HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:100000])
    time.sleep(0.3)
    s.close()
    deadline = time.time() + 5
    while time.time() < deadline:   # the server notices the drop asynchronously
        listed = server.request("GET", f"/api/nodes/{nid}/documents")
        if listed.status == 200 and listed.json == []:
            break
        time.sleep(0.05)
    assert listed.json == []
    assert server.request("GET", "/api/health").status == 200


def test_worker_thread_count_from_environment(start_server):
    """SPROUT_THREADS=1 serves with a single worker (and a bad value falls back to the cores)."""
    for value in ("1", "zero"):
        srv = start_server(env={"SPROUT_THREADS": value})
        r = srv.request("POST", "/api/branches", json={"title": "t", "userId": "00000000-0000-0000-0000-000000000000"})
        assert r.status == 201
        assert srv.request("GET", "/api/branches?userId=00000000-0000-0000-0000-000000000000").json[-1]["title"] == "t"
        srv.stop()


@pytest.mark.sqlite_only("PostgreSQL's default (4 per core, at least 16): test_pg_instances.py")
def test_default_worker_threads_on_sqlite_are_one_per_core(start_server):
    srv = start_server()
    cores = min(64, os.cpu_count())
    assert "HTTP worker threads (SPROUT_THREADS): %d (default: one per core)" % cores \
        in srv.output()


def test_repeated_stop_under_sanitizers_exits_0(start_server):
    """Regression: stopping used MHD_quiesce_daemon, which in libmicrohttpd 0.9.75 races with the
    epoll workers and aborted the process now and then ("Failed to remove listen FD from epoll
    set", exit -6). Start and stop repeatedly, with traffic, and require exit 0 every time."""
    for i in range(15):
        srv = start_server()
        assert srv.request("GET", "/api/health").status == 200
        srv.stop()
