"""tests/cli/test_db_commands.py: status, rollback, reset, backup, restore and seed, on SQLite files
and PostgreSQL databases alike (the `cli_db` fixture; what differs by engine is said in
tests/support/clidb.py). check, push and baseline, which need the diff engine, are in
test_db_drift.py."""
import re
import shutil
import sqlite3
import threading
import time

import pytest

from conftest import DEFAULT_USER
from dbutil import FIXTURES, make_folder, query

pytestmark = pytest.mark.both_engines

A = ("0000_a", "CREATE TABLE a (x integer);")
B = ("0001_b", "CREATE TABLE b (y text);--> statement-breakpoint\nCREATE INDEX b_y_idx ON b (y);")
C = ("0002_c", "ALTER TABLE a ADD COLUMN z integer DEFAULT 0;")
DOWNS = {"0000_a": "DROP TABLE a;", "0001_b": "DROP INDEX b_y_idx;--> statement-breakpoint\nDROP TABLE b;",
         "0002_c": "ALTER TABLE a DROP COLUMN z;"}


def db_cmd(sprout, db, folder, *args, **kw):
    return sprout("--db", db.target, "--migrations", folder, "db", *args, **kw)


def setup_abc(sprout, db, tmp_path, downs=DOWNS):
    folder = tmp_path / "mig"
    make_folder(folder, [A, B, C], downs, dialect=db.dialect)
    p = db_cmd(sprout, db, folder, "migrate")
    assert p.returncode == 0, p.stderr
    return folder


# ---- status ----

def test_status_up_to_date_and_pending(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [A, B], dialect=cli_db.dialect)
    p = db_cmd(sprout, cli_db, folder, "status")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "pending  0000_a" in p.stdout and "pending  0001_b" in p.stdout
    assert "0 applied, 2 pending." in p.stdout
    assert not cli_db.exists()  # status writes nothing, not even the tracking table
    if not cli_db.pg:
        assert "does not exist yet" in p.stdout
    assert db_cmd(sprout, cli_db, folder, "migrate").returncode == 0
    p = db_cmd(sprout, cli_db, folder, "status")
    assert p.returncode == 0, p.stdout
    assert "applied  0000_a" in p.stdout and "2 applied, 0 pending" in p.stdout
    make_folder(folder, [A, B, C], dialect=cli_db.dialect)
    p = db_cmd(sprout, cli_db, folder, "status")
    assert p.returncode == 3
    assert "pending  0002_c" in p.stdout and "sprout db migrate" in p.stdout


def test_status_flags_edited_file_and_unknown_row(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    (folder / "0001_b.sql").write_text(B[1] + "\n-- edited")
    cli_db.exec(f"INSERT INTO {cli_db.tracking} (hash, created_at) VALUES ('feed', 42)")
    p = db_cmd(sprout, cli_db, folder, "status")
    assert p.returncode == 0
    assert re.search(r"applied  0001_b .*EDITED after applying", p.stdout)
    assert "matches no journal entry" in p.stdout and "created_at 42" in p.stdout


# ---- rollback ----

def test_rollback_one_then_migrate_again(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    p = db_cmd(sprout, cli_db, folder, "rollback")
    assert p.returncode == 0, p.stderr
    assert "rolled back 0002_c" in p.stdout
    assert cli_db.columns("a") == ["x"]
    assert len(cli_db.tracking_rows()) == 2
    p = db_cmd(sprout, cli_db, folder, "status")
    assert p.returncode == 3 and "pending  0002_c" in p.stdout
    assert db_cmd(sprout, cli_db, folder, "migrate").returncode == 0
    assert cli_db.columns("a") == ["x", "z"]


def test_rollback_steps_newest_first(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    p = db_cmd(sprout, cli_db, folder, "rollback", "--steps", "2")
    assert p.returncode == 0, p.stderr
    assert p.stdout.index("0002_c") < p.stdout.index("0001_b")
    assert cli_db.tables() == {"a"} and cli_db.has_tracking_table()
    assert cli_db.indexes() == set()
    assert [w for _, w in cli_db.tracking_rows()] == [1700000000000]


def test_rollback_missing_down_file_changes_nothing(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path, downs={"0002_c": DOWNS["0002_c"]})
    before = cli_db.state()
    p = db_cmd(sprout, cli_db, folder, "rollback", "--steps", "2")
    assert p.returncode == 1
    assert "0001_b.down.sql" in p.stderr and "no down migration" in p.stderr
    assert cli_db.state() == before


def test_rollback_failure_rolls_back_all(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path,
                       downs={"0002_c": DOWNS["0002_c"], "0001_b": "DROP TABLE nosuch;"})
    before = cli_db.state()
    p = db_cmd(sprout, cli_db, folder, "rollback", "--steps", "2")
    assert p.returncode == 1 and cli_db.no_such_table("nosuch") in p.stderr and "0001_b" in p.stderr
    assert cli_db.state() == before


def test_rollback_more_than_applied(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    before = cli_db.state()
    p = db_cmd(sprout, cli_db, folder, "rollback", "--steps", "4")
    assert p.returncode == 2 and "only 3 are applied" in p.stderr
    assert cli_db.state() == before


# ---- reset ----

def reset_said(db, out):
    """What reset reports having removed: the SQLite file (and its -wal/-shm), or, on
    PostgreSQL, the dropped tables (the database itself stays: its owner and grants are kept)."""
    if db.pg:
        return "Dropped 2 tables" in out
    return f"Removed {db.path}" in out


def test_reset_needs_yes_without_terminal(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    cli_db.exec("INSERT INTO a (x) VALUES (7)")
    p = db_cmd(sprout, cli_db, folder, "reset")
    assert p.returncode == 1 and "--yes" in p.stderr
    assert cli_db.rows("SELECT x FROM a") == [{"x": 7}]
    p = db_cmd(sprout, cli_db, folder, "reset", "--yes")
    assert p.returncode == 0, p.stderr
    assert reset_said(cli_db, p.stdout), p.stdout
    assert "Migrations complete." in p.stdout
    assert cli_db.rows("SELECT count(*) AS n FROM a") == [{"n": 0}]
    assert len(cli_db.tracking_rows()) == 3


def test_reset_with_bad_folder_keeps_database(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    (folder / "0001_b.sql").unlink()
    p = db_cmd(sprout, cli_db, folder, "reset", "--yes")
    assert p.returncode == 1 and "0001_b.sql" in p.stderr
    assert "a" in cli_db.tables()


# ---- backup / restore ----

def test_backup_default_name_and_refuses_overwrite(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    cli_db.exec("INSERT INTO a (x, z) VALUES (5, 6)")
    p = db_cmd(sprout, cli_db, folder, "backup", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    base = cli_db.default_backup(tmp_path)
    made = [f for f in base.parent.iterdir() if re.fullmatch(re.escape(base.name) + r"\.\d{8}_\d{6}", f.name)]
    assert len(made) == 1 and made[0].name in p.stdout
    # the backup holds the same database: restored into a new one, it is the same
    copy = cli_db.other("copy.db", create=True)
    p = db_cmd(sprout, copy, folder, "restore", made[0], "--yes")
    assert p.returncode == 0, p.stderr
    assert copy.state() == cli_db.state()
    assert copy.rows("SELECT x, z FROM a") == [{"x": 5, "z": 6}]
    dest = tmp_path / "exists.db"
    dest.write_text("keep me")
    p = db_cmd(sprout, cli_db, folder, "backup", dest)
    assert p.returncode == 1 and "already exists" in p.stderr
    assert dest.read_text() == "keep me"


def test_backup_of_missing_database(sprout, cli_db, tmp_path):
    nope = cli_db.other("nope.db")
    p = sprout("--db", nope.target, "db", "backup", tmp_path / "out.db")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not (tmp_path / "out.db").exists()
    assert not nope.exists()


@pytest.mark.sqlite_only("SQLite's online backup while another connection writes the WAL")
def test_backup_while_another_connection_writes(sprout, tmp_path):
    db = tmp_path / "big.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id integer primary key, v text)")
    con.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 500,)] * 4000)
    con.commit()
    con.close()
    stop = threading.Event()
    written = []

    def writer():
        w = sqlite3.connect(db, timeout=10)
        while not stop.is_set():
            w.execute("INSERT INTO t (v) VALUES (?)", ("y" * 500,))
            w.commit()
            written.append(1)
        w.close()

    th = threading.Thread(target=writer)
    th.start()
    try:
        while not written:
            time.sleep(0.01)
        outs = [tmp_path / f"copy{i}.db" for i in range(3)]
        for out in outs:
            p = sprout("--db", db, "db", "backup", out)
            assert p.returncode == 0, p.stderr
    finally:
        stop.set()
        th.join()
    for out in outs:
        assert query(out, "PRAGMA integrity_check") == [("ok",)]
        n = query(out, "SELECT count(*) FROM t")[0][0]
        assert n >= 4000
        assert query(out, "PRAGMA journal_mode") == [("delete",)]


def test_restore(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    backup = tmp_path / "b.db"
    assert db_cmd(sprout, cli_db, folder, "backup", backup).returncode == 0
    before = cli_db.state()
    cli_db.exec("INSERT INTO a (x) VALUES (1)")
    p = db_cmd(sprout, cli_db, folder, "restore", backup)
    assert p.returncode == 1 and "--yes" in p.stderr
    assert cli_db.rows("SELECT count(*) AS n FROM a") == [{"n": 1}]
    p = db_cmd(sprout, cli_db, folder, "restore", backup, "--yes")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"Restored {cli_db.target} from {backup}"), p.stdout
    assert cli_db.rows("SELECT count(*) AS n FROM a") == [{"n": 0}]
    assert cli_db.state() == before
    if not cli_db.pg:
        assert query(cli_db.path, "PRAGMA integrity_check") == [("ok",)]


def test_restore_refuses_non_database(sprout, cli_db, tmp_path):
    folder = setup_abc(sprout, cli_db, tmp_path)
    before = cli_db.state()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database backup at all" * 200)
    p = db_cmd(sprout, cli_db, folder, "restore", junk, "--yes")
    assert p.returncode == 1 and "is not a usable" in p.stderr, p.stderr
    p = db_cmd(sprout, cli_db, folder, "restore", junk)  # refused before asking
    assert p.returncode == 1 and "is not a usable" in p.stderr and "--yes" not in p.stderr
    p = db_cmd(sprout, cli_db, folder, "restore", tmp_path / "missing.db", "--yes")
    assert p.returncode == 1 and "does not exist" in p.stderr
    p = db_cmd(sprout, cli_db, folder, "restore")
    assert p.returncode == 2
    assert cli_db.state() == before


# ---- seed ----

def test_seed(sprout, cli_db, tmp_path):
    p = sprout("--db", cli_db.other("s.db").target, "db", "seed")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert sprout("--db", cli_db.target, "db", "migrate", cwd=tmp_path).returncode == 0
    p = sprout("--db", cli_db.target, "db", "seed")
    assert p.returncode == 0 and p.stdout.strip() == "Default user seeded."
    rows = cli_db.rows('SELECT id, email, title, "desc", created_at FROM users')
    assert [{**r, "created_at": None} for r in rows] == [
        {"id": DEFAULT_USER, "email": "default@sprout.local", "title": "Default Learner", "desc": None,
         "created_at": None}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0]["created_at"])
    p = sprout("--db", cli_db.target, "db", "seed")
    assert p.returncode == 0 and "already present" in p.stdout
    assert cli_db.rows("SELECT count(*) AS n FROM users") == [{"n": 1}]


def test_seed_on_unmigrated_database(sprout, cli_db, tmp_path):
    folder = tmp_path / "mig"
    make_folder(folder, [A], dialect=cli_db.dialect)
    assert db_cmd(sprout, cli_db, folder, "migrate").returncode == 0
    p = sprout("--db", cli_db.target, "db", "seed")
    assert p.returncode == 1 and "sprout db migrate" in p.stderr and cli_db.no_such_table("users") in p.stderr


@pytest.mark.sqlite_only("a database made by drizzle's SQLite tooling")
def test_seed_on_the_failed_drizzle_fixture(sprout, tmp_path):
    db = tmp_path / "s.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle.db", db)
    p = sprout("--db", db, "db", "seed")
    assert p.returncode == 1 and "sprout db migrate" in p.stderr and "no such table: users" in p.stderr


def run_on_terminal(args, answer):
    """Run sprout with stdin and stderr on a pseudo-terminal, answering the question."""
    import os
    import pty
    import subprocess

    from conftest import BIN, assert_no_sanitizer_report
    master, slave = pty.openpty()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("DB_PATH", None)
    p = subprocess.Popen([BIN, *map(str, args)], stdin=slave, stderr=slave, stdout=subprocess.PIPE, text=True,
                         env=env)
    os.close(slave)
    seen = b""
    while b"[y/N]" not in seen:
        chunk = os.read(master, 1024)
        assert chunk, seen
        seen += chunk
    os.write(master, answer.encode() + b"\n")
    out = p.stdout.read()
    p.wait(timeout=30)
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(master)
    text = seen.decode(errors="replace")
    assert_no_sanitizer_report(text)
    return p.returncode, out, text


def test_reset_asks_on_a_terminal(tmp_path, sprout, cli_db):
    folder = setup_abc(sprout, cli_db, tmp_path)
    cli_db.exec("INSERT INTO a (x) VALUES (7)")
    args = ["--db", cli_db.target, "--migrations", folder, "db", "reset"]
    code, out, err = run_on_terminal(args, "n")
    assert code == 1 and "aborted" in err and "Delete" in err
    assert cli_db.rows("SELECT x FROM a") == [{"x": 7}]
    code, out, err = run_on_terminal(args, "y")
    assert code == 0, err
    assert "Migrations complete." in out
    assert cli_db.rows("SELECT count(*) AS n FROM a") == [{"n": 0}]


def test_generate_flags_go_through_the_shared_parser(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    env = cli_db.env
    p = sprout("db", "generate", "--bogus", cwd=cwd, env=env)
    assert p.returncode == 2 and "unknown option '--bogus'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--rename", cwd=cwd, env=env)
    assert p.returncode == 2 and "option '--rename' needs a value" in p.stderr, p.stderr
    p = sprout("db", "generate", "stray", cwd=cwd, env=env)
    assert p.returncode == 2 and "unexpected argument 'stray'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--rename=table:x=create", "--rename", "bad", cwd=cwd, env=env)
    assert p.returncode == 2 and "invalid --rename 'bad'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--name=x", "--rename=table:x=create", cwd=cwd, env=env)
    assert p.returncode == 0 and "No schema changes" in p.stdout, p.stdout + p.stderr
