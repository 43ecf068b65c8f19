"""tests/e2e/test_runs_config.py: the agent run pool's knobs of `sprout serve`
(SPROUT_AGENT_WORKERS, SPROUT_AGENT_QUEUE): out-of-range or malformed values are refused at
start-up with a usage error naming the variable; valid ones start a server that stops cleanly.
The streams themselves are tested at the socket level in tests/unit/http/test_stream.c.
On SQLite and PostgreSQL (both_engines)."""
import pytest

from conftest import run_sprout

pytestmark = pytest.mark.both_engines


@pytest.mark.parametrize("name,value", [
    ("SPROUT_AGENT_WORKERS", "0"), ("SPROUT_AGENT_WORKERS", "65"), ("SPROUT_AGENT_WORKERS", "four"),
    ("SPROUT_AGENT_QUEUE", "0"), ("SPROUT_AGENT_QUEUE", "-3"), ("SPROUT_AGENT_QUEUE", "100001"),
])
def test_bad_pool_settings_are_refused(workdir, db_env, name, value):
    p = run_sprout("serve", "--port", "0", cwd=workdir, env={**db_env(workdir / "x.db"), name: value})
    assert p.returncode == 2
    assert f"{name}='{value}'" in p.stderr
    assert "Sprout backend running" not in p.stdout


def test_valid_pool_settings_serve_and_stop(start_server):
    srv = start_server(env={"SPROUT_AGENT_WORKERS": "64", "SPROUT_AGENT_QUEUE": "1"})
    assert srv.request("GET", "/api/health").status == 200
