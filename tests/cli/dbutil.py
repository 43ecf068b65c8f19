"""tests/cli/dbutil.py: helpers shared by the `sprout db` CLI tests: build small migration
folders, snapshot a SQLite database's schema and tracking rows, hold a lock from another process.
(What works on both engines is tests/support/clidb.py, the `cli_db` fixture.)"""
import json
import sqlite3
import subprocess
import sys

from conftest import DATA

FIXTURES = DATA / "fixtures"
SPROUT_DRIZZLE = FIXTURES / "sprout-drizzle"


def make_folder(path, migrations, downs=None, dialect="sqlite"):
    """migrations: list of (tag, sql text); journal `when` = 1700000000000 + i*1000; dialect:
    the journal's (a CliDb's .dialect)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "meta").mkdir(exist_ok=True)
    entries = []
    for i, (tag, sql) in enumerate(migrations):
        (path / f"{tag}.sql").write_text(sql)
        entries.append({"idx": i, "version": "6", "when": 1700000000000 + i * 1000, "tag": tag,
                        "breakpoints": True})
    for tag, sql in (downs or {}).items():
        (path / f"{tag}.down.sql").write_text(sql)
    (path / "meta" / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": dialect, "entries": entries}, indent=2))
    return entries


def state(db):
    """sqlite_master and tracking rows: what 'unchanged' means."""
    con = sqlite3.connect(db)
    try:
        master = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        try:
            rows = con.execute("SELECT rowid, id, hash, created_at FROM __drizzle_migrations ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:
            rows = None
        return master, rows
    finally:
        con.close()


def query(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Locker:
    """Another process holding a write lock (BEGIN EXCLUSIVE) on db until stop()."""

    def __init__(self, db):
        code = ("import sqlite3,sys\n"
                "c=sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE')\n"
                "print('locked', flush=True)\n"
                "sys.stdin.readline()\n"
                "c.execute('ROLLBACK')\n")
        self.p = subprocess.Popen([sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "locked"

    def stop(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()
        self.p.wait(timeout=10)
