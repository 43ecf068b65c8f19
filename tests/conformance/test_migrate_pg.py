"""tests/conformance/test_migrate_pg.py: what only PostgreSQL has, on a real PostgreSQL server
(conftest `pg_server`): `sprout db migrate` against drizzle-orm's node-postgres migrator, the
migration lock, catalog dumps.

- Migrator conformance: applying tests/data/drizzle-kit-pg/expected/ truncated to k migrations,
  one run per step as the reference did, leaves the database exactly as drizzle's migrator left
  it (applied/stepKK.sql: schemas, enums, sequences, columns, constraints, indexes, tracking rows).
- Interchange: a database migrated the way drizzle's migrator does it (its logged queries,
  replayed through psql) is accepted by `sprout db status` and `sprout db migrate`, and the reverse.
- Ten `sprout db migrate` started at once on an empty database migrate it once (advisory lock);
  a migrate waits for another lock holder.
- Generated down migrations and `db check` on every conformance step; the type round trip;
  URLs (passwords never printed, unreachable servers, a file path keeping SQLite).
The `sprout db` commands themselves (status, check, push, baseline, rollback, reset, backup,
restore, seed, migrate's failures) run on both engines in tests/cli (`cli_db` fixture).
"""
import json
import os
import re
import subprocess
import threading

import pytest

from conftest import DATA, ROOT, run_sprout
from support.pgdump import dump
from support.pgserver import PgServer, _bin
from test_generate_pg import MORE, STEPS, truncated

CONF = DATA / "drizzle-kit-pg"
EXPECTED = CONF / "expected"
BREAK = "--> statement-breakpoint"
SHIPPED = json.loads((ROOT / "drizzle-pg" / "meta" / "_journal.json").read_text())["entries"]
N_SHIPPED = len(SHIPPED)  # 0000 the tables, 0001 their rowid column, 0002 an index with it


def journal(folder):
    return json.loads((folder / "meta" / "_journal.json").read_text())["entries"]


def migrate(url, folder=None, *extra):
    args = ["--db", url]
    if folder is not None:
        args += ["--migrations", folder]
    return run_sprout(*args, "db", "migrate", *extra)


def test_migrator_conformance_step_by_step(tmp_path, pg_server, pg_url):
    entries = journal(EXPECTED)
    for k in range(1, 7):
        folder = tmp_path / ("k%d" % k)
        truncated(EXPECTED, folder, k)
        p = migrate(pg_url, folder)
        assert p.returncode == 0, p.stderr
        assert "Applied 1 migration" in p.stdout
        got = dump(pg_server, pg_url, entries, k)
        want = (CONF / "applied" / ("step%02d.sql" % k)).read_text()
        assert got == want, "step %d differs" % k
    p = migrate(pg_url, folder)
    assert p.returncode == 0 and "No pending migrations" in p.stdout


def drizzle_migrator_run(srv, url, folder):
    """What drizzle-orm's pg migrator sends (applied/migrator-log.txt), replayed with psql."""
    srv.psql(url, 'CREATE SCHEMA IF NOT EXISTS "drizzle"')
    srv.psql(url, 'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, '
                  'hash text NOT NULL, created_at bigint)')
    last = srv.psql(url, 'select created_at from "drizzle"."__drizzle_migrations" order by created_at desc limit 1')
    last = int(last.strip()) if last.strip() else None
    script = ["begin;"]
    import hashlib
    for e in journal(folder):
        if last is not None and not last < e["when"]:
            continue
        text = (folder / (e["tag"] + ".sql")).read_text()
        script += [c + ";" for c in text.split(BREAK)]
        script.append("insert into \"drizzle\".\"__drizzle_migrations\" (\"hash\", \"created_at\") values('%s', %d);"
                      % (hashlib.sha256(text.encode()).hexdigest(), e["when"]))
    script.append("commit;")
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input="\n".join(script),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_database_migrated_by_drizzle_is_accepted(tmp_path, pg_server, pg_url):
    folder = tmp_path / "m"
    truncated(EXPECTED, folder, 6)
    drizzle_migrator_run(pg_server, pg_url, folder)
    p = run_sprout("--db", pg_url, "--migrations", folder, "db", "status")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("  applied  ") == 6
    assert "6 applied, 0 pending." in p.stdout
    p = migrate(pg_url, folder)
    assert p.returncode == 0 and "No pending migrations" in p.stdout
    assert dump(pg_server, pg_url, journal(EXPECTED), 6) == (CONF / "applied" / "step06.sql").read_text()


def test_database_migrated_by_sprout_is_accepted_by_drizzle(tmp_path, pg_server, pg_url):
    folder = tmp_path / "m"
    truncated(EXPECTED, folder, 3)
    assert migrate(pg_url, folder).returncode == 0
    # drizzle's rule (newest created_at < when) on our rows: nothing pending, then the next one
    before = pg_server.psql(pg_url, "select count(*) from drizzle.__drizzle_migrations").strip()
    drizzle_migrator_run(pg_server, pg_url, folder)
    assert pg_server.psql(pg_url, "select count(*) from drizzle.__drizzle_migrations").strip() == before == "3"
    folder4 = tmp_path / "m4"
    truncated(EXPECTED, folder4, 4)
    drizzle_migrator_run(pg_server, pg_url, folder4)
    p = run_sprout("--db", pg_url, "--migrations", folder4, "db", "status")
    assert p.returncode == 0 and "4 applied, 0 pending." in p.stdout


def test_ten_instances_migrate_once(pg_server, pg_url):
    results = [None] * 10

    def go(i):
        results[i] = run_sprout("--db", pg_url, "db", "migrate", timeout=120)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in results:
        assert p.returncode == 0, p.stderr
    applied = [p for p in results if "Applied %d migrations" % N_SHIPPED in p.stdout]
    assert len(applied) == 1
    assert sum("No pending migrations" in p.stdout for p in results) == 9
    assert pg_server.psql(pg_url, "select count(*) from drizzle.__drizzle_migrations").strip() == str(N_SHIPPED)


def test_a_file_path_keeps_sqlite_when_database_url_is_set(tmp_path, pg_server, pg_url):
    """--db PATH selects SQLite even when the environment names a PostgreSQL database (the
    precedence of --db / DATABASE_URL / .env on each engine: tests/cli/test_db_migrate.py)."""
    p = run_sprout("--db", tmp_path / "x.db", "db", "migrate", cwd=tmp_path, env={"DATABASE_URL": pg_url})
    assert p.returncode == 0 and (tmp_path / "x.db").exists()
    assert pg_server.psql(pg_url, "select to_regclass('drizzle.__drizzle_migrations') is null").strip() == "t"


def test_password_never_printed(tmp_path, pg_url):
    url = pg_url.replace("sprout@", "sprout:s3cret@")  # trust authentication ignores it
    for cmd in (["db", "migrate"], ["db", "status"]):
        p = run_sprout("--db", url, *cmd, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        assert "s3cret" not in p.stdout + p.stderr
        assert "sprout:***@127.0.0.1" in p.stdout


def test_unreachable_server_fails_cleanly(pg_server):
    url = "postgres://sprout:secret@127.0.0.1:1/nosuch"
    for cmd in (["db", "migrate"], ["db", "status"], ["db", "seed"]):
        p = run_sprout("--db", url, *cmd)
        assert p.returncode == 1, cmd
        assert "cannot connect to PostgreSQL at postgres://sprout:***@127.0.0.1:1/nosuch" in p.stderr
        assert "secret" not in p.stderr


@pytest.mark.parametrize("conf,step", STEPS, ids=["step%02d" % s for _, s in STEPS])
def test_generated_down_restores_previous_state(tmp_path, pg_server, pg_url, conf, step):
    """Up then the generated .down.sql on a real server: the database is as before the step."""
    from test_generate_pg import rename_flags
    folder = tmp_path / "m"
    truncated(conf / "expected", folder, step - 1)
    before = None
    if step > 1:
        assert migrate(pg_url, folder).returncode == 0
        before = dump(pg_server, pg_url, journal(conf / "expected"), step - 1)
    p = run_sprout("db", "generate", "--dialect", "postgresql", "--migrations", folder, "--schema",
                   conf / "cases" / ("step%02d.json" % step), *rename_flags(step), "--name", "s%d" % step)
    assert p.returncode == 0, p.stderr
    p = migrate(pg_url, folder)
    assert p.returncode == 0 and "Applied 1 migration" in p.stdout, p.stderr
    p = run_sprout("--db", pg_url, "--migrations", folder, "db", "rollback")
    assert p.returncode == 0, p.stderr
    if before is None:
        assert pg_server.psql(pg_url, "select count(*) from pg_tables where schemaname <> 'drizzle' and "
                                      "schemaname not like 'pg\\_%' and schemaname <> 'information_schema'").strip() == "0"
        return
    after = dump(pg_server, pg_url, journal(conf / "expected"), step - 1)
    # PostgreSQL keeps a dropped column's ordinal position, and an enum value cannot be removed
    # in place (drizzle-kit's recreate sequence renumbers the type): compare what a client sees
    # ... and a table made again by the down file names its primary key after its current name
    # (a renamed table kept its old <table>_pkey)
    def strip(text):
        return sorted(re.sub(r"\b\w+_pkey\b", "PKEY", re.sub(r"^--     \d+ ", "--     ", line))
                      for line in text.splitlines())
    assert strip(after) == strip(before)


# ---- check / push / baseline: the live database read back and compared ----

@pytest.mark.parametrize("k", range(1, 12))
def test_check_matches_after_each_conformance_step(tmp_path, pg_url, k):
    """Every feature of the conformance set (serial, identity, enums, numeric, varchar, jsonb,
    partial and unique indexes, composite keys, a second schema, checks) reads back as its snapshot."""
    folder = tmp_path / "m"
    truncated(MORE / "expected", folder, k)
    assert migrate(pg_url, folder).returncode == 0
    p = run_sprout("--db", pg_url, "--migrations", folder, "db", "check")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Database schema matches" in p.stdout


def test_check_reports_each_kind_of_drift(tmp_path, pg_server, pg_url):
    folder = tmp_path / "m"
    truncated(EXPECTED, folder, 2)
    assert migrate(pg_url, folder).returncode == 0
    pg_server.psql(pg_url, 'ALTER TABLE "authors" ADD COLUMN "extra" text; DROP INDEX "members_role_joined_idx"; '
                           "ALTER TABLE \"authors\" ALTER COLUMN \"country\" SET DEFAULT 'nowhere'")
    p = run_sprout("--db", pg_url, "--migrations", folder, "db", "check")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "authors: column extra dropped" in p.stdout
    assert "members_role_joined_idx added" in p.stdout
    assert "country default changed" in p.stdout


def test_shipped_migration_leaves_what_drizzle_left(tmp_path, pg_server, pg_url):
    """drizzle-pg/ applied by us = the same schema.ts's migration applied by drizzle's migrator
    (tests/data/sprout-pg/applied.sql), tracking row and hash included."""
    assert run_sprout("--db", pg_url, "db", "migrate", cwd=tmp_path).returncode == 0
    got = dump(pg_server, pg_url, journal(ROOT / "drizzle-pg"), N_SHIPPED).split("\n", 2)[2]
    want = (DATA / "sprout-pg" / "applied.sql").read_text().split("\n", 1)[1]
    assert got == want


def test_type_choices_round_trip(tmp_path, pg_server, pg_url):
    """The values the API reads back: SQLite's default timestamp text (UTC, whole seconds, one
    per statement), shortest round-trip doubles, booleans, JSON text byte for byte."""
    assert run_sprout("--db", pg_url, "db", "migrate", cwd=tmp_path).returncode == 0
    assert run_sprout("--db", pg_url, "db", "seed", cwd=tmp_path).returncode == 0
    u = "00000000-0000-0000-0000-000000000000"
    out = pg_server.psql(pg_url,
        "SET TimeZone = 'America/New_York'; "
        "INSERT INTO branches (id, title, user_id) VALUES ('b1', 't', '%s'); "
        "INSERT INTO nodes (id, user_id, branch_id, type, title, accuracy_score) "
        "VALUES ('n1', '%s', 'b1', 'banana', 't', 1.0/3); "
        "INSERT INTO node_contents (id, node_id, explanation_md, cards) VALUES ('c1', 'n1', 'e', '{\"b\": 1,  \"a\":[1, 2.50], \"b\": 2}'); "
        "INSERT INTO user_node_progress (id, user_id, node_id, mastery_score) VALUES ('p1', '%s', 'n1', 0.1); "
        "SELECT n.accuracy_score, p.mastery_score, p.has_generated_subnodes, c.cards, n.type, "
        "n.created_at ~ '^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$', "
        "abs(extract(epoch from (n.created_at::timestamp - (now() at time zone 'utc')))) < 5 "
        "FROM nodes n JOIN user_node_progress p ON p.node_id = n.id JOIN node_contents c ON c.node_id = n.id"
        % (u, u, u))
    assert out.strip() == '0.3333333333333333|0.1|f|{"b": 1,  "a":[1, 2.50], "b": 2}|banana|t|t'


def test_serve_on_unreachable_postgresql_fails(tmp_path):
    """serve runs on PostgreSQL (tests/e2e/test_pg_serve.py); a server it cannot reach is an
    error at start-up, never a silent fall back to a SQLite file."""
    p = run_sprout("serve", "--port", "0", cwd=tmp_path, env={"DATABASE_URL": "postgres://u@127.0.0.1:1/x"})
    assert p.returncode != 0
    assert "cannot connect to PostgreSQL" in p.stderr
    assert not (tmp_path / "sprout.db").exists()


def test_folder_of_the_other_dialect_is_refused(tmp_path, pg_server, pg_url):
    p = run_sprout("--db", pg_url, "--migrations", ROOT / "drizzle", "db", "migrate")
    assert p.returncode == 2  # a wrong --migrations, like a malformed journal
    assert "are for sqlite, but the database is PostgreSQL" in p.stderr
    assert pg_server.psql(pg_url, "select to_regclass('drizzle.__drizzle_migrations') is null").strip() == "t"
    p = run_sprout("--db", tmp_path / "x.db", "--migrations", ROOT / "drizzle-pg", "db", "migrate")
    assert p.returncode == 2
    assert "are for postgresql, but the database is SQLite" in p.stderr


def test_migrate_waits_for_the_lock_holder(tmp_path, pg_server, pg_url):
    """While another session holds the migration lock, migrate says so and waits; it migrates
    once the holder lets go."""
    import os
    from conftest import BIN, assert_no_sanitizer_report
    holder = subprocess.Popen(["psql", "-X", "-q", "-At", "-d", pg_url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    holder.stdin.write("select pg_advisory_lock(8318274334790793837);\nselect 'held';\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() in ("", "held")
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    m = subprocess.Popen([BIN, "--db", pg_url, "db", "migrate"], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    for line in m.stdout:  # blocks until migrate reports that it waits
        lines.append(line)
        if "waiting" in line:
            break
    assert "another process is migrating this database" in "".join(lines)
    assert pg_server.psql(pg_url, "select count(*) from pg_tables where schemaname = 'public'").strip() == "0"
    holder.stdin.write("select pg_advisory_unlock(8318274334790793837);\n")
    holder.stdin.close()
    holder.wait(timeout=60)
    out, err = m.communicate(timeout=60)
    assert_no_sanitizer_report(err)
    assert m.returncode == 0, err
    assert "Applied %d migrations" % N_SHIPPED in out


# ---- 0001: the hidden insertion-order column on a database migrated before it ----

def test_rowid_migration_keeps_the_order_of_existing_rows(tmp_path):
    """A database made by 0000 alone, with rows on many pages (one updated, so moved in the
    heap; one deleted), upgraded by `sprout db migrate`: ADD COLUMN ... GENERATED ALWAYS AS
    IDENTITY rewrites each table and numbers its rows in heap order, the order `ORDER BY ctid`
    (what lists used before) gave. The server has a tiny shared_buffers and a scan stopped half
    way just before, so a synchronized scan would start the numbering mid-table: the migrator
    turns them off. Then `db check` is clean, new rows come last and an update keeps its place."""
    srv = PgServer.start()  # its own server: restarted with another shared_buffers
    try:
        url = srv.create_database()
        srv.psql(url, "ALTER SYSTEM SET shared_buffers = '256kB'")  # synchronized above 8 pages
        p = srv._run([_bin("pg_ctl"), "-D", srv.data, "-w", "-l", os.path.join(srv.base, "log"),
                      "restart"], cwd=srv.base)
        assert p.returncode == 0, p.stdout + p.stderr
        old = tmp_path / "old"
        truncated(ROOT / "drizzle-pg", old, 1)
        assert migrate(url, old).returncode == 0
        u = "00000000-0000-0000-0000-000000000000"
        srv.psql(url,
            "INSERT INTO users (id, email) VALUES ('%s', 'a@b'); "
            "INSERT INTO nodes (id, user_id, type, title) "
            "SELECT 'n' || lpad(i::text, 4, '0'), '%s', 'root', repeat('x', 200) FROM generate_series(1, 1500) i; "
            "UPDATE nodes SET title = 'moved' WHERE id = 'n0002'; "
            "DELETE FROM nodes WHERE id = 'n0005'" % (u, u))
        before = srv.psql(url, "SELECT id FROM nodes ORDER BY ctid").split()
        assert before[-1] == "n0002" and len(before) == 1499
        assert int(srv.psql(url, "SELECT pg_relation_size('nodes') / 8192")) > 32
        srv.psql(url, "SELECT count(*) FROM (SELECT id FROM nodes LIMIT 1000) x")  # stops mid-table
        p = migrate(url)  # the shipped folder
        assert p.returncode == 0, p.stderr
        assert "Applied %d migration" % (N_SHIPPED - 1) in p.stdout and SHIPPED[1]["tag"] in p.stdout
        after = srv.psql(url, "SELECT id FROM nodes ORDER BY rowid").split()
        assert after == before
        assert srv.psql(url, "SELECT min(rowid), max(rowid) FROM nodes").strip() == "1|1499"
        assert srv.psql(url, "SELECT rowid FROM users").strip() == "1"
        p = run_sprout("--db", url, "db", "check", cwd=tmp_path)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Database schema matches" in p.stdout
        # nothing inserts it: a new row gets the next number, an update keeps it, ALWAYS refuses one
        srv.psql(url, "INSERT INTO nodes (id, user_id, type, title) VALUES ('z', '%s', 'root', 't'); "
                      "UPDATE nodes SET title = 'again' WHERE id = 'n0001'" % u)
        assert srv.psql(url, "SELECT id FROM nodes ORDER BY rowid").split() == before + ["z"]
        srv.psql(url, "INSERT INTO nodes (id, user_id, type, title, rowid) "
                      "VALUES ('y', '%s', 'root', 't', 7)" % u, check=False)
        assert srv.psql(url, "SELECT count(*) FROM nodes WHERE id = 'y'").strip() == "0"
    finally:
        srv.stop()
