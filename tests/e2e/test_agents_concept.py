"""tests/e2e/test_agents_concept.py: the diagnostic GET and the concept run (SSE) end to end,
against the fake model server: the database effects, the exact event sequence and payloads,
the diagnostic's single transaction (B6), refinement only with new answers (B5), the atomic
remove_subconcept (B4), the stream open until refinement ends (B1), model faults, a client
that disconnects, and identical runs at once."""
import json
import socket
import threading
import time

import pytest

from support.api import count, same_database, twice_at_once
from support.concept import (BOOTSTRAP, DIAGNOSTIC, GRADE, REFINE, U, answer, diagnostic, edge,
                             edges_of, names, node, open_stream, questions_json, rows, run, titles)
from support.fake_model import block_text, block_tool, fault, slow, text, tool, turn

pytestmark = pytest.mark.both_engines


@pytest.fixture
def fake(fake_model):
    return fake_model


def model_server(start_server, fake, provider="anthropic"):
    return start_server(env=fake.env(provider))


def path_graph(srv):
    """Topic T with concepts A -> C -> D; C has no subconcepts yet."""
    t = node(srv, "Topic T", "root")
    a = node(srv, "A", "concept", t)
    c = node(srv, "Concept C", "concept", t, desc="About C")
    d = node(srv, "D", "concept", t)
    edge(srv, a, c)
    edge(srv, c, d)
    return t, a, c, d


def two_questions(srv, c):
    return diagnostic(srv, c, [("mcq", "Pick one", "A", ["A", "B", "C", "D"]),
                               ("open_ended", "Explain it", "because", None)])


def requests_matching(fake, phrase):
    return [r for r in fake.requests if phrase in r.body or phrase in json.dumps(r.json)]


# ---- the diagnostic GET ----

def test_diagnostic_get_from_the_database_without_a_model(start_server):
    srv = start_server()                                   # no model configured
    t = node(srv, "T", "root")
    c = node(srv, "C", "concept", t)
    a, qs = two_questions(srv, c)
    answer(srv, a, qs[0], option="B")
    answer(srv, a, qs[1], text="   ")                       # blank: not answered
    r = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")
    assert r.status == 200, r
    body = r.json
    assert list(body) == ["agent", "status", "conceptNodeId", "assessment", "questions",
                          "answeredCount", "requiredAnswers", "isComplete"]
    assert body["agent"] == "concept" and body["status"] == "diagnostic_ready"
    assert body["conceptNodeId"] == c["id"]
    assert body["assessment"]["id"] == a["id"]
    assert set(body["assessment"]) == {"id", "userId", "targetNodeId", "type", "title",
                                       "createdAt", "completedAt"}
    assert [q["id"] for q in body["questions"]] == [q["id"] for q in qs]
    assert body["questions"][0]["options"] == '["A","B","C","D"]'   # a JSON string, as stored
    assert body["questions"][1]["options"] is None
    assert (body["answeredCount"], body["requiredAnswers"]) == (1, 2)
    # both questions have an answer row, so the assessment was completed by the answers route
    assert body["isComplete"] is True

    # without a diagnostic the route needs the model: a JSON error naming what to set
    c2 = node(srv, "C2", "concept", t)
    r = srv.request("GET", f"/api/agents/concepts/{c2['id']}/diagnostic?userId={U}")
    assert r.status == 503 and "ANTHROPIC_API_KEY" in r.json["error"]
    assert count(srv, "assessments") == 1


def test_diagnostic_get_validation(start_server, fake):
    srv = model_server(start_server, fake)
    t = node(srv, "T", "root")
    c = node(srv, "C", "concept", t)
    r = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic")
    assert (r.status, r.json) == (400, {"error": "userId is required"})
    r = srv.request("GET", f"/api/agents/concepts/nope/diagnostic?userId={U}")
    assert (r.status, r.json) == (404, {"error": "Concept node not found"})
    r = srv.request("GET", f"/api/agents/concepts/{t['id']}/diagnostic?userId={U}")
    assert (r.status, r.json) == (400, {"error": "Node must be type=concept"})
    r = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId=ghost")
    assert (r.status, r.json) == (404, {"error": "User not found"})
    assert fake.requests == [] and count(srv, "assessments") == 0
    srv.stop()
    # without a model, what the database cannot answer is the 503 naming what to set
    srv = start_server(**same_database(srv))
    for path in [f"/api/agents/concepts/{c['id']}/diagnostic",
                 f"/api/agents/concepts/nope/diagnostic?userId={U}"]:
        r = srv.request("GET", path)
        assert r.status == 503 and r.json["error"].startswith("No model is configured"), r


def test_diagnostic_generation(start_server, fake):
    srv = model_server(start_server, fake)
    t = node(srv, "Topic T", "root")
    c = node(srv, "Graphs", "concept", t, desc="Vertices and edges")
    fake.on(DIAGNOSTIC, text(questions_json(10)))
    r = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")
    assert r.status == 200, r
    body = r.json
    assert body["assessment"]["title"] == "Diagnostic for Graphs"
    assert body["assessment"]["type"] == "diagnostic"
    assert (body["answeredCount"], body["requiredAnswers"], body["isComplete"]) == (0, 10, False)
    qs = body["questions"]
    assert len(qs) == 10
    assert qs[0]["format"] == "mcq" and json.loads(qs[0]["options"]) == ["A", "B", "C", "D"]
    assert qs[0]["correctAnswer"] == "B" and qs[0]["nodeId"] == c["id"]
    assert qs[1]["format"] == "open_ended" and qs[1]["options"] is None
    assert [q["difficulty"] for q in qs] == [1, 3, 1, 3, 2, 3, 3, 3, 3, 3]
    # one single-shot call: the prompt names concept and topic, no tools, no system prompt
    (req,) = fake.requests
    assert req.json["max_tokens"] == 4096 and req.json["model"] == "fake-model"
    assert "tools" not in req.json and "system" not in req.json
    prompt = req.json["messages"][0]["content"]
    prompt = prompt if isinstance(prompt, str) else prompt[0]["text"]
    assert "Graphs" in prompt and "Topic T" in prompt and "exactly 10 questions" in prompt
    # the second GET answers from the database
    r2 = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")
    assert r2.json == body and len(fake.requests) == 1


def test_model_failure_leaves_no_empty_assessment(start_server, fake):
    srv = model_server(start_server, fake)
    t = node(srv, "T", "root")
    c = node(srv, "C", "concept", t)
    fake.on(DIAGNOSTIC, fault(400), text("not json at all"), text('{"an": "object"}'),
            text(questions_json(3)))
    url = f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}"
    r = srv.request("GET", url)
    assert r.status == 502 and r.json["error"].startswith("400 ")
    assert count(srv, "assessments") == 0
    for _ in range(2):                                     # unparsable, then not an array
        r = srv.request("GET", url)
        assert r.status == 502 and "error" in r.json
        assert count(srv, "assessments") == 0 and count(srv, "questions") == 0
    r = srv.request("GET", url)
    assert r.status == 200 and len(r.json["questions"]) == 3
    assert count(srv, "assessments") == 1


def test_an_empty_diagnostic_left_by_the_original_is_filled(start_server, fake):
    srv = model_server(start_server, fake)
    t = node(srv, "T", "root")
    c = node(srv, "C", "concept", t)
    empty, _ = diagnostic(srv, c, [])                        # the original's bug B6 left these
    fake.on(DIAGNOSTIC, text(questions_json(4)))
    r = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")
    assert r.status == 200 and r.json["assessment"]["id"] == empty["id"]
    assert len(r.json["questions"]) == 4 and count(srv, "assessments") == 1


def test_concurrent_get_and_post_create_one_diagnostic(start_server, fake):
    srv = model_server(start_server, fake)
    t = node(srv, "T", "root")
    c = node(srv, "C", "concept", t)
    node(srv, "S1", "subconcept", c)                        # no bootstrap
    fake.on(DIAGNOSTIC, slow(1, text(questions_json(10))), slow(1, text(questions_json(10))))
    out = {}

    def get():
        out["get"] = srv.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")

    def post_run():
        out["run"] = run(srv, c)

    ths = [threading.Thread(target=get), threading.Thread(target=post_run)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)
    assert out["get"].status == 200
    assert count(srv, "assessments") == 1 and count(srv, "questions") == 10
    status = out["run"][0]
    assert status[0] == "diagnostic_status"
    assert status[1]["assessment"]["id"] == out["get"].json["assessment"]["id"]
    # no answers yet: the refinement is skipped, no model call for it
    assert out["run"][-1] == ("agent_done", {**out["run"][-1][1], "agent": "concept_refinement",
                                             "skipped": True, "reason": "no_answers"})
    assert not requests_matching(fake, REFINE)


def test_two_instances_create_one_diagnostic(start_server, fake):
    """The GET through one server and the run through another on the same database, both
    generating: the second writer finds the first's diagnostic (the check and the write are one
    transaction, keyed by learner and concept across processes), so one diagnostic."""
    a = model_server(start_server, fake)
    b = start_server(**same_database(a, fake.env()))
    t = node(a, "T", "root")
    c = node(a, "C", "concept", t)
    node(a, "S1", "subconcept", c)
    fake.on(DIAGNOSTIC, slow(2, text(questions_json(10))), slow(2, text(questions_json(10))))
    out = {}

    def get():
        out["get"] = a.request("GET", f"/api/agents/concepts/{c['id']}/diagnostic?userId={U}")

    def post_run():
        out["run"] = run(b, c)

    ths = [threading.Thread(target=get), threading.Thread(target=post_run)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)
    assert out["get"].status == 200 and len(requests_matching(fake, DIAGNOSTIC)) == 2
    assert count(a, "assessments") == 1 and count(b, "questions") == 10
    assert out["run"][0][1]["assessment"]["id"] == out["get"].json["assessment"]["id"]


# ---- the concept run ----

def bootstrap_script(fake):
    fake.on(BOOTSTRAP,
            turn(block_text("Planning."), block_tool("save_subconcept", {"title": "S1", "desc": "d1"}),
                 block_tool("save_subconcept", {"title": "S2", "desc": "d2"}),
                 block_tool("save_subconcept", {"title": "S3", "desc": "d3"})),
            turn(block_tool("save_subconcept_edge", {"source_title": "S1", "target_title": "S2"}),
                 block_tool("save_subconcept_edge", {"source_title": "S2", "target_title": "S3"})),
            text("Structure built."))


REFINE_STEPS = [
    tool("grade_student_answers", {}, text="Grading first."),
    tool("add_subconcept", {"title": "Bridge", "desc": "b", "depends_on": ["S1", "Nope"]}),
    tool("remove_subconcept", {"title": "S2"}),
    tool("add_prerequisite_concept", {"title": "Pre", "desc": "p"}),
    tool("add_followup_concept", {"title": "Post", "desc": "q"}),
    tool("get_future_concepts", {}),
    tool("validate_graph", {}),
    tool("check_student_history", {}),
    tool("get_current_subconcepts", {}),
    text("Adapted the path."),
]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_concept_run_sequence_and_effects(start_server, fake, provider):
    srv = model_server(start_server, fake, provider)
    t, a, c, d = path_graph(srv)
    assessment, qs = two_questions(srv, c)
    answer(srv, assessment, qs[0], option="B")
    answer(srv, assessment, qs[1], text="because it is")
    bootstrap_script(fake)
    fake.on(GRADE, text(json.dumps([
        {"questionId": qs[0]["id"], "isCorrect": False, "score": 0, "feedback": "No."},
        {"questionId": qs[1]["id"], "isCorrect": True, "score": 1, "feedback": "Yes."}])))
    fake.on(REFINE, *REFINE_STEPS)

    ev = run(srv, c)
    label = "subconcept_bootstrap:Concept C"
    node_ids = {r["title"]: r["id"] for r in rows(srv, "SELECT id, title FROM nodes")}
    assert names(ev) == [
        "diagnostic_status",
        "agent_start", "agent_reasoning",
        "tool_call", "node_created", "tool_result",
        "tool_call", "node_created", "tool_result",
        "tool_call", "node_created", "tool_result",
        "tool_call", "edge_created", "tool_result",
        "tool_call", "edge_created", "tool_result",
        "agent_reasoning", "agent_done",
        "agent_start", "agent_reasoning",
        "tool_call", "tool_result",                                        # grade
        "tool_call", "node_created", "edge_created", "tool_result",        # add_subconcept
        "tool_call", "edge_removed", "edge_removed", "edge_created", "node_removed",
        "tool_result",                                                     # remove S2
        "tool_call", "node_created", "edge_removed", "edge_created", "edge_created",
        "tool_result",                                                     # prerequisite
        "tool_call", "node_created", "edge_removed", "edge_created", "edge_created",
        "tool_result",                                                     # follow-up
        "tool_call", "tool_result", "tool_call", "tool_result",
        "tool_call", "tool_result", "tool_call", "tool_result",
        "agent_reasoning", "agent_done",
    ], names(ev)
    status = ev[0][1]
    assert list(status) == ["conceptNodeId", "assessment", "answeredCount", "requiredAnswers"]
    assert status["conceptNodeId"] == c["id"] and status["assessment"]["id"] == assessment["id"]
    assert (status["answeredCount"], status["requiredAnswers"]) == (2, 2)
    assert ev[1][1] == {"agent": label}
    assert ev[19][0] == "agent_done" and ev[19][1]["agent"] == label
    assert ev[20][1] == {"agent": "concept_refinement"}
    assert ev[21][1] == {"agent": "concept_refinement", "text": "Grading first."}
    assert all(d.get("agent") == "concept_refinement" for e, d in ev[20:]
               if e in ("tool_call", "tool_result", "agent_reasoning", "agent_done"))

    # grading: the tool result and the answer rows
    grade = json.loads(ev[23][1]["summary"]) if len(ev[23][1]["summary"]) < 200 else None
    assert ev[22][1]["tool"] == "grade_student_answers" and ev[22][1]["input"] == {}
    graded = {r["question_id"]: r for r in rows(srv, "SELECT * FROM answers")}
    assert (graded[qs[0]["id"]]["is_correct"], graded[qs[0]["id"]]["score"],
            graded[qs[0]["id"]]["feedback"]) == (0, 0, "No.")
    assert (graded[qs[1]["id"]]["is_correct"], graded[qs[1]["id"]]["score"]) == (1, 1)
    if grade:
        assert grade["gradedCount"] == 2 and grade["overallScore"] == 0.5
    # the grading call carried both answers
    (greq,) = requests_matching(fake, GRADE)
    assert "because it is" in json.dumps(greq.json) and "tools" not in greq.json

    # add_subconcept: node then S1 -> Bridge (the unknown "Nope" is skipped)
    assert ev[25][1]["node"]["title"] == "Bridge" and ev[25][1]["node"]["parentId"] == c["id"]
    assert ev[25][1]["node"]["type"] == "subconcept"
    assert ev[26][1] == {"edge": {"sourceNodeId": node_ids["S1"], "targetNodeId": node_ids["Bridge"]}}
    assert json.loads(ev[27][1]["summary"]) == {"saved": True, "nodeId": node_ids["Bridge"],
                                                "title": "Bridge"}
    # remove_subconcept S2: S1 -> S2 and S2 -> S3 removed, S1 -> S3 created, S2 removed
    s2 = [d for e, d in ev if e == "node_removed"][0]["nodeId"]
    assert ev[29][1] == {"sourceNodeId": node_ids["S1"], "targetNodeId": s2}
    assert ev[30][1] == {"sourceNodeId": s2, "targetNodeId": node_ids["S3"]}
    assert ev[31][1] == {"edge": {"sourceNodeId": node_ids["S1"], "targetNodeId": node_ids["S3"]}}
    assert json.loads(ev[33][1]["summary"]) == {"removed": True, "title": "S2"}
    # prerequisite: Pre between A and C; follow-up: Post between C and D
    assert ev[35][1]["node"]["title"] == "Pre" and ev[35][1]["node"]["parentId"] == t["id"]
    assert ev[36][1] == {"sourceNodeId": a["id"], "targetNodeId": c["id"]}
    assert ev[37][1]["edge"] == {"sourceNodeId": a["id"], "targetNodeId": node_ids["Pre"]}
    assert ev[38][1]["edge"] == {"sourceNodeId": node_ids["Pre"], "targetNodeId": c["id"]}
    assert ev[41][1]["node"]["title"] == "Post"
    assert ev[42][1] == {"sourceNodeId": c["id"], "targetNodeId": d["id"]}
    assert ev[43][1]["edge"] == {"sourceNodeId": node_ids["Post"], "targetNodeId": d["id"]}
    assert ev[44][1]["edge"] == {"sourceNodeId": c["id"], "targetNodeId": node_ids["Post"]}
    summaries = {d["tool"]: d["summary"] for e, d in ev[20:] if e == "tool_result"}
    assert json.loads(summaries["get_future_concepts"]) == {"futureConcepts": ["Post", "D"]}
    v = json.loads(summaries["validate_graph"])
    assert v["valid"] is True and v["totalNodes"] == 3 and v["totalEdges"] == 2
    assert v["rootNodes"] == ["S1"]
    # the bootstrap recorded the learner's progress row on the concept
    assert json.loads(summaries["check_student_history"]) == {
        "completedConcepts": [], "overallLevel": "new_student", "averageMastery": 0,
        "totalTrackedNodes": 1, "totalCompleted": 0}
    cur = json.loads(summaries["get_current_subconcepts"])
    assert cur["count"] == 3 and [s["title"] for s in cur["subconcepts"]] == ["S1", "S3", "Bridge"]
    assert sorted((e["source"], e["target"]) for e in cur["edges"]) == [("S1", "Bridge"),
                                                                        ("S1", "S3")]
    assert ev[-2][1] == {"agent": "concept_refinement", "text": "Adapted the path."}

    # the database after the run
    assert titles(srv, c, "subconcept") == ["S1", "S3", "Bridge"]
    assert edges_of(srv, c) == {("S1", "S3"), ("S1", "Bridge")}
    assert edges_of(srv, t) == {("A", "Pre"), ("Pre", "Concept C"), ("Concept C", "Post"),
                                ("Post", "D")}
    gens = rows(srv, "SELECT * FROM node_generations WHERE node_id = ? AND prompt LIKE 'Concept "
                     "refinement%'", c["id"])
    assert len(gens) == 1 and gens[0]["trigger"] == "manual_regenerate"
    meta = json.loads(gens[0]["response_meta"])
    assert meta["mode"] == "concept_refinement_agent" and meta["assessmentId"] == assessment["id"]
    assert meta["answerCount"] == 2 and meta["toolCalls"][0] == "grade_student_answers"
    assert len(meta["toolCalls"]) == 9
    # the refinement loop: system prompt, 9 tools with the spec's names, 4096 tokens
    first = requests_matching(fake, REFINE)[0].json
    tool_names = [x.get("name") or x.get("function", {}).get("name") for x in first["tools"]]
    assert tool_names == ["grade_student_answers", "get_current_subconcepts", "add_subconcept",
                          "remove_subconcept", "get_future_concepts", "add_prerequisite_concept",
                          "validate_graph", "add_followup_concept", "check_student_history"]
    assert first["max_tokens"] == 4096


def test_refinement_skipped_without_new_answers(start_server, fake):
    srv = model_server(start_server, fake)
    t, a, c, d = path_graph(srv)
    node(srv, "S1", "subconcept", c)
    assessment, qs = two_questions(srv, c)
    ev = run(srv, c)                                         # nothing answered
    assert names(ev) == ["diagnostic_status", "agent_done"]
    assert ev[1][1]["skipped"] is True and ev[1][1]["reason"] == "no_answers"
    assert fake.requests == []

    answer(srv, assessment, qs[1], text="an answer")
    fake.on(REFINE, text("Nothing to change."))
    ev = run(srv, c)
    assert names(ev) == ["diagnostic_status", "agent_start", "agent_reasoning", "agent_done"]
    assert "skipped" not in ev[-1][1]
    n = len(fake.requests)

    ev = run(srv, c)                                         # no new answer since then
    assert names(ev) == ["diagnostic_status", "agent_done"]
    assert ev[1][1]["reason"] == "no_new_answers" and len(fake.requests) == n

    answer(srv, assessment, qs[1], text="a better answer")  # a new answer: refine again
    fake.on(REFINE, text("Still fine."))
    ev = run(srv, c)
    assert names(ev)[-1] == "agent_done" and "skipped" not in ev[-1][1]
    assert len(fake.requests) == n + 1


def test_remove_subconcept_refused_while_referenced(start_server, fake):
    srv = model_server(start_server, fake)
    t, a, c, d = path_graph(srv)
    s1 = node(srv, "S1", "subconcept", c)
    s2 = node(srv, "S2", "subconcept", c)
    s3 = node(srv, "S3", "subconcept", c)
    edge(srv, s1, s2)
    edge(srv, s2, s3)
    r = srv.request("POST", "/api/progress", json={"userId": U, "nodeId": s2["id"]})
    assert r.status in (200, 201), r
    assessment, qs = two_questions(srv, c)
    answer(srv, assessment, qs[0], option="A")
    fake.on(REFINE, tool("remove_subconcept", {"title": "S2"}),
            tool("remove_subconcept", {"title": "Missing"}), text("Kept it."))
    ev = run(srv, c)
    assert names(ev) == ["diagnostic_status", "agent_start", "tool_call", "tool_result",
                         "tool_call", "tool_result", "agent_reasoning", "agent_done"]
    err = json.loads(ev[3][1]["summary"])
    assert err == {"error": 'Cannot remove "S2": the learner has started it; it is still '
                            'referenced by progress records'}
    assert json.loads(ev[5][1]["summary"]) == {"error": 'Subconcept not found: "Missing"'}
    assert titles(srv, c, "subconcept") == ["S1", "S2", "S3"]
    assert edges_of(srv, c) == {("S1", "S2"), ("S2", "S3")}


def test_run_validation_and_no_model(start_server, fake):
    srv = model_server(start_server, fake)
    t, a, c, d = path_graph(srv)
    url = f"/api/agents/concepts/{c['id']}/run"
    r = srv.request("POST", url, json={})
    assert (r.status, r.json) == (400, {"error": "userId is required"})
    r = srv.request("POST", url, body="{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = srv.request("POST", "/api/agents/concepts/nope/run", json={"userId": U})
    assert (r.status, r.json) == (404, {"error": "Concept node not found"})
    r = srv.request("POST", f"/api/agents/concepts/{t['id']}/run", json={"userId": U})
    assert (r.status, r.json) == (400, {"error": "Node must be type=concept"})
    r = srv.request("POST", url, json={"userId": "ghost"})
    assert (r.status, r.json) == (404, {"error": "User not found"})
    r = srv.request("OPTIONS", url, headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method":
                                             "POST", "Access-Control-Request-Headers":
                                             "content-type"})
    assert r.status == 204 and r.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert fake.requests == [] and count(srv, "assessments") == 0
    srv.stop()
    srv = start_server(**same_database(srv))                            # no model configured: at once
    r = srv.request("POST", url, json={"userId": U})
    assert r.status == 503 and "ANTHROPIC_API_KEY" in r.json["error"]
    assert r.headers["content-type"].startswith("application/json")


def test_pre_stream_failure_is_one_json_error(start_server, fake):
    srv = model_server(start_server, fake)
    t, a, c, d = path_graph(srv)
    fake.on(DIAGNOSTIC, fault(401))
    r = srv.request("POST", f"/api/agents/concepts/{c['id']}/run", json={"userId": U})
    assert r.status == 502 and r.headers["content-type"].startswith("application/json")
    assert r.json["error"].startswith("401 ")
    assert count(srv, "assessments") == 0 and count(srv, "nodes") == 4


# ---- faults during the refinement ----

def ready_concept(srv):
    t, a, c, d = path_graph(srv)
    node(srv, "S1", "subconcept", c)
    assessment, qs = two_questions(srv, c)
    answer(srv, assessment, qs[0], option="A")
    return c


def refinements(srv, c):
    return rows(srv, "SELECT * FROM node_generations WHERE node_id = ?", c["id"])


def test_refinement_model_error_is_agent_error(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, fault(400))
    ev = run(srv, c)
    assert names(ev) == ["diagnostic_status", "agent_start", "agent_error"]
    assert ev[2][1]["agent"] == "concept_refinement"
    assert ev[2][1]["message"].startswith("400 {")
    assert refinements(srv, c) == []                     # retried at the next visit
    fake.on(REFINE, text("ok"))
    assert names(run(srv, c))[-1] == "agent_done"


@pytest.mark.parametrize("first", [fault(429, headers={"retry-after": "0"}), fault(500),
                                   fault(529), fault("reset")])
def test_refinement_retries_transient_faults(start_server, fake, first):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, first, text("Recovered."))
    ev = run(srv, c)
    assert names(ev) == ["diagnostic_status", "agent_start", "agent_reasoning", "agent_done"]
    assert len(requests_matching(fake, REFINE)) == 2
    assert len(refinements(srv, c)) == 1


def test_malformed_and_unknown_tools(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, tool("add_subconcept", {"title": 7, "desc": "x"}),
            tool("add_subconcept", {"desc": "x"}), tool("nope", {}),
            tool("grade_student_answers", {}), text("done"))
    fake.on(GRADE, text("I cannot grade this."))
    ev = run(srv, c)
    res = [json.loads(d["summary"]) for e, d in ev if e == "tool_result"]
    assert res[0] == {"error": "title must be a non-empty string"}
    assert res[1] == {"error": "title must be a non-empty string"}
    assert res[2] == {"error": "Unknown tool: nope"}
    assert "error" in res[3]                               # the grader's reply is not JSON
    assert names(ev)[-1] == "agent_done"
    assert titles(srv, c, "subconcept") == ["S1"]


def test_model_that_never_stops_calling_tools(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.default = tool("get_current_subconcepts", {})
    ev = run(srv, c)
    assert names(ev).count("tool_call") == 15
    assert names(ev)[-1] == "agent_done"
    assert len(requests_matching(fake, REFINE)) == 15


def test_slow_model_reply(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, slow(1.5, text("Took a while.")))
    ev = run(srv, c)
    assert ev[-2][1]["text"] == "Took a while." and ev[-1][0] == "agent_done"


def test_client_disconnect_cancels_the_run(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, slow(2, tool("add_subconcept", {"title": "Late", "desc": "x"})),
            text("never asked"))
    conn, resp = open_stream(srv, f"/api/agents/concepts/{c['id']}/run", {"userId": U})
    seen = b""
    while b"agent_start" not in seen:
        chunk = resp.fp.read1(4096) if hasattr(resp.fp, "read1") else resp.read(1)
        assert chunk, seen
        seen += chunk
    fake.wait_requests(1)
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    time.sleep(3.5)
    assert len(fake.requests) == 1                         # no request after the cancel
    assert titles(srv, c, "subconcept") == ["S1"]          # and no write
    assert refinements(srv, c) == []


def test_two_identical_runs_share_one(start_server, fake):
    srv = model_server(start_server, fake)
    c = ready_concept(srv)
    fake.on(REFINE, slow(1, tool("add_subconcept", {"title": "Once", "desc": "x"})),
            text("done"))
    out = twice_at_once(lambda: run(srv, c))
    assert out[0] == out[1]
    assert names(out[0])[-1] == "agent_done"
    assert titles(srv, c, "subconcept") == ["S1", "Once"]
    assert len(requests_matching(fake, REFINE)) == 2
