"""tests/cli/test_schema_workflow.py: the seed's "Migration Workflow", end to end, on a copy of
the source tree: add a column to `nodes` in src/db/schema.c (the only edit), build, `sprout db
generate`, `sprout db migrate`, then the API stores the column's default and returns it from
every node reply: storage's column lists are derived from the schema at build time."""
import json
import shutil
import sqlite3
import subprocess

from conftest import DEFAULT_USER, ROOT, run_sprout

NEW_COLUMN = '    { COL("difficulty", "integer", "difficulty"), DEFAULT_NUMBER("1") },\n'
ANCHOR = '    { COL("accuracy_score", "real", "accuracyScore"), REAL_DOUBLE, NOT_NULL, DEFAULT_NUMBER("0") },\n'
IGNORE = shutil.ignore_patterns(".git", "build", "node_modules", "__pycache__", "*.db", "*.db-*",
                                "uploads", ".env", "tests")


def test_a_column_added_to_schema_c_is_stored_returned_and_listed(tmp_path, start_server):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=IGNORE)
    schema = tree / "src" / "db" / "schema.c"
    text = schema.read_text()
    nodes = text.index("static const struct model_column nodes_columns[]")
    at = text.index(ANCHOR, nodes) + len(ANCHOR)
    schema.write_text(text[:at] + NEW_COLUMN + text[at:])

    build = subprocess.run(["make", "-j2", "release"], cwd=tree, capture_output=True, text=True,
                           timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    binary = tree / "build" / "release" / "sprout"

    gen = run_sprout("db", "generate", "--name", "difficulty", cwd=tree, binary=binary)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    sql = (tree / "drizzle" / "0004_difficulty.sql").read_text()
    assert sql == "ALTER TABLE `nodes` ADD `difficulty` integer DEFAULT 1;"
    again = run_sprout("db", "generate", cwd=tree, binary=binary)
    assert again.returncode == 0 and "No schema changes" in again.stdout, again.stdout
    # the same edit gives the PostgreSQL dialect's migration (drizzle-pg/)
    gen = run_sprout("db", "generate", "--dialect", "postgresql", "--name", "difficulty", cwd=tree, binary=binary)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    n_pg = len(json.loads((ROOT / "drizzle-pg" / "meta" / "_journal.json").read_text())["entries"])
    sql = (tree / "drizzle-pg" / ("%04d_difficulty.sql" % n_pg)).read_text()
    assert sql == 'ALTER TABLE "nodes" ADD COLUMN "difficulty" integer DEFAULT 1;'

    db = tmp_path / "sprout.db"
    mig = run_sprout("--db", db, "db", "migrate", cwd=tree, binary=binary)
    assert mig.returncode == 0, mig.stdout + mig.stderr

    srv = start_server(db=db, cwd=tree, binary=binary, args=("--no-migrate",))
    r = srv.request("POST", "/api/nodes", json={"userId": DEFAULT_USER, "type": "root", "title": "t"})
    assert r.status == 201, r
    created = r.json
    assert created["difficulty"] == 1
    keys = list(created)  # schema order, although the physical column is the table's last
    assert keys[keys.index("accuracyScore") + 1] == "difficulty"
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT difficulty FROM nodes WHERE id = ?", (created["id"],)).fetchone() == (1,)

    listed = srv.request("GET", "/api/nodes")
    assert listed.status == 200 and [n["difficulty"] for n in listed.json] == [1]
    one = srv.request("GET", f"/api/nodes/{created['id']}")
    assert one.status == 200 and one.json == created
    patched = srv.request("PATCH", f"/api/nodes/{created['id']}", json={"title": "u"})
    assert patched.status == 200 and patched.json["difficulty"] == 1, patched
    assert json.loads(patched.text)["title"] == "u"
