"""tests/cli/test_migrations_source.py: where `sprout db ...` reads migrations from: --migrations DIR,
else ./drizzle when it exists, else the drizzle/ folder built into the binary; `db status` names
the one used, and `db generate` still writes to a folder."""
import json
import shutil
import sqlite3

from conftest import ROOT
from dbutil import make_folder, query, state

PROJECT_TAGS = [e["tag"] for e in json.loads((ROOT / "drizzle" / "meta" / "_journal.json").read_text())["entries"]]


def app_tables(db):
    return {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrate_from_an_empty_folder_uses_the_built_in_set(sprout, tmp_path):
    assert not (tmp_path / "drizzle").exists()
    p = sprout("db", "migrate", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    for tag in PROJECT_TAGS:
        assert f"applied {tag}" in p.stdout
    db = tmp_path / "sprout.db"
    assert {"users", "nodes", "node_contents", "__drizzle_migrations"} <= app_tables(db)
    # the same tracking rows as migrating from the project's folder
    ref = tmp_path / "ref"
    ref.mkdir()
    shutil.copytree(ROOT / "drizzle", ref / "drizzle")
    assert sprout("db", "migrate", cwd=ref).returncode == 0
    rows = "SELECT hash, created_at FROM __drizzle_migrations ORDER BY id"
    assert query(db, rows) == query(ref / "sprout.db", rows)
    assert state(db)[0] == state(ref / "sprout.db")[0]
    assert not (tmp_path / "drizzle").exists()


def test_status_names_the_source(sprout, tmp_path):
    p = sprout("db", "status", cwd=tmp_path)
    assert p.returncode == 3  # all pending
    assert "migrations from the migrations built into sprout " in p.stdout
    assert p.stdout.count("pending  ") == len(PROJECT_TAGS)

    make_folder(tmp_path / "drizzle", [("0000_one", "CREATE TABLE `a` (`x` integer);")])
    p = sprout("db", "status", cwd=tmp_path)
    assert "migrations from the folder drizzle:" in p.stdout
    assert "pending  0000_one" in p.stdout and p.stdout.count("pending  ") == 1

    make_folder(tmp_path / "other", [("0000_two", "CREATE TABLE `b` (`x` integer);"),
                                     ("0001_three", "CREATE TABLE `c` (`x` integer);")])
    p = sprout("db", "status", "--migrations", tmp_path / "other", cwd=tmp_path)
    assert f"migrations from the folder {tmp_path / 'other'}:" in p.stdout
    assert p.stdout.count("pending  ") == 2


def test_a_drizzle_folder_wins_over_the_built_in_set(sprout, tmp_path):
    make_folder(tmp_path / "drizzle", [("0000_one", "CREATE TABLE `a` (`x` integer);")])
    p = sprout("db", "migrate", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert app_tables(tmp_path / "sprout.db") == {"a", "__drizzle_migrations"}


def test_migrations_flag_wins_over_the_drizzle_folder(sprout, tmp_path):
    make_folder(tmp_path / "drizzle", [("0000_one", "CREATE TABLE `a` (`x` integer);")])
    make_folder(tmp_path / "other", [("0000_two", "CREATE TABLE `b` (`x` integer);")])
    p = sprout("db", "migrate", "--migrations", tmp_path / "other", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert app_tables(tmp_path / "sprout.db") == {"b", "__drizzle_migrations"}


def test_a_missing_migrations_flag_folder_is_an_error_not_the_built_in_set(sprout, tmp_path):
    p = sprout("db", "migrate", "--migrations", tmp_path / "nope", cwd=tmp_path)
    assert p.returncode == 1
    assert "meta/_journal.json" in p.stderr and str(tmp_path / "nope") in p.stderr
    assert not (tmp_path / "sprout.db").exists() or "users" not in app_tables(tmp_path / "sprout.db")


def test_check_rollback_and_baseline_work_on_the_built_in_set(sprout, tmp_path):
    assert sprout("db", "migrate", cwd=tmp_path).returncode == 0
    p = sprout("db", "check", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "matches built-in:meta/" in p.stdout
    before = query(tmp_path / "sprout.db", "SELECT count(*) FROM __drizzle_migrations")[0][0]
    p = sprout("db", "rollback", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"rolled back {PROJECT_TAGS[-1]}" in p.stdout
    assert query(tmp_path / "sprout.db", "SELECT count(*) FROM __drizzle_migrations")[0][0] == before - 1
    # the live schema is now that of the previous migration: forget the tracking rows, then
    # baseline to that migration (its built-in snapshot must match the live schema)
    con = sqlite3.connect(tmp_path / "sprout.db")
    con.execute("DELETE FROM __drizzle_migrations")
    con.commit()
    con.close()
    p = sprout("db", "baseline", "--to", PROJECT_TAGS[-2], cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert query(tmp_path / "sprout.db", "SELECT count(*) FROM __drizzle_migrations")[0][0] == len(PROJECT_TAGS) - 1
    p = sprout("db", "migrate", cwd=tmp_path)
    assert p.returncode == 0 and f"applied {PROJECT_TAGS[-1]}" in p.stdout


def test_generate_still_writes_to_the_folder(sprout, tmp_path):
    # no ./drizzle: generate creates it (the whole schema as migration 0000) and from then on
    # the folder is the source
    p = sprout("db", "generate", "--name", "init", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "drizzle" / "0000_init.sql").exists()
    assert (tmp_path / "drizzle" / "meta" / "_journal.json").exists()
    p = sprout("db", "status", cwd=tmp_path)
    assert "migrations from the folder drizzle:" in p.stdout and "pending  0000_init" in p.stdout
    # with --migrations it writes there
    shutil.copytree(ROOT / "drizzle", tmp_path / "proj")
    p = sprout("db", "generate", "--migrations", tmp_path / "proj", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "No schema changes" in p.stdout
