"""tests/cli/test_migrations_source.py: where `sprout db ...` reads migrations from: --migrations DIR,
else the dialect's folder in the working directory (./drizzle for SQLite, ./drizzle-pg for
PostgreSQL) when it exists, else the same folder built into the binary; `db status` names the one
used, and `db generate` still writes to a folder. On both engines (the `cli_db` fixture)."""
import shutil

import pytest

from dbutil import make_folder

pytestmark = pytest.mark.both_engines


def test_migrate_from_an_empty_folder_uses_the_built_in_set(sprout, cli_db, tmp_path):
    assert not (tmp_path / cli_db.folder).exists()
    p = sprout("db", "migrate", cwd=tmp_path, env=cli_db.env)
    assert p.returncode == 0, p.stderr
    for tag in cli_db.tags():
        assert f"applied {tag}" in p.stdout
    assert {"users", "nodes", "node_contents"} <= cli_db.tables()
    # the same tracking rows and schema as migrating from the project's folder
    ref = cli_db.other("ref.db", create=True)
    cli_db.project(tmp_path / "ref")
    assert sprout("db", "migrate", cwd=tmp_path / "ref", env=ref.env).returncode == 0
    assert cli_db.tracking_rows() == ref.tracking_rows() == cli_db.expected_rows()
    assert cli_db.state()[:-1] == ref.state()[:-1]
    assert not (tmp_path / cli_db.folder).exists()


def test_status_names_the_source(sprout, cli_db, tmp_path):
    env = cli_db.env
    p = sprout("db", "status", cwd=tmp_path, env=env)
    assert p.returncode == 3  # all pending
    assert "migrations from the migrations built into sprout " in p.stdout
    assert p.stdout.count("pending  ") == len(cli_db.tags())

    make_folder(tmp_path / cli_db.folder, [("0000_one", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    p = sprout("db", "status", cwd=tmp_path, env=env)
    assert f"migrations from the folder {cli_db.folder}:" in p.stdout
    assert "pending  0000_one" in p.stdout and p.stdout.count("pending  ") == 1

    make_folder(tmp_path / "other", [("0000_two", "CREATE TABLE b (x integer);"),
                                     ("0001_three", "CREATE TABLE c (x integer);")], dialect=cli_db.dialect)
    p = sprout("db", "status", "--migrations", tmp_path / "other", cwd=tmp_path, env=env)
    assert f"migrations from the folder {tmp_path / 'other'}:" in p.stdout
    assert p.stdout.count("pending  ") == 2


def test_a_project_folder_wins_over_the_built_in_set(sprout, cli_db, tmp_path):
    make_folder(tmp_path / cli_db.folder, [("0000_one", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    p = sprout("db", "migrate", cwd=tmp_path, env=cli_db.env)
    assert p.returncode == 0, p.stderr
    assert cli_db.tables() == {"a"}


def test_migrations_flag_wins_over_the_project_folder(sprout, cli_db, tmp_path):
    make_folder(tmp_path / cli_db.folder, [("0000_one", "CREATE TABLE a (x integer);")], dialect=cli_db.dialect)
    make_folder(tmp_path / "other", [("0000_two", "CREATE TABLE b (x integer);")], dialect=cli_db.dialect)
    p = sprout("db", "migrate", "--migrations", tmp_path / "other", cwd=tmp_path, env=cli_db.env)
    assert p.returncode == 0, p.stderr
    assert cli_db.tables() == {"b"}


def test_a_missing_migrations_flag_folder_is_an_error_not_the_built_in_set(sprout, cli_db, tmp_path):
    p = sprout("db", "migrate", "--migrations", tmp_path / "nope", cwd=tmp_path, env=cli_db.env)
    assert p.returncode == 1
    assert "meta/_journal.json" in p.stderr and str(tmp_path / "nope") in p.stderr
    assert not cli_db.exists()


def test_check_rollback_and_baseline_work_on_the_built_in_set(sprout, cli_db, tmp_path):
    env, tags = cli_db.env, cli_db.tags()
    assert sprout("db", "migrate", cwd=tmp_path, env=env).returncode == 0
    p = sprout("db", "check", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "matches built-in:meta/" in p.stdout
    p = sprout("db", "rollback", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert f"rolled back {tags[-1]}" in p.stdout
    assert cli_db.tracking_rows() == cli_db.expected_rows(upto=len(tags) - 1)
    p = sprout("db", "migrate", cwd=tmp_path, env=env)
    assert p.returncode == 0 and f"applied {tags[-1]}" in p.stdout
    # forget the tracking rows, then baseline to the newest migration: its built-in snapshot
    # must match the live schema
    cli_db.exec(f"DELETE FROM {cli_db.tracking}")
    p = sprout("db", "status", cwd=tmp_path, env=env)
    assert p.returncode == 3
    p = sprout("db", "baseline", "--to", tags[-1], cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert cli_db.tracking_rows() == cli_db.expected_rows()
    p = sprout("db", "migrate", cwd=tmp_path, env=env)
    assert p.returncode == 0 and "up to date" in p.stdout


def test_generate_still_writes_to_the_folder(sprout, cli_db, tmp_path):
    # no project folder: generate creates it (the whole schema as migration 0000) and from then
    # on the folder is the source; the selected database gives the dialect
    env = cli_db.env
    p = sprout("db", "generate", "--name", "init", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / cli_db.folder / "0000_init.sql").exists()
    assert cli_db.journal(tmp_path / cli_db.folder)[0]["tag"] == "0000_init"
    p = sprout("db", "status", cwd=tmp_path, env=env)
    assert f"migrations from the folder {cli_db.folder}:" in p.stdout and "pending  0000_init" in p.stdout
    # with --migrations it writes there
    shutil.copytree(cli_db.shipped, tmp_path / "proj")
    p = sprout("db", "generate", "--migrations", tmp_path / "proj", cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    assert "No schema changes" in p.stdout
