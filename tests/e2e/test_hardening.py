"""tests/e2e/test_hardening.py: issue 8's security defaults and hostile input on the real
server: CORS origins (default, SPROUT_CORS_ORIGINS, '*'), nosniff + CSP, error bodies without
paths or SQL, the database and its WAL created 0600, and a query string with hundreds of
pairs (it used to get no answer, hold the connection and leak the request).
On SQLite and PostgreSQL (both_engines); the file-mode tests are about SQLite's files."""
import json
import os
import socket
import stat
import time

import pytest

from conftest import DEFAULT_USER

pytestmark = pytest.mark.both_engines


def many_pairs(n):
    return "&".join(f"k{i}=v" for i in range(n))


# ---------- query strings ----------

@pytest.mark.parametrize("n", [33, 300, 600, 3000])
def test_many_query_parameters_answered_at_once(server, n):
    r = server.request("GET", "/api/nodes?" + many_pairs(n), timeout=10)
    assert r.status in (400, 414), r
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert "too many query parameters" in r.json["error"]
    # the connection is not pinned and the server still answers
    assert server.request("GET", "/api/health").status == 200


def test_many_query_parameters_do_not_delay_shutdown(server):
    for _ in range(5):
        assert server.request("GET", "/api/nodes?" + many_pairs(600), timeout=10).status == 414
    t = time.monotonic()
    server.stop()       # also asserts: no LeakSanitizer report (the request struct used to leak)
    assert time.monotonic() - t < 8, "shutdown waited for a request that never finished"


# ---------- CORS ----------

def test_default_origins_are_this_machine_on_any_port(server):
    for origin in ["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost",
                   "http://[::1]:8080", "HTTP://LOCALHOST:9"]:
        r = server.request("GET", "/api/health", headers={"Origin": origin})
        assert r.status == 200, origin
        assert r.headers["access-control-allow-origin"] == origin
        assert "Origin" in r.headers["vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example",
                                    "null", "http://localhost:80x", "https://localhost:5173"])
def test_other_origins_are_refused_before_anything_runs(server, origin):
    r = server.request("POST", "/api/branches", json={"title": "t", "userId": DEFAULT_USER},
                       headers={"Origin": origin})
    assert r.status == 403
    assert "may not use this server" in r.json["error"]
    assert "access-control-allow-origin" not in r.headers
    # nothing was written
    assert server.request("GET", "/api/branches?userId=" + DEFAULT_USER).json == []
    r = server.request("OPTIONS", "/api/branches", headers={"Origin": origin,
                                                            "Access-Control-Request-Method": "POST"})
    assert r.status == 403 and "access-control-allow-origin" not in r.headers


def test_a_form_upload_from_another_site_is_refused(server):
    r = server.request("POST", "/api/nodes/x/documents", body=b"--b--\r\n",
                       headers={"Origin": "https://evil.example",
                                "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status == 403


def test_no_origin_no_cors_header(server):
    r = server.request("GET", "/api/health")
    assert r.status == 200 and "access-control-allow-origin" not in r.headers


def test_configured_origins(start_server):
    srv = start_server(env={"SPROUT_CORS_ORIGINS": "https://app.example, http://localhost:5173"})
    assert "Allowed browser origins (SPROUT_CORS_ORIGINS): https://app.example, http://localhost:5173" \
        in srv.output()
    ok = srv.request("GET", "/api/health", headers={"Origin": "https://app.example"})
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == "https://app.example"
    assert srv.request("GET", "/api/health", headers={"Origin": "http://localhost:5173"}).status == 200
    assert srv.request("GET", "/api/health", headers={"Origin": "http://localhost:5174"}).status == 403


def test_star_allows_every_origin(start_server):
    srv = start_server(env={"SPROUT_CORS_ORIGINS": "*"})
    r = srv.request("GET", "/api/health", headers={"Origin": "https://anywhere.example"})
    assert r.status == 200 and r.headers["access-control-allow-origin"] == "*"


def test_default_origins_named_at_start(server):
    assert "Allowed browser origins (SPROUT_CORS_ORIGINS): http://localhost:*,http://127.0.0.1:*" \
        in server.output()


def test_bad_origin_list_refuses_to_start(workdir, sprout, db_env):
    p = sprout("serve", "--port", "0", cwd=workdir,
               env={"SPROUT_CORS_ORIGINS": "localhost:5173", **db_env(workdir / "s.db")})
    assert p.returncode != 0
    assert "SPROUT_CORS_ORIGINS" in p.stderr


# ---------- headers and error bodies ----------

def test_security_headers_on_every_reply(server):
    for method, path in [("GET", "/api/health"), ("GET", "/nope"), ("GET", "/api/branches"),
                         ("OPTIONS", "/api/nodes")]:
        r = server.request(method, path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_database_error_bodies_name_no_path_or_sql(start_server, tmp_path):
    srv = start_server()
    # the table vanishes under the running server: every query on it now fails in the database
    if srv.engine == "sqlite":
        import sqlite3
        con = sqlite3.connect(tmp_path / "sprout.db")
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("DROP TABLE chat_messages")
        con.commit()
        con.close()
    else:
        srv.sql_exec("DROP TABLE chat_messages CASCADE")
    r = srv.request("GET", "/api/chat/sessions/x/messages")
    assert r.status >= 500, r
    msg = r.json["error"]
    assert str(tmp_path) not in msg and "chat_messages" not in msg and "SELECT" not in msg.upper()
    assert "postgres" not in msg and "127.0.0.1" not in msg
    assert "server log" in msg
    assert "chat_messages" in srv.output()      # the operator still gets the details


# ---------- files ----------

@pytest.mark.sqlite_only("the modes of SQLite's database, WAL and shm files")
def test_database_wal_and_shm_are_0600(server, tmp_path):
    r = server.request("POST", "/api/branches", json={"title": "t", "userId": DEFAULT_USER})
    assert r.status == 201
    for name in ["sprout.db", "sprout.db-wal", "sprout.db-shm"]:
        p = tmp_path / name
        if p.exists():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, name
    assert (tmp_path / "sprout.db").exists()


@pytest.mark.sqlite_only("the mode of the SQLite file db migrate creates")
def test_migrate_creates_the_database_0600(workdir, sprout):
    p = sprout("db", "migrate", cwd=workdir, env={"DB_PATH": str(workdir / "m.db")})
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE((workdir / "m.db").stat().st_mode) == 0o600


# ---------- connections (finding 3) ----------

def raise_fd_limit(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n:
        pytest.skip(f"needs {n} file descriptors (hard limit {hard})")
    if soft != resource.RLIM_INFINITY and soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def test_idle_connection_flood_does_not_lock_others_out(start_server):
    raise_fd_limit(10000)
    srv = start_server()
    flood = []
    try:
        for _ in range(4200):      # more than the server's connection limit, nothing sent
            try:
                flood.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            except OSError:
                break
        ok = sum(srv.request("GET", "/api/health", timeout=5).status == 200 for _ in range(60))
        assert ok == 60
    finally:
        for s in flood:
            s.close()
    assert srv.request("GET", "/api/health").status == 200


def closed_by_server(s, limit_s):
    """Wait (up to limit_s) for the server to close s; True when it did."""
    s.settimeout(limit_s)
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def test_headers_that_never_finish_are_cut(start_server):
    srv = start_server(env={"SPROUT_HEADER_TIMEOUT_S": "1"})
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    assert closed_by_server(s, 15), "a connection without complete headers stayed open"
    s.close()
    # trickling one header byte at a time does not keep a connection alive either
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"GET /api/health HTTP/1.1\r\n")
    closed = False
    for _ in range(100):
        try:
            s.sendall(b"X")
        except OSError:
            closed = True
            break
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
    assert closed, "a slowly trickled header kept the connection open"
    s.close()
    assert srv.request("GET", "/api/health").status == 200


def test_half_closed_incomplete_request_is_closed(start_server):
    srv = start_server(env={"SPROUT_HEADER_TIMEOUT_S": "1"})
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        s.shutdown(socket.SHUT_WR)
        assert closed_by_server(s, 15)
        s.close()


def test_idle_keep_alive_connections_are_closed(start_server):
    srv = start_server(env={"SPROUT_HEADER_TIMEOUT_S": "1", "SPROUT_IDLE_TIMEOUT_S": "1"})
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    first = s.recv(4096)
    assert first.startswith(b"HTTP/1.1 200")
    assert closed_by_server(s, 15)
    s.close()


def test_per_client_cap_evicts_idle_connections(start_server):
    srv = start_server(env={"SPROUT_MAX_CONNECTIONS_PER_CLIENT": "8"})
    idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(8)]
    # a ninth connection from the same client is served: the oldest idle one is dropped
    assert srv.request("GET", "/api/health").status == 200
    assert closed_by_server(idle[0], 10)
    for s in idle:
        s.close()


# ---------- crash leftovers (finding 6) ----------

def test_crash_leftovers_are_swept_at_start(start_server, tmp_path):
    from support.documents import make_node, part, rows, upload
    staging = tmp_path / "staging"
    staging.mkdir()
    env = {"TMPDIR": str(staging)}
    srv = start_server(env=env)
    _, node = make_node(srv)
    assert upload(srv, node, [part("kept", "k.txt")]).status == 201
    kept_key = rows(srv)[0]["s3_key"]
    srv.stop()
    docs = tmp_path / "uploads" / "documents"
    # what a crash between storing a file and inserting its row, or mid-put, or mid-upload
    # leaves behind, backdated past the grace period
    leftovers = [docs / "0b6d3e8e-1111-4111-8111-111111111111.txt", docs / ".put-AbC123",
                 staging / "sprout-upload-XyZ789"]
    fresh = docs / "22222222-2222-4222-8222-222222222222.pdf"   # an upload in progress
    for f in leftovers + [fresh]:
        f.write_bytes(b"x")
    old = os.stat(leftovers[0]).st_mtime - 7200
    for f in leftovers:
        os.utime(f, (old, old))
    srv = start_server(env=env)
    assert "Swept 2 stored files without a row and 1 stale upload file." in srv.output()
    for f in leftovers:
        assert not f.exists(), f
    assert fresh.exists()
    assert (tmp_path / "uploads" / kept_key).exists()


def test_sweep_runs_periodically(start_server, tmp_path):
    srv = start_server(env={"SPROUT_SWEEP_GRACE_S": "0", "SPROUT_SWEEP_INTERVAL_S": "1"})
    docs = tmp_path / "uploads" / "documents"
    docs.mkdir(parents=True, exist_ok=True)
    orphan = docs / "33333333-3333-4333-8333-333333333333.md"
    orphan.write_bytes(b"# left behind")
    deadline = time.monotonic() + 30
    while orphan.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not orphan.exists()
    assert "sweep: removed 1 stored file without a row" in srv.output()


# ---------- the HTTP library's own errors (finding 6) ----------

def raw_reply(srv, data):
    out = srv.raw(data, timeout=5)
    head, _, body = out.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_long_target_and_large_headers_are_json(server):
    # these used to get libmicrohttpd's HTML 414 / 431
    head, body = raw_reply(server, b"GET /api/nodes?q=" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith("HTTP/1.1 414") and "application/json" in head, head
    assert b"request target too long" in body
    head, body = raw_reply(server, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    assert head.startswith("HTTP/1.1 431") and "application/json" in head, head
    assert b"request headers too large" in body
    assert server.request("GET", "/api/health").status == 200


# libmicrohttpd refuses these itself, before the server's handler runs; its replies used to be
# HTML without Content-Type, nosniff or CSP (http/mhd_errors.c makes them JSON)
LIBRARY_ERRORS = [
    ("http2", b"GET /api/health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP version not supported"),
    ("no-colon", b"GET /api/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400,
     "malformed HTTP request"),
    ("header-120k", b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 120000 + b"\r\n\r\n",
     431, "request headers too large"),
    ("target-120k", b"GET /api/health?q=" + b"a" * 120000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
     "request target too long"),
    ("bad-content-length",
     b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 12abc\r\n\r\n{}", 400, "malformed Content-Length header"),
    ("bad-chunk",
     b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "malformed HTTP request"),
    ("content-length-2^64",
     b"POST /api/branches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 18446744073709551616\r\n\r\n{}", 413, "Content-Length beyond 2^64"),
]


def library_reply(srv, data, origin=None):
    """Send data on a fresh connection (an Origin header added after the request line); return
    (status, headers, body, closed): the reply parsed by its Content-Length, and whether the
    server closed the connection after it."""
    if origin:
        line, _, rest = data.partition(b"\r\n")
        data = line + b"\r\nOrigin: " + origin.encode() + b"\r\n" + rest
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            b = s.recv(65536)
            assert b, f"connection closed before a reply: {buf!r}"
            buf += b
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for h in lines[1:]:
            k, _, v = h.partition(":")
            assert k.lower() not in headers, f"header {k} twice: {head!r}"
            headers[k.lower()] = v.strip()
        n = int(headers["content-length"])
        while len(rest) < n:
            b = s.recv(65536)
            assert b, "connection closed inside the body"
            rest += b
        body, extra = rest[:n], rest[n:]
        closed = False
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            if not b:
                closed = True
                break
            extra += b
        assert extra == b"", f"bytes after the reply: {extra[:200]!r}"
        return status, headers, body, closed
    finally:
        s.close()


@pytest.mark.parametrize("name,data,status,message", LIBRARY_ERRORS,
                         ids=[c[0] for c in LIBRARY_ERRORS])
def test_library_errors_are_json(server, name, data, status, message):
    got, headers, body, closed = library_reply(server, data)
    assert got == status, (name, headers, body)
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["connection"] == "close"
    assert message in json.loads(body)["error"]
    assert "access-control-allow-origin" not in headers   # no Origin, no CORS
    assert closed, "the connection stayed open after the library's error"
    assert server.request("GET", "/api/health").status == 200


@pytest.mark.parametrize("name,data,status,message",
                         [c for c in LIBRARY_ERRORS if c[0] in ("no-colon", "bad-content-length",
                                                                "bad-chunk")],
                         ids=["no-colon", "bad-content-length", "bad-chunk"])
def test_library_errors_carry_cors_for_allowed_origins(server, name, data, status, message):
    # the Origin line comes before the faulty one, so the library has read it
    got, headers, body, _ = library_reply(server, data, origin="http://localhost:5173")
    assert got == status
    assert headers["access-control-allow-origin"] == "http://localhost:5173"
    assert headers["vary"] == "Origin"
    got, headers, body, _ = library_reply(server, data, origin="https://evil.example")
    assert "access-control-allow-origin" not in headers
    if name == "bad-chunk":   # complete headers: the server refuses the origin before the body
        assert got == 403 and "may not use this server" in json.loads(body)["error"]
    else:
        assert got == status and message in json.loads(body)["error"]


def test_library_errors_under_star_origins(start_server):
    srv = start_server(env={"SPROUT_CORS_ORIGINS": "*"})
    got, headers, _, _ = library_reply(srv, LIBRARY_ERRORS[0][1])
    assert got == 505 and headers["access-control-allow-origin"] == "*"


def test_many_library_errors_leave_the_server_serving(server):
    # each kind many times, then a clean stop: no leak, no sanitizer report (server.stop())
    for _ in range(10):
        for _, data, status, _ in LIBRARY_ERRORS:
            assert library_reply(server, data)[0] == status
    assert server.request("GET", "/api/health").status == 200
    server.stop()


# ---------- the connection's memory (HTTP_CONNECTION_MEMORY, src/http/guard.h) ----------
# libmicrohttpd zeroes its whole per-connection pool after every request, so the pool is as small
# as the server's own limits allow: every request within them must still reach the handler
# (answered on a connection that stays open), and one just past them gets the server's own
# answer, not the library's (which closes the connection).

TARGET_MAX = 8192
BLOCK_MAX = 16384        # the whole header block, request line included (as Node counts it)


def full_target(path="/api/nodes", pairs=32):
    """A request target of exactly TARGET_MAX bytes with `pairs` query pairs (the most allowed)."""
    t = path + "?" + "&".join(f"k{i}=v" for i in range(pairs - 1)) + "&z="
    return t + "a" * (TARGET_MAX - len(t))


def header_block(request_line, fixed, total, line_len):
    """Request line + fixed header lines + header lines of line_len bytes (CRLF included), padded
    to exactly `total` bytes with the blank line."""
    head = request_line + "\r\nHost: x\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
    room = total - len(head) - 2
    lines, i = [], 0
    while room - sum(map(len, lines)) >= line_len + 12:
        name = f"X-F{i}: "
        lines.append(name + "v" * (line_len - len(name) - 2) + "\r\n")
        i += 1
    rest = room - sum(map(len, lines))
    lines.append("X-Pad: " + "p" * (rest - 9) + "\r\n")
    out = (head + "".join(lines) + "\r\n").encode()
    assert len(out) == total, len(out)
    return out


def reply_and_keepalive(srv, data):
    """Send data; read one reply (by Content-Length); then ask /api/health on the same connection:
    (status, body, health status or None when the connection was closed after the reply)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)

    def read_reply():
        buf = b""
        while b"\r\n\r\n" not in buf:
            b = s.recv(65536)
            if not b:
                return None, None, None
            buf += b
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        n = int(hdrs["content-length"])
        while len(rest) < n:
            b = s.recv(65536)
            assert b, "closed inside the body"
            rest += b
        return int(lines[0].split()[1]), hdrs, rest[:n]

    try:
        s.sendall(data)
        status, hdrs, body = read_reply()
        assert status is not None, "the connection was closed without a reply"
        if hdrs.get("connection", "").lower() == "close":
            return status, body, None
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        return status, body, read_reply()[0]
    finally:
        s.close()


@pytest.mark.parametrize("target_len,line_len", [(TARGET_MAX, 24), (TARGET_MAX, 100), (20, 24)],
                         ids=["8k-target-24b-lines", "8k-target-100b-lines", "700-lines"])
def test_requests_at_the_exact_limits_reach_the_handler(server, target_len, line_len):
    target = full_target() if target_len == TARGET_MAX else "/api/nodes"
    assert len(target) == target_len or target_len != TARGET_MAX
    data = header_block(f"GET {target} HTTP/1.1", {}, BLOCK_MAX, line_len)
    status, body, health = reply_and_keepalive(server, data)
    assert status == 200 and isinstance(json.loads(body), list), body[:200]
    assert health == 200
    # one byte more: the server's own 431, on a connection it keeps
    data = header_block(f"GET {target} HTTP/1.1", {}, BLOCK_MAX + 1, line_len)
    status, body, health = reply_and_keepalive(server, data)
    assert status == 431 and "request headers too large (limit 16384 bytes)" in json.loads(body)["error"]
    assert health == 200, "the 431 came from the library, not the server"


def test_a_cookie_header_filling_the_block_reaches_the_handler(server):
    cookies = "; ".join(f"c{i}=" + "v" * (38 - len(f"c{i}=")) for i in range(300))
    line = "GET /api/nodes HTTP/1.1"
    room = BLOCK_MAX - len(line) - len("\r\nHost: x\r\nCookie: \r\n\r\n")
    cookies = (cookies + "; " + "w" * BLOCK_MAX)[:room]
    data = f"{line}\r\nHost: x\r\nCookie: {cookies}\r\n\r\n".encode()
    assert len(data) == BLOCK_MAX
    status, body, health = reply_and_keepalive(server, data)
    assert status == 200 and health == 200, body[:200]


def test_an_8k_target_with_16k_of_headers_gets_the_servers_431(server):
    data = header_block(f"GET {full_target()} HTTP/1.1", {}, TARGET_MAX + BLOCK_MAX + 64, 100)
    status, body, health = reply_and_keepalive(server, data)
    assert status == 431 and "request headers too large" in json.loads(body)["error"]
    assert health == 200, "the 431 came from the library, not the server"


def test_bodies_after_a_full_header_block(server):
    """A full header block leaves the pool little room: the bodies (JSON, chunked, multipart, the
    tutor's 8 MiB) are still read to the end, in chunks, and reach their handlers."""
    from support.documents import BOUNDARY, make_node, multipart, part
    _, node = make_node(server)

    def post(path, ctype, body, chunked=False):
        fixed = {"Content-Type": ctype}
        if chunked:
            fixed["Transfer-Encoding"] = "chunked"
            body = b"".join(b"%x\r\n" % len(body[k:k + 4000]) + body[k:k + 4000] + b"\r\n"
                            for k in range(0, len(body), 4000)) + b"0\r\n\r\n"
        else:
            fixed["Content-Length"] = str(len(body))
        return reply_and_keepalive(server, header_block(f"POST {path} HTTP/1.1", fixed, BLOCK_MAX, 40)
                                   + body)

    branch = json.dumps({"title": "t" * 90000, "userId": DEFAULT_USER}).encode()
    for chunked in (False, True):
        status, body, health = post("/api/branches", "application/json", branch, chunked)
        assert status == 201 and json.loads(body)["title"] == "t" * 90000 and health == 200
    status, body, health = post(f"/api/nodes/{node}/documents",
                                f"multipart/form-data; boundary={BOUNDARY}",
                                multipart([part("word " * 200000, "big.txt")]))
    assert status == 201 and len(json.loads(body)["uploaded"]) == 1 and health == 200, body[:300]
    # the tutor turn's 8 MiB limit: the whole body is buffered before the handler answers
    drawing = json.dumps({"message": "m", "drawing": "d" * (8 * 1024 * 1024 - 200)}).encode()
    status, body, health = post("/api/chat/sessions/00000000-0000-4000-8000-000000000001/tutor",
                                "application/json", drawing)
    assert status not in (413, 500), body[:300]
    assert "error" in json.loads(body) and health is not None
