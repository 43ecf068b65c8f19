"""tests/llm/test_llm_client.py: the model client (src/llm/) against the fake model server.

Driven through build/debug/drivers/llm_driver (tests/drivers/llm_driver.c, the ASan+UBSan
build): one model call, a single-shot JSON call or the tool loop, with both providers, every
fault of the retry policy, cancellation, malformed replies, usage, prompt caching, and the key
kept out of every message and log line.
"""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import assert_no_sanitizer_report
from support.fake_model import block_text, block_tool, fault, slow, text, tool, turn

ROOT = Path(__file__).resolve().parent.parent.parent
DRIVER = os.environ.get("SPROUT_LLM_DRIVER", str(ROOT / "build" / "debug" / "drivers" / "llm_driver"))
SP_EUPSTREAM, SP_EUNAVAILABLE, SP_EABORT = -7, -11, -13
PROVIDERS = ["anthropic", "openai"]
SAVE = {"name": "save", "description": "Save a concept.",
        "input_schema": {"type": "object", "properties": {"title": {"type": "string"}},
                         "required": ["title"]}}
LOOKUP = {"name": "lookup", "description": "Look something up.",
          "input_schema": {"type": "object", "properties": {}, "required": []}}
HELLO = [{"role": "user", "content": "Hello"}]


def scenario(fake, provider="anthropic", config=None, **kw):
    cfg = {"provider": provider, "api_key": fake.key, "model": "fake-model",
           "base_url": fake.url + ("/v1" if provider == "openai" else ""),
           "backoff_ms": 20, "log_usage": True}
    cfg.update(config or {})
    sc = {"config": cfg}
    sc.update(kw)
    return sc


def finish(p_stdout, p_stderr):
    assert_no_sanitizer_report(p_stderr)
    out = json.loads(p_stdout)
    out["stderr"] = p_stderr
    return out


def drive(fake, provider="anthropic", env=None, **kw):
    sc = kw.pop("raw", None) or scenario(fake, provider, **kw)
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([DRIVER, json.dumps(sc)], capture_output=True, text=True, timeout=120,
                       env=e, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return finish(p.stdout, p.stderr)


def drive_cancelled(fake, after_requests, provider="anthropic", **kw):
    """Run the driver and cancel it once the fake model has received after_requests requests;
    the driver's result (it must exit 0)."""
    sc = scenario(fake, provider, cancel_on_stdin=True, **kw)
    p = subprocess.Popen([DRIVER, json.dumps(sc)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fake.wait_requests(after_requests)
    p.stdin.write("cancel\n")
    p.stdin.flush()
    out = finish(*p.communicate(timeout=10))
    assert p.returncode == 0, out["stderr"]
    return out


# ---- one call, both providers ----

@pytest.mark.parametrize("provider", PROVIDERS)
def test_text_reply_and_request_shape(fake_model, provider):
    fake_model.script(text("Hi there", usage={"input_tokens": 12, "output_tokens": 7}))
    out = drive(fake_model, provider, op="call", messages=HELLO, max_tokens=321)
    assert out["rc"] == 0, out
    assert out["reply"]["stop_reason"] == "end_turn"
    assert out["reply"]["content"] == [{"type": "text", "text": "Hi there"}]
    assert out["reply"]["usage"] == {"inputTokens": 12, "outputTokens": 7, "cacheReadTokens": 0,
                                     "cacheWriteTokens": 0, "calls": 1}
    [req] = fake_model.requests
    assert req.provider == provider
    assert req.json["model"] == "fake-model" and req.json["max_tokens"] == 321
    assert req.headers["content-type"] == "application/json"
    if provider == "anthropic":
        assert req.path == "/v1/messages"
        assert req.headers["x-api-key"] == fake_model.key
        assert req.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in req.headers
        assert req.json["messages"] == HELLO
        assert "system" not in req.json and "tools" not in req.json
    else:
        assert req.path == "/v1/chat/completions"
        assert req.headers["authorization"] == "Bearer " + fake_model.key
        assert "x-api-key" not in req.headers
        assert req.json["messages"] == HELLO
    assert "llm %s fake-model 200 in=12 out=7" % provider in out["stderr"]


def test_auth_token_is_a_bearer(fake_model):
    out = drive(fake_model, op="call", messages=HELLO,
                config={"api_key": None, "auth_token": "tok-secret-123"})
    assert out["rc"] == 0
    [req] = fake_model.requests
    assert req.headers["authorization"] == "Bearer tok-secret-123"
    assert "x-api-key" not in req.headers


def test_anthropic_marks_system_tools_and_history_cacheable(fake_model):
    msgs = [{"role": "user", "content": "first"}]
    out = drive(fake_model, op="call", system="You are a tutor.", tools=[SAVE, LOOKUP],
                messages=msgs)
    assert out["rc"] == 0
    body = fake_model.requests[0].json
    assert body["system"] == [{"type": "text", "text": "You are a tutor.",
                               "cache_control": {"type": "ephemeral"}}]
    assert [t["name"] for t in body["tools"]] == ["save", "lookup"]
    assert "cache_control" not in body["tools"][0]
    assert body["tools"][1]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][0]["input_schema"] == SAVE["input_schema"]
    assert body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "first", "cache_control": {"type": "ephemeral"}}]}]
    # the caller's conversation is not changed by the marks
    assert out["messages"] == msgs


def test_single_shot_has_no_cache_marks(fake_model):
    fake_model.script(text('{"a": 1}'))
    out = drive(fake_model, op="json", prompt="Give JSON")
    assert out["value"] == {"a": 1}
    body = fake_model.requests[0].json
    assert body["messages"] == [{"role": "user", "content": "Give JSON"}]
    assert "system" not in body and "tools" not in body and "cache_control" not in json.dumps(body)


def test_openai_request_translation(fake_model):
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0KGgo="}}
    msgs = [{"role": "user", "content": [{"type": "text", "text": "Look"}, image]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Saving."},
                {"type": "tool_use", "id": "toolu_1", "name": "save", "input": {"title": "A"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"ok":true}'}]}]
    out = drive(fake_model, "openai", op="call", system="Be brief.", tools=[SAVE], messages=msgs)
    assert out["rc"] == 0, out
    body = fake_model.requests[0].json
    assert body["tools"] == [{"type": "function", "function": {
        "name": "save", "description": "Save a concept.", "parameters": SAVE["input_schema"]}}]
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [
            {"type": "text", "text": "Look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
        {"role": "assistant", "content": "Saving.", "tool_calls": [
            {"id": "toolu_1", "type": "function",
             "function": {"name": "save", "arguments": '{"title":"A"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": '{"ok":true}'}]
    assert "cache_control" not in json.dumps(body)


def test_anthropic_passes_images_through(fake_model):
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                         "data": "/9j/4AAQ"}}
    msgs = [{"role": "user", "content": [{"type": "text", "text": "Look"}, image]}]
    out = drive(fake_model, op="call", messages=msgs)
    assert out["rc"] == 0
    assert fake_model.requests[0].json["messages"] == msgs


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_use_reply_parsed(fake_model, provider):
    fake_model.script(tool("save", {"title": "Ünïcode \"q\""}, text="Let me save.", id="toolu_x",
                           usage={"input_tokens": 20, "output_tokens": 9,
                                  "cache_read_input_tokens": 100}))
    out = drive(fake_model, provider, op="call", tools=[SAVE], messages=HELLO)
    assert out["rc"] == 0
    assert out["reply"]["stop_reason"] == "tool_use"
    assert out["reply"]["content"] == [
        {"type": "text", "text": "Let me save."},
        {"type": "tool_use", "id": "toolu_x", "name": "save", "input": {"title": "Ünïcode \"q\""}}]
    u = out["reply"]["usage"]
    assert (u["inputTokens"], u["outputTokens"], u["cacheReadTokens"]) == (20, 9, 100)


# ---- retry policy ----

@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_honours_retry_after(fake_model, provider):
    fake_model.script(fault(429, headers={"retry-after": "1"}), text("ok"))
    out = drive(fake_model, provider, op="call", messages=HELLO)
    assert out["rc"] == 0 and out["reply"]["content"][0]["text"] == "ok"
    r = fake_model.requests
    assert len(r) == 2
    assert r[1].time - r[0].time >= 0.95      # waited what the server asked for
    assert "attempts=2" in out["stderr"]


def test_429_honours_retry_after_ms(fake_model):
    fake_model.script(fault(429, headers={"retry-after-ms": "400", "retry-after": "30"}),
                      text("ok"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == 0
    r = fake_model.requests
    assert len(r) == 2 and 0.38 <= r[1].time - r[0].time < 25


def test_429_gives_up_after_four_attempts(fake_model):
    fake_model.script(*[fault(429, headers={"retry-after": "0"})] * 4, text("never"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM
    assert out["error"].startswith('429 {"type": "error", "error": {"type": "rate_limit_error"')
    assert len(fake_model.requests) == 4 and fake_model.pending() == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_500_then_success(fake_model, provider):
    fake_model.script(fault(500), text("recovered"))
    out = drive(fake_model, provider, op="call", messages=HELLO)
    assert out["rc"] == 0 and out["reply"]["content"][0]["text"] == "recovered"
    assert len(fake_model.requests) == 2


def test_529_overloaded_three_attempts_then_error(fake_model):
    fake_model.script(fault(529), fault(529), fault(529), text("never"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM
    assert out["error"].startswith("529 ") and "overloaded_error" in out["error"]
    assert len(fake_model.requests) == 3 and fake_model.pending() == 1
    assert "failed attempts=3" in out["stderr"]


def test_backoff_grows(fake_model):
    fake_model.script(fault(503), fault(503), text("ok"))
    out = drive(fake_model, op="call", messages=HELLO, config={"backoff_ms": 200})
    assert out["rc"] == 0
    r = fake_model.requests
    assert r[1].time - r[0].time >= 0.15          # 200 ms minus at most 25 % jitter
    assert r[2].time - r[1].time >= 0.3           # doubled


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_4xx_never_retried(fake_model, status):
    fake_model.script(fault(status), text("never"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM and out["error"].startswith(f"{status} ")
    assert len(fake_model.requests) == 1


def test_x_should_retry_header(fake_model):
    fake_model.script(fault(500, headers={"x-should-retry": "false"}))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM and len(fake_model.requests) == 1
    fake_model.requests.clear()
    fake_model.script(fault(400, headers={"x-should-retry": "true"}), text("again"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == 0 and len(fake_model.requests) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reset_connection_retried(fake_model, provider):
    fake_model.script(fault("reset"), text("after reset"))
    out = drive(fake_model, provider, op="call", messages=HELLO)
    assert out["rc"] == 0 and out["reply"]["content"][0]["text"] == "after reset"
    assert len(fake_model.requests) == 2


def test_reset_every_time_is_an_error(fake_model):
    fake_model.script(fault("reset"), fault("reset"), fault("reset"), text("never"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM and out["error"].startswith("model request failed: ")
    assert len(fake_model.requests) == 3


def test_slow_reply_times_out_and_is_retried(fake_model):
    fake_model.script(slow(3, text("late")), text("in time"))
    out = drive(fake_model, op="call", messages=HELLO, config={"timeout_ms": 300})
    assert out["rc"] == 0 and out["reply"]["content"][0]["text"] == "in time"
    assert len(fake_model.requests) == 2


def test_slow_reply_every_time_is_a_timeout_error(fake_model):
    fake_model.default = slow(3, text("late"))
    out = drive(fake_model, op="call", messages=HELLO,
                config={"timeout_ms": 200, "max_attempts": 2})
    assert out["rc"] == SP_EUPSTREAM
    assert out["error"] == "model request timed out after 200 ms"
    assert len(fake_model.requests) == 2


def test_connection_refused_is_an_error(fake_model):
    url = fake_model.url
    fake_model.stop()
    out = drive(fake_model, op="call", messages=HELLO, config={"base_url": url, "max_attempts": 2})
    assert out["rc"] == SP_EUPSTREAM and out["error"].startswith("model request failed: ")


def test_reply_that_is_not_json(fake_model):
    fake_model.script(fault(200, body="<html>proxy</html>"))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM and "not a JSON object" in out["error"]
    assert len(fake_model.requests) == 1


# ---- cancellation ----

def test_cancel_mid_request_aborts_and_makes_no_further_request(fake_model):
    fake_model.script(slow(30, text("too late")), text("never"))
    out = drive_cancelled(fake_model, 1, op="call", messages=HELLO)
    assert out["rc"] == SP_EABORT and out["error"] == "cancelled"
    time.sleep(0.3)
    assert len(fake_model.requests) == 1 and fake_model.pending() == 1
    assert "cancelled" in out["stderr"]


def test_cancel_during_retry_wait(fake_model):
    fake_model.script(fault(429, headers={"retry-after": "30"}), text("never"))
    out = drive_cancelled(fake_model, 1, op="call", messages=HELLO)
    assert out["rc"] == SP_EABORT
    time.sleep(0.3)
    assert len(fake_model.requests) == 1


def test_cancel_inside_the_loop_stops_it(fake_model):
    fake_model.script(tool("save", {"title": "A"}), slow(30, text("never")))
    out = drive_cancelled(fake_model, 2, op="loop", tools=[SAVE], messages=HELLO, max_iterations=5)
    assert out["rc"] == SP_EABORT
    assert out["usage"]["calls"] == 1              # the usage so far is still reported
    time.sleep(0.3)
    assert len(fake_model.requests) == 2


# ---- the tool loop ----

@pytest.mark.parametrize("provider", PROVIDERS)
def test_loop_runs_tools_and_ends_on_end_turn(fake_model, provider):
    fake_model.script(
        turn(block_text("Thinking about it."), block_tool("save", {"title": "A"}, id="t1"),
             block_tool("lookup", {}, id="t2")),
        text("All saved."))
    out = drive(fake_model, provider, op="loop", system="sys", tools=[SAVE, LOOKUP],
                messages=[{"role": "user", "content": "Start"}], max_iterations=5)
    assert out["rc"] == 0, out
    assert out["final_text"] == "All saved."
    r_save = '{"ok":true,"tool":"save","input":{"title":"A"}}'
    r_lookup = '{"ok":true,"tool":"lookup","input":{}}'
    assert out["events"] == [
        ["text", "Thinking about it."],
        ["tool_call", "save", {"title": "A"}], ["tool_result", "save", r_save],
        ["tool_call", "lookup", {}], ["tool_result", "lookup", r_lookup],
        ["text", "All saved."]]
    assert out["tool_calls"] == [{"name": "save", "input": {"title": "A"}, "result": r_save},
                                 {"name": "lookup", "input": {}, "result": r_lookup}]
    # the conversation: assistant content verbatim, then one user message of tool results
    msgs = out["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert msgs[1]["content"] == [
        {"type": "text", "text": "Thinking about it."},
        {"type": "tool_use", "id": "t1", "name": "save", "input": {"title": "A"}},
        {"type": "tool_use", "id": "t2", "name": "lookup", "input": {}}]
    assert msgs[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": r_save},
        {"type": "tool_result", "tool_use_id": "t2", "content": r_lookup}]
    assert len(fake_model.requests) == 2
    second = fake_model.requests[1].json
    if provider == "anthropic":
        sent = second["messages"]
        assert sent[1] == msgs[1]
        assert sent[2]["content"][0] == msgs[2]["content"][0]
        assert sent[2]["content"][1]["cache_control"] == {"type": "ephemeral"}
    else:
        tool_msgs = [m for m in second["messages"] if m["role"] == "tool"]
        assert tool_msgs == [{"role": "tool", "tool_call_id": "t1", "content": r_save},
                             {"role": "tool", "tool_call_id": "t2", "content": r_lookup}]
    assert out["usage"] == {"inputTokens": 20, "outputTokens": 10, "cacheReadTokens": 0,
                            "cacheWriteTokens": 0, "calls": 2}


def test_loop_end_turn_ignores_tool_blocks(fake_model):
    fake_model.script(turn(block_text("Done here."), block_tool("save", {"title": "X"}),
                           stop_reason="end_turn"))
    out = drive(fake_model, op="loop", tools=[SAVE], messages=HELLO)
    assert out["rc"] == 0 and out["final_text"] == "Done here." and out["tool_calls"] == []


def test_loop_max_tokens_with_tool_use_still_runs_the_tool(fake_model):
    fake_model.script(turn(block_tool("save", {"title": "cut"}), stop_reason="max_tokens"),
                      text("ok"))
    out = drive(fake_model, op="loop", tools=[SAVE], messages=HELLO)
    assert out["rc"] == 0 and [c["name"] for c in out["tool_calls"]] == ["save"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_loop_unknown_tool(fake_model, provider):
    fake_model.script(tool("delete_everything", {"all": True}, id="tu"), text("Sorry."))
    out = drive(fake_model, provider, op="loop", tools=[SAVE], messages=HELLO)
    assert out["rc"] == 0 and out["final_text"] == "Sorry."
    assert out["tool_calls"] == [{"name": "delete_everything", "input": {"all": True},
                                  "result": '{"error": "Unknown tool: delete_everything"}'
                                  .replace('": "', '":"')}]


def test_loop_executor_error_is_fed_back(fake_model):
    fake_model.script(tool("save", {"title": "A"}, id="tu"), text("Retrying later."))
    out = drive(fake_model, op="loop", tools=[SAVE], messages=HELLO, fail_tools=["save"])
    assert out["rc"] == 0
    assert out["tool_calls"][0]["result"] == '{"error":"boom: save"}'
    sent = fake_model.requests[1].json["messages"][-1]["content"][0]
    assert sent["type"] == "tool_result" and sent["content"] == '{"error":"boom: save"}'
    assert "is_error" not in sent


@pytest.mark.parametrize("provider", PROVIDERS)
def test_loop_malformed_tool_input(fake_model, provider):
    # Anthropic: input is a string, not an object; OpenAI: arguments are not valid JSON
    fake_model.script(turn(block_tool("save", '{"title": "unterminated', id="bad1")),
                      text("Fixed."))
    out = drive(fake_model, provider, op="loop", tools=[SAVE], messages=HELLO)
    assert out["rc"] == 0 and out["final_text"] == "Fixed."
    err = '{"error":"Invalid tool input: expected a JSON object"}'
    assert [c["result"] for c in out["tool_calls"]] == [err]
    assert not any(e[0] == "tool_result" and "ok" in e[2] for e in out["events"])
    second = fake_model.requests[1].json["messages"]
    if provider == "anthropic":
        assert second[1]["content"][0]["input"] == {}        # the API only takes objects
        assert second[2]["content"][0]["content"] == err
    else:
        assert second[1]["tool_calls"][0]["function"]["arguments"] == '{"title": "unterminated'
        assert second[2] == {"role": "tool", "tool_call_id": "bad1", "content": err}


def test_loop_openai_arguments_not_an_object(fake_model):
    fake_model.script(turn(block_tool("save", "[1, 2]")), text("ok"))
    out = drive(fake_model, "openai", op="loop", tools=[SAVE], messages=HELLO)
    assert out["tool_calls"][0]["result"].startswith('{"error":"Invalid tool input')


@pytest.mark.parametrize("provider", PROVIDERS)
def test_loop_model_that_never_stops_calling_tools(fake_model, provider):
    fake_model.default = tool("save", {"title": "again"}, text="One more.")
    out = drive(fake_model, provider, op="loop", tools=[SAVE], messages=HELLO, max_iterations=3)
    assert out["rc"] == 0
    assert len(fake_model.requests) == 3                   # the budget ends the loop
    assert len(out["tool_calls"]) == 3                     # the last reply's tools still ran
    assert out["final_text"] == "One more."                # first text of the last assistant msg
    assert out["usage"]["calls"] == 3 and out["usage"]["inputTokens"] == 30
    assert [m["role"] for m in out["messages"]] == ["user"] + ["assistant", "user"] * 3


def test_loop_blank_text_is_not_reported(fake_model):
    fake_model.script(turn(block_text("  \n "), block_tool("save", {"title": "A"})),
                      turn(block_text("Final"), block_text("second"), stop_reason="end_turn"))
    out = drive(fake_model, op="loop", tools=[SAVE], messages=HELLO)
    assert [e for e in out["events"] if e[0] == "text"] == [["text", "Final"], ["text", "second"]]
    assert out["final_text"] == "Final"


def test_loop_error_after_retries_ends_the_loop(fake_model):
    fake_model.script(tool("save", {"title": "A"}), fault(400))
    out = drive(fake_model, op="loop", tools=[SAVE], messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM and out["error"].startswith("400 ")
    assert out["usage"]["calls"] == 1 and len(out["events"]) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_usage_summed_over_the_loop(fake_model, provider):
    fake_model.script(tool("save", {"title": "A"}, usage={"input_tokens": 100, "output_tokens": 20,
                                                         "cache_read_input_tokens": 0,
                                                         "cache_creation_input_tokens": 50}),
                      tool("save", {"title": "B"}, usage={"input_tokens": 30, "output_tokens": 25,
                                                         "cache_read_input_tokens": 150}),
                      text("end", usage={"input_tokens": 1, "output_tokens": 2}))
    out = drive(fake_model, provider, op="loop", tools=[SAVE], messages=HELLO)
    u = out["usage"]
    assert u["calls"] == 3 and u["outputTokens"] == 47 and u["cacheReadTokens"] == 150
    if provider == "anthropic":
        assert u["inputTokens"] == 131 and u["cacheWriteTokens"] == 50
    else:       # Chat Completions reports no cache writes: they are ordinary prompt tokens
        assert u["inputTokens"] == 181 and u["cacheWriteTokens"] == 0
    assert out["stderr"].count("llm %s fake-model 200" % provider) == 3


# ---- single-shot JSON (spec §2.4) ----

@pytest.mark.parametrize("reply,value", [
    ('[{"title": "A"}]', [{"title": "A"}]),
    ('  ```json\n{"x": [1, 2]}\n```  ', {"x": [1, 2]}),
    ('Here it is:\n```\n[1]\n```\nand ```json\n[2]\n```', [1]),
    ('```json{"tight":true}```', {"tight": True}),
    ('42', 42),
])
def test_json_call_extracts(fake_model, reply, value):
    fake_model.script(text(reply))
    out = drive(fake_model, op="json", prompt="p", max_tokens=2048)
    assert out["rc"] == 0 and out["value"] == value
    assert fake_model.requests[0].json["max_tokens"] == 2048
    assert out["usage"]["calls"] == 1


def test_json_call_errors(fake_model):
    fake_model.script(turn(block_tool("x", {}), stop_reason="end_turn"))
    out = drive(fake_model, op="json", prompt="p")
    assert out["rc"] == SP_EUPSTREAM and out["error"] == "No text response from Claude"
    fake_model.script(text("Sure! The answer is {a: 1}"))
    out = drive(fake_model, op="json", prompt="p")
    assert out["rc"] == SP_EUPSTREAM and out["error"].startswith("Claude reply is not JSON")


# ---- configuration and the key ----

def test_key_never_in_errors_or_logs(fake_model):
    key = fake_model.key
    fake_model.script(fault(401, body={"error": {"message": f"Incorrect API key provided: {key}"}}))
    out = drive(fake_model, op="call", messages=HELLO)
    assert out["rc"] == SP_EUPSTREAM
    assert key not in out["error"] and "***" in out["error"]
    assert key not in out["stderr"] and key not in out["describe"]
    fake_model.script(tool("save", {"title": "A"}), text("ok"))
    out = drive(fake_model, "openai", op="loop", tools=[SAVE], messages=HELLO)
    assert key not in out["stderr"] and key not in json.dumps(out["messages"])


def test_config_from_environment(fake_model):
    env = fake_model.env("openai")
    env.update({"CLAUDE_MODEL": "  local-model \n", "CLAUDE_MODEL_SMALL": ""})
    fake_model.script(text("from env"))
    out = drive(fake_model, env=env, raw={"env": True, "op": "call", "messages": HELLO})
    assert out["rc"] == 0, out
    assert out["model_main"] == "local-model" and out["model_small"] == "local-model"
    assert out["describe"] == f"model: openai {fake_model.url}/v1 (local-model; key)"
    req = fake_model.requests[0]
    assert req.provider == "openai" and req.json["model"] == "local-model"


def test_config_defaults_and_missing_key(fake_model):
    env = {"LLM_PROVIDER": "", "ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": "",
           "ANTHROPIC_BASE_URL": "", "CLAUDE_MODEL": "", "CLAUDE_MODEL_SMALL": ""}
    out = drive(fake_model, env=env, raw={"env": True, "op": "new"})
    assert out["rc"] == SP_EUNAVAILABLE and "ANTHROPIC_API_KEY" in out["error"]
    # a model server on this machine needs no key
    env.update({"ANTHROPIC_BASE_URL": fake_model.url + "/", "CLAUDE_MODEL_SMALL": "small-one"})
    fake_model.script(text("keyless"))
    out = drive(fake_model, env=env, raw={"env": True, "op": "call", "messages": HELLO})
    assert out["rc"] == 0
    assert out["model_main"] == "claude-haiku-4-5-20251001" and out["model_small"] == "small-one"
    assert out["describe"] == (f"model: anthropic {fake_model.url} "
                               "(claude-haiku-4-5-20251001, small small-one; no key)")
    assert "x-api-key" not in fake_model.requests[0].headers


def test_serve_prints_the_model_and_never_the_key(fake_model, start_server):
    srv = start_server(env=fake_model.env("anthropic"))
    out = srv.stop()
    assert f"model: anthropic {fake_model.url} (fake-model, small fake-model-small; key)" in out
    assert fake_model.key not in out


def test_serve_without_a_model(start_server):
    srv = start_server(env={"LLM_PROVIDER": "", "ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": "",
                            "ANTHROPIC_BASE_URL": ""})
    out = srv.stop()
    assert "model: none: no model configured (set ANTHROPIC_API_KEY" in out


def test_serve_refuses_an_unknown_provider(sprout, workdir):
    p = sprout("serve", "--port", "0", cwd=workdir, env={"LLM_PROVIDER": "gemini"}, timeout=20)
    assert p.returncode == 2 and "LLM_PROVIDER='gemini'" in p.stderr
    assert not (workdir / "sprout.db").exists()           # refused before touching the database
