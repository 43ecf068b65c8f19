"""tests/cli/test_schema_workflow.py: the seed's "Migration Workflow", end to end, on a copy of
the source tree: add a column to `nodes` in src/db/schema.c (the only edit), build, `sprout db
generate` for each dialect (drizzle/ and drizzle-pg/), `sprout db migrate`, then the API stores
the column's default and returns it from every node reply: storage's column lists are derived
from the schema at build time. The build is done once; the migrate-and-serve part runs on
SQLite and on PostgreSQL (the `cli_db` fixture)."""
import json
import shutil
import subprocess

import pytest

from conftest import DEFAULT_USER, ROOT, run_sprout

pytestmark = pytest.mark.both_engines

NEW_COLUMN = '    { COL("difficulty", "integer", "difficulty"), DEFAULT_NUMBER("1") },\n'
ANCHOR = '    { COL("accuracy_score", "real", "accuracyScore"), REAL_DOUBLE, NOT_NULL, DEFAULT_NUMBER("0") },\n'
IGNORE = shutil.ignore_patterns(".git", "build", "node_modules", "__pycache__", "*.db", "*.db-*",
                                "uploads", ".env", "tests")
# what `db generate` writes for the new column, by dialect (drizzle-kit's spelling of each)
NEW_SQL = {"sqlite": "ALTER TABLE `nodes` ADD `difficulty` integer DEFAULT 1;",
           "postgresql": 'ALTER TABLE "nodes" ADD COLUMN "difficulty" integer DEFAULT 1;'}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The edited tree, built (release), with both folders generated: (tree, binary)."""
    tree = tmp_path_factory.mktemp("workflow") / "tree"
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
    for dialect in ("sqlite", "postgresql"):
        gen = run_sprout("db", "generate", "--dialect", dialect, "--name", "difficulty", cwd=tree, binary=binary)
        assert gen.returncode == 0, gen.stdout + gen.stderr
    return tree, binary


def test_generate_writes_the_dialects_migration(built, cli_db):
    tree, binary = built
    n = len(cli_db.journal())  # the shipped folder's migrations; the new one comes next
    sql = (tree / cli_db.folder / ("%04d_difficulty.sql" % n)).read_text()
    assert sql == NEW_SQL[cli_db.dialect]
    again = run_sprout("db", "generate", "--dialect", cli_db.dialect, cwd=tree, binary=binary)
    assert again.returncode == 0 and "No schema changes" in again.stdout, again.stdout


def test_a_column_added_to_schema_c_is_stored_returned_and_listed(built, cli_db, start_server):
    tree, binary = built
    mig = run_sprout("--db", cli_db.target, "db", "migrate", cwd=tree, binary=binary)
    assert mig.returncode == 0, mig.stdout + mig.stderr
    assert "applied %04d_difficulty" % len(cli_db.journal()) in mig.stdout

    srv = start_server(cwd=tree, binary=binary, args=("--no-migrate",))  # on cli_db's database
    r = srv.request("POST", "/api/nodes", json={"userId": DEFAULT_USER, "type": "root", "title": "t"})
    assert r.status == 201, r
    created = r.json
    assert created["difficulty"] == 1
    keys = list(created)  # schema order, although the physical column is the table's last
    assert keys[keys.index("accuracyScore") + 1] == "difficulty"
    assert srv.sql("SELECT difficulty FROM nodes WHERE id = ?", created["id"]) == [{"difficulty": 1}]
    assert cli_db.columns("nodes")[-1] == "difficulty"

    listed = srv.request("GET", "/api/nodes")
    assert listed.status == 200 and [n["difficulty"] for n in listed.json] == [1]
    one = srv.request("GET", f"/api/nodes/{created['id']}")
    assert one.status == 200 and one.json == created
    patched = srv.request("PATCH", f"/api/nodes/{created['id']}", json={"title": "u"})
    assert patched.status == 200 and patched.json["difficulty"] == 1, patched
    assert json.loads(patched.text)["title"] == "u"
