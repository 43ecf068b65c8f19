"""tests/e2e/test_agents_journey.py: one whole learner journey through every agent route, with
each provider format, against the fake model server: topic run (concepts, subconcepts, edges,
a diagnostic question) -> diagnostic from the database -> the learner's answer -> concept run
(grading and refinement) -> tutor turns with a drawing -> progress and the session's end.
The details of each step are tested in test_agents_topic/concept/review/tutor.py; this test
checks that the steps fit together: what one agent writes is what the next one reads."""
import json

import pytest

from conftest import DEFAULT_USER as U
from support.concept import GRADE, REFINE, parse_events, rows, sse
from support.documents import make_node
from support.fake_model import block_text, block_tool, text, tool, turn

pytestmark = pytest.mark.both_engines

TOPIC_RULE = "curriculum designer"          # only the topic agent's system prompt says this
QUESTION = {"prompt": "What is 2+2?", "format": "mcq", "options": ["1", "2", "3", "4"],
            "correct_answer": "4", "difficulty": 1}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" + "A" * 200_000 + "=="


def events_of(srv, path):
    status, headers, raw = sse(srv, path, {"userId": U})
    assert status == 200 and headers["content-type"].startswith("text/event-stream"), raw[:300]
    return parse_events(raw)


def tutor(srv, session, content, **extra):
    r = srv.request("POST", f"/api/chat/sessions/{session}/tutor",
                    json={"userId": U, "content": content, **extra}, timeout=60)
    assert r.status == 200, r
    return r.json


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_learner_journey(start_server, fake_model, provider):
    fake = fake_model
    srv = start_server(env=fake.env(provider))
    branch, topic = make_node(srv, "Arithmetic")

    # 1. topic run: one concept, bootstrapped with a question, two subconcepts and an edge
    fake.on(TOPIC_RULE, tool("save_concept", {"title": "Addition", "desc": "Adding numbers."}),
            text("A one-step path."))
    fake.on("Concept: Addition", tool("save_diagnostic_question", QUESTION),
            tool("save_subconcept", {"title": "Counting on", "desc": "Add by counting."}),
            tool("save_subconcept", {"title": "Number bonds", "desc": "Pairs that make 10."}),
            tool("save_subconcept_edge", {"source_title": "Counting on",
                                          "target_title": "Number bonds"}),
            text("Structure ready."))
    ev = events_of(srv, f"/api/agents/topics/{topic}/run")
    assert ev[0] == ("agent_start", {"agent": "topic"})
    assert ev[-1][0] == "agent_done" and ev[-1][1]["conceptCount"] == 1
    assert not [e for e in ev if e[0] == "agent_error"]
    [concept] = srv.request("GET", f"/api/nodes/{topic}/children").json
    subs = srv.request("GET", f"/api/nodes/{concept['id']}/children").json
    assert [s["title"] for s in subs] == ["Counting on", "Number bonds"]
    first_sub = subs[0]
    assert fake.pending() == 0
    n_calls = len(fake.requests)

    # 2. the diagnostic the bootstrap wrote answers from the database (no model call)
    r = srv.request("GET", f"/api/agents/concepts/{concept['id']}/diagnostic?userId={U}")
    assert r.status == 200, r
    diag = r.json
    assert diag["requiredAnswers"] == 1 and diag["answeredCount"] == 0
    assert len(fake.requests) == n_calls
    [q] = diag["questions"]
    assert q["prompt"] == "What is 2+2?"

    # 3. the learner answers (the client computes isCorrect / score)
    r = srv.request("POST", f"/api/assessments/{diag['assessment']['id']}/answers",
                    json={"userId": U, "questionId": q["id"], "selectedOption": "4",
                          "isCorrect": True, "score": 1})
    assert r.status == 201, r

    # 4. concept run: the subconcepts exist (no bootstrap); refinement grades and keeps the path
    fake.on(GRADE, text(json.dumps([{"questionId": q["id"], "isCorrect": True, "score": 1,
                                     "feedback": "Right."}])))
    fake.on(REFINE, tool("grade_student_answers", {}), tool("validate_graph", {}),
            text("The learner is ready; no change."))
    ev = events_of(srv, f"/api/agents/concepts/{concept['id']}/run")
    assert ev[0][0] == "diagnostic_status" and ev[0][1]["answeredCount"] == 1
    assert [e for e, _ in ev[1:]] == ["agent_start", "tool_call", "tool_result", "tool_call",
                                      "tool_result", "agent_reasoning", "agent_done"]
    assert ev[-1][1]["agent"] == "concept_refinement"
    assert fake.pending() == 0
    [graded] = rows(srv, "SELECT * FROM answers")
    assert (graded["is_correct"], graded["score"], graded["feedback"]) == (1, 1, "Right.")

    # 5. the tutor on the first subconcept: start, an answer with a drawing, completion
    r = srv.request("POST", "/api/chat/sessions", json={"userId": U, "nodeId": first_sub["id"]})
    session = r.json["id"]
    fake.script(
        turn(block_text("Checking first."), block_tool("check_student_progress", {}, id="p1"),
             block_tool("check_prerequisite_mastery", {}, id="m1")),
        text("Counting on means starting from the bigger number.\n\nQuestion Type: draw\n\n"
             "Question:\nDraw how you count on from 7 to 10."),
        tool("record_exercise_result", {"exercise_prompt": "Count on from 7 to 10",
                                        "student_answer": "drawing of 8, 9, 10",
                                        "is_correct": True, "score": 1, "feedback": "Good."}),
        text("Perfect drawing! [ADVANCE_CHUNK]\n\nQuestion Type: text\n\nQuestion:\n"
             "What is 6 + 3 by counting on?"),
        text("Yes, 9. You can count on now. [COMPLETE]"))
    r = tutor(srv, session, "")
    assert r["toolsUsed"] == ["check_student_progress", "check_prerequisite_mastery"]
    # the tutor read what the concept run graded (the diagnostic of the parent concept)
    results = {}
    for m in fake.requests[-1].json["messages"]:
        if m.get("role") == "tool":
            results[m["tool_call_id"]] = m["content"]
        elif isinstance(m.get("content"), list):
            results.update({b["tool_use_id"]: b["content"] for b in m["content"]
                            if b.get("type") == "tool_result"})
    assert json.loads(results["p1"]) == {"diagnosticScore": 1, "totalQuestions": 1,
                                         "incorrectQuestions": [], "weakAreas": []}
    assert json.loads(results["m1"])["allMastered"] is True
    r = tutor(srv, session, "[ANSWER]\nMode: draw\n[Drawing image attached]",
              drawingImageDataUrl="data:image/png;base64," + PNG)
    assert r["message"].startswith("Perfect drawing!") and not r["isComplete"]
    sent = json.dumps(fake.requests[-2].json["messages"][-1])
    assert PNG in sent
    r = tutor(srv, session, "[ANSWER]\nMode: text\n9")
    assert r == {"message": "Yes, 9. You can count on now.", "isComplete": True, "toolsUsed": [],
                 "reasoning": []}

    # 6. progress: the exercise unlocked the subconcept, the session ended, the cards are there
    [p] = srv.request("GET", f"/api/progress?userId={U}&nodeId={first_sub['id']}").json
    assert p["masteryScore"] == 1 and p["attemptsCount"] == 1
    s = [x for x in srv.request("GET", f"/api/chat/sessions?userId={U}").json if x["id"] == session]
    assert s[0]["endedAt"]
    cards = json.loads(srv.request("GET", f"/api/nodes/{first_sub['id']}/contents/active").json["cards"])
    assert [c["questionType"] for c in cards] == ["draw", "text"]
    listed = srv.request("GET", f"/api/chat/sessions/{session}/messages").json
    assert [(m["role"], m["kind"]) for m in listed if m["role"] != "tool"] == [
        ("assistant", "learning"), ("user", "evaluation"), ("assistant", "learning"),
        ("user", "evaluation"), ("assistant", "learning")]
    assert fake.pending() == 0
