"""tests/cli/test_serve_startup.py: what `sprout serve` does with the database before it serves,
on SQLite and PostgreSQL alike (the `cli_db` fixture): applies the pending migrations of the
dialect's folder (--migrations, ./drizzle or ./drizzle-pg, else the built-in set) and seeds the
default user; --no-migrate refuses a database with pending migrations and serves one that is up
to date (or has no folder); a missing folder, or one of the other dialect, is refused before
anything is written."""
import re

import pytest

from conftest import DEFAULT_USER, ROOT, Server, run_sprout

pytestmark = pytest.mark.both_engines


def serve(db, cwd, *args):
    return Server(db.tmp_path / "sprout.db", cwd, env=db.env, args=args)


def refused(db, cwd, *args, code=1):
    p = run_sprout("serve", "--port", "0", *args, cwd=cwd, env=db.env, timeout=60)
    assert p.returncode == code, p.stdout + p.stderr
    assert "Sprout backend running" not in p.stdout
    return p


def test_serves_from_an_empty_folder_with_the_built_in_migrations(cli_db, tmp_path):
    srv = serve(cli_db, tmp_path)
    try:
        assert srv.request("GET", "/api/health").status == 200
    finally:
        out = srv.stop()
    assert "Migrations: the migrations built into sprout " in out
    n = len(cli_db.tags())
    assert "Applied %d migration%s." % (n, "" if n == 1 else "s") in out and "Default user seeded." in out
    assert cli_db.tracking_rows() == cli_db.expected_rows()
    assert cli_db.rows("SELECT id FROM users") == [{"id": DEFAULT_USER}]
    assert not (tmp_path / cli_db.folder).exists()
    # second start: nothing to migrate, the user already there
    out = serve(cli_db, tmp_path).stop()
    assert "Applied" not in out and "Default user seeded." not in out


def test_the_project_folder_wins(cli_db, tmp_path):
    out = serve(cli_db, cli_db.project(tmp_path)).stop()
    assert "Migrations: the folder %s\n" % cli_db.folder in out


def test_no_migrate_refuses_with_pending_migrations(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    older = cli_db.truncated(tmp_path / "older", len(cli_db.tags()) - 1)
    assert sprout("--db", cli_db.target, "--migrations", older, "db", "migrate").returncode == 0
    before = cli_db.state()
    p = refused(cli_db, cwd, "--no-migrate")
    assert "sprout db migrate" in p.stderr and "1 pending migration" in p.stderr
    assert cli_db.state() == before


def test_no_migrate_serves_an_up_to_date_database(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    assert sprout("db", "migrate", cwd=cwd, env=cli_db.env).returncode == 0
    srv = serve(cli_db, cwd, "--no-migrate")
    try:
        assert srv.request("GET", "/api/health").status == 200
    finally:
        out = srv.stop()
    assert "Applied" not in out


def test_no_migrate_without_a_folder_serves_the_database_as_it_is(sprout, cli_db, tmp_path):
    assert sprout("db", "migrate", cwd=tmp_path, env=cli_db.env).returncode == 0
    srv = serve(cli_db, tmp_path, "--no-migrate", "--migrations", tmp_path / "nope")
    try:
        assert srv.request("GET", "/api/health").status == 200
    finally:
        out = srv.stop()
    assert "Applied" not in out


def test_missing_migrations_folder_flag_refuses(cli_db, tmp_path):
    p = refused(cli_db, tmp_path, "--migrations", tmp_path / "nope")
    assert "migrations folder" in p.stderr and str(tmp_path / "nope") in p.stderr and "--no-migrate" in p.stderr
    assert not cli_db.exists()


def test_a_folder_of_the_other_dialect_is_refused(cli_db, tmp_path):
    other = ROOT / ("drizzle" if cli_db.pg else "drizzle-pg")
    p = refused(cli_db, tmp_path, "--migrations", other, code=2)  # a wrong --migrations, as for db migrate
    assert re.search(r"are for (sqlite|postgresql), but the database is (SQLite|PostgreSQL)", p.stderr), p.stderr
    assert not cli_db.exists()
