"""tests/conformance/test_generate.py: `sprout db generate` against drizzle-kit's own output.

The six conformance steps (tests/data/drizzle-kit, see tests/data/README.md) are regenerated from
the previous steps' folder and compared byte for byte after normalising tags, snapshot ids and
journal `when` (the README's rule). Then the failure modes (no terminal, malformed files,
collisions, unwritable folder), the no-op run on the shipped folder, down migrations applied
to real SQLite databases, and further rule cases written from spec/drizzle-compat.md §5-§6.
"""
import copy
import json
import os
import re
import shutil
import sqlite3
import stat

import pytest

from conftest import DATA, ROOT, run_sprout

CONF = DATA / "drizzle-kit"
EXPECTED = CONF / "expected"
ANSWERS = json.loads((CONF / "answers.json").read_text())
BREAK = "--> statement-breakpoint"


def expected_journal():
    return json.loads((EXPECTED / "meta" / "_journal.json").read_text())


def truncated_expected(dest, n):
    """expected/ with migrations 0..n-1 (journal entries, snapshots, sql files) into dest."""
    (dest / "meta").mkdir(parents=True)
    j = expected_journal()
    j["entries"] = j["entries"][:n]
    if n:
        (dest / "meta" / "_journal.json").write_text(json.dumps(j, indent=2))
    for e in j["entries"]:
        shutil.copy(EXPECTED / (e["tag"] + ".sql"), dest)
        shutil.copy(EXPECTED / "meta" / ("%04d_snapshot.json" % e["idx"]), dest / "meta")


def rename_flags(step):
    flags = []
    for k, v in ANSWERS.get("step%02d" % step, {}).items():
        flags += ["--rename", "%s=%s" % (k, v)]
    return flags


def normalise(folder):
    """{relative path: bytes} with tags, ids and `when` normalised (.down.sql ignored)."""
    out = {}
    ids = {}
    metas = sorted(p for p in (folder / "meta").iterdir() if p.name != "_journal.json")
    for p in metas:
        ids[json.loads(p.read_text())["id"]] = "SNAPSHOT-ID-" + p.name[:4]
    ids["00000000-0000-0000-0000-000000000000"] = "00000000-0000-0000-0000-000000000000"
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name.endswith(".sql") and not p.name.endswith(".down.sql"):
            assert re.match(r"^\d{4}_[a-z0-9]+(_[a-z0-9]+)*\.sql$", p.name), p.name
            out[p.name[:4] + "_TAG.sql"] = p.read_bytes()
    for p in metas:
        text = p.read_text()
        d = json.loads(text)
        text = text.replace('"id": "%s"' % d["id"], '"id": "%s"' % ids[d["id"]], 1)
        text = text.replace('"prevId": "%s"' % d["prevId"], '"prevId": "%s"' % ids.get(d["prevId"], "?"), 1)
        out["meta/" + p.name] = text.encode()
    jt = (folder / "meta" / "_journal.json").read_text()
    jt = re.sub(r'"when": \d+', '"when": 0', jt)
    jt = re.sub(r'"tag": "(\d{4})_[a-z0-9_]+"', r'"tag": "\1_TAG"', jt)
    out["meta/_journal.json"] = jt.encode()
    return out


def snapshot_files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---- the six conformance steps ----

@pytest.mark.parametrize("step", range(1, 7))
def test_conformance_step(tmp_path, step):
    ours = tmp_path / "ours"
    truncated_expected(ours, step - 1)
    p = run_sprout("db", "generate", "--migrations", ours, "--schema", CONF / "cases" / ("step%02d.json" % step),
                   *rename_flags(step))
    assert p.returncode == 0, p.stderr
    assert "[✓] Your SQL migration file ➜ " in p.stdout
    theirs = tmp_path / "theirs"
    truncated_expected(theirs, step)
    a, b = normalise(ours), normalise(theirs)
    assert sorted(a) == sorted(b)
    for k in b:
        assert a[k] == b[k], k
    # our addition: a down file beside the new migration
    downs = list(ours.glob("%04d_*.down.sql" % (step - 1)))
    assert len(downs) == 1


def test_no_changes_in_project(workdir):
    before = snapshot_files(workdir / "drizzle")
    p = run_sprout("db", "generate", cwd=workdir)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "No schema changes, nothing to migrate 😴"
    assert snapshot_files(workdir / "drizzle") == before


def test_no_changes_against_latest_conformance_snapshot(tmp_path):
    truncated_expected(tmp_path, 6)
    before = snapshot_files(tmp_path)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step06.json")
    assert p.returncode == 0
    assert "No schema changes, nothing to migrate" in p.stdout
    assert snapshot_files(tmp_path) == before


def test_missing_answer_without_terminal_fails(tmp_path):
    truncated_expected(tmp_path, 4)
    before = snapshot_files(tmp_path)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step05.json")
    assert p.returncode == 1
    assert "Is patrons table created or renamed from another table?" in p.stderr
    assert "--rename table:patrons=create" in p.stderr
    assert "--rename table:patrons=rename:members" in p.stderr
    assert snapshot_files(tmp_path) == before


def test_missing_column_answers_listed(tmp_path):
    truncated_expected(tmp_path, 3)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step04.json",
                   "--rename", "column:authors.biography=rename:bio")
    assert p.returncode == 1
    assert "Is nickname column in members table created or renamed from another column?" in p.stderr
    assert "--rename column:members.nickname=rename:display_name" in p.stderr
    assert "biography" not in p.stderr
    assert not list(tmp_path.glob("0003_*"))


def test_bad_rename_flag_and_wrong_answer(tmp_path):
    truncated_expected(tmp_path, 4)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step05.json",
                   "--rename", "patrons=members")
    assert p.returncode == 2
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step05.json",
                   "--rename", "table:patrons=rename:nosuch")
    assert p.returncode == 1
    assert "nosuch" in p.stderr
    assert not list(tmp_path.glob("0004_*"))


def test_name_flag(tmp_path):
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step01.json",
                   "--name", "init_2")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "0000_init_2.sql").is_file()
    assert (tmp_path / "0000_init_2.down.sql").is_file()
    j = json.loads((tmp_path / "meta" / "_journal.json").read_text())
    assert j["entries"][0]["tag"] == "0000_init_2"
    snap = json.loads((tmp_path / "meta" / "0000_snapshot.json").read_text())
    assert snap["prevId"] == "00000000-0000-0000-0000-000000000000"
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", snap["id"])
    for bad in ("Init", "a-b", "a b", "../x"):
        p = run_sprout("db", "generate", "--migrations", tmp_path / "other", "--schema",
                       CONF / "cases" / "step01.json", "--name", bad)
        assert p.returncode == 2, bad
        assert not (tmp_path / "other").exists()


def test_when_after_last_entry(tmp_path):
    truncated_expected(tmp_path, 1)
    jpath = tmp_path / "meta" / "_journal.json"
    j = json.loads(jpath.read_text())
    j["entries"][0]["when"] = 99999999999999  # far in the future
    jpath.write_text(json.dumps(j, indent=2))
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step02.json")
    assert p.returncode == 0, p.stderr
    j = json.loads(jpath.read_text())
    assert j["entries"][1]["when"] == 99999999999999 + 1
    assert "last + 1" in p.stdout
    first = json.loads((tmp_path / "meta" / "0000_snapshot.json").read_text())
    second = json.loads((tmp_path / "meta" / "0001_snapshot.json").read_text())
    assert second["prevId"] == first["id"]


# ---- folder validation ----

def fails_cleanly(tmp_path, *needles, step=3):
    before = snapshot_files(tmp_path)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema",
                   CONF / "cases" / ("step%02d.json" % step))
    assert p.returncode == 1, p.stdout + p.stderr
    for n in needles:
        assert n in p.stderr, p.stderr
    assert snapshot_files(tmp_path) == before
    return p


def test_malformed_snapshot(tmp_path):
    truncated_expected(tmp_path, 2)
    (tmp_path / "meta" / "0001_snapshot.json").write_text('{"version": "6", "dialect": "sqlite"')
    fails_cleanly(tmp_path, "0001_snapshot.json", "malformed")


def test_snapshot_missing_columns(tmp_path):
    truncated_expected(tmp_path, 2)
    p = tmp_path / "meta" / "0000_snapshot.json"
    d = json.loads(p.read_text())
    del d["tables"]["books"]["columns"]
    p.write_text(json.dumps(d, indent=2))
    fails_cleanly(tmp_path, "0000_snapshot.json", "tables.books", "columns")


def test_newer_snapshot_version(tmp_path):
    truncated_expected(tmp_path, 2)
    p = tmp_path / "meta" / "0001_snapshot.json"
    p.write_text(p.read_text().replace('"version": "6"', '"version": "7"', 1))
    fails_cleanly(tmp_path, "0001_snapshot.json", "newer")


def test_prev_id_collision(tmp_path):
    truncated_expected(tmp_path, 2)
    a = json.loads((tmp_path / "meta" / "0000_snapshot.json").read_text())
    p = tmp_path / "meta" / "0001_snapshot.json"
    d = json.loads(p.read_text())
    d["prevId"] = a["prevId"]
    p.write_text(json.dumps(d, indent=2))
    fails_cleanly(tmp_path, "collision", "0000_snapshot.json", "0001_snapshot.json")


def test_malformed_journal(tmp_path):
    truncated_expected(tmp_path, 2)
    (tmp_path / "meta" / "_journal.json").write_text('{"version": "7", "entries": [')
    fails_cleanly(tmp_path, "_journal.json")


def test_unwritable_target(tmp_path):
    truncated_expected(tmp_path, 2)
    (tmp_path / "0002_blocked.sql").mkdir()  # the migration file cannot be put in place
    before = snapshot_files(tmp_path)
    p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step03.json",
                   "--name", "blocked")
    assert p.returncode == 1
    assert "0002_blocked.sql" in p.stderr
    assert snapshot_files(tmp_path) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(["meta", "0002_blocked.sql"] +
                                                               [x.name for x in tmp_path.glob("000[01]_*.sql")])


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder(tmp_path):
    truncated_expected(tmp_path, 2)
    before = snapshot_files(tmp_path)
    os.chmod(tmp_path / "meta", stat.S_IRUSR | stat.S_IXUSR)
    os.chmod(tmp_path, stat.S_IRUSR | stat.S_IXUSR)
    try:
        p = run_sprout("db", "generate", "--migrations", tmp_path, "--schema", CONF / "cases" / "step03.json")
        assert p.returncode == 1
        assert "cannot write" in p.stderr
    finally:
        os.chmod(tmp_path, 0o755)
        os.chmod(tmp_path / "meta", 0o755)
    assert snapshot_files(tmp_path) == before


def test_missing_parent_folder(tmp_path):
    p = run_sprout("db", "generate", "--migrations", tmp_path / "no" / "such", "--schema",
                   CONF / "cases" / "step01.json")
    assert p.returncode == 1
    assert "cannot create" in p.stderr
    assert not (tmp_path / "no").exists()


# ---- down migrations on real databases ----

def apply_file(db, path, tx=True):
    """Run a migration file chunk by chunk inside one transaction."""
    chunks = [c for c in path.read_text().split(BREAK) if c.strip()]
    script = "\n".join(chunks)
    db.executescript("BEGIN;\n" + script + "\nCOMMIT;" if tx else script)


def master(db):
    return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                      "ORDER BY type, name").fetchall()


def shape(db):
    """Schema facts independent of column order and of quoting in the stored SQL."""
    out = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                              "ORDER BY name"):
        cols = sorted(db.execute('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (name,)))
        fks = sorted(db.execute('SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)',
                                (name,)))
        idx = []
        for iname, uniq, origin, partial in db.execute(
                'SELECT name, "unique", origin, partial FROM pragma_index_list(?)', (name,)):
            icols = [r[0] for r in db.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (iname,))]
            isql = db.execute("SELECT sql FROM sqlite_master WHERE name=?", (iname,)).fetchone()
            isql = isql[0].replace('"', "`") if isql and isql[0] else None  # RENAME TO requotes
            idx.append((iname if origin == "c" else origin, uniq, partial, tuple(icols), isql))
        out[name] = (cols, fks, sorted(idx, key=str))
    return out


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys=ON")
    return db


@pytest.mark.parametrize("step", range(1, 7))
def test_generated_down_restores_previous_schema(tmp_path, step):
    folder = tmp_path / "m"
    truncated_expected(folder, step - 1)
    p = run_sprout("db", "generate", "--migrations", folder, "--schema", CONF / "cases" / ("step%02d.json" % step),
                   *rename_flags(step), "--name", "s%d" % step)
    assert p.returncode == 0, p.stderr
    db = open_db(tmp_path / "t.db")
    for e in expected_journal()["entries"][:step - 1]:
        apply_file(db, EXPECTED / (e["tag"] + ".sql"))
    before_master, before_shape = master(db), shape(db)
    up = folder / ("%04d_s%d.sql" % (step - 1, step))
    down = folder / ("%04d_s%d.down.sql" % (step - 1, step))
    apply_file(db, up)
    assert shape(db) != before_shape
    apply_file(db, down)
    assert shape(db) == before_shape
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    if step in (1, 3):  # no rebuild, no column moved: the stored SQL is byte-identical too
        assert master(db) == before_master


def shipped_tags():
    j = json.loads((ROOT / "drizzle" / "meta" / "_journal.json").read_text())
    return [e["tag"] for e in j["entries"]]


@pytest.mark.parametrize("k", range(4))
def test_shipped_down_files(tmp_path, k):
    tags = shipped_tags()
    d = ROOT / "drizzle"
    # the down file is what the engine produces from the two consecutive snapshots
    gen = tmp_path / "g"
    (gen / "meta").mkdir(parents=True)
    for i in range(k):
        shutil.copy(d / "meta" / ("%04d_snapshot.json" % i), gen / "meta")
    p = run_sprout("db", "generate", "--migrations", gen, "--schema", d / "meta" / ("%04d_snapshot.json" % k),
                   "--name", "x")
    assert p.returncode == 0, p.stderr
    [made] = list(gen.glob("*_x.down.sql"))
    assert made.read_bytes() == (d / (tags[k] + ".down.sql")).read_bytes()
    # and it works: up to k-1, record, apply k, insert a row where possible, apply down
    db = open_db(tmp_path / "s.db")
    for t in tags[:k]:
        apply_file(db, d / (t + ".sql"))
    before = shape(db)
    apply_file(db, d / (tags[k] + ".sql"))
    apply_file(db, d / (tags[k] + ".down.sql"))
    assert shape(db) == before


def test_down_of_first_migration_with_rows(tmp_path):
    """Tables are dropped children first, so the down file works with foreign keys on."""
    d = ROOT / "drizzle"
    tags = shipped_tags()
    db = open_db(tmp_path / "r.db")
    apply_file(db, d / (tags[0] + ".sql"))
    fks = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        fks[name] = [r[0] for r in db.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))]
    apply_file(db, d / (tags[0] + ".down.sql"))
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0] == 0
    order = [s.split("`")[1] for s in (d / (tags[0] + ".down.sql")).read_text().split(BREAK)]
    for i, t in enumerate(order):
        for parent in fks[t]:
            if parent != t:
                assert order.index(parent) > i, (t, parent)


# ---- further rule cases written from the spec (§5, §6) ----

def base_case():
    return json.loads((CONF / "cases" / "step06.json").read_text())


def table(case, name):
    return next(t for t in case["tables"] if t["name"] == name)


def col(t, name):
    return next(c for c in t["columns"] if c["name"] == name)


def generate_case(tmp_path, case, *flags, prev_steps=6):
    folder = tmp_path / "m"
    if not folder.exists():
        truncated_expected(folder, prev_steps)
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case))
    p = run_sprout("db", "generate", "--migrations", folder, "--schema", f, "--name", "case", *flags)
    assert p.returncode == 0, p.stderr
    [sql] = list(folder.glob("*_case.sql"))
    return sql.read_text(), folder


AUTHORS_REBUILD = (
    "PRAGMA foreign_keys=OFF;" + BREAK + "\n"
    "CREATE TABLE `__new_authors` (\n"
    "\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
    "\t`name` {name_type} NOT NULL,\n"
    "\t`biography` text,\n"
    "\t`created_at` text DEFAULT (datetime('now')) NOT NULL,\n"
    "\t`country` text DEFAULT {country_default} NOT NULL{extra}\n"
    ");\n" + BREAK + "\n"
    "INSERT INTO `__new_authors`(\"id\", \"name\", \"biography\", \"created_at\", \"country\") "
    "SELECT \"id\", \"name\", \"biography\", \"created_at\", \"country\" FROM `authors`;" + BREAK + "\n"
    "DROP TABLE `authors`;" + BREAK + "\n"
    "ALTER TABLE `__new_authors` RENAME TO `authors`;" + BREAK + "\n"
    "PRAGMA foreign_keys=ON;" + BREAK + "\n"
    "CREATE INDEX `authors_name_idx` ON `authors` (`name`);")


def test_type_change_rebuilds(tmp_path):
    case = base_case()
    col(table(case, "authors"), "name")["type"] = "text(80)"
    sql, _ = generate_case(tmp_path, case)
    assert sql == AUTHORS_REBUILD.format(name_type="text(80)", country_default="'unknown'", extra="")


def test_type_space_before_paren_is_no_change(tmp_path):
    case = base_case()
    col(table(case, "books"), "isbn")["type"] = "text (13)"
    truncated_expected(tmp_path / "m", 6)
    f = tmp_path / "c.json"
    f.write_text(json.dumps(case))
    p = run_sprout("db", "generate", "--migrations", tmp_path / "m", "--schema", f)
    assert p.returncode == 0 and "No schema changes" in p.stdout


def test_default_change_rebuilds(tmp_path):
    case = base_case()
    col(table(case, "authors"), "country")["default"] = {"kind": "string", "value": "nowhere", "sql": "'nowhere'"}
    sql, folder = generate_case(tmp_path, case)
    assert sql == AUTHORS_REBUILD.format(name_type="text", country_default="'nowhere'", extra="")
    snap = json.loads((folder / "meta" / "0006_snapshot.json").read_text())
    assert snap["tables"]["authors"]["columns"]["country"]["default"] == "'nowhere'"


def test_check_added_rebuilds_with_rewritten_qualifier(tmp_path):
    case = base_case()
    table(case, "authors")["checks"] = [{"name": "authors_name_check", "value": "length(\"authors\".\"name\") > 0"}]
    sql, folder = generate_case(tmp_path, case)
    assert sql == AUTHORS_REBUILD.format(
        name_type="text", country_default="'unknown'",
        extra=",\n\tCONSTRAINT \"authors_name_check\" CHECK(length(\"__new_authors\".\"name\") > 0)")
    snap = json.loads((folder / "meta" / "0006_snapshot.json").read_text())
    assert snap["tables"]["authors"]["checkConstraints"] == {
        "authors_name_check": {"name": "authors_name_check", "value": "length(\"authors\".\"name\") > 0"}}
    db = open_db(tmp_path / "c.db")
    for t in sorted(folder.glob("000*.sql")):
        if not t.name.endswith(".down.sql"):
            apply_file(db, t)
    stored = db.execute("SELECT sql FROM sqlite_master WHERE name='authors'").fetchone()[0]
    assert 'CHECK(length("authors"."name") > 0)' in stored


def test_two_rebuilds_one_pragma_pair(tmp_path):
    case = base_case()
    col(table(case, "authors"), "name")["notNull"] = False
    col(table(case, "tags"), "color")["default"] = None
    sql, _ = generate_case(tmp_path, case)
    chunks = sql.split(BREAK + "\n")
    assert chunks.count("PRAGMA foreign_keys=OFF;") == 1
    assert chunks.count("PRAGMA foreign_keys=ON;") == 1
    assert chunks[0] == "PRAGMA foreign_keys=OFF;"
    assert chunks[5] == "PRAGMA foreign_keys=ON;"
    assert chunks[4] == "ALTER TABLE `__new_authors` RENAME TO `authors`;"
    assert chunks[6] == "CREATE INDEX `authors_name_idx` ON `authors` (`name`);"
    assert chunks[7].startswith("CREATE TABLE `__new_tags` (\n")
    assert "\t`color` text,\n" in chunks[7]
    assert chunks[8:] == [
        'INSERT INTO `__new_tags`("id", "label", "color", "parent_tag_id") SELECT "id", "label", "color", '
        '"parent_tag_id" FROM `tags`;',
        "DROP TABLE `tags`;",
        "ALTER TABLE `__new_tags` RENAME TO `tags`;",
        "CREATE UNIQUE INDEX `tags_label_unique` ON `tags` (`label`);"]


def test_altered_index_drop_and_create(tmp_path):
    case = base_case()
    idx = next(i for i in table(case, "books")["indexes"] if i["name"] == "books_author_genre_idx")
    idx["columns"].append({"column": "published_at"})
    sql, _ = generate_case(tmp_path, case)
    assert sql == ("DROP INDEX `books_author_genre_idx`;" + BREAK + "\n"
                   "CREATE INDEX `books_author_genre_idx` ON `books` (`author_id`,`genre`,`published_at`);")


def test_expression_index(tmp_path):
    case = base_case()
    table(case, "authors")["indexes"].append({"name": "authors_lower_name_idx", "unique": False,
                                              "columns": [{"expression": "lower(\"name\")"}], "where": None})
    sql, folder = generate_case(tmp_path, case)
    assert sql == "CREATE INDEX `authors_lower_name_idx` ON `authors` (lower(\"name\"));"
    snap = json.loads((folder / "meta" / "0006_snapshot.json").read_text())
    assert snap["internal"] == {"indexes": {"authors_lower_name_idx": {
        "columns": {"lower(\"name\")": {"isExpression": True}}}}}
    assert snap["tables"]["authors"]["indexes"]["authors_lower_name_idx"]["columns"] == ["lower(\"name\")"]
    # the next generate reads the marker back: no changes
    f = tmp_path / "case.json"
    p = run_sprout("db", "generate", "--migrations", folder, "--schema", f)
    assert "No schema changes" in p.stdout


def test_create_and_drop_table_in_one_step(tmp_path):
    case = base_case()
    case["tables"] = [t for t in case["tables"] if t["name"] != "book_tags"]
    case["tables"].append({
        "name": "reviews", "columns": [
            {"name": "id", "type": "integer", "notNull": True, "primaryKey": True, "autoincrement": True},
            {"name": "book_id", "type": "integer", "notNull": True, "primaryKey": False, "autoincrement": False},
            {"name": "stars", "type": "integer", "notNull": True, "primaryKey": False, "autoincrement": False,
             "default": {"kind": "number", "value": 5, "sql": "5"}}],
        "primaryKey": None,
        "indexes": [{"name": "reviews_book_idx", "unique": False, "columns": [{"column": "book_id"}], "where": None}],
        "foreignKeys": [{"name": "reviews_book_id_books_id_fk", "columns": ["book_id"], "refTable": "books",
                         "refColumns": ["id"], "onUpdate": "no action", "onDelete": "cascade"}],
        "checks": []})
    folder = tmp_path / "m"
    truncated_expected(folder, 6)
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case))
    p = run_sprout("db", "generate", "--migrations", folder, "--schema", f)
    assert p.returncode == 1 and "Is reviews table created or renamed from another table?" in p.stderr
    sql, _ = generate_case(tmp_path, case, "--rename", "table:reviews=create")
    assert sql == ("CREATE TABLE `reviews` (\n"
                   "\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
                   "\t`book_id` integer NOT NULL,\n"
                   "\t`stars` integer DEFAULT 5 NOT NULL,\n"
                   "\tFOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON UPDATE no action ON DELETE cascade\n"
                   ");\n" + BREAK + "\n"
                   "CREATE INDEX `reviews_book_idx` ON `reviews` (`book_id`);" + BREAK + "\n"
                   "DROP TABLE `book_tags`;")


def test_not_null_column_added(tmp_path):
    case = base_case()
    table(case, "tags")["columns"].append({"name": "slug", "type": "text", "notNull": True, "primaryKey": False,
                                           "autoincrement": False})
    sql, _ = generate_case(tmp_path, case)
    assert sql == "ALTER TABLE `tags` ADD `slug` text NOT NULL;"


def test_fk_on_existing_column_rebuilds_and_rename_hoisted(tmp_path):
    case = base_case()
    tags = table(case, "tags")
    tags["foreignKeys"] = [{"name": "tags_parent_tag_id_tags_id_fk", "columns": ["parent_tag_id"],
                            "refTable": "tags", "refColumns": ["id"], "onUpdate": "no action",
                            "onDelete": "set null"}]
    col(table(case, "patrons"), "phone")["name"] = "mobile"
    sql, folder = generate_case(tmp_path, case, "--rename", "column:patrons.mobile=rename:phone")
    chunks = sql.split(BREAK + "\n")
    assert chunks[0] == 'ALTER TABLE `patrons` RENAME COLUMN "phone" TO "mobile";'
    assert chunks[1] == "PRAGMA foreign_keys=OFF;"
    assert chunks[2].endswith("\tFOREIGN KEY (`parent_tag_id`) REFERENCES `tags`(`id`) ON UPDATE no action "
                              "ON DELETE set null\n);\n")
    snap = json.loads((folder / "meta" / "0006_snapshot.json").read_text())
    assert snap["_meta"]["columns"] == {"\"patrons\".\"phone\"": "\"patrons\".\"mobile\""}


def test_terminal_prompt(tmp_path):
    """With stdin and stderr on a terminal the question is asked with numbered choices."""
    import pty
    import select
    import subprocess
    import time
    from conftest import BIN
    truncated_expected(tmp_path, 4)
    master_fd, slave_fd = pty.openpty()
    p = subprocess.Popen([BIN, "db", "generate", "--migrations", str(tmp_path), "--schema",
                          str(CONF / "cases" / "step05.json")],
                         stdin=slave_fd, stderr=slave_fd, stdout=subprocess.PIPE, text=True)
    os.close(slave_fd)
    seen = b""
    deadline = time.monotonic() + 30
    while b"Choice" not in seen and time.monotonic() < deadline:
        r, _, _ = select.select([master_fd], [], [], 1)
        if r:
            seen += os.read(master_fd, 4096)
    assert b"Is patrons table created or renamed from another table?" in seen
    assert b"1) + patrons  create table" in seen
    assert "2) ~ members › patrons  rename table".encode() in seen
    os.write(master_fd, b"2\n")
    out, _ = p.communicate(timeout=30)
    os.close(master_fd)
    assert p.returncode == 0
    [sql] = [x for x in tmp_path.glob("0004_*.sql") if not x.name.endswith(".down.sql")]
    assert sql.read_bytes() == next(EXPECTED.glob("0004_*.sql")).read_bytes()
