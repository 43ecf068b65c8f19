"""tests/e2e/test_assessments.py: assessments, questions and answers over HTTP (spec/api.md §8,
decisions in docs/API.md): shapes, list order per filter, patch rules, JSON-in-text fields,
answer coercions, auto-completion, bad input. On SQLite and PostgreSQL (both_engines)."""
import re

import pytest

from conftest import DEFAULT_USER
from support.api import a_node, add_user, count, post

pytestmark = pytest.mark.both_engines

U = DEFAULT_USER
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
A_KEYS = ["id", "userId", "targetNodeId", "type", "title", "createdAt", "completedAt"]
Q_KEYS = ["id", "assessmentId", "nodeId", "format", "prompt", "options", "correctAnswer",
          "gradingRubric", "difficulty", "createdAt"]
ANS_KEYS = ["id", "userId", "assessmentId", "questionId", "answerText", "selectedOption",
            "isCorrect", "score", "feedback", "createdAt"]


def concept_node(srv, title="n"):
    return a_node(srv, title, type="concept")


def test_create_get_shape(server):
    n = concept_node(server)
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"], "type": "",
                                          "title": "", "completedAt": "x"})
    assert list(a) == A_KEYS
    assert a["type"] == "diagnostic" and a["title"] is None and a["completedAt"] is None
    assert server.request("GET", f"/api/assessments/{a['id']}").json == a
    r = server.request("GET", "/api/assessments/nope")
    assert r.status == 404 and r.json == {"error": "Assessment not found"}


def test_create_bad_input(server):
    n = concept_node(server)
    for body in ({}, {"userId": U}, {"targetNodeId": n["id"]}, {"userId": "", "targetNodeId": "x"}):
        r = server.request("POST", "/api/assessments", json=body)
        assert r.status == 400 and r.json == {"error": "userId and targetNodeId are required"}
    r = server.request("POST", "/api/assessments", json={"userId": U, "targetNodeId": n["id"],
                                                         "type": "exam"})
    assert r.status == 400 and r.json == {"error": "type must be one of: diagnostic, quiz, recall"}
    r = server.request("POST", "/api/assessments", json={"userId": U, "targetNodeId": "gone"})
    assert r.status == 404 and r.json == {"error": "targetNodeId gone not found"}
    assert count(server, "assessments") == 0


def test_list_order(server):
    other = add_user(server, "other-user")
    n1, n2 = concept_node(server, "1"), concept_node(server, "2")
    ids_sorted = sorted([n1["id"], n2["id"]])
    first, second = (n1, n2) if n1["id"] == ids_sorted[0] else (n2, n1)
    x1 = post(server, "/api/assessments", {"userId": U, "targetNodeId": second["id"], "type": "quiz"})
    x2 = post(server, "/api/assessments", {"userId": U, "targetNodeId": first["id"], "type": "recall"})
    x3 = post(server, "/api/assessments", {"userId": U, "targetNodeId": second["id"]})
    x4 = post(server, "/api/assessments", {"userId": other, "targetNodeId": first["id"]})
    x5 = post(server, "/api/assessments", {"userId": U, "targetNodeId": first["id"], "type": "quiz"})
    ids = lambda r: [x["id"] for x in r.json]
    assert ids(server.request("GET", "/api/assessments")) == [x["id"] for x in (x1, x2, x3, x4, x5)]
    assert ids(server.request("GET", "/api/assessments?type=quiz&userId=")) == \
        [x["id"] for x in (x1, x2, x3, x4, x5)]
    assert ids(server.request("GET", f"/api/assessments?targetNodeId={first['id']}")) == \
        [x["id"] for x in (x2, x4, x5)]
    # userId: by targetNodeId, then type, then insertion
    assert ids(server.request("GET", f"/api/assessments?userId={U}")) == \
        [x["id"] for x in (x5, x2, x3, x1)]
    assert ids(server.request("GET", f"/api/assessments?userId={U}&targetNodeId={second['id']}")) == \
        [x["id"] for x in (x3, x1)]


def test_patch(server):
    n = concept_node(server)
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"]})
    path = f"/api/assessments/{a['id']}"
    r = server.request("PATCH", path, json={})
    assert r.status == 400 and r.json == {"error": "No values to set"}
    r = server.request("PATCH", "/api/assessments/nope", json={})
    assert r.status == 404 and r.json == {"error": "Assessment not found"}
    r = server.request("PATCH", "/api/assessments/nope", json={"title": "x"})
    assert r.status == 404 and r.json == {"error": "Assessment not found"}
    r = server.request("PATCH", path, json={"completedAt": "2026-11-25T18:45:03.000Z", "type": "quiz"})
    assert r.status == 200 and r.json["completedAt"] == "2026-11-25T18:45:03.000Z"
    assert r.json["type"] == "diagnostic" and r.json["title"] is None
    r = server.request("PATCH", path, json={"completedAt": None, "title": "T"})
    assert r.status == 200 and r.json["completedAt"] is None and r.json["title"] == "T"
    r = server.request("PATCH", path, json={"completedAt": 12345})
    assert r.status == 400 and "completedAt" in r.json["error"]
    assert server.request("GET", path).json["title"] == "T"


def test_questions(server):
    n = concept_node(server)
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"]})
    path = f"/api/assessments/{a['id']}/questions"
    q = post(server, path, {"format": "mcq", "prompt": "2+2?", "options": ["3", "4"],
                            "correctAnswer": "4", "gradingRubric": {"points": 1}, "nodeId": n["id"]})
    assert list(q) == Q_KEYS
    assert q["options"] == '["3","4"]' and q["gradingRubric"] == '{"points":1}'
    assert q["difficulty"] == 1 and q["nodeId"] == n["id"] and q["assessmentId"] == a["id"]
    q2 = post(server, path, {"format": "open_ended", "prompt": "why", "options": "x",
                             "difficulty": 3, "nodeId": "", "correctAnswer": ""})
    assert q2["options"] == '"x"' and q2["difficulty"] == 3 and q2["nodeId"] is None
    assert q2["correctAnswer"] is None and q2["gradingRubric"] is None
    q3 = post(server, path, {"format": "mcq", "prompt": "p", "difficulty": 0, "options": []})
    assert q3["difficulty"] == 1 and q3["options"] == "[]"
    r = server.request("GET", path)
    assert [x["id"] for x in r.json] == [q["id"], q2["id"], q3["id"]]
    assert server.request("GET", "/api/assessments/nope/questions").json == []
    for body in ({}, {"format": "mcq"}, {"prompt": "p"}, {"format": "", "prompt": "p"}):
        r = server.request("POST", path, json=body)
        assert r.status == 400 and r.json == {"error": "format and prompt are required"}
    r = server.request("POST", path, json={"format": "essay", "prompt": "p"})
    assert r.status == 400 and r.json == {"error": "format must be one of: mcq, open_ended"}
    r = server.request("POST", path, json={"format": "mcq", "prompt": "p", "difficulty": 9.5})
    assert r.status == 400 and "difficulty" in r.json["error"]
    r = server.request("POST", path, json={"format": "mcq", "prompt": "p", "difficulty": "2"})
    assert r.status == 400 and "difficulty" in r.json["error"]
    r = server.request("POST", "/api/assessments/nope/questions", json={"format": "mcq", "prompt": "p"})
    assert r.status == 404 and r.json == {"error": "Assessment not found"}
    r = server.request("POST", path, json={"format": "mcq", "prompt": "p", "nodeId": "zz"})
    assert r.status == 404 and r.json == {"error": "nodeId zz not found"}
    assert count(server, "questions") == 3


def test_answers_and_auto_completion(server):
    other = add_user(server, "other-user")
    n = concept_node(server)
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"]})
    qs = [post(server, f"/api/assessments/{a['id']}/questions", {"format": "mcq", "prompt": str(i)})
          for i in range(2)]
    path = f"/api/assessments/{a['id']}/answers"
    ans = post(server, path, {"userId": U, "questionId": qs[0]["id"], "answerText": None,
                              "selectedOption": "4", "isCorrect": True, "score": 1, "feedback": None})
    assert list(ans) == ANS_KEYS
    assert ans["isCorrect"] is True and ans["score"] == 1 and ans["selectedOption"] == "4"
    assert ans["answerText"] is None and ans["assessmentId"] == a["id"]
    assert server.request("GET", f"/api/assessments/{a['id']}").json["completedAt"] is None
    # another user's answer does not complete it for us
    post(server, path, {"userId": other, "questionId": qs[1]["id"]})
    assert server.request("GET", f"/api/assessments/{a['id']}").json["completedAt"] is None
    last = post(server, path, {"userId": U, "questionId": qs[1]["id"], "answerText": "",
                               "isCorrect": False, "score": 0, "feedback": ""})
    assert last["isCorrect"] is False and last["score"] == 0
    assert last["answerText"] is None and last["feedback"] is None
    done = server.request("GET", f"/api/assessments/{a['id']}").json["completedAt"]
    assert ISO_TS.match(done)
    # a duplicate answer is kept and does not touch completedAt again
    post(server, path, {"userId": U, "questionId": qs[1]["id"], "isCorrect": 0, "score": 0.25})
    assert server.request("GET", f"/api/assessments/{a['id']}").json["completedAt"] == done
    r = server.request("GET", path + f"?userId={U}")
    assert [x["questionId"] for x in r.json] == [qs[0]["id"], qs[1]["id"], qs[1]["id"]]
    assert r.json[2]["isCorrect"] is False and r.json[2]["score"] == 0.25
    assert len(server.request("GET", path).json) == 4
    assert len(server.request("GET", path + "?").json) == 4
    assert server.request("GET", "/api/assessments/nope/answers").json == []


def test_answer_bad_input(server):
    n = concept_node(server)
    a = post(server, "/api/assessments", {"userId": U, "targetNodeId": n["id"]})
    q = post(server, f"/api/assessments/{a['id']}/questions", {"format": "mcq", "prompt": "p"})
    path = f"/api/assessments/{a['id']}/answers"
    for body in ({}, {"userId": U}, {"questionId": q["id"]}, {"userId": U, "questionId": ""}):
        r = server.request("POST", path, json=body)
        assert r.status == 400 and r.json == {"error": "userId and questionId are required"}
    for bad in ({"isCorrect": "no"}, {"isCorrect": 2}, {"score": "0.5"}, {"answerText": 5}):
        r = server.request("POST", path, json={"userId": U, "questionId": q["id"], **bad})
        assert r.status == 400 and list(bad)[0] in r.json["error"], bad
    r = server.request("POST", path, json={"userId": U, "questionId": "qq"})
    assert r.status == 404 and r.json == {"error": "questionId qq not found"}
    r = server.request("POST", "/api/assessments/nope/answers", json={"userId": U, "questionId": q["id"]})
    assert r.status == 404 and r.json == {"error": "Assessment not found"}
    r = server.request("POST", path, body="{\"userId\":", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert count(server, "answers") == 0
    assert server.request("GET", f"/api/assessments/{a['id']}").json["completedAt"] is None
