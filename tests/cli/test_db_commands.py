"""tests/cli/test_db_commands.py: status, rollback, reset, backup, restore and seed against real
SQLite files (check, push and baseline, which need the diff engine, are in test_db_drift.py)."""
import re
import shutil
import sqlite3
import threading
import time

from conftest import DEFAULT_USER
from dbutil import FIXTURES, SPROUT_DRIZZLE, make_folder, query, state

A = ("0000_a", "CREATE TABLE a (x integer);")
B = ("0001_b", "CREATE TABLE b (y text);--> statement-breakpoint\nCREATE INDEX b_y_idx ON b (y);")
C = ("0002_c", "ALTER TABLE a ADD `z` integer DEFAULT 0;")
DOWNS = {"0000_a": "DROP TABLE a;", "0001_b": "DROP INDEX b_y_idx;--> statement-breakpoint\nDROP TABLE b;",
         "0002_c": "ALTER TABLE a DROP COLUMN `z`;"}


def db_cmd(sprout, db, folder, *args, **kw):
    return sprout("--db", db, "--migrations", folder, "db", *args, **kw)


def setup_abc(sprout, tmp_path, downs=DOWNS):
    folder, db = tmp_path / "mig", tmp_path / "db.sqlite"
    make_folder(folder, [A, B, C], downs)
    p = db_cmd(sprout, db, folder, "migrate")
    assert p.returncode == 0, p.stderr
    return folder, db


def names(db, kind="table"):
    return [r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = ? ORDER BY rowid", kind)]


# ---- status ----

def test_status_up_to_date_and_pending(sprout, tmp_path):
    folder, db = tmp_path / "mig", tmp_path / "db.sqlite"
    make_folder(folder, [A, B])
    p = db_cmd(sprout, db, folder, "status")
    assert p.returncode == 3 and "does not exist yet" in p.stdout
    assert "pending  0000_a" in p.stdout and "pending  0001_b" in p.stdout
    assert not db.exists()
    assert db_cmd(sprout, db, folder, "migrate").returncode == 0
    p = db_cmd(sprout, db, folder, "status")
    assert p.returncode == 0, p.stdout
    assert "applied  0000_a" in p.stdout and "2 applied, 0 pending" in p.stdout
    make_folder(folder, [A, B, C])
    p = db_cmd(sprout, db, folder, "status")
    assert p.returncode == 3
    assert "pending  0002_c" in p.stdout and "sprout db migrate" in p.stdout


def test_status_flags_edited_file_and_unknown_row(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    (folder / "0001_b.sql").write_text(B[1] + "\n-- edited")
    con = sqlite3.connect(db)
    con.execute("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('feed', 42)")
    con.commit()
    con.close()
    p = db_cmd(sprout, db, folder, "status")
    assert p.returncode == 0
    assert re.search(r"applied  0001_b .*EDITED after applying", p.stdout)
    assert "matches no journal entry" in p.stdout and "created_at 42" in p.stdout


# ---- rollback ----

def test_rollback_one_then_migrate_again(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    p = db_cmd(sprout, db, folder, "rollback")
    assert p.returncode == 0, p.stderr
    assert "rolled back 0002_c" in p.stdout
    assert [r[1] for r in query(db, "PRAGMA table_info(a)")] == ["x"]
    assert query(db, "SELECT count(*) FROM __drizzle_migrations") == [(2,)]
    p = db_cmd(sprout, db, folder, "status")
    assert p.returncode == 3 and "pending  0002_c" in p.stdout
    assert db_cmd(sprout, db, folder, "migrate").returncode == 0
    assert [r[1] for r in query(db, "PRAGMA table_info(a)")] == ["x", "z"]


def test_rollback_steps_newest_first(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    p = db_cmd(sprout, db, folder, "rollback", "--steps", "2")
    assert p.returncode == 0, p.stderr
    assert p.stdout.index("0002_c") < p.stdout.index("0001_b")
    assert names(db) == ["__drizzle_migrations", "a"]
    assert names(db, "index") == ["sqlite_autoindex___drizzle_migrations_1"]
    assert query(db, "SELECT created_at FROM __drizzle_migrations") == [(1700000000000,)]


def test_rollback_missing_down_file_changes_nothing(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path, downs={"0002_c": DOWNS["0002_c"]})
    before = state(db)
    p = db_cmd(sprout, db, folder, "rollback", "--steps", "2")
    assert p.returncode == 1
    assert "0001_b.down.sql" in p.stderr and "no down migration" in p.stderr
    assert state(db) == before


def test_rollback_failure_rolls_back_all(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path, downs={"0002_c": DOWNS["0002_c"], "0001_b": "DROP TABLE nosuch;"})
    before = state(db)
    p = db_cmd(sprout, db, folder, "rollback", "--steps", "2")
    assert p.returncode == 1 and "no such table: nosuch" in p.stderr and "0001_b" in p.stderr
    assert state(db) == before


def test_rollback_more_than_applied(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    before = state(db)
    p = db_cmd(sprout, db, folder, "rollback", "--steps", "4")
    assert p.returncode == 2 and "only 3 are applied" in p.stderr
    assert state(db) == before


# ---- reset ----

def test_reset_needs_yes_without_terminal(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    query(db, "SELECT 1")
    con = sqlite3.connect(db)
    con.execute("INSERT INTO a (x) VALUES (7)")
    con.commit()
    con.close()
    p = db_cmd(sprout, db, folder, "reset")
    assert p.returncode == 1 and "--yes" in p.stderr
    assert query(db, "SELECT x FROM a") == [(7,)]
    p = db_cmd(sprout, db, folder, "reset", "--yes")
    assert p.returncode == 0, p.stderr
    assert f"Removed {db}" in p.stdout and "Migrations complete." in p.stdout
    assert query(db, "SELECT count(*) FROM a") == [(0,)]
    assert query(db, "SELECT count(*) FROM __drizzle_migrations") == [(3,)]


def test_reset_with_bad_folder_keeps_database(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    (folder / "0001_b.sql").unlink()
    p = db_cmd(sprout, db, folder, "reset", "--yes")
    assert p.returncode == 1 and "0001_b.sql" in p.stderr
    assert "a" in names(db)


# ---- backup / restore ----

def test_backup_default_name_and_refuses_overwrite(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    p = db_cmd(sprout, db, folder, "backup")
    assert p.returncode == 0, p.stderr
    made = [f for f in tmp_path.iterdir() if re.fullmatch(r"db\.sqlite\.\d{8}_\d{6}", f.name)]
    assert len(made) == 1 and str(made[0]) in p.stdout
    assert query(made[0], "PRAGMA integrity_check") == [("ok",)]
    assert state(made[0]) == state(db)
    dest = tmp_path / "exists.db"
    dest.write_text("keep me")
    p = db_cmd(sprout, db, folder, "backup", dest)
    assert p.returncode == 1 and "already exists" in p.stderr
    assert dest.read_text() == "keep me"


def test_backup_of_missing_database(sprout, tmp_path):
    p = sprout("--db", tmp_path / "nope.db", "db", "backup", tmp_path / "out.db")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not (tmp_path / "out.db").exists()


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


def test_restore(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    backup = tmp_path / "b.db"
    assert db_cmd(sprout, db, folder, "backup", backup).returncode == 0
    con = sqlite3.connect(db)
    con.execute("INSERT INTO a (x) VALUES (1)")
    con.commit()
    con.close()
    p = db_cmd(sprout, db, folder, "restore", backup)
    assert p.returncode == 1 and "--yes" in p.stderr
    assert query(db, "SELECT count(*) FROM a") == [(1,)]
    p = db_cmd(sprout, db, folder, "restore", backup, "--yes")
    assert p.returncode == 0, p.stderr
    assert f"Restored {db} from {backup}" in p.stdout
    assert query(db, "SELECT count(*) FROM a") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_restore_refuses_non_database(sprout, tmp_path):
    folder, db = setup_abc(sprout, tmp_path)
    before = state(db)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an sqlite database at all" * 200)
    p = db_cmd(sprout, db, folder, "restore", junk, "--yes")
    assert p.returncode == 1 and "not a usable SQLite database" in p.stderr
    p = db_cmd(sprout, db, folder, "restore", tmp_path / "missing.db", "--yes")
    assert p.returncode == 1 and "does not exist" in p.stderr
    p = db_cmd(sprout, db, folder, "restore")
    assert p.returncode == 2
    assert state(db) == before


# ---- seed ----

def test_seed(sprout, tmp_path):
    db = tmp_path / "s.db"
    p = sprout("--db", db, "db", "seed")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert sprout("--db", db, "--migrations", SPROUT_DRIZZLE, "db", "migrate").returncode == 0
    p = sprout("--db", db, "db", "seed")
    assert p.returncode == 0 and p.stdout.strip() == "Default user seeded."
    rows = query(db, "SELECT id, email, title, desc, created_at IS NOT NULL FROM users")
    assert rows == [(DEFAULT_USER, "default@sprout.local", "Default Learner", None, 1)]
    p = sprout("--db", db, "db", "seed")
    assert p.returncode == 0 and "already present" in p.stdout
    assert query(db, "SELECT count(*) FROM users") == [(1,)]


def test_seed_on_unmigrated_database(sprout, tmp_path):
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
    p = subprocess.Popen([BIN, *map(str, args)], stdin=slave, stderr=slave, stdout=subprocess.PIPE, text=True)
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


def test_reset_asks_on_a_terminal(tmp_path, sprout):
    folder, db = setup_abc(sprout, tmp_path)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO a (x) VALUES (7)")
    con.commit()
    con.close()
    code, out, err = run_on_terminal(["--db", db, "--migrations", folder, "db", "reset"], "n")
    assert code == 1 and "aborted" in err and "Delete" in err
    assert query(db, "SELECT x FROM a") == [(7,)]
    code, out, err = run_on_terminal(["--db", db, "--migrations", folder, "db", "reset"], "y")
    assert code == 0, err
    assert "Migrations complete." in out
    assert query(db, "SELECT count(*) FROM a") == [(0,)]


def test_generate_flags_go_through_the_shared_parser(sprout, workdir):
    p = sprout("db", "generate", "--bogus", cwd=workdir)
    assert p.returncode == 2 and "unknown option '--bogus'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--rename", cwd=workdir)
    assert p.returncode == 2 and "option '--rename' needs a value" in p.stderr, p.stderr
    p = sprout("db", "generate", "stray", cwd=workdir)
    assert p.returncode == 2 and "unexpected argument 'stray'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--rename=table:x=create", "--rename", "bad", cwd=workdir)
    assert p.returncode == 2 and "invalid --rename 'bad'" in p.stderr, p.stderr
    p = sprout("db", "generate", "--name=x", "--rename=table:x=create", cwd=workdir)
    assert p.returncode == 0 and "No schema changes" in p.stdout, p.stdout + p.stderr
