"""tests/e2e/test_agents_topic.py: the topic run (POST /api/agents/topics/:id/run, SSE), the
subconcept bootstrap agents it starts, and the legacy generators (POST /api/nodes/:id/
generate-concepts | generate-subconcepts), end to end: the real sanitizer-built server against the
fake model server (tests/support/fake_model.py) over loopback.

Covered: the exact SSE event sequence and payloads of a fresh topic (both provider formats), the
rows afterwards, the replay (Case A: no model call, subconcept edges replayed too), B7 (a
re-bootstrap never adds a second batch of questions), documents' excerpts reaching the bootstrap
prompt by title key (B13), small mode (model and budget), faults (429 + retry-after, 500,
malformed tool input, unknown tool, never-ending tool calls), a client that disconnects
mid-stream, two identical runs at once, no model configured, validation, the legacy routes.
"""
import http.client
import json
import threading
import time

import pytest

from conftest import DEFAULT_USER
from support.api import twice_at_once
from support.documents import make_node, part, upload
from support.fake_model import block_text, block_tool, fault, slow, text, tool, turn

pytestmark = pytest.mark.both_engines

USER = DEFAULT_USER
TOPIC_RULE = "curriculum designer"          # only the topic agent's system prompt says this
EXTRACT_RULE = "Answer with a single JSON object"


# ---- helpers ----

def parse_frame(frame):
    name, data = None, None
    for line in frame.split("\n"):
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
    if data is None:
        return None
    return (name, json.loads(data))


def open_stream(srv, topic_id, body=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    c.request("POST", f"/api/agents/topics/{topic_id}/run",
              body=json.dumps(body if body is not None else {"userId": USER}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return c, r


def read_events(r, stop=None):
    """Events until EOF (or until stop(event) is true); comment frames are skipped."""
    events, buf = [], ""
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        buf += chunk.decode("utf-8")
        while "\n\n" in buf:
            frame, buf = buf.split("\n\n", 1)
            ev = parse_frame(frame)
            if ev:
                events.append(ev)
                if stop and stop(ev):
                    return events
    assert buf == "", buf
    return events


def run_topic(srv, topic_id, body=None):
    c, r = open_stream(srv, topic_id, body)
    try:
        assert r.status == 200, r.read()
        assert r.getheader("content-type").startswith("text/event-stream")
        return read_events(r)
    finally:
        c.close()


def system_text(req):
    """The system prompt of a recorded request, whatever its shape (a string, or Anthropic
    blocks with cache_control, or the OpenAI system message)."""
    body = req if isinstance(req, dict) else req.json
    s = body.get("system")
    if s is None:
        s = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"),
                 "")
    if isinstance(s, list):
        s = "".join(b.get("text", "") for b in s)
    return s


def strip_usage(events):
    """agent_done carries usage; compare it separately."""
    out = []
    for name, data in events:
        if name == "agent_done":
            data = {k: v for k, v in data.items() if k != "usage"}
        out.append((name, data))
    return out


def summary(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def by_agent(events, agent, nodes):
    """The events of one agent: those labelled with it, plus node_created / edge_created whose
    nodes belong to it (nodes: set of ids)."""
    out = []
    for name, data in events:
        if data.get("agent") == agent:
            out.append((name, data))
        elif name == "node_created" and data["node"]["id"] in nodes:
            out.append((name, data))
        elif name == "edge_created" and data["edge"]["sourceNodeId"] in nodes:
            out.append((name, data))
    return out


QUESTION = {"prompt": "What is 2+2?", "format": "mcq", "options": ["1", "2", "3", "4"],
            "correct_answer": "4", "difficulty": 1}


def script_bootstrap(fake, concept, subs, question=True, final=None):
    steps = []
    if question:
        steps.append(tool("save_diagnostic_question", QUESTION))
    for s in subs:
        steps.append(tool("save_subconcept", {"title": s, "desc": f"About {s}."}))
    for a, b in zip(subs, subs[1:]):
        steps.append(tool("save_subconcept_edge", {"source_title": a, "target_title": b}))
    steps.append(text(final or f"{concept} structure ready."))
    fake.on(f"Concept: {concept}", *steps)


def script_topic(fake, concepts, reasoning="Planning the path.", final="A two-step path."):
    steps = []
    for i, c in enumerate(concepts):
        steps.append(tool("save_concept", {"title": c, "desc": f"{c} in one sentence."},
                          text=reasoning if i == 0 else None))
    for a, b in zip(concepts, concepts[1:]):
        steps.append(tool("save_concept_edge", {"source_title": a, "target_title": b}))
    steps.append(text(final))
    fake.on(TOPIC_RULE, *steps)


def new_topic(srv, title="Algebra"):
    return make_node(srv, title)


def expected_bootstrap(agent, subs_rows, question=True, final=None):
    """The exact event list of one bootstrap agent (usage stripped)."""
    ev = [("agent_start", {"agent": agent})]
    if question:
        ev += [("tool_call", {"tool": "save_diagnostic_question", "agent": agent, "input": QUESTION}),
               ("tool_result", {"tool": "save_diagnostic_question", "agent": agent,
                                "summary": '{"saved":true,"format":"mcq","difficulty":1}'})]
    for row in subs_rows:
        ev += [("tool_call", {"tool": "save_subconcept", "agent": agent,
                              "input": {"title": row["title"], "desc": row["desc"]}}),
               ("node_created", {"node": row}),
               ("tool_result", {"tool": "save_subconcept", "agent": agent,
                                "summary": summary({"saved": True, "nodeId": row["id"],
                                                    "title": row["title"]})})]
    for a, b in zip(subs_rows, subs_rows[1:]):
        ev += [("tool_call", {"tool": "save_subconcept_edge", "agent": agent,
                              "input": {"source_title": a["title"], "target_title": b["title"]}}),
               ("edge_created", {"edge": {"sourceNodeId": a["id"], "targetNodeId": b["id"]}}),
               ("tool_result", {"tool": "save_subconcept_edge", "agent": agent,
                                "summary": '{"saved":true}'})]
    ev += [("agent_reasoning", {"agent": agent, "text": final}),
           ("agent_done", {"agent": agent})]
    return ev


def node_rows(srv, parent_id):
    r = srv.request("GET", f"/api/nodes/{parent_id}/children")
    assert r.status == 200
    return r.json


# ---- a fresh topic ----

@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_fresh_topic_exact_events_and_rows(start_server, fake_model, provider):
    fake = fake_model
    script_topic(fake, ["Alpha Basics", "Beta Methods"])
    script_bootstrap(fake, "Alpha Basics", ["A one", "A two"])
    script_bootstrap(fake, "Beta Methods", ["B one", "B two", "B three"])
    srv = start_server(env=fake.env(provider))
    branch, topic = new_topic(srv)

    events = run_topic(srv, topic)

    concepts = node_rows(srv, topic)
    assert [c["title"] for c in concepts] == ["Alpha Basics", "Beta Methods"]
    a, b = concepts
    for c in concepts:
        assert (c["type"], c["parentId"], c["branchId"], c["userId"]) == \
            ("concept", topic, branch, USER)
    # the topic part: exact, in order
    topic_part = [
        ("agent_start", {"agent": "topic"}),
        ("agent_reasoning", {"agent": "topic", "text": "Planning the path."}),
        ("tool_call", {"tool": "save_concept", "agent": "topic",
                       "input": {"title": "Alpha Basics", "desc": "Alpha Basics in one sentence."}}),
        ("node_created", {"node": a}),
        ("tool_result", {"tool": "save_concept", "agent": "topic",
                         "summary": summary({"saved": True, "nodeId": a["id"],
                                             "title": "Alpha Basics", "position": 1})}),
        ("tool_call", {"tool": "save_concept", "agent": "topic",
                       "input": {"title": "Beta Methods", "desc": "Beta Methods in one sentence."}}),
        ("node_created", {"node": b}),
        ("tool_result", {"tool": "save_concept", "agent": "topic",
                         "summary": summary({"saved": True, "nodeId": b["id"],
                                             "title": "Beta Methods", "position": 2})}),
        ("tool_call", {"tool": "save_concept_edge", "agent": "topic",
                       "input": {"source_title": "Alpha Basics", "target_title": "Beta Methods"}}),
        ("edge_created", {"edge": {"sourceNodeId": a["id"], "targetNodeId": b["id"]}}),
        ("tool_result", {"tool": "save_concept_edge", "agent": "topic",
                         "summary": '{"saved":true}'}),
        ("agent_reasoning", {"agent": "topic", "text": "A two-step path."}),
    ]
    plain = strip_usage(events)
    assert plain[:len(topic_part)] == topic_part
    assert plain[-1] == ("agent_done", {"agent": "topic", "conceptCount": 2,
                                        "rationale": "A two-step path."})
    # each bootstrap: exact, in its own order (the two interleave)
    for concept, n_subs in ((a, 2), (b, 3)):
        subs = node_rows(srv, concept["id"])
        assert len(subs) == n_subs
        agent = "subconcept_bootstrap:" + concept["title"]
        mine = by_agent(plain[len(topic_part):-1], agent, {s["id"] for s in subs})
        assert mine == expected_bootstrap(agent, subs,
                                          final=f"{concept['title']} structure ready.")
        for s in subs:
            assert (s["type"], s["parentId"], s["branchId"]) == ("subconcept", concept["id"], branch)
    # nothing else was emitted
    n_boot = sum(len(by_agent(plain, "subconcept_bootstrap:" + c["title"],
                              {s["id"] for s in node_rows(srv, c["id"])})) for c in concepts)
    assert len(plain) == len(topic_part) + n_boot + 1
    # usage: the topic agent made 4 calls of 10 in / 5 out
    done = events[-1][1]
    assert done["usage"]["calls"] == 4 and done["usage"]["inputTokens"] == 40
    assert done["usage"]["outputTokens"] == 20

    # rows
    gens = srv.sql("SELECT node_id, \"trigger\", model, prompt, response_meta FROM "
                   "node_generations")
    by_node = {g["node_id"]: g for g in gens}
    assert len(gens) == 3
    assert by_node[topic]["prompt"] == "Topic agent bootstrap for: Algebra"
    assert by_node[topic]["model"] == "fake-model"
    assert json.loads(by_node[topic]["response_meta"]) == {
        "count": 2, "mode": "topic_agent",
        "toolCalls": ["save_concept", "save_concept", "save_concept_edge"]}
    assert json.loads(by_node[a["id"]]["response_meta"]) == {
        "count": 2, "mode": "subconcept_bootstrap_agent",
        "toolCalls": ["save_diagnostic_question", "save_subconcept", "save_subconcept",
                      "save_subconcept_edge"]}
    assert by_node[b["id"]]["prompt"] == "Subconcept bootstrap for: Beta Methods"
    assessments = srv.sql("SELECT * FROM assessments")
    assert sorted((x["target_node_id"], x["type"], x["title"]) for x in assessments) == sorted(
        [(a["id"], "diagnostic", "Diagnostic for Alpha Basics"),
         (b["id"], "diagnostic", "Diagnostic for Beta Methods")])
    qs = srv.sql("SELECT q.*, a.target_node_id FROM questions q JOIN assessments a "
                     "ON a.id = q.assessment_id")
    assert len(qs) == 2
    for q in qs:
        assert q["node_id"] == q["target_node_id"]
        assert (q["format"], q["prompt"], q["options"], q["correct_answer"], q["difficulty"]) == \
            ("mcq", "What is 2+2?", '["1","2","3","4"]', "4", 1)
    progress = srv.sql("SELECT * FROM user_node_progress")
    assert sorted(p["node_id"] for p in progress) == sorted([a["id"], b["id"]])
    for p in progress:
        assert p["has_generated_subnodes"] == 1 and p["attempts_count"] == 0
        assert p["first_entered_at"] and p["first_entered_at"] == p["last_entered_at"]
    edges = srv.sql("SELECT * FROM node_edges")
    assert len(edges) == 1 + 1 + 2
    # the requests: the topic agent's tools, system prompt, model
    reqs = [r for r in fake.requests if TOPIC_RULE in r.body]
    assert len(reqs) == 4
    if provider == "anthropic":
        first = reqs[0].json
        assert [t["name"] for t in first["tools"]] == [
            "extract_all_concept_contexts", "save_concept", "save_concept_edge"]
        assert first["max_tokens"] == 4096 and first["model"] == "fake-model"
        boot = [r.json for r in fake.requests if "Concept: Alpha Basics" in r.body][0]
        assert [t["name"] for t in boot["tools"]] == [
            "save_diagnostic_question", "save_subconcept", "save_subconcept_edge"]
    # the REST view of the graph agrees
    r = srv.request("GET", f"/api/nodes/{topic}/dependency-edges?childType=concept")
    assert [(e["sourceNodeId"], e["targetNodeId"]) for e in r.json] == [(a["id"], b["id"])]


def test_replay_case_a_calls_no_model_and_replays_subconcept_edges(start_server, fake_model):
    fake = fake_model
    script_topic(fake, ["Alpha Basics", "Beta Methods"])
    script_bootstrap(fake, "Alpha Basics", ["A one", "A two"])
    script_bootstrap(fake, "Beta Methods", ["B one", "B two"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    run_topic(srv, topic)
    n_requests = len(fake.requests)
    counts = {t: len(srv.sql(f"SELECT id FROM {t}"))
              for t in ("nodes", "node_edges", "node_generations", "questions", "assessments",
                        "user_node_progress")}

    events = run_topic(srv, topic)

    assert len(fake.requests) == n_requests
    assert counts == {t: len(srv.sql(f"SELECT id FROM {t}")) for t in counts}
    a, b = node_rows(srv, topic)
    sa, sb = node_rows(srv, a["id"]), node_rows(srv, b["id"])
    plain = strip_usage(events)
    assert plain[:3] == [("node_created", {"node": a}), ("node_created", {"node": b}),
                         ("edge_created", {"edge": {"sourceNodeId": a["id"],
                                                    "targetNodeId": b["id"]}})]
    assert plain[-1] == ("agent_done", {"agent": "topic", "conceptCount": 2,
                                        "rationale": "Existing concepts loaded."})
    middle = plain[3:-1]
    for subs in (sa, sb):
        ids = {s["id"] for s in subs}
        mine = [e for e in middle if
                (e[0] == "node_created" and e[1]["node"]["id"] in ids) or
                (e[0] == "edge_created" and e[1]["edge"]["sourceNodeId"] in ids)]
        assert mine == [("node_created", {"node": s}) for s in subs] + [
            ("edge_created", {"edge": {"sourceNodeId": subs[0]["id"],
                                       "targetNodeId": subs[1]["id"]}})]
    assert len(middle) == 6
    assert not [e for e in events if e[0] == "agent_start"]


def test_replay_rebootstraps_without_second_batch_of_questions(start_server, fake_model):
    """B7: a concept whose bootstrap failed after its questions is bootstrapped again on replay,
    without the question tool, so no second batch is appended."""
    fake = fake_model
    script_topic(fake, ["Alpha Basics", "Beta Methods"])
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    fake.on("Concept: Beta Methods", tool("save_diagnostic_question", QUESTION),
            fault(400))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    errors = [e for e in events if e[0] == "agent_error"]
    assert len(errors) == 1 and errors[0][1]["agent"] == "subconcept_bootstrap:Beta Methods"
    assert errors[0][1]["message"].startswith("400 ")
    assert events[-1][0] == "agent_done" and events[-1][1]["agent"] == "topic"
    assert len(srv.sql("SELECT id FROM questions")) == 2

    script_bootstrap(fake, "Beta Methods", ["B one"], question=False, final="B again.")
    events = run_topic(srv, topic)
    boot = [r.json for r in fake.requests if "Concept: Beta Methods" in r.body][-1]
    assert [t["name"] for t in boot["tools"]] == ["save_subconcept", "save_subconcept_edge"]
    assert "save_diagnostic_question" not in system_text(boot)
    assert len(srv.sql("SELECT id FROM questions")) == 2
    names = [(n, d.get("agent")) for n, d in events if n in ("agent_start", "agent_done")]
    assert names == [("agent_start", "subconcept_bootstrap:Beta Methods"),
                     ("agent_done", "subconcept_bootstrap:Beta Methods"),
                     ("agent_done", "topic")]


def test_documents_excerpts_reach_bootstrap_prompt_by_title_key(start_server, fake_model):
    """B13: the extraction map is matched to the saved concepts by title key (case, spaces)."""
    fake = fake_model
    fake.on(TOPIC_RULE,
            tool("extract_all_concept_contexts",
                 {"concepts": [{"title": "Alpha Basics", "desc": "a"},
                               {"title": "Beta Methods", "desc": "b"}]}),
            tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
            tool("save_concept", {"title": "Beta Methods", "desc": "b"}),
            text("Path from the notes."))
    fake.on(EXTRACT_RULE, text(json.dumps({"alpha  basics ": "EXCERPT-ALPHA from the notes.",
                                            "Beta Methods": None})))
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    script_bootstrap(fake, "Beta Methods", ["B one"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    r = upload(srv, topic, [part("Chapter 1: DOCTEXT-MARKER about alpha.", "notes.txt")])
    assert r.status == 201, r
    events = run_topic(srv, topic)

    topic_req = [x.json for x in fake.requests if TOPIC_RULE in x.body][0]
    assert "DOCTEXT-MARKER" in system_text(topic_req) and "notes.txt" in system_text(topic_req)
    extract = [x.json for x in fake.requests if EXTRACT_RULE in x.body]
    assert len(extract) == 1 and "tools" not in extract[0] and "system" not in extract[0]
    assert "DOCTEXT-MARKER" in extract[0]["messages"][0]["content"]
    assert "1. Alpha Basics" in extract[0]["messages"][0]["content"]
    result = [d for n, d in events if n == "tool_result" and
              d["tool"] == "extract_all_concept_contexts"][0]
    assert result["summary"] == '{"extractedCount":1,"totalConcepts":2}'
    boot_a = [x.json for x in fake.requests if "Concept: Alpha Basics" in x.body][0]
    boot_b = [x.json for x in fake.requests if "Concept: Beta Methods" in x.body][0]
    assert "EXCERPT-ALPHA from the notes." in system_text(boot_a)
    assert "EXCERPT-ALPHA" not in system_text(boot_b)
    assert "Reference excerpt" not in system_text(boot_b)
    # the topic's usage includes the extraction call
    done = events[-1][1]
    assert done["agent"] == "topic" and done["usage"]["calls"] == 5


def test_no_documents_extraction_skipped(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE,
            tool("extract_all_concept_contexts", {"concepts": [{"title": "X", "desc": "x"}]}),
            text("Nothing saved."))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    results = [d for n, d in events if n == "tool_result"]
    assert results == [{"tool": "extract_all_concept_contexts", "agent": "topic",
                        "summary": '{"message":"No documents uploaded, skipping extraction."}'}]
    assert strip_usage(events)[-1] == ("agent_done", {"agent": "topic", "conceptCount": 0,
                                                      "rationale": "Nothing saved."})
    assert not [x for x in fake.requests if EXTRACT_RULE in x.body]


# ---- small mode and the iteration budget ----

def test_small_mode_never_ending_tool_calls_stop_at_budget(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, *[tool("save_concept_edge", {"source_title": "x", "target_title": "y"})
                          for _ in range(40)])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic, {"userId": USER, "small": "yes"})
    reqs = [x.json for x in fake.requests if TOPIC_RULE in x.body]
    assert len(reqs) == 10
    assert {r["model"] for r in reqs} == {"fake-model-small"}
    assert "1 to 2" in system_text(reqs[0])
    results = [d["summary"] for n, d in events if n == "tool_result"]
    assert results == ['{"error":"Could not find saved nodes: source=\\"x\\" target=\\"y\\""}'] * 10
    assert strip_usage(events)[-1] == ("agent_done", {
        "agent": "topic", "conceptCount": 0,
        "rationale": "Learning path generated via agentic topic agent."})
    gen = srv.sql("SELECT model, response_meta FROM node_generations")
    assert gen[0]["model"] == "fake-model-small"
    assert json.loads(gen[0]["response_meta"])["toolCalls"] == ["save_concept_edge"] * 10


def test_small_mode_bootstrap_logs_model_used(start_server, fake_model):
    """B11: the bootstrap's node_generations row names the model actually called."""
    fake = fake_model
    script_topic(fake, ["Alpha Basics"], final="One.")
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    run_topic(srv, topic, {"userId": USER, "small": True})
    boot = [x.json for x in fake.requests if "Concept: Alpha Basics" in x.body]
    assert {b["model"] for b in boot} == {"fake-model-small"}
    assert "2 to 3" in system_text(boot[0])
    models = {g["prompt"]: g["model"] for g in
              srv.sql("SELECT prompt, model FROM node_generations")}
    assert models == {"Topic agent bootstrap for: Algebra": "fake-model-small",
                      "Subconcept bootstrap for: Alpha Basics": "fake-model-small"}


# ---- faults ----

def test_429_with_retry_after_is_retried(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, fault(429, headers={"retry-after": "1"}), text("No concepts."))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    reqs = [x for x in fake.requests if TOPIC_RULE in x.body]
    assert len(reqs) == 2
    assert [n for n, _ in events] == ["agent_start", "agent_reasoning", "agent_done"]


def test_500_ends_topic_with_agent_error_and_no_bootstrap(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
            fault(500), fault(500), fault(500), fault(500), fault(500))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    names = [n for n, _ in events]
    assert names == ["agent_start", "tool_call", "node_created", "tool_result", "agent_error"]
    err = events[-1][1]
    assert err["agent"] == "topic" and err["message"].startswith("500 ")
    assert "api_error" in err["message"]
    # the saved concept stays and no bootstrap ran; no generation row
    assert len(node_rows(srv, topic)) == 1
    assert not [x for x in fake.requests if "Concept: Alpha Basics" in x.body]
    assert srv.sql("SELECT id FROM node_generations") == []


def test_malformed_tool_input_and_unknown_tool_are_fed_back(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE,
            tool("save_concept", {"title": 5, "desc": "d"}),
            tool("delete_everything", {}),
            tool("save_concept", {"desc": "no title"}),
            turn(block_text("Two at once."),
                 block_tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
                 block_tool("save_concept_edge", {"source_title": "Alpha Basics",
                                                  "target_title": "Nope"})),
            text("Done."))
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    results = [(d["tool"], json.loads(d["summary"])) for n, d in events if n == "tool_result"
               and d["agent"] == "topic"]
    assert results[0] == ("save_concept", {"error": "save_concept needs a non-empty string title"})
    assert results[1] == ("delete_everything", {"error": "Unknown tool: delete_everything"})
    assert results[2][1] == {"error": "save_concept needs a non-empty string title"}
    assert results[3][1]["saved"] is True
    assert results[4][1] == {"error": 'Could not find saved nodes: source="Alpha Basics" '
                                      'target="Nope"'}
    # the model saw every error as its tool result
    last = [x.json for x in fake.requests if TOPIC_RULE in x.body][-1]
    tool_results = [b for m in last["messages"] if isinstance(m["content"], list)
                    for b in m["content"] if b.get("type") == "tool_result"]
    assert "Unknown tool: delete_everything" in tool_results[1]["content"]
    assert len(node_rows(srv, topic)) == 1
    assert strip_usage(events)[-1][1]["conceptCount"] == 1


def test_bootstrap_malformed_question_input_is_rejected(start_server, fake_model):
    fake = fake_model
    script_topic(fake, ["Alpha Basics"], final="One.")
    fake.on("Concept: Alpha Basics",
            tool("save_diagnostic_question", {"prompt": "Q?", "format": "essay",
                                              "correct_answer": "x", "difficulty": 2}),
            tool("save_diagnostic_question", {"prompt": "Q?", "format": "open_ended",
                                              "correct_answer": "x", "difficulty": "hard"}),
            tool("save_subconcept_edge", {"source_title": "a", "target_title": "b"}),
            tool("save_diagnostic_question", {"prompt": "Q?", "format": "open_ended",
                                              "correct_answer": "x", "difficulty": 3.0}),
            text("ok"))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    results = [json.loads(d["summary"]) for n, d in events if n == "tool_result"
               and d["agent"] == "subconcept_bootstrap:Alpha Basics"]
    assert results == [{"error": 'format must be "mcq" or "open_ended"'},
                       {"error": "difficulty must be an integer from 1 to 5"},
                       {"error": 'Could not find saved subconcepts: source="a" target="b"'},
                       {"saved": True, "format": "open_ended", "difficulty": 3}]
    q = srv.sql("SELECT format, options, difficulty FROM questions")
    assert q == [{"format": "open_ended", "options": None, "difficulty": 3}]
    # a bootstrap that saved no subconcept: progress says so
    p = srv.sql("SELECT has_generated_subnodes FROM user_node_progress")
    assert p == [{"has_generated_subnodes": 0}]


# ---- disconnect, joins ----

def test_disconnect_mid_stream_stops_model_and_writes(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
            slow(3, tool("save_concept", {"title": "Beta Methods", "desc": "b"})),
            text("never reached"))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    c, r = open_stream(srv, topic)
    assert r.status == 200
    events = read_events(r, stop=lambda ev: ev[0] == "tool_result")
    assert [n for n, _ in events] == ["agent_start", "tool_call", "node_created", "tool_result"]
    fake.wait_requests(2)   # the slow request is in flight
    c.close()
    time.sleep(4)   # the slow reply would have come back by now
    assert len(fake.requests) == 2
    assert [n["title"] for n in node_rows(srv, topic)] == ["Alpha Basics"]
    assert srv.sql("SELECT id FROM node_generations") == []
    assert srv.sql("SELECT id FROM user_node_progress") == []
    # the server still serves, and a new run replays what exists, then resumes the topic agent
    fake.on("Concept: Alpha Basics", text("nothing"))
    events = run_topic(srv, topic)
    assert events[0] == ("node_created", {"node": node_rows(srv, topic)[0]})
    assert events[1] == ("agent_start", {"agent": "topic"})


# ---- a topic run cut short is finished later ----

def first_user_text(req):
    """The first user message of a recorded request (a string or content blocks)."""
    msgs = [m for m in req.json["messages"] if m.get("role") == "user"]
    c = msgs[0]["content"]
    if isinstance(c, list):
        c = "".join(b.get("text", "") for b in c)
    return c


def topic_requests(fake):
    return [x for x in fake.requests if TOPIC_RULE in x.body]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_disconnect_after_first_concept_rerun_completes_path(start_server, fake_model, provider):
    fake = fake_model
    fake.on(TOPIC_RULE, tool("save_concept", {"title": "Alpha Basics", "desc": "First steps."}),
            slow(3, tool("save_concept", {"title": "Beta Methods", "desc": "b"})))
    srv = start_server(env=fake.env(provider))
    _, topic = new_topic(srv)
    c, r = open_stream(srv, topic)
    assert r.status == 200
    read_events(r, stop=lambda ev: ev[0] == "tool_result")
    fake.wait_requests(2)
    c.close()
    time.sleep(4)
    assert len(fake.requests) == 2
    (a,) = node_rows(srv, topic)
    assert srv.sql("SELECT id FROM node_generations") == []

    # the rerun: the model saves Alpha again (kept, not duplicated), the missing concepts and
    # the edges between old and new
    fake.on(TOPIC_RULE,
            tool("save_concept", {"title": "alpha  basics", "desc": "again"}),
            tool("save_concept", {"title": "Beta Methods", "desc": "Second steps."}),
            tool("save_concept", {"title": "Gamma Uses", "desc": "Third steps."}),
            tool("save_concept_edge", {"source_title": "Alpha Basics",
                                       "target_title": "Beta Methods"}),
            tool("save_concept_edge", {"source_title": "Beta Methods",
                                       "target_title": "Gamma Uses"}),
            text("Completed the path."))
    for name in ("Alpha Basics", "Beta Methods", "Gamma Uses"):
        script_bootstrap(fake, name, [name + " one"])
    n0 = len(fake.requests)
    events = run_topic(srv, topic)

    concepts = node_rows(srv, topic)
    assert [x["title"] for x in concepts] == ["Alpha Basics", "Beta Methods", "Gamma Uses"]
    assert concepts[0] == a
    _, b, g = concepts
    plain = strip_usage(events)
    assert plain[0] == ("node_created", {"node": a})
    assert plain[1] == ("agent_start", {"agent": "topic"})
    results = [json.loads(d["summary"]) for n, d in plain if n == "tool_result"
               and d["agent"] == "topic"]
    assert results[0] == {"saved": True, "alreadySaved": True, "nodeId": a["id"],
                          "title": "Alpha Basics", "position": 1}
    assert results[1]["nodeId"] == b["id"] and results[1]["position"] == 2
    assert results[2]["nodeId"] == g["id"] and results[2]["position"] == 3
    topic_nodes = [d["node"]["id"] for n, d in plain if n == "node_created"
                   and d["node"]["type"] == "concept"]
    assert topic_nodes == [a["id"], b["id"], g["id"]]
    assert [(d["edge"]["sourceNodeId"], d["edge"]["targetNodeId"]) for n, d in plain
            if n == "edge_created" and d["edge"]["sourceNodeId"] in (a["id"], b["id"])] == [
        (a["id"], b["id"]), (b["id"], g["id"])]
    assert plain[-1] == ("agent_done", {"agent": "topic", "conceptCount": 3,
                                        "rationale": "Completed the path."})
    # the model saw the saved concept in its first message
    first = first_user_text(topic_requests(fake)[2])
    assert "1. Alpha Basics — First steps." in first
    assert "No edge is saved yet." in first and "do not save them again" in first
    # rows: the edges between old and new, one generation row that says it resumed, every
    # concept bootstrapped
    r = srv.request("GET", f"/api/nodes/{topic}/dependency-edges?childType=concept")
    assert sorted((e["sourceNodeId"], e["targetNodeId"]) for e in r.json) == sorted(
        [(a["id"], b["id"]), (b["id"], g["id"])])
    gens = srv.sql("SELECT response_meta FROM node_generations WHERE node_id = ?", topic)
    assert [json.loads(x["response_meta"]) for x in gens] == [{
        "count": 3, "mode": "topic_agent", "resumedWith": 1,
        "toolCalls": ["save_concept"] * 3 + ["save_concept_edge"] * 2}]
    for x in concepts:
        assert [s["title"] for s in node_rows(srv, x["id"])] == [x["title"] + " one"]
    assert len(topic_requests(fake)) == 2 + 6

    # finished now: the next run replays with no model request
    n1 = len(fake.requests)
    events = run_topic(srv, topic)
    assert len(fake.requests) == n1
    assert not [e for e in events if e[0] == "agent_start"]
    assert strip_usage(events)[-1][1]["conceptCount"] == 3


def test_model_failure_mid_run_rerun_completes_path(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE,
            tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
            tool("save_concept", {"title": "Beta Methods", "desc": "b"}),
            tool("save_concept_edge", {"source_title": "Alpha Basics",
                                       "target_title": "Beta Methods"}),
            fault(500), fault(500), fault(500), fault(500), fault(500))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    assert events[-1][0] == "agent_error"
    a, b = node_rows(srv, topic)

    fake.on(TOPIC_RULE,
            tool("save_concept", {"title": "Gamma Uses", "desc": "g"}),
            tool("save_concept_edge", {"source_title": "Beta Methods",
                                       "target_title": "Gamma Uses"}),
            text("Done now."))
    for name in ("Alpha Basics", "Beta Methods", "Gamma Uses"):
        script_bootstrap(fake, name, [name + " one"], question=False)
    n0 = len(topic_requests(fake))
    events = run_topic(srv, topic)
    plain = strip_usage(events)
    # replay first (nodes, then the saved edge), then the topic agent resumes
    assert plain[:4] == [("node_created", {"node": a}), ("node_created", {"node": b}),
                         ("edge_created", {"edge": {"sourceNodeId": a["id"],
                                                    "targetNodeId": b["id"]}}),
                         ("agent_start", {"agent": "topic"})]
    first = first_user_text(topic_requests(fake)[n0])
    assert "1. Alpha Basics — a\n2. Beta Methods — b" in first
    assert "Alpha Basics → Beta Methods" in first and "No edge is saved yet." not in first
    a2, b2, g = node_rows(srv, topic)
    assert (a2, b2, g["title"]) == (a, b, "Gamma Uses")
    r = srv.request("GET", f"/api/nodes/{topic}/dependency-edges?childType=concept")
    assert sorted((e["sourceNodeId"], e["targetNodeId"]) for e in r.json) == sorted(
        [(a["id"], b["id"]), (b["id"], g["id"])])
    assert plain[-1] == ("agent_done", {"agent": "topic", "conceptCount": 3,
                                        "rationale": "Done now."})
    assert len(srv.sql("SELECT id FROM node_generations WHERE node_id = ?", topic)) == 1
    for x in (a, b, g):
        assert len(node_rows(srv, x["id"])) == 1


@pytest.mark.parametrize("prompt", ["Topic agent bootstrap for: Algebra",
                                    "Generate educational path for: Algebra"])
def test_original_backend_topic_replays_without_model(start_server, fake_model, prompt):
    """A topic designed by the original backend (its topic agent or its legacy generator): its
    on_first_enter generation row marks it finished, so it is replayed, never re-designed."""
    fake = fake_model
    srv = start_server(env=fake.env())
    branch, topic = new_topic(srv)
    ids = []
    for title in ("Alpha Basics", "Beta Methods"):
        r = srv.request("POST", "/api/nodes", json={"userId": USER, "type": "concept",
                                                     "branchId": branch, "parentId": topic,
                                                     "title": title})
        assert r.status == 201
        ids.append(r.json["id"])
        r = srv.request("POST", "/api/nodes", json={"userId": USER, "type": "subconcept",
                                                     "branchId": branch, "parentId": ids[-1],
                                                     "title": title + " one"})
        assert r.status == 201
    srv.sql_exec("INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?, ?, ?)",
                 "e-1", ids[0], ids[1])
    r = srv.request("POST", f"/api/nodes/{topic}/generations",
                    json={"trigger": "on_first_enter", "model": "claude-sonnet-4-5",
                          "prompt": prompt, "responseMeta": {"count": 2}})
    assert r.status == 201

    events = run_topic(srv, topic)
    assert fake.requests == []
    plain = strip_usage(events)
    assert [n for n, _ in plain] == ["node_created", "node_created", "edge_created",
                                     "node_created", "node_created", "agent_done"]
    assert plain[-1] == ("agent_done", {"agent": "topic", "conceptCount": 2,
                                        "rationale": "Existing concepts loaded."})
    assert len(srv.sql("SELECT id FROM node_generations")) == 1


def test_two_identical_runs_at_once_share_one_run(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, slow(1.5, tool("save_concept", {"title": "Alpha Basics", "desc": "a"})),
            text("One concept."))
    script_bootstrap(fake, "Alpha Basics", ["A one", "A two"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    results = twice_at_once(lambda: run_topic(srv, topic))
    assert results[0] and results[0] == results[1]
    assert len([x for x in fake.requests if TOPIC_RULE in x.body]) == 2
    assert len(node_rows(srv, topic)) == 1
    assert len(srv.sql("SELECT id FROM nodes WHERE type = 'subconcept'")) == 2
    assert len(srv.sql("SELECT id FROM node_generations")) == 2


# ---- validation and no model ----

def test_validation_errors_are_json(start_server, fake_model):
    srv = start_server(env=fake_model.env())
    _, topic = new_topic(srv)
    p = f"/api/agents/topics/{topic}/run"
    r = srv.request("POST", p, json={})
    assert (r.status, r.json) == (400, {"error": "userId is required"})
    r = srv.request("POST", p, json={"userId": ""})
    assert (r.status, r.json) == (400, {"error": "userId is required"})
    r = srv.request("POST", "/api/agents/topics/nope/run", json={"userId": USER})
    assert (r.status, r.json) == (404, {"error": "Topic node not found"})
    r = srv.request("POST", p, json={"userId": "someone-else"})
    assert (r.status, r.json) == (404, {"error": "User not found"})
    r = srv.request("POST", p, body="{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400 and "error" in r.json
    r = srv.request("OPTIONS", p, headers={"Origin": "http://localhost:3000",
                                           "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
    assert r.status == 204 and r.headers.get("access-control-allow-origin") == "http://localhost:3000"
    for path in (f"/api/nodes/{topic}/generate-concepts", f"/api/nodes/{topic}/generate-subconcepts"):
        r = srv.request("POST", path, json={})
        assert (r.status, r.json) == (400, {"error": "userId is required"})
        r = srv.request("POST", path.replace(topic, "nope"), json={"userId": USER})
        assert (r.status, r.json) == (404, {"error": "Node not found"})
    assert fake_model.requests == []


def test_no_model_configured_answers_503_at_once(start_server):
    srv = start_server(env={"ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": "",
                            "ANTHROPIC_BASE_URL": "", "LLM_PROVIDER": "", "OPENAI_API_KEY": ""})
    _, topic = new_topic(srv)
    for path in (f"/api/agents/topics/{topic}/run", f"/api/nodes/{topic}/generate-concepts",
                 f"/api/nodes/{topic}/generate-subconcepts"):
        t0 = time.monotonic()
        r = srv.request("POST", path, json={"userId": USER})
        assert time.monotonic() - t0 < 5
        assert r.status == 503, r
        assert r.headers["content-type"].startswith("application/json")
        assert "ANTHROPIC_API_KEY" in r.json["error"]
    # the model check comes first: an unknown node or a missing userId is a 503 too
    r = srv.request("POST", "/api/agents/topics/nope/run", json={})
    assert r.status == 503 and "ANTHROPIC_API_KEY" in r.json["error"]
    r = srv.request("POST", "/api/nodes/nope/generate-concepts", json={"userId": USER})
    assert r.status == 503
    # every other route keeps working
    assert srv.request("GET", f"/api/nodes/{topic}").status == 200
    # the legacy routes' "already generated" answers need no model
    branch = srv.request("GET", f"/api/nodes/{topic}").json["branchId"]
    c = srv.request("POST", "/api/nodes", json={"userId": USER, "type": "concept", "title": "C",
                                                "branchId": branch, "parentId": topic}).json
    r = srv.request("POST", f"/api/nodes/{topic}/generate-concepts", json={"userId": USER})
    assert (r.status, r.json) == (200, {"generated": False, "concepts": [c], "edges": []})


# ---- the legacy generators ----

def test_legacy_generate_concepts_shapes_and_documents(start_server, fake_model):
    fake = fake_model
    fake.on("Design a learning path", text("```json\n" + json.dumps([
        {"title": "One", "desc": "first"}, {"title": "Two", "desc": "second"},
        {"title": " ", "desc": "skipped"}, {"title": "Three"}]) + "\n```"))
    srv = start_server(env=fake.env())
    branch, topic = new_topic(srv)
    assert upload(srv, topic, [part("LEGACY-DOC-MARKER text", "book.md", "text/markdown")]).status == 201
    r = srv.request("POST", f"/api/nodes/{topic}/generate-concepts", json={"userId": USER})
    assert r.status == 201, r
    body = r.json
    assert body["generated"] is True
    assert [c["title"] for c in body["concepts"]] == ["One", "Two", "Three"]
    assert [c["desc"] for c in body["concepts"]] == ["first", "second", ""]
    assert body["concepts"] == node_rows(srv, topic)
    ids = [c["id"] for c in body["concepts"]]
    assert [(e["sourceNodeId"], e["targetNodeId"], e["source"], e["target"]) for e in body["edges"]] \
        == [(ids[0], ids[1], "One", "Two"), (ids[1], ids[2], "Two", "Three")]
    # the same bytes on both engines: compact, keys in this order (built from plain rows)
    assert [list(e) for e in body["edges"]] == [["id", "sourceNodeId", "targetNodeId", "createdAt",
                                                 "source", "target"]] * 2
    assert r.text == json.dumps(body, separators=(",", ":"))
    req = fake.requests[-1].json
    assert req["max_tokens"] == 2048 and "tools" not in req and "system" not in req
    assert "LEGACY-DOC-MARKER" in req["messages"][0]["content"]      # B11
    gen = srv.sql("SELECT \"trigger\", model, prompt, response_meta FROM node_generations")
    assert gen == [{"trigger": "on_first_enter", "model": "fake-model",
                    "prompt": "Generate educational path for: Algebra",
                    "response_meta": '{"count":3}'}]
    # again: the existing concepts, same edge shape, no model call
    n = len(fake.requests)
    r = srv.request("POST", f"/api/nodes/{topic}/generate-concepts", json={"userId": USER})
    assert r.status == 200
    assert r.json == {"generated": False, "concepts": body["concepts"], "edges": body["edges"]}
    assert r.text == json.dumps(r.json, separators=(",", ":"))
    assert len(fake.requests) == n


def test_legacy_generate_concepts_bad_reply_writes_nothing(start_server, fake_model):
    fake = fake_model
    fake.on("Design a learning path", text('{"title": "not an array"}'), text("no json at all"))
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    r = srv.request("POST", f"/api/nodes/{topic}/generate-concepts", json={"userId": USER})
    assert (r.status, r.json) == (502, {"error": "Claude did not return a JSON array"})
    r = srv.request("POST", f"/api/nodes/{topic}/generate-concepts", json={"userId": USER})
    assert r.status == 502 and "error" in r.json
    assert node_rows(srv, topic) == []
    assert srv.sql("SELECT id FROM node_generations") == []


def test_legacy_generate_subconcepts(start_server, fake_model):
    fake = fake_model
    fake.on("Break the concept below", text(json.dumps([
        {"title": "Basics", "desc": "b", "depends_on": []},
        {"title": "Practice", "desc": "p", "depends_on": ["basics", "Unknown", "Practice"]},
        {"title": "BASICS", "desc": "duplicate"}])))
    srv = start_server(env=fake.env())
    branch, topic = new_topic(srv)
    concept = srv.request("POST", "/api/nodes", json={
        "userId": USER, "type": "concept", "branchId": branch, "parentId": topic,
        "title": "Loops"}).json
    path = f"/api/nodes/{concept['id']}/generate-subconcepts"
    r = srv.request("POST", path, json={"userId": USER,
                                        "diagnostic": {"gaps": ["GAP-MARKER"]}})
    assert r.status == 201, r
    body = r.json
    assert [s["title"] for s in body["subconcepts"]] == ["Basics", "Practice"]
    assert all(s["type"] == "subconcept" and s["parentId"] == concept["id"] and
               s["branchId"] == branch for s in body["subconcepts"])
    ids = [s["id"] for s in body["subconcepts"]]
    assert [(e["sourceNodeId"], e["targetNodeId"], e["source"], e["target"])
            for e in body["edges"]] == [(ids[0], ids[1], "Basics", "Practice")]
    prompt = fake.requests[-1].json["messages"][0]["content"]
    assert "GAP-MARKER" in prompt and '"gaps": [' in prompt      # pretty JSON, 2-space indent
    gen = srv.sql("SELECT prompt, response_meta FROM node_generations")
    assert gen == [{"prompt": "Generate subconcepts for: Loops",
                    "response_meta": '{"count":2,"usedDiagnostic":true,'
                                     '"diagnosticAssessmentId":null}'}]
    p = srv.sql("SELECT has_generated_subnodes, attempts_count FROM user_node_progress")
    assert p == [{"has_generated_subnodes": 1, "attempts_count": 1}]
    n = len(fake.requests)
    r = srv.request("POST", path, json={"userId": USER})
    assert r.status == 200
    assert r.json == {"generated": False, "subconcepts": body["subconcepts"],
                      "edges": body["edges"]}
    assert len(fake.requests) == n


def test_legacy_generate_subconcepts_uses_database_diagnostic(start_server, fake_model):
    fake = fake_model
    fake.on("Break the concept below", text(json.dumps([{"title": "Only", "desc": "o"}])))
    srv = start_server(env=fake.env())
    branch, topic = new_topic(srv)
    concept = srv.request("POST", "/api/nodes", json={
        "userId": USER, "type": "concept", "branchId": branch, "parentId": topic,
        "title": "Loops"}).json
    a = srv.request("POST", "/api/assessments", json={
        "userId": USER, "targetNodeId": concept["id"], "type": "diagnostic"}).json
    q = srv.request("POST", f"/api/assessments/{a['id']}/questions", json={
        "format": "mcq", "prompt": "WEAK-SPOT question", "options": ["x", "y"],
        "correctAnswer": "x", "nodeId": concept["id"]})
    assert q.status == 201, q
    r = srv.request("POST", f"/api/assessments/{a['id']}/answers", json={
        "userId": USER, "questionId": q.json["id"], "selectedOption": "y"})
    assert r.status == 201, r
    r = srv.request("POST", f"/api/nodes/{concept['id']}/generate-subconcepts",
                    json={"userId": USER})
    assert r.status == 201, r
    prompt = fake.requests[-1].json["messages"][0]["content"]
    assert '"gaps": [\n    "WEAK-SPOT question"\n  ]' in prompt
    meta = json.loads(srv.sql("SELECT response_meta FROM node_generations")[0]
                      ["response_meta"])
    assert meta == {"count": 1, "usedDiagnostic": True, "diagnosticAssessmentId": a["id"]}


# ---- concurrency limit, more faults ----

def test_at_most_three_bootstraps_at_once(start_server, fake_model):
    fake = fake_model
    names = ["C1 topic", "C2 topic", "C3 topic", "C4 topic", "C5 topic"]
    script_topic(fake, names, final="Five.")
    cond = threading.Condition()
    state = {"inflight": 0, "max": 0, "started": 0}

    def held(req):
        """Hold each bootstrap's reply until three are in flight (the first three) so that a
        fourth running at the same time would be seen."""
        with cond:
            state["inflight"] += 1
            state["started"] += 1
            state["max"] = max(state["max"], state["inflight"])
            cond.notify_all()
            cond.wait_for(lambda: state["inflight"] >= 3 or state["started"] > 3, timeout=10)
        time.sleep(0.3)
        with cond:
            state["inflight"] -= 1
        return text("nothing to add")

    for n in names:
        fake.on(f"Concept: {n}", held)
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    assert state["started"] == 5
    assert state["max"] == 3
    done = [d["agent"] for n, d in events if n == "agent_done"]
    assert sorted(done[:-1]) == sorted("subconcept_bootstrap:" + n for n in names)
    assert done[-1] == "topic"
    # a bootstrap that saved nothing still records itself and the progress flag
    assert len(srv.sql("SELECT id FROM user_node_progress "
                           "WHERE NOT has_generated_subnodes")) == 5


def test_reset_connection_is_retried(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, fault("reset"), tool("save_concept", {"title": "Alpha Basics", "desc": "a"}),
            text("One."))
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    srv = start_server(env=fake.env())
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    assert len([x for x in fake.requests if TOPIC_RULE in x.body]) == 3
    assert not [e for e in events if e[0] == "agent_error"]
    assert strip_usage(events)[-1][1]["conceptCount"] == 1


def test_openai_malformed_arguments_fed_back(start_server, fake_model):
    fake = fake_model
    fake.on(TOPIC_RULE, tool("save_concept", '{"title": "broken'),
            tool("save_concept", {"title": "Alpha Basics", "desc": "a"}), text("One."))
    script_bootstrap(fake, "Alpha Basics", ["A one"])
    srv = start_server(env=fake.env("openai"))
    _, topic = new_topic(srv)
    events = run_topic(srv, topic)
    results = [json.loads(d["summary"]) for n, d in events if n == "tool_result"
               and d["agent"] == "topic"]
    assert "error" in results[0] and results[1]["saved"] is True
    assert [n["title"] for n in node_rows(srv, topic)] == ["Alpha Basics"]
    assert all(r.provider == "openai" for r in fake.requests)
