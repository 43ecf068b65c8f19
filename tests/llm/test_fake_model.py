"""tests/llm/test_fake_model.py: the fake model server itself (tests/support/fake_model.py):
rules and the FIFO, computed replies, the OpenAI translation, and the standalone benchmark mode
driven by the real model client."""
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from support.fake_model import FakeModel, block_text, block_tool, fault, text, tool, turn
from test_llm_client import SAVE, LOOKUP, drive

FAKE = Path(__file__).resolve().parent.parent / "support" / "fake_model.py"


def post(url, body, headers=None):
    r = urllib.request.Request(url, data=json.dumps(body).encode(),
                               headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_rules_fifo_default_and_callables(fake_model):
    fake_model.on("Photosynthesis", text("rule 1"), text("rule 2"))
    fake_model.on("Ünïcode", text("decoded match"))
    fake_model.script(text("fifo 1"))
    fake_model.default = lambda req: text("computed for " + req.json["messages"][0]["content"])
    url = fake_model.url + "/v1/messages"

    def ask(content):
        return post(url, {"model": "m", "messages": [{"role": "user", "content": content}]})[1][
            "content"][0]["text"]

    assert ask("about Photosynthesis") == "rule 1"
    assert ask("other") == "fifo 1"
    assert ask("Photosynthesis again") == "rule 2"
    assert ask("Photosynthesis third") == "computed for Photosynthesis third"   # rule used up
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "Ünïcode"}]})
    assert "\\u00dc" in body                       # the client escaped it; the rule still matches
    r = urllib.request.Request(url, data=body.encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(r, timeout=10) as resp:
        assert json.loads(resp.read())["content"][0]["text"] == "decoded match"
    assert len(fake_model.wait_requests(5)) == 5 and fake_model.pending() == 0
    with pytest.raises(AssertionError):
        fake_model.wait_requests(6, timeout=0.2)


def test_openai_translation(fake_model):
    fake_model.script(turn(block_text("Two calls."), block_tool("a", {"x": 1}, id="c1"),
                           block_tool("b", "not json", id="c2"),
                           usage={"input_tokens": 7, "output_tokens": 3,
                                  "cache_read_input_tokens": 4}),
                      fault(429, headers={"retry-after": "2"}))
    status, body, _ = post(fake_model.url + "/v1/chat/completions", {"model": "gpt-x", "messages": []})
    assert status == 200 and body["model"] == "gpt-x"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Two calls."
    assert choice["message"]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "a", "arguments": '{"x": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "b", "arguments": "not json"}}]
    assert body["usage"] == {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14,
                             "prompt_tokens_details": {"cached_tokens": 4}}
    status, body, headers = post(fake_model.url + "/v1/chat/completions", {"messages": []})
    assert status == 429 and headers["retry-after"] == "2" and body["error"]["type"] == "rate_limit_error"
    assert [r.provider for r in fake_model.requests] == ["openai", "openai"]


def test_every_reply_has_usage(fake_model):
    fake_model.script(tool("t", {}))
    _, body, _ = post(fake_model.url + "/v1/messages", {"messages": []})
    assert body["usage"] == {"input_tokens": 10, "output_tokens": 5}
    assert body["stop_reason"] == "tool_use" and body["content"][0]["name"] == "t"


@pytest.fixture
def standalone():
    port = free_port()
    p = subprocess.Popen([sys.executable, str(FAKE), "--port", str(port), "--delay", "0.05"],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert f"127.0.0.1:{port}" in line
    yield f"http://127.0.0.1:{port}"
    p.terminate()
    p.wait(10)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_standalone_drives_a_whole_loop(standalone, provider):
    class Where:                               # what the driver's configuration needs
        url = standalone
        key = "standalone-key"
    fake, cfg = Where(), {}
    out = drive(fake, provider, op="loop", tools=[SAVE, LOOKUP], config=cfg, system="s",
                messages=[{"role": "user", "content": "Teach me"}], max_iterations=10)
    assert out["rc"] == 0, out
    assert [c["name"] for c in out["tool_calls"]] == ["save", "lookup"]
    assert out["tool_calls"][0]["input"] == {"title": "Example title"}
    assert out["final_text"] == "Done."
    out = drive(fake, provider, op="json", config=cfg,
                prompt="Return a JSON array of concepts with title and desc")
    assert out["rc"] == 0 and out["value"][0]["title"] == "Example concept 1"
