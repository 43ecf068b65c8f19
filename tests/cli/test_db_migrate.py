"""tests/cli/test_db_migrate.py: `sprout db migrate` on empty databases and bad input (every failure
gives a clear message, a non-zero exit and changes nothing), on SQLite files and PostgreSQL
databases alike (the `cli_db` fixture); and on the SQLite fixtures drizzle's own tooling made
(tests/data/fixtures), which only SQLite has."""
import json
import shutil

import pytest

from dbutil import FIXTURES, SPROUT_DRIZZLE, Locker, make_folder, query, state

pytestmark = pytest.mark.both_engines

# what drizzle's SQLite migrator recorded for the project's migrations (the fixtures)
HASH_0003 = "77ee815b4e8b7dc61e02f48eefd454b3d28cb1b8bd3a683198f1313e5dac24e3"
WHEN = [1771689780701, 1771690629145, 1771711182104, 1771958455749]
HASHES = ["97b504028c425d4849e7e18b11221a2a17cb665f55fe771d0fc8a811e73116ef",
          "10ede5fd6ff6754ffabca266be03444af00f9f4dfcb4c772eb67d6d024268780",
          "e484b6bc289fe15ff7c2ee82f2f11cf7031f06c9234b06809d8207f3a9e92f10", HASH_0003]
APP_TABLES = {"answers", "assessments", "branches", "chat_messages", "chat_sessions", "hint_events",
              "node_contents", "node_edges", "node_generations", "nodes", "questions",
              "topic_documents", "user_node_progress", "users"}


def migrate(sprout, db, folder=None, **kw):
    return sprout("--db", db.target, "--migrations", folder or db.shipped, "db", "migrate", **kw)


def sqlite_migrate(sprout, path, folder=SPROUT_DRIZZLE, **kw):
    return sprout("--db", path, "--migrations", folder, "db", "migrate", **kw)


def sqlite_tables(path):
    return {r[0] for r in query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.mark.sqlite_only("a database migrated by drizzle's SQLite migrator (tests/data/fixtures)")
def test_history_fixture_applies_only_0003(sprout, tmp_path):
    db = tmp_path / "history.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle-history.db", db)
    before, _ = state(db)
    p = sqlite_migrate(sprout, db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "Running migrations..."
    assert p.stdout.splitlines()[-1] == "Migrations complete."
    assert "applied 0003_little_rawhide_kid" in p.stdout and "0000_" not in p.stdout
    rows = query(db, "SELECT id, hash, created_at, typeof(created_at) FROM __drizzle_migrations ORDER BY rowid")
    assert rows == [(None, h, w, "integer") for h, w in zip(HASHES, WHEN)]
    after, _ = state(db)
    # existing objects untouched, except node_contents whose stored SQL gained the column
    assert [m[:3] for m in after[:len(before)]] == [m[:3] for m in before]
    assert [m for m in after[:len(before)] if m[1] != "node_contents"] == \
        [m for m in before if m[1] != "node_contents"]
    assert len(after) == len(before)
    assert [r[1] for r in query(db, "PRAGMA table_info(node_contents)")][-1] == "cards"


def test_empty_database_gets_full_schema(sprout, cli_db):
    p = migrate(sprout, cli_db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "Running migrations..."
    assert p.stdout.splitlines()[-1] == "Migrations complete."
    for tag in cli_db.tags():
        assert "applied %s" % tag in p.stdout
    assert cli_db.tables() == APP_TABLES and cli_db.has_tracking_table()
    assert "cards" in cli_db.columns("node_contents")
    assert cli_db.tracking_rows() == cli_db.expected_rows()


@pytest.mark.sqlite_only("the SQLite file's journal mode and integrity check")
def test_new_sqlite_database_is_wal_and_sound(sprout, tmp_path):
    db = tmp_path / "new.db"
    assert sqlite_migrate(sprout, db).returncode == 0
    assert query(db, "SELECT id, hash, created_at FROM __drizzle_migrations ORDER BY rowid") == \
        [(None, h, w) for h, w in zip(HASHES, WHEN)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]


@pytest.mark.sqlite_only("a database left by drizzle's SQLite migrator after a failure (tests/data/fixtures)")
def test_failed_drizzle_fixture_with_empty_tracking_table(sprout, tmp_path):
    db = tmp_path / "failed.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle.db", db)
    assert query(db, "SELECT count(*) FROM __drizzle_migrations") == [(0,)]
    p = sqlite_migrate(sprout, db)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("  applied ") == 4
    assert sqlite_tables(db) == APP_TABLES | {"__drizzle_migrations"}
    assert [r[0] for r in query(db, "SELECT hash FROM __drizzle_migrations ORDER BY rowid")] == HASHES


def test_second_run_is_up_to_date(sprout, cli_db):
    assert migrate(sprout, cli_db).returncode == 0
    before = cli_db.state()
    p = migrate(sprout, cli_db)
    assert p.returncode == 0
    assert "up to date" in p.stdout
    assert cli_db.state() == before


def test_project_folder_default_and_env_database(sprout, cli_db, tmp_path):
    """--db, else the environment, else .env; the project's folder (./drizzle or ./drizzle-pg)."""
    cwd = cli_db.project(tmp_path)
    dotenv, environ, flag, ignored = (cli_db.other(n, create=True) for n in
                                      ("from-env.db", "environ.db", "flag.db", "ignored.db"))
    (cwd / ".env").write_text("%s=%s\n" % (cli_db.env_var, dotenv.target))
    p = sprout("db", "migrate", cwd=cwd)
    assert p.returncode == 0, p.stderr
    assert dotenv.tracking_rows() == cli_db.expected_rows()
    p = sprout("db", "migrate", cwd=cwd, env=environ.env)
    assert p.returncode == 0 and environ.tracking_rows() == cli_db.expected_rows()
    p = sprout("--db", flag.target, "db", "migrate", cwd=cwd, env=ignored.env)
    assert p.returncode == 0 and flag.tracking_rows() == cli_db.expected_rows()
    assert not ignored.exists()
    assert not (cwd / "sprout.db").exists()  # the SQLite default is never used instead


def test_malformed_journal(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    (folder / "meta" / "_journal.json").write_text('{"version": "7", "entries": [')
    p = migrate(sprout, cli_db, folder)
    assert p.returncode == 2  # SP_EINVAL: the exit code of bad input
    assert "_journal.json" in p.stderr and "not valid JSON" in p.stderr
    assert not cli_db.exists()


def test_missing_journal(sprout, cli_db, tmp_path):
    (tmp_path / "empty").mkdir()
    p = migrate(sprout, cli_db, tmp_path / "empty")
    assert p.returncode == 1 and "Can't find meta/_journal.json" in p.stderr
    assert not cli_db.exists()


def test_journal_tag_without_sql_file(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    assert migrate(sprout, cli_db, folder).returncode == 0
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);"), ("0001_b", "CREATE TABLE b (x integer);")],
                dialect=cli_db.dialect)
    before = cli_db.state()
    (folder / "0001_b.sql").unlink()
    p = migrate(sprout, cli_db, folder)
    assert p.returncode == 1
    assert "No file" in p.stderr and "0001_b.sql" in p.stderr
    assert cli_db.state() == before


def test_failing_statement_rolls_back_everything(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    assert migrate(sprout, cli_db, folder).returncode == 0
    before = cli_db.state()
    make_folder(folder, [
        ("0000_a", "CREATE TABLE a (x integer);"),
        ("0001_b", "CREATE TABLE b (x integer);--> statement-breakpoint\nINSERT INTO a VALUES (1);"),
        ("0002_c", "CREATE TABLE c (y integer);--> statement-breakpoint\nINSERT INTO nosuch VALUES (1);"),
    ], dialect=cli_db.dialect)
    p = migrate(sprout, cli_db, folder)
    assert p.returncode == 1
    assert "0002_c" in p.stderr
    assert "INSERT INTO nosuch VALUES (1);" in p.stderr
    assert cli_db.no_such_table("nosuch") in p.stderr
    assert "nothing was applied" in p.stderr
    assert "Migrations complete." not in p.stdout
    assert cli_db.state() == before
    assert cli_db.rows("SELECT count(*) AS n FROM a") == [{"n": 0}]


@pytest.mark.sqlite_only("SQLite's double-quoted string literals, off as in better-sqlite3")
def test_dqs_off_like_better_sqlite3(sprout, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", 'CREATE TABLE a (x text);--> statement-breakpoint\nINSERT INTO a SELECT "extra";')])
    p = sqlite_migrate(sprout, tmp_path / "db.sqlite", folder)
    assert p.returncode == 1
    assert 'no such column: "extra"' in p.stderr or "no such column: extra" in p.stderr


def test_comment_only_chunk(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);--> statement-breakpoint\n-- just a comment\n")],
                dialect=cli_db.dialect)
    p = migrate(sprout, cli_db, folder)
    if not cli_db.rejects_empty_chunk:  # as drizzle's pg migrator: an empty query is no error
        assert p.returncode == 0, p.stderr
        assert cli_db.tables() == {"a"} and cli_db.tracking_rows() == cli_db.expected_rows(folder)
        return
    assert p.returncode == 1
    assert "contains no statements" in p.stderr and "0000_a" in p.stderr
    assert cli_db.tables() == set() and cli_db.tracking_rows() == []


def test_multi_statement_chunk_runs_each_statement(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);\nINSERT INTO a VALUES (1);\n"
                                    "/* c */ INSERT INTO a VALUES (2);;  -- note\n")], dialect=cli_db.dialect)
    assert migrate(sprout, cli_db, folder).returncode == 0
    assert cli_db.rows("SELECT x FROM a ORDER BY x") == [{"x": 1}, {"x": 2}]


def test_newest_created_at_rule(sprout, cli_db, tmp_path):
    """A migration older than the newest applied one is skipped, as drizzle does."""
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);"), ("0001_b", "CREATE TABLE b (x integer);")],
                dialect=cli_db.dialect)
    assert migrate(sprout, cli_db, folder).returncode == 0
    entries = make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);"), ("0001_b", "CREATE TABLE b (x integer);"),
                                   ("0002_c", "CREATE TABLE c (x integer);")], dialect=cli_db.dialect)
    # make 0002 older than 0001
    j = json.loads((folder / "meta" / "_journal.json").read_text())
    j["entries"][2]["when"] = entries[0]["when"] + 1
    (folder / "meta" / "_journal.json").write_text(json.dumps(j))
    p = migrate(sprout, cli_db, folder)
    assert p.returncode == 0 and "up to date" in p.stdout
    assert "c" not in cli_db.tables()
    p = sprout("--db", cli_db.target, "--migrations", folder, "db", "status")
    assert p.returncode == 0 and "skipped  0002_c" in p.stdout


@pytest.mark.sqlite_only("SQLite's file lock (PostgreSQL waits for the advisory lock: test_migrate_pg.py)")
def test_locked_database(sprout, tmp_path):
    db = tmp_path / "db.sqlite"
    folder = tmp_path / "mig"
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);")])
    assert sqlite_migrate(sprout, db, folder).returncode == 0
    make_folder(folder, [("0000_a", "CREATE TABLE a (x integer);"), ("0001_b", "CREATE TABLE b (x integer);")])
    before = state(db)
    lock = Locker(db)
    try:
        p = sqlite_migrate(sprout, db, folder, env={"SPROUT_BUSY_TIMEOUT_MS": "200"})
    finally:
        lock.stop()
    assert p.returncode == 1
    assert "SQLITE_BUSY" in p.stderr and "database is locked" in p.stderr
    assert "Close any SQLite browser tools" in p.stderr
    assert state(db) == before
    assert sqlite_migrate(sprout, db, folder).returncode == 0     # works once the lock is gone
    assert "b" in sqlite_tables(db)


def test_unknown_command_and_flags(sprout, cli_db):
    p = sprout("db", "frobnicate")
    assert p.returncode == 2 and "unknown command 'db frobnicate'" in p.stderr
    p = sprout("--db", cli_db.target, "db", "migrate", "--bogus")
    assert p.returncode == 2 and "unknown option '--bogus'" in p.stderr
    p = sprout("--db", cli_db.target, "db", "migrate", "extra")
    assert p.returncode == 2 and "unexpected argument" in p.stderr
    p = sprout("--db", cli_db.target, "db", "rollback", "--steps", "zero")
    assert p.returncode == 2 and "--steps" in p.stderr
    assert not cli_db.exists()


@pytest.mark.sqlite_only("paths of SQLite files that cannot be created")
def test_unwritable_database_path(sprout, tmp_path):
    for bad in (tmp_path / "missing-dir" / "db.sqlite", tmp_path / "afile" / "db.sqlite"):
        (tmp_path / "afile").write_text("not a directory")
        p = sqlite_migrate(sprout, bad)
        assert p.returncode == 1
        assert str(bad) in p.stderr and "cannot open database" in p.stderr
        assert not bad.exists()


def test_migrations_path_too_long_is_refused_not_truncated(sprout, cli_db):
    long_dir = "a/" * 2100  # longer than PATH_MAX once "/meta/_journal.json" is added
    for cmd in ("migrate", "status"):
        p = sprout("--db", cli_db.target, "--migrations", long_dir, "db", cmd)
        assert p.returncode == 2, p.stderr
        assert "the migrations folder path is too long" in p.stderr
    assert not cli_db.exists()
