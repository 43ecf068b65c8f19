"""tests/e2e/test_streams.py: agent streams of the real server (runs/, http/defer.c) with a real
agent (the topic run) against the fake model: SIGTERM with open streams (they end, the process
exits 0), REST answered by ONE worker thread while ten streams wait on the model, a full run
queue answered 503 JSON, the SSE headers. Exact events, joins and disconnects of the topic run
are in test_agents_topic.py; the socket-level details in tests/unit/http/test_stream.c."""
import http.client
import json
import threading
import time

import pytest

from conftest import DEFAULT_USER
from support.documents import make_node
from support.fake_model import slow, text

pytestmark = pytest.mark.both_engines

TOPIC_RULE = "curriculum designer"      # only the topic agent's system prompt says this


CLIENT_ORIGIN = "http://localhost:3000"   # the original web client's dev server


def open_stream(srv, topic_id, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    c.request("POST", f"/api/agents/topics/{topic_id}/run", body=json.dumps({"userId": DEFAULT_USER}),
              headers={"Content-Type": "application/json", "Origin": CLIENT_ORIGIN})
    return c, c.getresponse()


def first_event(r):
    """The first 'event: ...' name of a stream."""
    while True:
        line = r.readline()
        assert line, "the stream ended before its first event"
        if line.startswith(b"event: "):
            return line[7:].strip().decode()


def test_sse_headers(start_server, fake_model):
    fake_model.on(TOPIC_RULE, text("No concepts."))
    srv = start_server(env=fake_model.env())
    _, topic = make_node(srv, "Headers")
    c, r = open_stream(srv, topic)
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/event-stream"
    assert r.getheader("Cache-Control") == "no-cache"
    assert r.getheader("Connection").lower() == "keep-alive"
    assert r.getheader("X-Accel-Buffering") == "no"
    assert r.getheader("Access-Control-Allow-Origin") == CLIENT_ORIGIN
    assert r.getheader("Transfer-Encoding") == "chunked"
    body = r.read().decode()
    assert body.startswith("event: agent_start\ndata: {\"agent\":\"topic\"}\n\n")
    assert body.endswith("\n\n") and "event: agent_done\n" in body
    c.close()


def test_sigterm_ends_open_streams_and_exits_0(start_server, fake_model):
    fake_model.default = slow(60, text("too late"))
    srv = start_server(env=fake_model.env())
    streams = []
    for i in range(3):
        _, topic = make_node(srv, f"Topic {i}")
        c, r = open_stream(srv, topic)
        assert r.status == 200
        assert first_event(r) == "agent_start"
        streams.append((c, r))
    fake_model.wait_requests(3)          # every run waits on the model
    t0 = time.monotonic()
    out = srv.stop()                     # SIGTERM: exit 0, no sanitizer report
    assert time.monotonic() - t0 < 15    # the model calls were aborted, not waited for
    for c, r in streams:
        rest = r.read()                  # the stream ended cleanly (terminal chunk)
        assert b"too late" not in rest
        c.close()
    assert "Sprout backend stopped." in out


def test_rest_on_one_thread_while_ten_streams_wait(start_server, fake_model):
    fake_model.default = slow(30, text("late"))
    srv = start_server(env=dict(fake_model.env(), SPROUT_THREADS="1", SPROUT_AGENT_WORKERS="12"))
    topics = [make_node(srv, f"T{i}")[1] for i in range(10)]
    streams = []
    for t in topics:
        c, r = open_stream(srv, t)
        assert r.status == 200 and first_event(r) == "agent_start"
        streams.append(c)
    fake_model.wait_requests(10)
    for _ in range(50):
        assert srv.request("GET", "/api/health").status == 200
    r = srv.request("GET", f"/api/nodes/{topics[0]}")
    assert r.status == 200 and r.json["id"] == topics[0]
    for c in streams:
        c.close()


def test_full_queue_is_503_json(start_server, fake_model):
    fake_model.default = slow(30, text("late"))
    srv = start_server(env=dict(fake_model.env(), SPROUT_AGENT_WORKERS="1", SPROUT_AGENT_QUEUE="1"))
    t1, t2, t3 = (make_node(srv, f"Q{i}")[1] for i in range(3))
    c1, r1 = open_stream(srv, t1)
    assert r1.status == 200 and first_event(r1) == "agent_start"   # the one worker is busy
    # two more runs: one waits in the queue (its answer comes when it runs), the other finds
    # the queue full and is answered at once
    got = {}
    done = threading.Event()

    def start(topic):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        c.request("POST", f"/api/agents/topics/{topic}/run", body=json.dumps({"userId": DEFAULT_USER}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        got[topic] = (r.status, r.getheader("Content-Type"), r.read() if r.status != 200 else b"", c)
        done.set()
    threads = [threading.Thread(target=start, args=(t,), daemon=True) for t in (t2, t3)]
    for th in threads:
        th.start()
    assert done.wait(20)
    (refused, (status, ctype, body, c)), = got.items()
    assert status == 503 and ctype.startswith("application/json")
    assert "too many agent runs" in json.loads(body)["error"]
    c.close()
    c1.close()                           # the running job is cancelled: the queued one runs
    for th in threads:
        th.join(20)
    queued = t3 if refused == t2 else t2
    assert got[queued][0] == 200
    got[queued][3].close()
