"""tests/e2e/test_client_flows.py: the original web client's flows (spec/agents.md §11,
spec/api.md §11 and its [FE] routes) end to end against `sprout serve` and a scripted fake
model. The test acts exactly as the Next.js client does:

- JSON calls as `apiFetch` makes them (through the same-origin proxy: plain /api paths,
  Content-Type only with a body, non-2xx -> the body's `error`, 204 -> nothing);
- the SSE routes fetched cross-origin from http://localhost:3000: the browser's CORS preflight,
  then the POST with the Origin header; the response must allow the origin, else the browser
  hides it;
- `openSSEStream`'s parser: the decoded text split on blank lines, `event: ` / `data: ` prefixes
  (last data wins, frames without data ignored), end of stream = EOF; events handled as they
  arrive (the graph grows while the run goes on);
- `use-agent-stream`'s graph: nodes de-duplicated by id, edges buffered until both ends are
  known, node/edge removals.

Flows: new branch (branch, root node, document upload, topic run: concepts appear live) ->
opening a concept (dependency edges, diagnostic GET and concept run fired together, the
survey's answers with client-computed isCorrect/score, the concept run refining from them,
closing the survey) -> a subconcept taught by the tutor (session bootstrap, first turn with
content "", clarification and answer turns, cards after answer turns, completion, reopening) ->
progress -> reopening the branch (the topic run replays the whole graph without the model).
"""
import codecs
import http.client
import json
import threading

import pytest

from conftest import DEFAULT_USER as U
from support.concept import DIAGNOSTIC, GRADE, REFINE, rows
from support.documents import multipart, part
from support.fake_model import block_text, block_tool, text, tool, turn

pytestmark = pytest.mark.both_engines

ORIGIN = "http://localhost:3000"
SMALL = True                     # the client built with NEXT_PUBLIC_SMALL_AGENTS=true
TOPIC = "curriculum designer"    # only the topic agent's system prompt says this
EXTRACT = "You are given a list of concepts"


def bootstrap_of(title):
    return f"Concept: {title}\\n"      # the bootstrap prompt's line, as it appears in JSON


def norm(s):
    return " ".join((s or "").strip().lower().split())


# ---- apiFetch (through the Next.js proxy: the server sees plain /api paths) ----

class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status} {message}")
        self.status = status


def api(srv, method, path, body=None):
    r = srv.request(method, path, json=body, timeout=60)
    if not 200 <= r.status < 300:
        try:
            msg = r.json.get("error")
        except ValueError:
            msg = None
        raise ApiError(r.status, msg or f"Request failed ({r.status})")
    if r.status == 204:
        return None
    return r.json


# ---- openSSEStream ----

def parse_frame(frame):
    """openSSEStream's frame rule: `event: ` sets the name, `data: ` the data (last wins)."""
    name, data = "message", None
    for line in frame.split("\n"):
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data = line[len("data: "):]
    if data is None:
        return None
    return name, json.loads(data)          # bad JSON fails the stream, as in the client


class SSEStream:
    """A cross-origin POST to an SSE route, read as the browser's fetch reader delivers it."""

    def __init__(self, srv, path, body):
        # the browser's preflight: a JSON POST to another origin is not a simple request
        pre = srv.request("OPTIONS", path, headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert pre.status == 204, pre
        assert pre.headers.get("access-control-allow-origin") in ("*", ORIGIN), pre.headers
        assert "POST" in pre.headers.get("access-control-allow-methods", ""), pre.headers
        assert "content-type" in pre.headers.get("access-control-allow-headers", "").lower()
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        self.conn.request("POST", path, body=json.dumps(body).encode(), headers={
            "Content-Type": "application/json", "Origin": ORIGIN, "Accept": "*/*"})
        self.resp = self.conn.getresponse()
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        # without this header the browser refuses the cross-origin response
        assert self.headers.get("access-control-allow-origin") in ("*", ORIGIN), self.headers
        self.status = self.resp.status
        self.frames = 0
        self.comments = 0

    def error(self):
        """Non-2xx: the client surfaces the body's `error`."""
        assert self.status >= 300
        return json.loads(self.resp.read())["error"]

    def events(self):
        """(name, data) as they arrive; ends at EOF."""
        assert self.status == 200, self.resp.read()[:300]
        assert "text/event-stream" in self.headers.get("content-type", ""), self.headers
        dec = codecs.getincrementaldecoder("utf-8")()
        buf = ""
        try:
            while True:
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                buf += dec.decode(chunk)
                frames = buf.split("\n\n")
                buf = frames.pop()
                for f in frames:
                    ev = parse_frame(f)
                    if ev is None:
                        assert f.startswith(":"), repr(f)      # only comments carry no data
                        self.comments += 1
                        continue
                    self.frames += 1
                    yield ev
            buf += dec.decode(b"", final=True)
            assert buf == "", repr(buf)                        # every frame ends with a blank line
        finally:
            self.conn.close()


# ---- use-agent-stream / graph-view ----

class Graph:
    def __init__(self):
        self.nodes = {}
        self.edges = set()
        self.pending = set()
        self.log = []           # the activity card: (event, agent or tool)

    def apply(self, name, data):
        if name == "node_created":
            n = data["node"]
            for k in ("id", "type", "parentId", "title", "desc", "userId", "branchId"):
                assert k in n, n
            self.nodes[n["id"]] = n             # de-duplicated by id
        elif name == "edge_created":
            e = data["edge"]
            self.pending.add((e["sourceNodeId"], e["targetNodeId"]))
        elif name == "node_removed":
            self.nodes.pop(data["nodeId"], None)
        elif name == "edge_removed":
            self.edges.discard((data["sourceNodeId"], data["targetNodeId"]))
            self.pending.discard((data["sourceNodeId"], data["targetNodeId"]))
        elif name in ("agent_start", "agent_done"):
            self.log.append((name, data["agent"]))
        elif name == "agent_error":
            self.log.append((name, data.get("message") or data["agent"]))
        elif name in ("tool_call", "tool_result"):
            self.log.append((name, data["tool"]))
        for s, t in list(self.pending):         # buffered until both ends are known
            if s in self.nodes and t in self.nodes:
                self.pending.discard((s, t))
                self.edges.add((s, t))

    def titles(self, type, parent=None):
        return sorted(n["title"] for n in self.nodes.values()
                      if n["type"] == type and (parent is None or n["parentId"] == parent))

    def titled(self, title):
        [n] = [n for n in self.nodes.values() if n["title"] == title]
        return n


def server_graph(srv, branch, root):
    """What the graph page loads: listNodes, then dependency edges of the root and concepts."""
    nodes = {n["id"]: n for n in api(srv, "GET", f"/api/nodes?userId={U}")
             if n["branchId"] == branch and n["type"] != "root"}
    edges = {(e["sourceNodeId"], e["targetNodeId"])
             for e in api(srv, "GET", f"/api/nodes/{root}/dependency-edges?childType=concept")}
    for n in list(nodes.values()):
        if n["type"] == "concept":
            edges |= {(e["sourceNodeId"], e["targetNodeId"]) for e in api(
                srv, "GET", f"/api/nodes/{n['id']}/dependency-edges?childType=subconcept")}
    return nodes, edges


def assert_graph_matches(srv, g, branch, root):
    nodes, edges = server_graph(srv, branch, root)
    assert set(g.nodes) == set(nodes)
    for i, n in nodes.items():
        for k in ("type", "parentId", "title", "desc", "userId", "branchId"):
            assert g.nodes[i][k] == n[k], (k, g.nodes[i], n)
    assert g.edges == edges and not g.pending


def run_stream(srv, path, g, on_event=None):
    s = SSEStream(srv, path, {"userId": U, "small": SMALL} if SMALL else {"userId": U})
    out = []
    for name, data in s.events():
        out.append((name, data))
        g.apply(name, data)
        if on_event:
            on_event(name, data)
    return out


# ---- the flows ----

def new_branch(srv, fake, g):
    """createBranch -> createNode(root) -> uploadDocuments -> topic run, read live."""
    branch = api(srv, "POST", "/api/branches", {"userId": U, "title": "Linear Algebra"})
    root = api(srv, "POST", "/api/nodes", {"userId": U, "type": "root", "branchId": branch["id"],
                                           "parentId": None, "title": "Linear Algebra",
                                           "desc": "Vectors and matrices"})
    body = multipart([part("Vectors have components. Matrices multiply vectors.", "notes.md",
                           "text/markdown"),
                      part("Chapter 1: vectors. Chapter 2: matrices.", "syllabus.txt")])
    r = srv.request("POST", f"/api/nodes/{root['id']}/documents", body=body, headers={
        "Content-Type": "multipart/form-data; boundary=----sproutTestBoundary7MA4YWxkTrZu0gW"})
    assert 200 <= r.status < 300, r           # the client checks `ok` only

    gate = threading.Event()
    opened = []

    def held_back(req):
        # the topic agent's next turn waits until the client has drawn the first concept
        opened.append(gate.wait(30))
        return tool("save_concept", {"title": "Matrices", "desc": "Tables of numbers."})

    fake.on(TOPIC,
            tool("extract_all_concept_contexts",
                 {"concepts": [{"title": "Vectors", "desc": "Arrows with length."},
                               {"title": "Matrices", "desc": "Tables of numbers."}]},
                 text="Two concepts, vectors first."),
            tool("save_concept", {"title": "Vectors", "desc": "Arrows with length."}),
            held_back,
            tool("save_concept_edge", {"source_title": "Vectors", "target_title": "Matrices"}),
            text("Vectors, then matrices."))
    fake.on(EXTRACT, text(json.dumps({"Vectors": "Vectors have components.",
                                      "Matrices": "Matrices multiply vectors."})))
    fake.on(bootstrap_of("Vectors"),
            tool("save_diagnostic_question",
                 {"prompt": "Which is a vector?", "format": "mcq",
                  "options": ["5", "(1, 2)", "x", "+"], "correct_answer": "(1, 2)",
                  "difficulty": 1}),
            tool("save_diagnostic_question",
                 {"prompt": "What is the length of (3, 4)?", "format": "open_ended",
                  "correct_answer": "5", "difficulty": 3}),
            tool("save_subconcept", {"title": "Vector addition", "desc": "Add componentwise."}),
            tool("save_subconcept", {"title": "Scalar multiplication", "desc": "Stretch."}),
            tool("save_subconcept_edge", {"source_title": "Vector addition",
                                          "target_title": "Scalar multiplication"}),
            text("Two units."))
    fake.on(bootstrap_of("Matrices"),
            tool("save_subconcept", {"title": "Matrix product", "desc": "Rows times columns."}),
            text("One unit."))

    seen_live = []

    def on_event(name, data):
        if name == "node_created" and data["node"]["title"] == "Vectors":
            # drawn while the run goes on: the model's next turn is still held back
            seen_live.append(not gate.is_set() and g.titles("concept") == ["Vectors"])
            gate.set()

    ev = run_stream(srv, f"/api/agents/topics/{root['id']}/run", g, on_event)
    gate.set()
    assert seen_live == [True], "node_created did not arrive while the run was going on"
    assert opened == [True]
    names = [n for n, _ in ev]
    assert names[0] == "agent_start" and "agent_error" not in names, ev
    assert ev[-1] == ("agent_done", {**ev[-1][1], "agent": "topic", "conceptCount": 2,
                                     "rationale": "Vectors, then matrices."})
    assert fake.pending() == 0
    # the whole path is on the page, as the graph page would load it
    assert g.titles("concept") == ["Matrices", "Vectors"]
    assert g.titles("subconcept") == ["Matrix product", "Scalar multiplication",
                                      "Vector addition"]
    assert all(n["branchId"] == branch["id"] for n in g.nodes.values())
    assert_graph_matches(srv, g, branch["id"], root["id"])
    # the topic agent and the bootstraps ran on the small model (the client sent small)
    topic_models = {r.json["model"] for r in fake.requests if TOPIC in r.body}
    assert topic_models == {"fake-model-small"}
    return branch, root


def open_concept(srv, g, concept):
    """Opening a concept: dependency edges; the diagnostic GET and the concept run together."""
    api(srv, "GET", f"/api/nodes/{concept['id']}/dependency-edges?childType=subconcept")
    got = {}

    def get_diag():
        got["diag"] = api(srv, "GET", f"/api/agents/concepts/{concept['id']}/diagnostic"
                                      f"?userId={U}")

    t = threading.Thread(target=get_diag)
    t.start()
    ev = run_stream(srv, f"/api/agents/concepts/{concept['id']}/run", g)
    t.join(60)
    assert ev and ev[0][0] == "diagnostic_status", ev
    diag = got["diag"]
    assert diag["status"] == "diagnostic_ready" and diag["conceptNodeId"] == concept["id"]
    assert ev[0][1]["assessment"]["id"] == diag["assessment"]["id"]
    return diag, ev


def survey(srv, g, diag, answers):
    """The optional pre-check: options parsed from their JSON string, answers graded by exact
    normalised match, posted one by one; then the concept run again (onComplete)."""
    a = diag["assessment"]
    assert api(srv, "GET", f"/api/assessments/{a['id']}/answers?userId={U}") == []
    for q in diag["questions"]:
        given = answers[q["prompt"]]
        if q["format"] == "mcq":
            options = json.loads(q["options"])             # a JSON string, parsed client-side
            assert isinstance(options, list) and given in options
            body = {"answerText": None, "selectedOption": given}
        else:
            assert q["options"] is None
            body = {"answerText": given, "selectedOption": None}
        ok = norm(given) == norm(q["correctAnswer"])
        row = api(srv, "POST", f"/api/assessments/{a['id']}/answers",
                  {"userId": U, "questionId": q["id"], **body, "isCorrect": ok,
                   "score": 1 if ok else 0, "feedback": None})
        assert row["questionId"] == q["id"] and row["isCorrect"] is ok
    return run_stream(srv, f"/api/agents/concepts/{diag['conceptNodeId']}/run", g)


def session_bootstrap(srv, fake, node):
    """The learn page: newest open session, else the newest, else a new one; an empty
    conversation gets a first tutor turn with content "" and is listed again."""
    sessions = api(srv, "GET", f"/api/chat/sessions?userId={U}&nodeId={node['id']}")
    sessions.sort(key=lambda s: s["startedAt"], reverse=True)
    open_ = [s for s in sessions if not s["endedAt"]]
    session = open_[0] if open_ else sessions[0] if sessions else \
        api(srv, "POST", "/api/chat/sessions", {"userId": U, "nodeId": node["id"]})
    msgs = chat(srv, session)
    if not msgs:
        r = api(srv, "POST", f"/api/chat/sessions/{session['id']}/tutor",
                {"userId": U, "content": ""})
        assert set(r) >= {"message", "isComplete"}
        msgs = chat(srv, session)
    api(srv, "GET", f"/api/nodes/{node['id']}")
    api(srv, "GET", f"/api/nodes/{node['id']}/contents/active")
    return session, msgs


def chat(srv, session):
    """listChatMessages as the client keeps them: roles user/assistant, stable by createdAt."""
    msgs = [m for m in api(srv, "GET", f"/api/chat/sessions/{session['id']}/messages")
            if m["role"] in ("user", "assistant")]
    return sorted(msgs, key=lambda m: m["createdAt"])


def cards(srv, node):
    c = api(srv, "GET", f"/api/nodes/{node['id']}/contents/active")
    return json.loads(c["cards"]) if c and c.get("cards") else []


def send(srv, session, content):
    r = api(srv, "POST", f"/api/chat/sessions/{session['id']}/tutor",
            {"userId": U, "content": content})
    return r["message"], r["isComplete"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_client_flows(start_server, fake_model, provider):
    fake = fake_model
    srv = start_server(env=fake.env(provider))
    g = Graph()

    # graph page load on an empty database
    assert api(srv, "GET", f"/api/branches?userId={U}") == []
    assert api(srv, "GET", f"/api/progress?userId={U}") == []

    # 1. a new branch: concepts appear live, then the bootstraps' subconcepts
    branch, root = new_branch(srv, fake, g)
    vectors, matrices = g.titled("Vectors"), g.titled("Matrices")
    n_calls = len(fake.requests)

    # 2. opening "Vectors": its diagnostic comes from the database (the bootstrap wrote it), the
    # concept run finds no answers yet and refines nothing
    diag, ev = open_concept(srv, g, vectors)
    assert len(fake.requests) == n_calls
    assert (diag["requiredAnswers"], diag["answeredCount"], diag["isComplete"]) == (2, 0, False)
    assert ev[-1][0] == "agent_done" and ev[-1][1]["agent"] == "concept_refinement"
    assert ev[-1][1].get("skipped") is True

    # the survey: one right, one wrong; then the concept run grades and refines
    qs = {q["prompt"]: q for q in diag["questions"]}
    fake.on(GRADE, text(json.dumps([
        {"questionId": qs["Which is a vector?"]["id"], "isCorrect": True, "score": 1,
         "feedback": "Right."},
        {"questionId": qs["What is the length of (3, 4)?"]["id"], "isCorrect": False,
         "score": 0, "feedback": "Use Pythagoras."}])))
    fake.on(REFINE,
            tool("grade_student_answers", {}, text="Grading first."),
            tool("add_subconcept", {"title": "Vector length", "desc": "Pythagoras in 2D.",
                                    "depends_on": ["Vector addition"]}),
            tool("validate_graph", {}),
            text("Added a bridge on length."))
    ev = survey(srv, g, diag, {"Which is a vector?": "(1, 2)",
                               "What is the length of (3, 4)?": "7"})
    assert ev[0][0] == "diagnostic_status"
    assert (ev[0][1]["answeredCount"], ev[0][1]["requiredAnswers"]) == (2, 2)
    assert ("agent_start", "concept_refinement") in g.log
    assert ev[-1][0] == "agent_done" and ev[-1][1]["agent"] == "concept_refinement" \
        and not ev[-1][1].get("skipped")
    assert fake.pending() == 0
    length = g.titled("Vector length")
    assert length["parentId"] == vectors["id"] and length["branchId"] == branch["id"]
    assert (g.titled("Vector addition")["id"], length["id"]) in g.edges
    assert_graph_matches(srv, g, branch["id"], root["id"])
    graded = {r["question_id"]: (r["is_correct"], r["score"], r["feedback"]) for r in rows(
        srv, "SELECT * FROM answers WHERE assessment_id = ?", diag["assessment"]["id"])}
    assert sorted(graded.values()) == [(0, 0, "Use Pythagoras."), (1, 1, "Right.")]
    # the last answer completed the survey; closing it patches completedAt (result ignored)
    again = api(srv, "GET", f"/api/agents/concepts/{vectors['id']}/diagnostic?userId={U}")
    assert (again["answeredCount"], again["isComplete"]) == (2, True)
    api(srv, "PATCH", f"/api/assessments/{diag['assessment']['id']}",
        {"completedAt": "2026-12-01T12:00:00.000Z"})
    # opening the concept again: no new answers, no refinement, no model call
    n_calls = len(fake.requests)
    diag2, ev = open_concept(srv, g, vectors)
    assert diag2["assessment"]["id"] == diag["assessment"]["id"]
    assert ev[-1][1].get("skipped") is True and len(fake.requests) == n_calls

    # 3. opening "Matrices", which has no diagnostic yet: the GET and the run fired together
    # make one diagnostic between them
    qjson = json.dumps([{"prompt": "What is a 2x2 matrix?", "format": "open_ended",
                         "correctAnswer": "Four numbers in two rows", "difficulty": 2}])
    fake.on(DIAGNOSTIC, text(qjson), text(qjson))
    diag, ev = open_concept(srv, g, matrices)
    assert [q["prompt"] for q in diag["questions"]] == ["What is a 2x2 matrix?"]
    assert len(rows(srv, "SELECT id FROM assessments WHERE target_node_id = ? AND type = "
                         "'diagnostic'", matrices["id"])) == 1
    assert ev[-1][1].get("skipped") is True
    # the model wrote one or both (the second request may find the first's diagnostic saved)
    left = fake.pending()
    assert left in (0, 1)

    # 4. a subconcept taught by the tutor
    add = g.titled("Vector addition")
    fake.script(
        turn(block_text("Let me look at the diagnostic."),
             block_tool("check_student_progress", {}, id="tp1")),
        text("Vectors add component by component.\n\nQuestion Type: text\n\n"
             "Question:\nWhat is (1, 2) + (3, 4)?"),
        text("A component is one coordinate of the vector, like the 1 in (1, 2).\n\n"
             "Question:\nWhat is (1, 2) + (3, 4)?"),
        tool("record_exercise_result", {"exercise_prompt": "(1, 2) + (3, 4)",
                                        "student_answer": "(4, 6)", "is_correct": True,
                                        "score": 1, "feedback": "Right."}),
        text("Correct! [ADVANCE_CHUNK]\n\nIn code, add the lists elementwise.\n\n"
             "Question Type: code\n\nQuestion:\nWrite a function add(u, v) for 2D vectors."),
        text("Well done, you can add vectors. [COMPLETE]"))
    session, msgs = session_bootstrap(srv, fake, add)
    assert [(m["role"], m["kind"]) for m in msgs] == [("assistant", "learning")]
    assert "Question Type: text" in msgs[0]["content"] and "Question:" in msgs[0]["content"]
    assert [c["questionType"] for c in cards(srv, add)] == ["text"]

    reply, done = send(srv, session, "[CLARIFICATION]\nWhat is a component?")
    assert reply.startswith("A component is") and "Question" not in reply and not done
    reply, done = send(srv, session, "[ANSWER]\nMode: text\n(4, 6)")
    assert reply.startswith("Correct!") and "[ADVANCE_CHUNK]" not in reply and not done
    assert [(c["index"], c["questionType"]) for c in cards(srv, add)] == [(0, "text"),
                                                                           (1, "code")]
    reply, done = send(srv, session, "[ANSWER]\nMode: code\ndef add(u, v):\n"
                                     "    return (u[0] + v[0], u[1] + v[1])")
    assert done and reply == "Well done, you can add vectors."
    assert fake.pending() == left
    msgs = chat(srv, session)
    assert [(m["role"], m["kind"]) for m in msgs] == [
        ("assistant", "learning"), ("user", "hint_request"), ("assistant", "hint_response"),
        ("user", "evaluation"), ("assistant", "learning"), ("user", "evaluation"),
        ("assistant", "learning")]
    assert msgs[3]["content"] == "[ANSWER]\nMode: text\n(4, 6)"
    # the client re-parses stored tutor messages: normal turns keep their type line and question
    assert "Question Type: code" in msgs[4]["content"] and "Question:" in msgs[4]["content"]
    assert "Question" not in msgs[2]["content"]            # a clarification reply has none
    assert len(cards(srv, add)) == 2           # no card on clarification or completion turns

    # reopening the lesson: the ended session is the newest; no new session, no model call
    n_calls = len(fake.requests)
    again, msgs2 = session_bootstrap(srv, fake, add)
    assert again["id"] == session["id"] and again["endedAt"]
    assert msgs2 == msgs and len(fake.requests) == n_calls
    assert len(api(srv, "GET", f"/api/chat/sessions?userId={U}&nodeId={add['id']}")) == 1

    # 5. progress as the graph draws it: completed when completedAt or masteryScore >= 0.7
    progress = {p["nodeId"]: p for p in api(srv, "GET", f"/api/progress?userId={U}")}
    done_nodes = {i for i, p in progress.items()
                  if p["completedAt"] or p["masteryScore"] >= 0.7}
    assert done_nodes == {add["id"]}

    # 6. reopening the branch: the topic run replays the whole graph, without the model
    n_calls = len(fake.requests)
    g2 = Graph()
    ev = run_stream(srv, f"/api/agents/topics/{root['id']}/run", g2)
    assert len(fake.requests) == n_calls
    assert ev[-1] == ("agent_done", {**ev[-1][1], "agent": "topic", "conceptCount": 2,
                                     "rationale": "Existing concepts loaded."})
    assert set(g2.nodes) == set(g.nodes) and g2.edges == g.edges
    assert_graph_matches(srv, g2, branch["id"], root["id"])
    # the client de-duplicates: replaying into the open page changes nothing
    before = (dict(g.nodes), set(g.edges))
    for name, data in ev:
        g.apply(name, data)
    assert (g.nodes, g.edges) == before


def test_stream_errors_reach_the_client(start_server, fake_model):
    """Bad requests to the SSE routes answer JSON the client can show (with CORS, so the
    browser lets it read them); a route without a model says what to set."""
    srv = start_server(env=fake_model.env("anthropic"))
    s = SSEStream(srv, "/api/agents/topics/nope/run", {"userId": U})
    assert s.status == 404 and s.error() == "Topic node not found"
    s = SSEStream(srv, "/api/agents/concepts/nope/run", {})
    assert s.status == 400 and s.error() == "userId is required"

    bare = start_server(env={"ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": "",
                             "LLM_PROVIDER": "anthropic",
                             "ANTHROPIC_BASE_URL": "https://model.invalid"})
    branch = api(bare, "POST", "/api/branches", {"userId": U, "title": "T"})
    root = api(bare, "POST", "/api/nodes", {"userId": U, "type": "root",
                                            "branchId": branch["id"], "parentId": None,
                                            "title": "T"})
    s = SSEStream(bare, f"/api/agents/topics/{root['id']}/run", {"userId": U})
    assert s.status == 503 and "ANTHROPIC_API_KEY" in s.error()
