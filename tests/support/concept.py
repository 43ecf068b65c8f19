"""tests/support/concept.py: helpers of the concept-agent e2e tests
(test_agents_concept.py, test_agents_review.py): a learning graph built through the REST routes
(edges written straight into the server's database: no route creates them), a learner's diagnostic,
SSE reading and parsing, and the model's canned diagnostic questions."""
import http.client
import json
import uuid

from conftest import DEFAULT_USER
from support.api import insertion_order, post

U = DEFAULT_USER
# Phrases of our prompt files that tell the fake model which call it is answering.
DIAGNOSTIC = "Write a diagnostic"
GRADE = "You grade the answers"
REFINE = "adaptive-learning agent of Sprout"
REVIEW = "You review a student's learning path"
BOOTSTRAP = "save_subconcept_edge"


def node(srv, title, type, parent=None, desc=None):
    body = {"userId": U, "type": type, "title": title}
    if parent:
        body["parentId"] = parent["id"]
    if desc:
        body["desc"] = desc
    return post(srv, "/api/nodes", body)


def edge(srv, a, b):
    srv.sql_exec("INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?, ?, ?)",
                 str(uuid.uuid4()), a["id"], b["id"])


def rows(srv, sql, *args):
    """Rows of `sql` (`?` placeholders) as dicts, from the server's database (either engine)."""
    return srv.sql(sql, *args)


def edges_of(srv, parent):
    """{(source title, target title)} of the edges among parent's children."""
    return {(r["s"], r["t"]) for r in rows(
        srv, "SELECT s.title AS s, t.title AS t FROM node_edges e "
             "JOIN nodes s ON s.id = e.source_node_id JOIN nodes t ON t.id = e.target_node_id "
             "WHERE s.parent_id = ? AND t.parent_id = ?", parent["id"], parent["id"])}


def titles(srv, parent, type):
    return [r["title"] for r in rows(srv, "SELECT title FROM nodes WHERE parent_id = ? AND type = ? "
                                          f"ORDER BY {insertion_order(srv)}", parent["id"], type)]


def diagnostic(srv, concept, questions):
    """A diagnostic for U with questions [(format, prompt, correct, options)]; returns
    (assessment, [question rows])."""
    a = post(srv, "/api/assessments", {"userId": U, "targetNodeId": concept["id"],
                                       "type": "diagnostic", "title": "Diagnostic for " +
                                       concept["title"]})
    qs = []
    for fmt, prompt, correct, options in questions:
        body = {"nodeId": concept["id"], "format": fmt, "prompt": prompt, "correctAnswer": correct,
                "difficulty": 2}
        if options:
            body["options"] = options
        qs.append(post(srv, f"/api/assessments/{a['id']}/questions", body))
    return a, qs


def answer(srv, a, q, text=None, option=None):
    body = {"userId": U, "questionId": q["id"]}
    if text is not None:
        body["answerText"] = text
    if option is not None:
        body["selectedOption"] = option
    return post(srv, f"/api/assessments/{a['id']}/answers", body)


def open_stream(srv, path, body, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    return c, c.getresponse()


def sse(srv, path, body, timeout=60):
    """POST and read to EOF: (status, headers, raw bytes)."""
    c, r = open_stream(srv, path, body, timeout)
    try:
        raw = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
    finally:
        c.close()


def parse_events(raw):
    """[(event, data)] of an SSE body; comment lines (keep-alive) are skipped; every frame must
    be exactly 'event: <name>' and 'data: <compact JSON>'."""
    out = []
    for frame in raw.decode("utf-8").split("\n\n"):
        lines = [l for l in frame.split("\n") if l and not l.startswith(":")]
        if not lines:
            continue
        assert len(lines) == 2 and lines[0].startswith("event: ") and \
            lines[1].startswith("data: "), frame
        out.append((lines[0][7:], json.loads(lines[1][6:])))
    return out


def run(srv, concept, user=U):
    status, headers, raw = sse(srv, f"/api/agents/concepts/{concept['id']}/run", {"userId": user})
    assert status == 200, raw
    assert headers["content-type"].startswith("text/event-stream")
    return parse_events(raw)


def names(events):
    return [e for e, _ in events]


def questions_json(n=10):
    qs = []
    for i in range(n):
        if i % 2 == 0:
            qs.append({"prompt": f"Question {i}?", "format": "mcq",
                       "options": ["A", "B", "C", "D"], "correctAnswer": "B",
                       "difficulty": 1 + i // 3})
        else:
            qs.append({"prompt": f"Explain {i}.", "format": "open_ended",
                       "correctAnswer": f"Answer {i}", "difficulty": 3})
    return "```json\n" + json.dumps(qs) + "\n```"
