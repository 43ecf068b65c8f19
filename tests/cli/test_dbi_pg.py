"""tests/cli/test_dbi_pg.py: the database interface's unit test (tests/unit/db/test_dbi.c) on a
real PostgreSQL server: the same checks as on SQLite, through the libpq backend (db/dbi_pg.c).
The C test reads the database URL from SPROUT_TEST_PG_URL; the server is the run's throw-away
one (tests/support/pgserver.py, fixture pg_url).
"""
import pytest
import os
import subprocess

pytestmark = pytest.mark.one_engine("the dbi unit test on PostgreSQL; tests/unit runs it on SQLite")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "debug", "tests", "db", "test_dbi")


def test_dbi_on_postgresql(pg_url):
    assert os.access(BIN, os.X_OK), "build the unit tests first (make units)"
    env = dict(os.environ, SPROUT_TEST_PG_URL=pg_url)
    env.setdefault("LSAN_OPTIONS", "suppressions=%s/tests/support/lsan.supp" % ROOT)
    p = subprocess.run([BIN], env=env, capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    assert "PostgreSQL pass" in out, out
    assert p.returncode == 0, out
    assert " 0 failed" in out, out
