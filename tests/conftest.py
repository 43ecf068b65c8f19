"""tests/conftest.py: the shared harness for every pytest suite.

- `sprout(*args, ...)` runs the real binary (SPROUT_BIN, the ASan+UBSan build) and returns the
  CompletedProcess; it fails the test if a sanitizer reported anything.
- `workdir`: a fresh temporary folder (cwd for CLI runs) with a copy of the project's
  drizzle/ folder.
- `fake_model`: a started tests/support/fake_model.py FakeModel (scripted Anthropic/OpenAI model
  server on a free loopback port), stopped after the test; `fake_model.env(provider)` points
  `sprout serve` at it.
- `server` / `start_server(...)`: the real `sprout serve` on a temporary database, started with
  `--port 0` (the kernel picks a free port; the harness reads it from the start-up line, so two
  test runs can never race for the same port); `srv.request(method, path, json=..., body=...,
  headers=...)` returns a Reply
  with .status, .headers, .text and .json. Stopped with SIGTERM at the end of the test, which
  must exit 0 with no sanitizer report.
- `pg_server` (session): a throw-away PostgreSQL server (tests/support/pgserver.py), started
  as an unprivileged user in a temporary data directory and stopped at the end of the run;
  `pg_url`: the test's database on it. A test has ONE PostgreSQL database, shared by `pg_url`,
  `cli_db`, `db_env` and `start_server()`: whichever asks first makes it (`pg_url`: empty;
  `start_server()`: a copy of a template migrated and seeded once per run, as a first start
  leaves it, which is far cheaper than migrating). Dropped in the background after the test.
- Engines: a module marked `pytestmark = pytest.mark.both_engines` runs each of its tests twice,
  `[sqlite]` and `[postgres]` (the autouse `engine` fixture; `SPROUT_TEST_ENGINES=sqlite` limits
  a local run to one); `start_server` then puts the server on that engine. A test or module
  marked `sqlite_only(reason)` runs on SQLite alone. Every module of tests/e2e and tests/cli
  must say which (`both_engines`, `sqlite_only(why)` or `one_engine(why)` as its `pytestmark`):
  collection fails otherwise.
- `srv.sql(query, *params)` / `srv.sql_exec(query, *params)`: read or change the server's own
  database directly, whichever engine it runs on (SQLite file, or PostgreSQL through psycopg2):
  `?` placeholders, rows as dicts. `srv.engine` is "sqlite" or "postgres".
- `db_env(path)`: the environment for a `sprout` the test runs itself on the test's engine
  (DB_PATH=path, or DATABASE_URL of the test's `pg_url` database).
- `cli_db`: the database a CLI test's commands use, on the test's engine (tmp_path/sprout.db,
  or the `pg_url` database; both are the database `start_server()` uses by default):
  `--db cli_db.target` or `env=cli_db.env`, its dialect's folder and reading helpers
  (tests/support/clidb.py).
Paths: DATA is tests/data (conformance cases, fixture databases; see tests/data/README.md).
"""
import http.client
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BIN = os.environ.get("SPROUT_BIN", str(ROOT / "build" / "debug" / "sprout"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer")
DEFAULT_USER = "00000000-0000-0000-0000-000000000000"


ENGINES = [e for e in os.environ.get("SPROUT_TEST_ENGINES", "sqlite,postgres").split(",") if e]


def pytest_configure(config):
    config.addinivalue_line("markers", "both_engines: run each test on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only(reason): a test about SQLite itself")
    config.addinivalue_line("markers", "one_engine(reason): a module about one engine, or none")


ENGINE_SUITES = ("e2e", "cli")   # every module here says which engines it runs on


def pytest_collection_modifyitems(config, items):
    """The e2e and CLI suites run on both engines unless a module says why not: each module
    there carries `both_engines`, `sqlite_only(why)` or `one_engine(why)` (module-wide)."""
    unmarked = set()
    for item in items:
        if item.path.parent.name not in ENGINE_SUITES or item.path.parent.parent != ROOT / "tests":
            continue
        marks = {m.name for m in getattr(item.module, "pytestmark", [])} \
            if isinstance(getattr(item.module, "pytestmark", []), list) \
            else {item.module.pytestmark.name}
        if not marks & {"both_engines", "sqlite_only", "one_engine"}:
            unmarked.add(str(item.path.relative_to(ROOT)))
    if unmarked:
        raise pytest.UsageError("modules without an engine marker (both_engines, sqlite_only(why) "
                                "or one_engine(why)): " + ", ".join(sorted(unmarked)))


def pytest_generate_tests(metafunc):
    d = metafunc.definition
    if d.get_closest_marker("both_engines") and not d.get_closest_marker("sqlite_only"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture(autouse=True)
def engine(request):
    """The database engine of this test's servers: "sqlite" (default) or "postgres"."""
    return getattr(request, "param", "sqlite")


def assert_no_sanitizer_report(text):
    for mark in SANITIZER_MARKS:
        assert mark not in text, "sanitizer report:\n" + text[-4000:]


def run_sprout(*args, cwd=None, env=None, input=None, timeout=60, check_sanitizers=True,
               binary=None):
    e = dict(os.environ)
    e.pop("DB_PATH", None)
    e.pop("AWS_S3_BUCKET", None)
    e.pop("DATABASE_URL", None)
    if env:
        e.update(env)
    p = subprocess.run([str(binary or BIN), *map(str, args)], cwd=cwd, env=e, input=input,
                       capture_output=True, text=True, timeout=timeout,
                       stdin=None if input is not None else subprocess.DEVNULL)
    if check_sanitizers:
        assert_no_sanitizer_report(p.stderr)
    return p


@pytest.fixture
def sprout():
    return run_sprout


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(ROOT / "drizzle", tmp_path / "drizzle")
    return tmp_path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _connect(db):
    """A DB-API connection to a SQLite file or a postgres:// URL, and its placeholder."""
    if str(db).startswith(("postgres://", "postgresql://")):
        import psycopg2  # Debian's python3-psycopg2 (scripts/install-deps.sh)
        return psycopg2.connect(str(db)), "%s"
    return sqlite3.connect(str(db), timeout=10), "?"


def _paramstyle(query, mark):
    return query if mark == "?" else query.replace("%", "%%").replace("?", mark)


def sql_rows(db, query, *params):
    """Rows of `query` on a SQLite file or PostgreSQL URL, as dicts (`?` placeholders)."""
    con, mark = _connect(db)
    try:
        cur = con.cursor()
        cur.execute(_paramstyle(query, mark), params)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def sql_exec(db, query, *params):
    """Run one statement on a SQLite file or PostgreSQL URL and commit; rows changed."""
    con, mark = _connect(db)
    try:
        cur = con.cursor()
        cur.execute(_paramstyle(query, mark), params)
        con.commit()
        return cur.rowcount
    finally:
        con.close()


class Reply:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.text = raw.decode("utf-8", "replace")

    @property
    def json(self):
        return jsonlib.loads(self.text)

    def __repr__(self):
        return f"<Reply {self.status} {self.text[:200]!r}>"


class Server:
    def __init__(self, db, cwd, env=None, args=(), ready_timeout=20, binary=BIN, log_dir=None):
        self.db = Path(db)
        self.cwd = Path(cwd)
        self.port = None  # chosen by the kernel (--port 0), read from the start-up line
        e = dict(os.environ)
        e.pop("AWS_S3_BUCKET", None)
        e.update({"DB_PATH": str(self.db)})
        if env:
            e.update(env)
        self.db_url = e.get("DATABASE_URL") or None
        self.engine = "postgres" if self.db_url else "sqlite"
        self.log_path = Path(log_dir or cwd) / f"server-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([str(binary), "serve", "--port", "0", *args], cwd=cwd,
                                     env=e, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + ready_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early:\n" + self.output())
            m = re.search(r"Sprout backend running on http://localhost:(\d+)", self.output())
            if m:
                self.port = int(m.group(1))
                if self.request("GET", "/api/health").status == 200:
                    return
            time.sleep(0.02)
        raise RuntimeError("server did not become ready:\n" + self.output())

    def sql(self, query, *params):
        """Rows of `query` (with `?` placeholders) as dicts, read from the server's database."""
        return sql_rows(self.db_url or self.db, query, *params)

    def sql_exec(self, query, *params):
        """Run one changing statement on the server's database, committed; its row count."""
        return sql_exec(self.db_url or self.db, query, *params)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def request(self, method, path, json=None, body=None, headers=None, timeout=30):
        h = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json).encode()
            h.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()

    def raw(self, data, timeout=10):
        """Send raw bytes on a fresh connection; return everything read until close/timeout."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()

    def stop(self, expect_code=0):
        if getattr(self, "stopped_output", None) is not None:   # already stopped by the test
            return self.stopped_output
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop on SIGTERM:\n" + self.output())
        out = self.output()
        self.log.close()
        assert_no_sanitizer_report(out)
        self.stopped_output = out
        assert self.proc.returncode == expect_code, f"server exit {self.proc.returncode}:\n{out[-3000:]}"
        return out


@pytest.fixture
def start_server(tmp_path, request, engine):
    """Start `sprout serve` on a fresh database: a SQLite file in tmp_path, or, on the postgres
    engine (or SPROUT_TEST_DB=postgres), the test's database on the run's PostgreSQL server
    (the one `pg_url` / `cli_db` give; when start_server makes it, a migrated and seeded copy
    of the template). Servers started twice in one test share the database. Tests that open the
    SQLite file themselves pass db=; an env with DATABASE_URL picks that database."""
    servers = []
    made = []

    def start(db=None, env=None, args=(), cwd=None, binary=None):
        if cwd is None and not (tmp_path / "drizzle").exists():
            shutil.copytree(ROOT / "drizzle", tmp_path / "drizzle")
        on_pg = engine == "postgres" or os.environ.get("SPROUT_TEST_DB") == "postgres"
        if db is None and on_pg and "DATABASE_URL" not in (env or {}):
            url, mine = _test_pg_database(request, migrated=True)
            if mine:
                made.append(url)
            env = dict(env or {}, DATABASE_URL=url)
        s = Server(db or (tmp_path / "sprout.db"), cwd or tmp_path, env=env, args=args,
                   binary=binary or BIN)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()
    for url in made:
        request.getfixturevalue("pg_server").drop_later(url)


@pytest.fixture
def db_env(engine, request):
    """db_env(path) -> the environment that puts a `sprout` command run by the test itself
    (run_sprout, or a server it launches) on this test's engine: {"DB_PATH": path} on SQLite,
    {"DATABASE_URL": <the test's pg_url>} on PostgreSQL (path unused)."""
    def env(path):
        if engine == "postgres":
            return {"DATABASE_URL": request.getfixturevalue("pg_url")}
        return {"DB_PATH": str(path)}
    return env


@pytest.fixture
def server(start_server):
    return start_server()


@pytest.fixture(scope="session")
def pg_server():
    """One throw-away PostgreSQL server for the whole run (tests/support/pgserver.py)."""
    from support.pgserver import PgServer
    srv = PgServer.start()
    yield srv
    srv.stop()


def _migrate_template(url):
    with tempfile.TemporaryDirectory() as d:  # no drizzle-pg/ here: the built-in migrations
        for cmd in (("db", "migrate"), ("db", "seed")):
            p = run_sprout(*cmd, cwd=d, env={"DATABASE_URL": url})
            assert p.returncode == 0, p.stdout + p.stderr


def _test_pg_database(request, migrated):
    """(url, made_now) of the test's one PostgreSQL database: the first to ask makes it, empty
    or (migrated) a copy of the template this binary migrated and seeded once per run. The
    maker drops it (drop_later) once the test's servers are stopped."""
    url = getattr(request.node, "_sprout_pg_url", None)
    if url is not None:
        return url, False
    pg = request.getfixturevalue("pg_server")
    url = pg.create_database(template=pg.template("migrated", _migrate_template) if migrated
                             else None)
    request.node._sprout_pg_url = url
    return url, True


@pytest.fixture
def pg_url(request, pg_server):
    """The test's PostgreSQL database: postgres://sprout@127.0.0.1:PORT/t_...., new and empty,
    unless start_server() made it first (then it is that server's, migrated)."""
    url, mine = _test_pg_database(request, migrated=False)
    yield url
    if mine:
        pg_server.drop_later(url)


@pytest.fixture
def cli_db(request, engine, tmp_path):
    """The database this test's `sprout db ...` commands use (tests/support/clidb.py)."""
    from support.clidb import CliDb
    if engine != "postgres":
        return CliDb(engine, tmp_path)
    # the same database as `pg_url` (and as a server start_server() puts on PostgreSQL)
    return CliDb(engine, tmp_path, request.getfixturevalue("pg_server"), url=request.getfixturevalue("pg_url"))


@pytest.fixture
def fake_model():
    from support.fake_model import FakeModel
    fake = FakeModel().start()
    yield fake
    fake.stop()
