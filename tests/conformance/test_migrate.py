"""tests/conformance/test_migrate.py: `sprout db migrate` leaves a database exactly as drizzle-orm's
migrator does. For each step k of tests/data/drizzle-kit, the expected/ folder truncated
to k journal entries is applied (to a new database, and step by step to one database) and
sqlite_master (type, name, tbl_name, sql in rowid order) plus the tracking rows are compared with
applied/stepKK.sql, which was recorded from drizzle's own migrator.
"""
import json
import re
import shutil
import sqlite3

import pytest

from conftest import DATA

CONF = DATA / "drizzle-kit"
EXPECTED = CONF / "expected"
HEADER = re.compile(r"^-- (table|index|view|trigger) \| (\S+) \| (\S+)$")
ROW = re.compile(r"^-- (\d+) \| NULL \| ([0-9a-f]{64}) \| <journal entries\[(\d+)\]\.when> \(integer\)$")


def journal():
    return json.loads((EXPECTED / "meta" / "_journal.json").read_text())


def parse_applied(k):
    """(objects, rows): objects = [(type, name, tbl_name, sql or None)], rows = [(rowid, hash, idx)]."""
    lines = (CONF / "applied" / f"step{k:02d}.sql").read_text().split("\n")
    objects, rows, cur, sql = [], [], None, []

    def flush():
        if cur is not None:
            text = "\n".join(sql)
            if text.endswith(";"):
                text = text[:-1]
            objects.append((*cur, text if sql else None))

    in_rows = False
    for line in lines:
        m = HEADER.match(line)
        if m and not in_rows:
            flush()
            cur, sql = m.groups(), []
        elif line.startswith("-- __drizzle_migrations rows"):
            flush()
            cur, in_rows = None, True
        elif in_rows:
            r = ROW.match(line)
            if r:
                rows.append((int(r.group(1)), r.group(2), int(r.group(3))))
        elif cur is not None and line != "-- (no sql: automatic index)":
            sql.append(line)
    assert objects and rows, f"could not parse applied/step{k:02d}.sql"
    return objects, rows


def truncated_folder(dst, k):
    j = journal()
    dst.mkdir()
    (dst / "meta").mkdir()
    j["entries"] = j["entries"][:k]
    for e in j["entries"]:
        shutil.copy(EXPECTED / f"{e['tag']}.sql", dst / f"{e['tag']}.sql")
    (dst / "meta" / "_journal.json").write_text(json.dumps(j, indent=2))
    return j["entries"]


def assert_state(db, k):
    objects, rows = parse_applied(k)
    entries = journal()["entries"]
    con = sqlite3.connect(db)
    try:
        got = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        got_rows = con.execute(
            "SELECT rowid, id, hash, created_at, typeof(created_at) FROM __drizzle_migrations ORDER BY rowid"
        ).fetchall()
    finally:
        con.close()
    assert [tuple(o) for o in got] == objects
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in got_rows] == [
        (rowid, None, h, entries[i]["when"], "integer") for rowid, h, i in rows
    ]


@pytest.mark.parametrize("k", range(1, 7))
def test_fresh_database_matches_drizzle(sprout, tmp_path, k):
    truncated_folder(tmp_path / "mig", k)
    db = tmp_path / "db.sqlite"
    p = sprout("--db", db, "--migrations", tmp_path / "mig", "db", "migrate")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Running migrations..." and lines[-1] == "Migrations complete."
    assert sum(1 for line in lines if line.strip().startswith("applied ")) == k
    assert_state(db, k)


def test_incremental_matches_drizzle(sprout, tmp_path):
    db = tmp_path / "db.sqlite"
    for k in range(1, 7):
        folder = tmp_path / f"mig{k}"
        entries = truncated_folder(folder, k)
        p = sprout("--db", db, "--migrations", folder, "db", "migrate")
        assert p.returncode == 0, p.stderr
        assert f"applied {entries[-1]['tag']}" in p.stdout
        assert sum(1 for line in p.stdout.splitlines() if line.strip().startswith("applied ")) == 1
        assert_state(db, k)
    p = sprout("--db", db, "--migrations", tmp_path / "mig6", "db", "migrate")
    assert p.returncode == 0 and "up to date" in p.stdout
    assert_state(db, 6)
