"""tests/cli/test_db_drift.py: `sprout db check`, `push` and `baseline`: the live database
(introspected) against the latest snapshot or the compiled-in schema, on real SQLite files."""
import shutil
import sqlite3

from dbutil import FIXTURES, SPROUT_DRIZZLE, query, state

SNAP_MSG = "Database schema matches drizzle/meta/0003_snapshot.json"


def migrated(sprout, workdir, name="sprout.db"):
    db = workdir / name
    p = sprout("--db", db, "db", "migrate", cwd=workdir)
    assert p.returncode == 0, p.stderr
    return db


def check(sprout, workdir, db):
    return sprout("--db", db, "db", "check", cwd=workdir)


def test_check_clean_after_migrate_of_empty_and_history(sprout, workdir):
    db = migrated(sprout, workdir)
    p = check(sprout, workdir, db)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == SNAP_MSG
    hist = workdir / "history.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle-history.db", hist)
    assert sprout("--db", hist, "db", "migrate", cwd=workdir).returncode == 0
    p = check(sprout, workdir, hist)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == SNAP_MSG


def test_check_reports_pending_migrations(sprout, workdir):
    hist = workdir / "history.db"
    shutil.copy(FIXTURES / "sprout-migrated-by-drizzle-history.db", hist)
    before = state(hist)
    p = check(sprout, workdir, hist)
    assert p.returncode == 3
    assert "cards" in p.stdout
    assert "1 migration not applied yet" in p.stdout and "sprout db migrate" in p.stdout
    assert state(hist) == before


def test_check_names_each_difference(sprout, workdir):
    db = migrated(sprout, workdir)
    con = sqlite3.connect(db)
    con.executescript("ALTER TABLE nodes ADD difficulty integer DEFAULT 1;"
                      "DROP INDEX branches_user_id_idx; CREATE TABLE scratch (a text);")
    con.close()
    p = check(sprout, workdir, db)
    assert p.returncode == 3
    out = p.stdout
    assert "difficulty" in out and "branches_user_id_idx" in out and "scratch" in out
    assert "sprout db backup" in out and "sprout db reset" in out and "sprout db baseline" in out


def test_check_without_database(sprout, workdir):
    p = check(sprout, workdir, workdir / "none.db")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not (workdir / "none.db").exists()


def test_push_builds_schema_then_no_changes(sprout, workdir):
    db = workdir / "push.db"
    p = sprout("--db", db, "db", "push", cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert "CREATE TABLE `users`" in p.stdout and "Pushed" in p.stdout
    p = sprout("--db", db, "db", "push", cwd=workdir)
    assert p.returncode == 0 and p.stdout.strip() == "No changes detected"
    # the pushed schema is what the migrations build (only the tracking table is absent)
    p = check(sprout, workdir, db)
    assert p.returncode == 3
    diffs = [line for line in p.stdout.split("What to do:")[0].splitlines() if line.startswith("  - ")]
    assert diffs == ["  - 4 migrations not applied yet"], p.stdout
    assert query(db, "SELECT count(*) FROM sqlite_master WHERE name = '__drizzle_migrations'") == [(0,)]


def test_push_refuses_data_loss_without_force(sprout, workdir):
    db = migrated(sprout, workdir)
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE scratch (a text); INSERT INTO scratch VALUES ('keep');"
                      "ALTER TABLE nodes ADD difficulty integer DEFAULT 1;"
                      "DROP INDEX branches_user_id_idx;")
    con.close()
    before = state(db)
    p = sprout("--db", db, "db", "push", cwd=workdir)
    assert p.returncode == 1
    assert "DROP TABLE `scratch`" in p.stderr and "--force" in p.stderr
    assert state(db) == before
    p = sprout("--db", db, "db", "push", "--force", cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert "scratch" not in [r[0] for r in query(db, "SELECT name FROM sqlite_master")]
    assert "difficulty" not in [r[1] for r in query(db, "PRAGMA table_info(nodes)")]
    p = check(sprout, workdir, db)
    assert p.returncode == 0 and p.stdout.strip() == SNAP_MSG


def hand_made(db, tags):
    """Apply migration files by hand, the way someone with the sqlite3 shell would."""
    con = sqlite3.connect(db)
    for tag in tags:
        con.executescript((SPROUT_DRIZZLE / f"{tag}.sql").read_text().replace("--> statement-breakpoint", ""))
    con.close()


def test_baseline_then_migrate(sprout, workdir):
    db = workdir / "hand.db"
    hand_made(db, ["0000_milky_wilson_fisk", "0001_nosy_gunslinger", "0002_flippant_colonel_america"])
    p = sprout("--db", db, "db", "baseline", "--to", "0002", cwd=workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "3 migrations recorded" in p.stdout and "0002_flippant_colonel_america" in p.stdout
    rows = query(db, "SELECT id, hash, created_at FROM __drizzle_migrations ORDER BY rowid")
    assert [r[2] for r in rows] == [1771689780701, 1771690629145, 1771711182104]
    assert rows[0] == (None, "97b504028c425d4849e7e18b11221a2a17cb665f55fe771d0fc8a811e73116ef", 1771689780701)
    p = sprout("--db", db, "db", "migrate", cwd=workdir)
    assert p.returncode == 0 and "applied 0003_little_rawhide_kid" in p.stdout and "applied 0000" not in p.stdout
    assert check(sprout, workdir, db).returncode == 0


def test_baseline_refuses_when_schema_differs(sprout, workdir):
    db = workdir / "hand.db"
    hand_made(db, ["0000_milky_wilson_fisk", "0001_nosy_gunslinger", "0002_flippant_colonel_america"])
    before = state(db)
    p = sprout("--db", db, "db", "baseline", "--to", "0003_little_rawhide_kid", cwd=workdir)
    assert p.returncode == 3
    assert "cards" in p.stdout and "nothing was recorded" in p.stderr
    assert state(db) == before
    p = sprout("--db", db, "db", "baseline", "--to", "0009_nope", cwd=workdir)
    assert p.returncode == 1 and "no migration 0009_nope" in p.stderr
    p = sprout("--db", db, "db", "baseline", cwd=workdir)
    assert p.returncode == 2 and "--to" in p.stderr
    assert state(db) == before


def test_rollback_of_project_migrations_with_data(sprout, workdir):
    """The project's own down files undo 0003..0000 (foreign keys on, a seeded user present)."""
    db = migrated(sprout, workdir)
    assert sprout("--db", db, "db", "seed", cwd=workdir).returncode == 0
    p = sprout("--db", db, "db", "rollback", cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert "cards" not in [r[1] for r in query(db, "PRAGMA table_info(node_contents)")]
    p = check(sprout, workdir, db)
    assert p.returncode == 3 and "1 migration not applied yet" in p.stdout
    p = sprout("--db", db, "db", "rollback", "--steps", "3", cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert [r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type='table'")] == ["__drizzle_migrations"]
    assert sprout("--db", db, "db", "migrate", cwd=workdir).returncode == 0
    p = check(sprout, workdir, db)
    assert p.returncode == 0 and p.stdout.strip() == SNAP_MSG
