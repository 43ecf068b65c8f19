"""tests/e2e/test_pg_instances.py: `sprout serve` instances on one PostgreSQL database (issue 9,
points 4 and 5): the connection pool (SPROUT_PG_POOL) and what several instances do to each
other, on the real binary and a real server (tests/support/pgserver.py). No timing asserts:
waits poll for a state with a generous deadline.

- The pool: never more connections than its size (counted in pg_stat_activity by
  application_name 'sprout'), more concurrent requests than connections all answered; a request
  finding it exhausted past SPROUT_PG_POOL_WAIT_MS gets 503 JSON naming it; a connection killed
  with pg_terminate_backend is replaced and the next request works; its default size follows
  the HTTP and agent threads, and the HTTP workers default to 4 per core, at least 16; with ONE
  connection, a request, an agent run, an upload and the sweeps each give it back.
- Two instances racing for real: the last two answers to an assessment through both at once
  (some rounds with both held on the assessment's answer lock, then let go): every assessment
  completed, each answer once, no retry needed.
- Two instances visiting the same few nodes at once (16 clients): no deadlock between their
  group-commit batches (counted by PostgreSQL, its deadlock_timeout at 20 ms), every visit
  counted once.
- A branch deleted through one instance while the other inserts nodes into it: no orphan.
- PostgreSQL stopped (fast shutdown) while writers run through two instances: 503 JSON, never a
  hang or crash; both recover when it is back; every acknowledged write is there.
- Ten instances started together on an empty database migrate once.
"""
import json
import os
import random
import re
import threading
import time

import psycopg2
import pytest

from conftest import DEFAULT_USER, ROOT, Server
from support.api import until
from support.pgserver import PgServer, _bin, backends

pytestmark = pytest.mark.one_engine("several instances on one PostgreSQL database")

U = DEFAULT_USER
RETRY_LINE = "transaction retried after a serialization failure or deadlock"


def sprout_pids(url, writers=False):
    """Backends of sprout's request connections on url's database (the pool's; with writers,
    also the group-commit writer's, named 'sprout writer')."""
    return backends(url, ["sprout", "sprout writer"] if writers else ["sprout"])


def serve(start_server, tmp_path, url, name, **env):
    e = {"DATABASE_URL": url}
    e.update({k: str(v) for k, v in env.items()})
    return start_server(db=tmp_path / (name + ".db"), env=e, cwd=tmp_path)


def post(srv, path, body, status=201):
    r = srv.request("POST", path, json=body)
    assert r.status == status, r
    return r.json


def in_threads(calls):
    """Run every call at once (released together by a barrier); their results in order."""
    out = [None] * len(calls)
    errors = []
    gate = threading.Barrier(len(calls))

    def go(i):
        try:
            gate.wait(30)
            out[i] = calls[i]()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    ths = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    assert not errors, errors
    assert not any(t.is_alive() for t in ths), "a request hung"
    return out


class TableLock:
    """An ACCESS EXCLUSIVE lock on a table, held by the test's own connection until release()."""

    def __init__(self, url, table):
        self.con = psycopg2.connect(url)
        self.con.cursor().execute("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE" % table)

    def release(self):
        self.con.commit()
        self.con.close()


# ---- the pool ----

def test_pool_size_is_honoured_and_more_requests_than_connections_succeed(start_server, pg_url,
                                                                          tmp_path):
    srv = serve(start_server, tmp_path, pg_url, "a", SPROUT_PG_POOL=3, SPROUT_THREADS=8,
                SPROUT_PG_POOL_WAIT_MS=120000)
    assert "a pool of 3 connections (SPROUT_PG_POOL)" in srv.output()
    b = post(srv, "/api/branches", {"title": "t", "userId": U})
    # every request blocks inside PostgreSQL on the test's lock: the pool fills up and stays at 3
    lock = TableLock(pg_url, "branches")
    results = []
    ths = [threading.Thread(target=lambda: results.append(
        srv.request("GET", "/api/branches?userId=" + U, timeout=120))) for _ in range(12)]
    for t in ths:
        t.start()
    try:
        until(lambda: sum(1 for _, w in sprout_pids(pg_url) if w == "Lock") == 3,
              "three requests waiting on the lock")
        for _ in range(20):  # and no fourth connection is opened while 9 requests wait
            assert len(sprout_pids(pg_url)) == 3
            time.sleep(0.02)
    finally:
        lock.release()
    for t in ths:
        t.join(120)
    assert len(results) == 12
    assert all(r.status == 200 and r.json == [b] for r in results), results
    assert len(sprout_pids(pg_url)) <= 3


def test_default_pool_size_counts_the_threads_that_can_hold_one(start_server, pg_url, tmp_path):
    # HTTP workers + 3 per agent worker (a topic run and its bootstrap threads) + 2
    srv = serve(start_server, tmp_path, pg_url, "a", SPROUT_THREADS=3, SPROUT_AGENT_WORKERS=5)
    assert "a pool of 20 connections (SPROUT_PG_POOL)" in srv.output()
    assert "waits up to 5000 ms for one (SPROUT_PG_POOL_WAIT_MS)" in srv.output()


def test_default_http_workers_on_postgresql_are_4_per_core_at_least_16(start_server, pg_url,
                                                                         tmp_path):
    # a worker mostly waits on PostgreSQL (round trips, its commit's WAL flush): more than cores
    workers = min(64, max(16, 4 * os.cpu_count()))
    srv = serve(start_server, tmp_path, pg_url, "a", SPROUT_AGENT_WORKERS=1)
    assert "HTTP worker threads (SPROUT_THREADS): %d (default on PostgreSQL" % workers \
        in srv.output()
    assert "a pool of %d connections (SPROUT_PG_POOL)" % (workers + 3 + 2) in srv.output()
    assert post(srv, "/api/branches", {"title": "t", "userId": U})["title"] == "t"
    srv.stop()
    srv = serve(start_server, tmp_path, pg_url, "b", SPROUT_THREADS=5)  # still overrides it
    assert "HTTP worker threads (SPROUT_THREADS): 5 (default" in srv.output()


def test_exhausted_pool_answers_503_naming_it(start_server, pg_url, tmp_path):
    srv = serve(start_server, tmp_path, pg_url, "a", SPROUT_PG_POOL=1, SPROUT_THREADS=4,
                SPROUT_PG_POOL_WAIT_MS=200)
    lock = TableLock(pg_url, "branches")
    held = []
    t = threading.Thread(target=lambda: held.append(
        srv.request("GET", "/api/branches?userId=" + U, timeout=120)))
    t.start()
    try:
        until(lambda: any(w == "Lock" for _, w in sprout_pids(pg_url)), "the request holding it")
        # a read needs a pool connection (a write would not: it goes to the group-commit
        # writer, which has connections of its own, storage/store_pgwriter.c)
        r = srv.request("GET", "/api/nodes?userId=" + U)
        assert r.status == 503, r
        assert "SPROUT_PG_POOL" in r.json["error"] and "busy" in r.json["error"]
    finally:
        lock.release()
    t.join(120)
    assert held[0].status == 200
    assert post(srv, "/api/branches", {"title": "y", "userId": U})["title"] == "y"
    assert [x["title"] for x in srv.request("GET", "/api/branches?userId=" + U).json] == ["y"]
    assert "all 1 PostgreSQL connections of the pool were busy" in srv.output()


def test_a_killed_connection_is_replaced(start_server, pg_url, tmp_path):
    srv = serve(start_server, tmp_path, pg_url, "a", SPROUT_PG_POOL=2)
    post(srv, "/api/branches", {"title": "before", "userId": U})
    old = {p for p, _ in sprout_pids(pg_url)}
    assert old
    con = psycopg2.connect(pg_url)
    con.autocommit = True
    for pid in old:
        con.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
    con.close()
    until(lambda: not ({p for p, _ in sprout_pids(pg_url)} & old), "the backends gone")
    # the very next request is served on a new connection, not failed on the dead one
    r = srv.request("GET", "/api/branches?userId=" + U)
    assert r.status == 200 and [x["title"] for x in r.json] == ["before"]
    assert post(srv, "/api/branches", {"title": "after", "userId": U})["title"] == "after"
    new = {p for p, _ in sprout_pids(pg_url)}
    assert new and not (new & old)


# ---- two instances ----

def test_two_instances_answer_the_last_questions_at_once_and_complete(start_server, pg_url,
                                                                       tmp_path):
    one = serve(start_server, tmp_path, pg_url, "a")
    two = serve(start_server, tmp_path, pg_url, "b")
    node = post(one, "/api/nodes", {"userId": U, "type": "concept", "title": "n"})
    made = []
    for round_ in range(40):
        a = post(one, "/api/assessments", {"userId": U, "targetNodeId": node["id"]})
        qs = [post(two, "/api/assessments/%s/questions" % a["id"], {"format": "mcq", "prompt": p})
              for p in ("1", "2")]
        made.append((a["id"], qs))
        calls = [lambda s=s, q=q: s.request(
            "POST", "/api/assessments/%s/answers" % a["id"],
            json={"userId": U, "questionId": q["id"], "isCorrect": True, "score": 1})
            for s, q in ((one, qs[0]), (two, qs[1]))]
        if round_ % 4:  # the last two answers at once, one through each instance
            rs = in_threads(calls)
        else:  # ... and, for sure, both waiting on the assessment's answer lock, then let go
            rs = answers_released_together(pg_url, a["id"], calls)
        assert [r.status for r in rs] == [201, 201], rs
    # the data is right: every assessment completed (each completion check saw the other
    # answer), each answer once, and nothing needed a retry (no serialization failure)
    for aid, qs in made:
        assert one.request("GET", "/api/assessments/" + aid).json["completedAt"], aid
        got = two.request("GET", "/api/assessments/%s/answers" % aid).json
        assert sorted(x["questionId"] for x in got) == sorted(q["id"] for q in qs)
    assert RETRY_LINE not in one.output() + two.output()


def answers_released_together(url, assessment_id, calls):
    """Hold the answers' advisory lock of the assessment (storage/store_assessments.c: key
    ("sprout.answers", id, "")) on the test's connection, send the calls, wait until every one
    waits for it inside PostgreSQL, release it; their results in order."""
    con = psycopg2.connect(url)
    con.autocommit = True
    key = "SELECT %s(hashtext('sprout.answers'), hashtext(%%s || '/' || ''))"
    con.cursor().execute(key % "pg_advisory_lock", (assessment_id,))
    out = [None] * len(calls)
    try:
        def go(i):
            out[i] = calls[i]()
        ths = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
        for t in ths:
            t.start()
        until(lambda: sum(1 for _, w in sprout_pids(url, True) if w == "Lock") == len(calls),
              "every answer waiting for the assessment's lock")
    finally:
        con.cursor().execute(key % "pg_advisory_unlock", (assessment_id,))
        con.close()
    for t in ths:
        t.join(120)
    assert not any(t.is_alive() for t in ths), "a request hung"
    return out


def test_two_instances_visiting_the_same_nodes_never_deadlock(start_server, pg_url, tmp_path):
    """Each instance's group-commit batch updates several progress rows in one transaction; two
    batches taking two rows in opposite orders deadlock (the two-server benchmark: p99 0.6 s).
    The writer runs a batch's visits in one order on every instance, so none do. PostgreSQL
    looks for deadlocks after 20 ms on this database (not the 1 s default, which is past the
    writer's 200 ms lock_timeout), so each one is counted in pg_stat_database."""
    con = psycopg2.connect(pg_url)
    con.autocommit = True
    cur = con.cursor()
    cur.execute("SELECT current_database()")
    cur.execute("ALTER DATABASE \"%s\" SET deadlock_timeout = '20ms'" % cur.fetchone()[0])
    one = serve(start_server, tmp_path, pg_url, "a")
    two = serve(start_server, tmp_path, pg_url, "b")
    nodes = [post(one, "/api/nodes", {"userId": U, "type": "concept", "title": f"n{k}"})["id"]
             for k in range(6)]
    for n in nodes:  # the first visits make the rows
        post(two, "/api/progress", {"userId": U, "nodeId": n})

    def deadlocks():
        cur.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]

    before, visits = deadlocks(), 120

    def client(srv, seed):
        rnd = random.Random(seed)
        return [srv.request("POST", "/api/progress",
                            json={"userId": U, "nodeId": rnd.choice(nodes)}).status
                for _ in range(visits)]
    results = in_threads([lambda s=s, k=k: client(s, k)
                          for k, s in enumerate([one, two] * 8)])
    assert all(st == 200 for r in results for st in r), results
    cur.execute("SELECT sum(attempts_count) FROM user_node_progress WHERE user_id = %s", (U,))
    assert cur.fetchone()[0] == len(nodes) + 16 * visits
    logs = one.output() + two.output()
    one.stop()
    two.stop()
    # a backend reports its deadlocks when it exits at the latest
    until(lambda: not sprout_pids(pg_url, True), "sprout's connections closed")
    assert deadlocks() == before, logs[-3000:]
    assert "deadlock" not in logs, logs[-3000:]
    con.close()


def test_branch_deleted_while_the_other_instance_inserts_leaves_no_orphan(start_server, pg_url,
                                                                          tmp_path):
    one = serve(start_server, tmp_path, pg_url, "a")
    two = serve(start_server, tmp_path, pg_url, "b")
    for round_ in range(8):
        b = post(one, "/api/branches", {"title": "b%d" % round_, "userId": U})
        root = post(one, "/api/nodes", {"userId": U, "type": "root", "title": "r",
                                        "branchId": b["id"]})
        inserted, answered = [], threading.Event()

        def insert_many():  # until two inserts started after the delete had answered
            i = after = 0
            while after < 2:
                late = answered.is_set()
                after += late
                r = two.request("POST", "/api/nodes", json={
                    "userId": U, "type": "concept", "title": "c%d" % i, "branchId": b["id"],
                    "parentId": root["id"] if i % 2 else None})
                inserted.append((late, r))
                i += 1

        def delete_later():
            time.sleep(0.005 * round_)  # a different interleaving each round (not asserted)
            r = one.request("DELETE", "/api/branches/" + b["id"])
            answered.set()
            return r
        _, deleted = in_threads([insert_many, delete_later])
        assert deleted.status == 204, deleted
        for late, r in inserted:
            assert r.status in ((404, 409) if late else (201, 404, 409)), r
            assert r.status == 201 or "error" in r.json
        assert one.request("GET", "/api/branches/" + b["id"]).status == 404
        # nothing of the branch is left, and nothing points at what was deleted
        assert one.sql("SELECT id FROM nodes WHERE branch_id = ?", b["id"]) == []
        assert one.sql("SELECT id FROM nodes WHERE parent_id = ?", root["id"]) == []
        for _, r in inserted:
            if r.status == 201:
                assert two.request("GET", "/api/nodes/" + r.json["id"]).status == 404
    orphans = one.sql("SELECT n.id FROM nodes n LEFT JOIN branches b ON b.id = n.branch_id "
                      "WHERE n.branch_id IS NOT NULL AND b.id IS NULL")
    assert orphans == []


def _pg_ctl(pg, *args):
    p = pg._run([_bin("pg_ctl"), "-D", pg.data, *args], cwd=pg.base)
    assert p.returncode == 0, p.stdout + p.stderr


def test_postgresql_killed_mid_load(start_server, tmp_path):
    pg = PgServer.start()  # its own server: this test stops it
    try:
        url = pg.create_database()
        servers = [serve(start_server, tmp_path, url, n) for n in ("a", "b")]
        acked, statuses, lock = [], [], threading.Lock()
        phase = {"stop": False}

        def writer(srv, k):
            i = 0
            while not phase["stop"]:
                i += 1
                title = "w%d-%d" % (k, i)
                r = srv.request("POST", "/api/branches", json={"title": title, "userId": U},
                                timeout=60)
                with lock:
                    statuses.append((r.status, r.json))
                    if r.status == 201:
                        assert r.json["title"] == title
                        acked.append(r.json["id"])
                if r.status != 201:
                    time.sleep(0.01)
        ths = [threading.Thread(target=writer, args=(servers[k % 2], k)) for k in range(4)]
        for t in ths:
            t.start()
        try:
            until(lambda: len(acked) >= 20, "writes before the stop")
            _pg_ctl(pg, "-m", "fast", "-w", "stop")
            n = len(statuses)
            until(lambda: sum(1 for s, _ in statuses[n:] if s == 503) >= 8, "503s while down")
            opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off" % (pg.port, pg.data)
            _pg_ctl(pg, "-o", opts, "-l", os.path.join(pg.base, "log"), "-w", "-t", "60", "start")
            m = len(statuses)
            until(lambda: sum(1 for s, _ in statuses[m:] if s == 201) >= 8, "writes after")
        finally:
            phase["stop"] = True
            for t in ths:
                t.join(120)
        assert not any(t.is_alive() for t in ths), "a writer hung"
        assert {s for s, _ in statuses} <= {201, 503}, {s for s, _ in statuses}
        assert all("error" in body for s, body in statuses if s == 503)
        for srv in servers:  # both recovered
            assert srv.request("GET", "/api/branches/" + acked[-1]).status == 200
        stored = {r["id"] for r in servers[0].sql("SELECT id FROM branches")}
        assert set(acked) <= stored, "an acknowledged write was lost"
        for srv in servers:
            srv.stop()  # exit 0, no sanitizer report
    finally:
        pg.stop()


def test_ten_instances_started_together_migrate_once(pg_url, tmp_path):
    servers, errors = [], []

    def start(i):
        try:
            servers.append(Server(tmp_path / ("s%d.db" % i), tmp_path,
                                  env={"DATABASE_URL": pg_url}, ready_timeout=120))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    ths = [threading.Thread(target=start, args=(i,)) for i in range(10)]
    try:
        for t in ths:
            t.start()
        for t in ths:
            t.join(180)
        assert not errors, errors
        assert len(servers) == 10
        journal = json.loads((ROOT / "drizzle-pg/meta/_journal.json").read_text())
        rows = servers[0].sql('SELECT hash, created_at FROM drizzle."__drizzle_migrations"')
        assert len(rows) == len(journal["entries"])
        assert sorted(int(r["created_at"]) for r in rows) == \
            sorted(e["when"] for e in journal["entries"])
        applied = [s for s in servers if re.search(r"Applied [1-9]", s.output())]
        assert len(applied) == 1, [s.output() for s in servers]
        assert sum("Default user seeded." in s.output() for s in servers) == 1
        made = [post(s, "/api/branches", {"title": "from %d" % i, "userId": U})
                for i, s in enumerate(servers)]
        for s in servers:  # all ten serve, and see each other's writes
            got = s.request("GET", "/api/branches?userId=" + U).json
            assert sorted(x["id"] for x in got) == sorted(x["id"] for x in made)
    finally:
        for s in servers:
            s.stop()


def test_every_kind_of_request_gives_its_connection_back(start_server, pg_url, tmp_path,
                                                         fake_model):
    """With a pool of ONE connection, a request, an upload, an agent run (the fake model) and
    the sweeps one after the other: each must give the connection back, or the next one would
    wait for it and get 503."""
    from support.concept import DIAGNOSTIC, questions_json
    from support.documents import part, upload
    from support.fake_model import text
    env = dict(fake_model.env("anthropic"), DATABASE_URL=pg_url, SPROUT_PG_POOL="1",
               SPROUT_PG_POOL_WAIT_MS="3000")
    srv = start_server(db=tmp_path / "a.db", env=env, cwd=tmp_path)
    t = post(srv, "/api/nodes", {"userId": U, "type": "root", "title": "Topic T"})
    c = post(srv, "/api/nodes", {"userId": U, "type": "concept", "title": "Graphs",
                                 "parentId": t["id"]})
    fake_model.on(DIAGNOSTIC, text(questions_json(10)))
    r = srv.request("GET", "/api/agents/concepts/%s/diagnostic?userId=%s" % (c["id"], U))
    assert r.status == 200, r
    assert len(r.json["questions"]) == 10
    up = upload(srv, t["id"], [part(b"some notes", "notes.txt")])
    assert up.status in (200, 201), up
    for _ in range(3):
        assert srv.request("GET", "/api/nodes/%s/documents" % t["id"]).status == 200
        assert srv.request("GET", "/api/assessments?userId=" + U).status == 200
    assert len(sprout_pids(pg_url)) == 1
    assert "connections of the pool were busy" not in srv.output()
