"""tests/e2e/test_agents_review.py: POST /api/agents/nodes/:nodeId/review end to end against the
fake model server: the JSON shapes for no_change and updated, at concept and subconcept level,
the deterministic insertion (spec §9.4, §9.5) with its generation record, the overview the
prompt carries, maxAdditions, validation and model failure."""
import json

import pytest

from support.api import count, same_database, twice_at_once
from support.concept import (REVIEW, U, answer, diagnostic, edge, edges_of, node, rows, titles)
from support.fake_model import fault, slow, text

pytestmark = pytest.mark.both_engines


@pytest.fixture
def fake(fake_model):
    return fake_model


def chain(srv):
    t = node(srv, "Topic T", "root")
    a = node(srv, "A", "concept", t, desc="first")
    b = node(srv, "B", "concept", t)
    c = node(srv, "C", "concept", t)
    edge(srv, a, b)
    edge(srv, b, c)
    return t, a, b, c


def review(srv, n, **body):
    return srv.request("POST", f"/api/agents/nodes/{n['id']}/review", json={"userId": U, **body})


def prompt_of(req):
    m = req.json["messages"][0]["content"]
    return m if isinstance(m, str) else m[0]["text"]


def test_no_change_at_concept_level(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    fake.on(REVIEW, text('{"should_add": false, "notes": "Fine as is."}'))
    before = count(srv, "nodes")
    r = review(srv, a)
    assert r.status == 200, r
    assert r.text == json.dumps({
        "agent": "path_review", "status": "no_change", "nodeId": a["id"], "level": "concept",
        "decision": {"should_add": False, "notes": "Fine as is.", "concept_additions": [],
                     "subconcept_additions": []},
        "insertedNodes": [], "createdEdges": []}, separators=(",", ":"))
    assert count(srv, "nodes") == before and count(srv, "node_generations") == 0
    (req,) = fake.requests
    assert req.json["max_tokens"] == 2048 and "tools" not in req.json
    p = prompt_of(req)
    assert "Topic T" in p and "No additional overview available." in p
    assert '"title": "B"' in p and '"source": "A"' in p and "at most 2 node(s)" in p


def test_updated_at_concept_level(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    r = srv.request("POST", "/api/progress", json={"userId": U, "nodeId": a["id"]})
    assert r.status in (200, 201)
    asm, qs = diagnostic(srv, a, [("mcq", "Q one", "x", ["x", "y"]), ("mcq", "Q two", "x", ["x", "y"])])
    answer(srv, asm, qs[0], option="x")
    decision = {"should_add": True, "notes": "Needs practice.", "concept_additions": [
        {"title": "A2", "desc": "more of A", "insert_after": "A", "reason": "r1"},
        {"title": " b ", "desc": "a duplicate of B", "insert_after": "A", "reason": "dup"},
        {"title": "A3", "desc": "even more", "insert_after": "a", "reason": "r3"},
        {"title": "A4", "desc": "beyond maxAdditions", "insert_after": "A", "reason": "r4"}]}
    fake.on(REVIEW, text("```json\n" + json.dumps(decision) + "\n```"))
    r = review(srv, a, overview="  Likes examples  ", maxAdditions=3)
    assert r.status == 200, r
    body = r.json
    assert list(body) == ["agent", "status", "nodeId", "level", "decision", "insertedNodes",
                          "createdEdges"]
    assert body["status"] == "updated" and body["level"] == "concept"
    assert body["decision"]["concept_additions"] == decision["concept_additions"][:3]
    assert body["decision"]["subconcept_additions"] == []
    assert [n["title"] for n in body["insertedNodes"]] == ["A2", "A3"]
    for n in body["insertedNodes"]:
        assert n["type"] == "concept" and n["parentId"] == t["id"] and n["userId"] == U
    # A3 chains after A2 (both after A): A -> A2 -> A3 -> B -> C
    assert body["createdEdges"] == [{"source": "A", "target": "A2"}, {"source": "A2", "target": "B"},
                                    {"source": "A2", "target": "A3"}, {"source": "A3", "target": "B"}]
    assert edges_of(srv, t) == {("A", "A2"), ("A2", "A3"), ("A3", "B"), ("B", "C")}
    (gen,) = rows(srv, "SELECT * FROM node_generations WHERE node_id = ?", a["id"])
    assert gen["trigger"] == "manual_regenerate" and gen["model"] == "fake-model"
    assert gen["prompt"] == "Post-completion concept review for: A"
    assert json.loads(gen["response_meta"]) == {"mode": "path_review_agent", "level": "concept",
                                                "insertedCount": 2,
                                                "insertedTitles": ["A2", "A3"],
                                                "notes": "Needs practice."}
    p = prompt_of(fake.requests[0])
    assert "User overview: Likes examples\n" in p
    assert "Progress: masteryScore=0, attempts=1, completedAt=null" in p
    assert "Current node diagnostic: overallScore=1, answered=1/2" in p
    assert "Strengths: Q one" in p and "at most 3 node(s)" in p


def test_updated_at_subconcept_level(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    s1 = node(srv, "S1", "subconcept", b)
    s2 = node(srv, "S2", "subconcept", b)
    edge(srv, s1, s2)
    fake.on(REVIEW, text(json.dumps({"should_add": 1, "notes": None, "subconcept_additions": [
        {"title": "Bridge", "desc": "between", "depends_on": ["s1"], "unlocks": ["S2"],
         "reason": "gap"},
        {"title": "Extra", "desc": "no links given"}]})))
    r = review(srv, s1)
    assert r.status == 200, r
    body = r.json
    assert body["status"] == "updated" and body["level"] == "subconcept"
    assert body["decision"]["should_add"] is True and body["decision"]["notes"] is None
    assert [n["title"] for n in body["insertedNodes"]] == ["Bridge", "Extra"]
    assert all(n["type"] == "subconcept" and n["parentId"] == b["id"]
               for n in body["insertedNodes"])
    assert body["createdEdges"] == [{"source": "S1", "target": "Bridge"},
                                    {"source": "Bridge", "target": "S2"},
                                    {"source": "S1", "target": "Extra"}]
    assert edges_of(srv, b) == {("S1", "Bridge"), ("Bridge", "S2"), ("S1", "Extra")}
    assert titles(srv, b, "subconcept") == ["S1", "S2", "Bridge", "Extra"]
    p = prompt_of(fake.requests[0])
    assert "Topic T" in p and "Parent concept: B" in p
    (gen,) = rows(srv, "SELECT * FROM node_generations WHERE node_id = ?", s1["id"])
    assert gen["prompt"] == "Post-completion subconcept review for: S1"


def test_no_change_when_every_addition_is_a_duplicate(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    fake.on(REVIEW, text(json.dumps({"should_add": True, "notes": "x", "concept_additions": [
        {"title": "B", "desc": "again"}, {"title": "", "desc": "blank"}, {"desc": "no title"}]})))
    r = review(srv, b)
    assert r.status == 200 and r.json["status"] == "no_change"
    assert r.json["insertedNodes"] == [] and r.json["createdEdges"] == []
    assert count(srv, "node_generations") == 0 and count(srv, "nodes") == 4


def test_review_validation_and_failures(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    r = srv.request("POST", f"/api/agents/nodes/{a['id']}/review", json={})
    assert (r.status, r.json) == (400, {"error": "userId is required"})
    r = srv.request("POST", "/api/agents/nodes/nope/review", json={"userId": U})
    assert (r.status, r.json) == (404, {"error": "Node not found"})
    r = srv.request("POST", f"/api/agents/nodes/{t['id']}/review", json={"userId": U})
    assert (r.status, r.json) == (400, {"error": "Review agent supports only concept or "
                                                 "subconcept nodes"})
    r = srv.request("POST", f"/api/agents/nodes/{a['id']}/review", json={"userId": "ghost"})
    assert (r.status, r.json) == (404, {"error": "User not found"})
    assert fake.requests == []
    fake.on(REVIEW, fault(400), text("[1, 2]"))
    r = srv.request("POST", f"/api/agents/nodes/{a['id']}/review", json={"userId": U})
    assert r.status == 502 and r.json["error"].startswith("400 ")
    r = srv.request("POST", f"/api/agents/nodes/{a['id']}/review", json={"userId": U})
    assert r.status == 502 and "JSON object" in r.json["error"]
    assert count(srv, "nodes") == 4
    srv.stop()
    srv = start_server(**same_database(srv))                            # no model configured
    r = srv.request("POST", f"/api/agents/nodes/{a['id']}/review", json={"userId": U})
    assert r.status == 503 and "ANTHROPIC_API_KEY" in r.json["error"]


def test_two_identical_reviews_share_one_run(start_server, fake):
    srv = start_server(env=fake.env())
    t, a, b, c = chain(srv)
    decision = {"should_add": True, "notes": "n", "concept_additions": [
        {"title": "Once", "desc": "d", "insert_after": "A"}]}
    fake.on(REVIEW, slow(1, text(json.dumps(decision))), text(json.dumps(decision)))
    out = twice_at_once(lambda: review(srv, a, overview="same"), join_timeout=30)
    assert out[0].status == out[1].status == 200
    assert out[0].json == out[1].json and out[0].json["status"] == "updated"
    assert len(fake.requests) == 1 and count(srv, "nodes") == 5
    # a different body is another review
    r = review(srv, a, overview="different")
    assert r.status == 200 and len(fake.requests) == 2
    assert r.json["status"] == "no_change"                # "Once" exists now: a duplicate
