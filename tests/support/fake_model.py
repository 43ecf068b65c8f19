"""tests/support/fake_model.py: a fake model server that speaks the Anthropic Messages API
(POST /v1/messages) and the OpenAI Chat Completions API (POST /v1/chat/completions), so the
model client and the agents are tested without a cloud key.

In tests (threaded, 127.0.0.1, a free port; also the pytest fixture `fake_model`):

    from support.fake_model import FakeModel, text, tool, turn, fault, slow, block_text, block_tool
    fake = FakeModel(); fake.start(); ...; fake.stop()
    fake.url                    # "http://127.0.0.1:PORT" (OpenAI base URL: fake.url + "/v1")
    fake.env(provider="anthropic"|"openai")   # env vars for start_server(env=...), with
                                # SPROUT_LLM_BACKOFF_MS=50 (quick retries) and fake.key
    fake.script(*steps)         # FIFO of replies for requests no rule matches
    fake.on(match, *steps)      # replies for requests whose body text contains `match`
    fake.default = text("done") # when nothing matches and the FIFO is empty
    fake.requests               # received: .path .headers (lower-case) .json .body .provider .time
    fake.wait_requests(n, timeout=10)

Replies are scripted in ONE form (Anthropic content blocks) and translated for
/v1/chat/completions: text -> message.content, tool_use -> tool_calls (function.arguments as JSON
text; an input given as a str is sent verbatim, which is how a test sends malformed arguments),
end_turn -> "stop", tool_use -> "tool_calls", max_tokens -> "length", usage -> prompt_tokens /
completion_tokens (cache reads -> prompt_tokens_details.cached_tokens).
Every reply carries a usage (default input 10 / output 5 tokens; `usage={...}` overrides keys
of the Anthropic usage object: input_tokens, output_tokens, cache_read_input_tokens,
cache_creation_input_tokens).

Steps: text(s), tool(name, input, text=None, id=None), turn(*blocks, stop_reason="tool_use"),
fault(status, body=None, headers=None), fault("reset") (close the connection without a reply),
slow(seconds, step) (reply after sleeping; wakes early on stop()), or a callable
request -> step.

Standalone (benchmarks): `python3 tests/support/fake_model.py --port P [--delay SECONDS]
[--repeat N]` serves both APIs until killed. Each request is answered after the delay with a
plausible reply (auto_reply): the offered tools are called once each (N times with --repeat, the
string values numbered 1..N), in order, one per turn, with inputs built from their schemas, then
end_turn text; a request without tools gets a JSON text guessed from
the prompt (grading verdicts, diagnostic questions, a review decision, concepts, or {}).
Thread model: one thread per connection (ThreadingHTTPServer); the script, the rules and the
request list are guarded by one lock.
"""
import argparse
import copy
import http.server
import itertools
import json
import re
import socket
import struct
import sys
import threading
import time

__all__ = ["FakeModel", "text", "tool", "turn", "fault", "slow", "block_text", "block_tool",
           "auto_reply"]

DEFAULT_USAGE = {"input_tokens": 10, "output_tokens": 5}
TEST_KEY = "sk-fake-test-key-0123456789"
_ids = itertools.count(1)


# ---- steps ----

def block_text(s):
    return {"type": "text", "text": s}


def block_tool(name, input, id=None):
    return {"type": "tool_use", "id": id or f"toolu_fake_{next(_ids):04d}", "name": name,
            "input": input}


class Reply:
    def __init__(self, content, stop_reason, usage=None):
        self.content = content
        self.stop_reason = stop_reason
        self.usage = usage

    def __repr__(self):
        return f"<Reply {self.stop_reason} {self.content!r}>"


class Fault:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}

    def __repr__(self):
        return f"<Fault {self.status}>"


class Slow:
    def __init__(self, seconds, step):
        self.seconds = seconds
        self.step = step


def text(s, usage=None):
    return Reply([block_text(s)], "end_turn", usage)


def tool(name, input, text=None, id=None, usage=None):
    blocks = [block_text(text)] if text is not None else []
    blocks.append(block_tool(name, input, id))
    return Reply(blocks, "tool_use", usage)


def turn(*blocks, stop_reason="tool_use", usage=None):
    return Reply(list(blocks), stop_reason, usage)


def fault(status, body=None, headers=None):
    return Fault(status, body, headers)


def slow(seconds, step):
    return Slow(seconds, step)


# ---- requests ----

class Request:
    def __init__(self, path, headers, body, provider):
        self.path = path
        self.headers = headers
        self.body = body
        self.provider = provider
        self.time = time.monotonic()
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Request {self.provider} {self.path}>"


def _error_body(status, provider):
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
             500: "api_error", 529: "overloaded_error"}
    kind = kinds.get(status, "api_error")
    msg = f"fake {kind} ({status})"
    if provider == "openai":
        return {"error": {"message": msg, "type": kind, "code": None}}
    return {"type": "error", "error": {"type": kind, "message": msg}}


def _usage(u):
    out = dict(DEFAULT_USAGE)
    if u:
        out.update(u)
    return out


def anthropic_body(reply, model):
    return {"id": f"msg_fake_{next(_ids):04d}", "type": "message", "role": "assistant",
            "model": model or "fake-model", "content": copy.deepcopy(reply.content),
            "stop_reason": reply.stop_reason, "stop_sequence": None,
            "usage": _usage(reply.usage)}


def openai_body(reply, model):
    texts = [b.get("text", "") for b in reply.content if b.get("type") == "text"]
    calls = []
    for b in reply.content:
        if b.get("type") != "tool_use":
            continue
        inp = b.get("input")
        args = inp if isinstance(inp, str) else json.dumps(inp)
        calls.append({"id": b.get("id"), "type": "function",
                      "function": {"name": b.get("name"), "arguments": args}})
    finish = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length",
              "stop_sequence": "stop"}.get(reply.stop_reason, reply.stop_reason)
    msg = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        msg["tool_calls"] = calls
    u = _usage(reply.usage)
    cached = u.get("cache_read_input_tokens") or 0
    prompt = u.get("input_tokens", 0) + cached + (u.get("cache_creation_input_tokens") or 0)
    usage = {"prompt_tokens": prompt, "completion_tokens": u.get("output_tokens", 0),
             "total_tokens": prompt + u.get("output_tokens", 0)}
    if cached:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return {"id": f"chatcmpl-fake{next(_ids):04d}", "object": "chat.completion",
            "created": int(time.time()), "model": model or "fake-model",
            "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
            "usage": usage}


# ---- standalone replies ----

def _value_for(schema, name="x"):
    if not isinstance(schema, dict):
        return "example"
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: _value_for(v, k) for k, v in props.items()}
    if t == "array":
        item = schema.get("items") or {"type": "string"}
        return [_value_for(item, name) for _ in range(2)] if item.get("type") == "object" \
            else [_value_for(item, name)]
    if t == "integer":
        return 1
    if t == "number":
        return 0.5
    if t == "boolean":
        return True
    return f"Example {name}"


def _tool_turns(body, provider):
    """How many assistant turns of this conversation called tools."""
    n = 0
    for m in body.get("messages") or []:
        if m.get("role") != "assistant":
            continue
        c = m.get("content")
        if m.get("tool_calls") or (isinstance(c, list) and any(
                isinstance(b, dict) and b.get("type") == "tool_use" for b in c)):
            n += 1
    return n


def _single_shot(prompt):
    """A JSON text for a request without tools, guessed from what the prompt asks for."""
    low = prompt.lower()
    if "studentanswer" in low:                   # grading: one verdict per question id
        ids = re.findall(r'questionId\\?"\s*:\s*\\?"([^"\\]+)', prompt)
        return json.dumps([{"questionId": q, "isCorrect": True, "score": 1,
                            "feedback": "Correct."} for q in ids])
    if "should_add" in low:                      # learning path review
        return json.dumps({"should_add": False, "notes": None, "concept_additions": [],
                           "subconcept_additions": []})
    if "difficulty" in low or "diagnostic" in low:
        return "```json\n" + json.dumps([
            {"prompt": f"Question {i}?", "format": "mcq", "options": ["A", "B", "C", "D"],
             "correctAnswer": "A", "difficulty": i} for i in (1, 2, 3)]) + "\n```"
    if "array" not in low:                       # e.g. the document context map
        return "{}"
    return "```json\n" + json.dumps([
        {"title": f"Example concept {i}", "desc": "An example.", "depends_on": []}
        for i in (1, 2)]) + "\n```"


REPEAT = 1   # standalone --repeat: each offered tool is called this many times


def _numbered(v, k):
    """v with " k" appended to every string (distinct titles for repeated tool calls)."""
    if isinstance(v, str):
        return f"{v} {k}"
    if isinstance(v, list):
        return [_numbered(x, k) for x in v]
    if isinstance(v, dict):
        return {key: _numbered(x, k) for key, x in v.items()}
    return v


def auto_reply(req):
    """A plausible reply for any request (standalone mode): each offered tool is called once
    (REPEAT times, string values numbered 1..REPEAT), in order, with an input built from its
    schema (one tool per turn), then end_turn text."""
    body = req.json if isinstance(req.json, dict) else {}
    tools = body.get("tools") or []
    done = _tool_turns(body, req.provider)
    if done < len(tools) * REPEAT:
        t = tools[done // REPEAT]
        if req.provider == "openai":
            fn = t.get("function") or {}
            name, schema = fn.get("name"), fn.get("parameters")
        else:
            name, schema = t.get("name"), t.get("input_schema")
        value = _value_for(schema or {"type": "object"})
        if REPEAT > 1:
            value = _numbered(value, done % REPEAT + 1)
        return tool(name, value, text=f"Calling {name}.")
    if tools:
        return text("Done.")
    return text(_single_shot(json.dumps(body.get("messages") or [])))


# ---- the server ----

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-model/1"

    def log_message(self, *args):          # quiet
        pass

    def do_GET(self):
        self._send(404, {"error": "not found"})

    def do_POST(self):
        fake = self.server.fake
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        path = self.path.split("?", 1)[0]
        if path.endswith("/chat/completions"):
            provider = "openai"
        elif path.endswith("/v1/messages"):
            provider = "anthropic"
        else:
            self._send(404, {"error": f"unknown path {path}"})
            return
        req = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, provider)
        step = fake._next_step(req)
        while True:
            if callable(step) and not isinstance(step, (Reply, Fault, Slow)):
                step = step(req)
                continue
            if isinstance(step, Slow):
                fake._stopping.wait(step.seconds)      # stop() wakes it: reply at once
                step = step.step
                continue
            break
        model = (req.json or {}).get("model") if isinstance(req.json, dict) else None
        if isinstance(step, Fault):
            if step.status == "reset":
                self._reset()
                return
            b = step.body if step.body is not None else _error_body(step.status, provider)
            self._send(step.status, b, step.headers)
            return
        if isinstance(step, Reply):
            out = openai_body(step, model) if provider == "openai" else anthropic_body(step, model)
            self._send(200, out)
            return
        raise TypeError(f"fake_model: not a step: {step!r}")

    def _send(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else \
            body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:                     # the client went away (cancelled, timed out)
            self.close_connection = True

    def _reset(self):
        """Close the connection with a TCP RST and no reply."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):   # no tracebacks for dropped clients
        pass


class FakeModel:
    def __init__(self, host="127.0.0.1", port=0):
        self._lock = threading.Condition()
        self._fifo = []
        self._rules = []
        self._stopping = threading.Event()
        self.default = text("done")
        self.requests = []
        self.key = TEST_KEY
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self
        self._thread = None

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self, provider="anthropic"):
        # SPROUT_LLM_BACKOFF_MS: short retry waits, so fault tests stay quick
        # (a retry-after header still sets the wait)
        if provider == "openai":
            return {"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": self.url + "/v1",
                    "OPENAI_API_KEY": self.key, "CLAUDE_MODEL": "fake-model",
                    "CLAUDE_MODEL_SMALL": "fake-model-small", "SPROUT_LLM_BACKOFF_MS": "50"}
        return {"LLM_PROVIDER": "anthropic", "ANTHROPIC_BASE_URL": self.url,
                "ANTHROPIC_API_KEY": self.key, "ANTHROPIC_AUTH_TOKEN": "",
                "CLAUDE_MODEL": "fake-model", "CLAUDE_MODEL_SMALL": "fake-model-small",
                "SPROUT_LLM_BACKOFF_MS": "50"}

    def script(self, *steps):
        with self._lock:
            self._fifo.extend(steps)
        return self

    def on(self, match, *steps):
        with self._lock:
            self._rules.append([match, list(steps)])
        return self

    def pending(self):
        """Steps not consumed yet (FIFO plus rules)."""
        with self._lock:
            return len(self._fifo) + sum(len(r[1]) for r in self._rules)

    def wait_requests(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake model: {len(self.requests)} requests, "
                                         f"expected {n}")
                self._lock.wait(left)
            return list(self.requests)

    def _next_step(self, req):
        decoded = req.body
        if isinstance(req.json, (dict, list)):
            decoded = req.body + "\n" + json.dumps(req.json, ensure_ascii=False)
        with self._lock:
            self.requests.append(req)
            self._lock.notify_all()
            for rule in self._rules:
                if rule[1] and rule[0] in decoded:
                    return rule[1].pop(0)
            if self._fifo:
                return self._fifo.pop(0)
            return self.default


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake model server (Anthropic + OpenAI formats)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    ap.add_argument("--repeat", type=int, default=1,
                    help="call each offered tool this many times (numbered values)")
    a = ap.parse_args(argv)
    global REPEAT
    REPEAT = max(1, a.repeat)
    fake = FakeModel(a.host, a.port)
    if a.delay > 0:
        fake.default = lambda req: slow(a.delay, auto_reply(req))
    else:
        fake.default = auto_reply
    print(f"fake model on {fake.url} (delay {a.delay}s)", flush=True)
    try:
        fake._httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
