"""tests/web/test_web.py: the learner's page served at / by `sprout serve`.

HTTP-level checks of http/static.c (types, CSP, ETag/304, gzip, the size budget, --web DIR, paths
that must not escape), then the browser scenarios of tests/web/journey.mjs in headless Chromium
against the real binary: the whole journey with the fake model (tests/web/scenario.py), no model
configured, the server stopped and restarted, hostile model text, an agent failing mid-way. Screenshots go to the test's
temporary folder, or to $SPROUT_WEB_SHOTS (e.g. docs/web) when set.
"""
import gzip
import os
import subprocess
from pathlib import Path

import pytest

import conftest
from support.fake_model import fault, slow
from web.scenario import Journey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NO_MODEL = {"ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": "", "OPENAI_API_KEY": "",
            "OPENAI_BASE_URL": "", "LLM_PROVIDER": "", "ANTHROPIC_BASE_URL": ""}

PAGE = ["/", "/app.css", "/js/app.js", "/js/api.js", "/js/graph.js", "/js/md.js",
        "/vendor/marked.min.js", "/vendor/purify.min.js", "/favicon.svg"]


def test_page_and_assets(start_server):
    srv = start_server(env=NO_MODEL)
    r = srv.request("GET", "/")
    assert r.status == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "connect-src 'self'" in csp
    assert b'<script type="module" src="/js/app.js">' in r.raw
    assert r.headers["x-content-type-options"] == "nosniff"
    # every file of the first page, gzip-compressed, well under the 150 KiB budget
    total = 0
    for p in PAGE:
        g = srv.request("GET", p, headers={"Accept-Encoding": "gzip, deflate"})
        assert g.status == 200, p
        assert g.headers.get("content-encoding") == "gzip", p
        plain = srv.request("GET", p)
        assert gzip.decompress(g.raw) == plain.raw, p
        assert "content-encoding" not in plain.headers
        assert g.headers["etag"] != plain.headers["etag"]
        total += len(g.raw)
    assert total < 150 * 1024, total
    assert srv.request("GET", "/js/app.js").headers["content-type"] == "text/javascript; charset=utf-8"
    assert srv.request("GET", "/app.css").headers["content-type"] == "text/css; charset=utf-8"
    assert srv.request("GET", "/favicon.svg").headers["content-type"] == "image/svg+xml"
    # revalidation
    etag = srv.request("GET", "/app.css").headers["etag"]
    again = srv.request("GET", "/app.css", headers={"If-None-Match": etag})
    assert again.status == 304 and again.raw == b""
    assert srv.request("HEAD", "/js/app.js").status == 200
    # the page routes itself in the hash: other paths are not the page
    assert srv.request("GET", "/index.html").raw == r.raw
    assert srv.request("GET", "/topic/abc").status == 404
    # what is not there, or must not be reached
    for bad in ["/nope.js", "/../drizzle/meta/_journal.json", "/%2e%2e/etc/passwd", "/.git/config",
                "/js/../../Makefile", "//etc/passwd"]:
        b = srv.request("GET", bad)
        assert b.status == 404, bad
        assert b.json["error"].startswith("Cannot GET"), bad
    # the API is untouched
    assert srv.request("GET", "/api/nope").status == 404
    assert srv.request("GET", "/api/health").status == 200
    assert srv.request("POST", "/").status == 404


def test_web_dir_serves_a_folder_first(start_server, tmp_path):
    web = tmp_path / "webdev"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>dev copy</title>")
    srv = start_server(env=NO_MODEL, args=("--web", str(web)))
    r = srv.request("GET", "/", headers={"Accept-Encoding": "gzip"})
    assert r.raw == b"<!doctype html><title>dev copy</title>"
    assert "content-security-policy" in r.headers
    # a file the folder lacks comes from the binary (the vendored libraries)
    assert srv.request("GET", "/vendor/purify.min.js").status == 200
    (web / "js" / "app.js").write_text("// edited")
    assert srv.request("GET", "/js/app.js").raw == b"// edited"


def test_web_dir_must_be_a_folder(sprout, tmp_path):
    p = conftest.run_sprout("serve", "--web", str(tmp_path / "missing"), cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert "--web needs a folder" in p.stderr


# ---------------------------------------------------------------- in the browser

needs_browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not (ROOT / "tests" / "node_modules" / "playwright-core").exists(),
    reason="chromium or playwright-core missing (scripts/install-deps.sh installs them)")


def shots_dir(tmp_path):
    d = os.environ.get("SPROUT_WEB_SHOTS")
    return Path(d).resolve() if d else tmp_path / "shots"


def agents_built(srv, which=("topic", "concept", "tutor")):
    """Are these agents in this binary? A built route answers an unknown id with 404 (or 503
    naming the model variables); the placeholder of a build without it answers 503 "... not
    available yet"."""
    user = {"userId": "00000000-0000-0000-0000-000000000000"}
    probe = {"topic": lambda: srv.request("POST", "/api/agents/topics/no-such-node/run", json=user),
             "concept": lambda: srv.request(
                 "GET", "/api/agents/concepts/no-such-node/diagnostic?userId=" + user["userId"]),
             "tutor": lambda: srv.request("POST", "/api/chat/sessions/no-such-session/tutor", json=user)}
    return not any("not available yet" in probe[w]().json.get("error", "") for w in which)


def run_browser(scenario, srv, tmp_path, on_command=None, timeout=150):
    """Run journey.mjs; answer its "@@ stop" / "@@ start" lines through on_command."""
    env = dict(os.environ, SPROUT_AGENTS="1" if agents_built(srv, ("topic",)) else "0")
    p = subprocess.Popen(["node", str(HERE / "journey.mjs"), scenario, f"http://127.0.0.1:{srv.port}/",
                          str(shots_dir(tmp_path))], cwd=HERE, env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    try:
        for line in p.stdout:
            out.append(line)
            if line.startswith("@@ "):
                reply = on_command(line[3:].strip()) if on_command else "no handler"
                p.stdin.write(f"{reply}\n")
                p.stdin.flush()
        p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = "".join(out)
    assert p.returncode == 0, f"{scenario} failed:\n{text}\nserver log:\n{srv.output()[-4000:]}"
    assert f"{scenario}: ok" in text


@needs_browser
def test_journey(start_server, fake_model, tmp_path):
    journey = Journey()

    def model(req):
        step = journey(req)
        # the topic agent's last tool call waits a little, so the graph is seen growing
        if step is not None and getattr(step, "content", None) and any(
                b.get("name") == "save_concept_edge" for b in step.content if isinstance(b, dict)):
            return slow(1.5, step)
        return step

    fake_model.default = model
    srv = start_server(env=fake_model.env())
    if not agents_built(srv):
        pytest.skip("the agents are not in this build yet")
    run_browser("journey", srv, tmp_path)
    assert journey.removed == {"Vectors"}


@needs_browser
def test_no_model_upload_and_delete(start_server, tmp_path):
    srv = start_server(env=NO_MODEL)
    run_browser("nomodel", srv, tmp_path)


@needs_browser
def test_server_stopped_and_restarted(start_server, tmp_path):
    srv = start_server(env=NO_MODEL)
    port = srv.port
    state = {}

    def command(cmd):
        if cmd == "stop":
            srv.stop()
            return "ok"
        if cmd == "start":                       # the same address and database as before
            state["srv"] = start_server(env=NO_MODEL, db=srv.db, args=("--port", str(port)))
            return "ok"
        return f"unknown {cmd}"

    run_browser("restart", srv, tmp_path, command)
    assert state["srv"].request("GET", "/api/branches?userId=00000000-0000-0000-0000-000000000000").json[0]["title"] == "Astronomy"


@needs_browser
def test_hostile_model_text_is_shown_as_text(start_server, fake_model, tmp_path):
    fake_model.default = Journey(hostile=True)
    srv = start_server(env=fake_model.env())
    if not agents_built(srv):
        pytest.skip("the agents are not in this build yet")
    run_browser("hostile", srv, tmp_path)


@needs_browser
def test_agent_failure_is_shown_with_a_retry(start_server, fake_model, tmp_path):
    fake_model.default = fault(400)       # not retried: the topic agent fails at once
    srv = start_server(env=fake_model.env())
    if not agents_built(srv, ("topic",)):
        pytest.skip("the agents are not in this build yet")

    def command(cmd):
        if cmd == "model-ok":
            fake_model.default = Journey(concepts=("Atoms", "Bonds"))
            return "ok"
        return f"unknown {cmd}"

    run_browser("agentfail", srv, tmp_path, command)
