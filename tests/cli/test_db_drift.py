"""tests/cli/test_db_drift.py: `sprout db check`, `push` and `baseline`: the live database
(introspected) against the latest snapshot or the compiled-in schema, on SQLite files and
PostgreSQL databases alike (the `cli_db` fixture, with the dialect's shipped folder drizzle/ or
drizzle-pg/; migration counts and tags are read from that folder's journal)."""
import shutil

import pytest

from dbutil import FIXTURES, state

pytestmark = pytest.mark.both_engines


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def migrated(sprout, db, cwd):
    p = sprout("--db", db.target, "db", "migrate", cwd=db.project(cwd))
    assert p.returncode == 0, p.stderr
    return db


def check(sprout, db, cwd):
    return sprout("--db", db.target, "db", "check", cwd=db.project(cwd))


def snap_msg(db):
    return "Database schema matches " + db.latest_snapshot()


def test_check_clean_after_migrate_of_empty(sprout, cli_db, tmp_path):
    migrated(sprout, cli_db, tmp_path)
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == snap_msg(cli_db)


@pytest.mark.sqlite_only("a database migrated by drizzle's SQLite migrator (tests/data/fixtures)")
def test_check_of_the_drizzle_history_fixture(sprout, workdir):
    hist = workdir / "history.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle-history.db", hist)
    before = state(hist)
    p = sprout("--db", hist, "db", "check", cwd=workdir)
    assert p.returncode == 3
    assert "cards" in p.stdout
    assert "1 migration not applied yet" in p.stdout and "sprout db migrate" in p.stdout
    assert state(hist) == before
    assert sprout("--db", hist, "db", "migrate", cwd=workdir).returncode == 0
    p = sprout("--db", hist, "db", "check", cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == "Database schema matches drizzle/meta/0003_snapshot.json"


def test_check_reports_pending_migrations(sprout, cli_db, tmp_path):
    n = len(cli_db.journal())
    older = cli_db.truncated(tmp_path / "older", n - 1)
    p = sprout("--db", cli_db.target, "--migrations", older, "db", "migrate")
    assert p.returncode == 0, p.stderr
    before = cli_db.state()
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "1 migration not applied yet" in p.stdout and "sprout db migrate" in p.stdout
    assert cli_db.state() == before


def test_check_names_each_difference(sprout, cli_db, tmp_path):
    migrated(sprout, cli_db, tmp_path)
    cli_db.script("ALTER TABLE nodes ADD COLUMN difficulty integer DEFAULT 1;"
                  "DROP INDEX branches_user_id_idx; CREATE TABLE scratch (a text);")
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 3
    out = p.stdout
    assert "difficulty" in out and "branches_user_id_idx" in out and "scratch" in out
    assert "sprout db backup" in out and "sprout db reset" in out and "sprout db baseline" in out


def test_check_without_database(sprout, cli_db, tmp_path):
    none = cli_db.other("none.db")
    p = check(sprout, none, tmp_path)
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not none.exists()


def test_push_builds_schema_then_no_changes(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    p = sprout("--db", cli_db.target, "db", "push", cwd=cwd)
    assert p.returncode == 0, p.stderr
    assert "CREATE TABLE %s" % cli_db.q("users") in p.stdout and "Pushed" in p.stdout
    p = sprout("--db", cli_db.target, "db", "push", cwd=cwd)
    assert p.returncode == 0 and p.stdout.strip() == "No changes detected"
    # the pushed schema is what the migrations build (only the tracking table is absent)
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 3
    diffs = [line for line in p.stdout.split("What to do:")[0].splitlines() if line.startswith("  - ")]
    assert diffs == ["  - %s not applied yet" % plural(len(cli_db.journal()), "migration")], p.stdout
    assert not cli_db.has_tracking_table()


def test_push_refuses_data_loss_without_force(sprout, cli_db, tmp_path):
    migrated(sprout, cli_db, tmp_path)
    cli_db.script("CREATE TABLE scratch (a text); INSERT INTO scratch VALUES ('keep');"
                  "ALTER TABLE nodes ADD COLUMN difficulty integer DEFAULT 1;"
                  "DROP INDEX branches_user_id_idx;")
    before = cli_db.state()
    p = sprout("--db", cli_db.target, "db", "push", cwd=tmp_path)
    assert p.returncode == 1
    assert "DROP TABLE %s" % cli_db.q("scratch") in p.stderr and "--force" in p.stderr
    assert cli_db.state() == before
    assert cli_db.rows("SELECT a FROM scratch") == [{"a": "keep"}]
    p = sprout("--db", cli_db.target, "db", "push", "--force", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "scratch" not in cli_db.tables()
    assert "difficulty" not in cli_db.columns("nodes")
    assert "branches_user_id_idx" in cli_db.indexes()
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == snap_msg(cli_db)


def hand_made(db, tags):
    """Apply migration files by hand, the way someone with the sqlite3 shell or psql would."""
    for tag in tags:
        db.script((db.shipped / f"{tag}.sql").read_text())


def test_baseline_then_migrate(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    tags = cli_db.tags()
    k = max(len(tags) - 1, 1)  # all but the newest, when there are several
    hand_made(cli_db, tags[:k])
    p = sprout("--db", cli_db.target, "db", "baseline", "--to", tags[k - 1][:4], cwd=cwd)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "%s recorded" % plural(k, "migration") in p.stdout and tags[k - 1] in p.stdout
    assert cli_db.tracking_rows() == cli_db.expected_rows(upto=k)
    p = sprout("--db", cli_db.target, "db", "migrate", cwd=cwd)
    assert p.returncode == 0, p.stderr
    assert "applied %s" % tags[0] not in p.stdout
    for tag in tags[k:]:
        assert "applied %s" % tag in p.stdout
    if k == len(tags):
        assert "up to date" in p.stdout
    assert check(sprout, cli_db, tmp_path).returncode == 0
    assert cli_db.tracking_rows() == cli_db.expected_rows()


def test_baseline_refuses_when_schema_differs(sprout, cli_db, tmp_path):
    cwd = cli_db.project(tmp_path)
    tags = cli_db.tags()
    hand_made(cli_db, tags[:-1])
    cli_db.script("CREATE TABLE scratch (a text);")
    before = cli_db.state()
    p = sprout("--db", cli_db.target, "db", "baseline", "--to", tags[-1], cwd=cwd)
    assert p.returncode == 3
    assert "Refusing to baseline" in p.stdout and "scratch" in p.stdout
    assert "nothing was recorded" in p.stderr
    assert cli_db.state() == before
    p = sprout("--db", cli_db.target, "db", "baseline", "--to", "0999_nope", cwd=cwd)
    assert p.returncode == 1 and "no migration 0999_nope" in p.stderr
    p = sprout("--db", cli_db.target, "db", "baseline", cwd=cwd)
    assert p.returncode == 2 and "--to" in p.stderr
    assert cli_db.state() == before


def test_rollback_of_project_migrations_with_data(sprout, cli_db, tmp_path):
    """The project's own down files undo every migration (foreign keys on, a seeded user present)."""
    migrated(sprout, cli_db, tmp_path)
    tags = cli_db.tags()
    assert sprout("--db", cli_db.target, "db", "seed", cwd=tmp_path).returncode == 0
    p = sprout("--db", cli_db.target, "db", "rollback", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "rolled back %s" % tags[-1] in p.stdout
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 3 and "1 migration not applied yet" in p.stdout
    if len(tags) > 1:  # the live schema is that of the previous migration's snapshot
        older = cli_db.truncated(tmp_path / "older", len(tags) - 1)
        p = sprout("--db", cli_db.target, "--migrations", older, "db", "check")
        assert p.returncode == 0, p.stdout + p.stderr
        p = sprout("--db", cli_db.target, "db", "rollback", "--steps", str(len(tags) - 1), cwd=tmp_path)
        assert p.returncode == 0, p.stderr
    assert cli_db.tables() == set() and cli_db.has_tracking_table()
    assert cli_db.tracking_rows() == []
    assert sprout("--db", cli_db.target, "db", "migrate", cwd=tmp_path).returncode == 0
    p = check(sprout, cli_db, tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == snap_msg(cli_db)
