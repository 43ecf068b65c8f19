"""tests/cli/test_self_contained.py: the repository stands alone. No test, script, Makefile rule or CI
file points outside it (at a reference folder beside the checkout), and what the tests compare
against is in tests/data with its README."""
import pytest
import subprocess

from conftest import DATA, ROOT

pytestmark = pytest.mark.one_engine("a check of the repository's files; no database")

OUTSIDE = ("../" + "shared", "SPROUT_" + "SHARED", "parent / " + "\"shared\"")


def tracked(*paths):
    p = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=ROOT, capture_output=True, timeout=60)
    if p.returncode != 0:  # not a git checkout (an unpacked tarball): walk the folders instead
        return [f for d in paths for f in ((ROOT / d).rglob("*") if (ROOT / d).is_dir() else [ROOT / d])
                if f.is_file() and "node_modules" not in f.parts]
    return [ROOT / f for f in p.stdout.decode().split("\0") if f]


def test_no_test_script_makefile_or_ci_file_reads_outside_the_repository():
    offenders = []
    for f in tracked("tests", "scripts", "Makefile", ".ci", "bench"):
        if f.suffix in (".db",):
            continue
        text = f.read_text(errors="replace")
        offenders += [f"{f.relative_to(ROOT)}: {m}" for m in OUTSIDE if m in text]
    assert not offenders, offenders


def test_the_data_the_tests_use_is_in_the_repository():
    for rel in ("drizzle-kit/cases/step01.json", "drizzle-kit/expected/meta/_journal.json",
                "drizzle-kit/applied/step06.sql", "drizzle-kit/answers.json",
                "drizzle-kit-pg/expected/meta/_journal.json",
                "fixtures/sprout-migrated-by-drizzle-history.db", "fixtures/sprout-drizzle/meta/_journal.json",
                "README.md", "regenerate.sh"):
        assert (DATA / rel).is_file(), rel
    listed = {f.relative_to(ROOT).as_posix() for f in tracked("tests/data")}
    assert "tests/data/fixtures/sprout-migrated-by-drizzle.db" in listed  # committed, not git-ignored
