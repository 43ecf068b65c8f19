"""tests/e2e/test_fixture_db.py: a database made by the original app (the drizzle-migrated
fixture, before migration 0003) is served without change: rows seeded in the original's
shapes with Python's sqlite3, then `sprout serve` migrates the copy at start and every route
returns those rows as the original would (node_contents gain cards "[]" from 0003)."""
import pytest
import shutil
import sqlite3

from conftest import DATA, DEFAULT_USER

pytestmark = pytest.mark.sqlite_only("databases made by drizzle's SQLite tooling")

U = DEFAULT_USER
FIXTURE = DATA / "fixtures" / "sprout-migrated-by-drizzle-history.db"
T0 = "2026-01-02 03:04:05"


def seed(db):
    with sqlite3.connect(db) as c:
        cols = [r[1] for r in c.execute("PRAGMA table_info(node_contents)")]
        assert "cards" not in cols  # the fixture predates migration 0003
        c.executescript(f"""
        INSERT INTO users (id, email, title) VALUES ('{U}', 'default@sprout.local', 'Default Learner');
        INSERT INTO branches (id, title, user_id, created_at, updated_at)
            VALUES ('b1', 'Linear Algebra', '{U}', '{T0}', '2026-01-02T03:04:06.789Z');
        INSERT INTO nodes (id, user_id, type, branch_id, parent_id, title, "desc", accuracy_score,
                           created_at, updated_at)
            VALUES ('root', '{U}', 'root', 'b1', NULL, 'Linear Algebra', NULL, 0, '{T0}', '{T0}'),
                   ('c1', '{U}', 'concept', 'b1', 'root', 'Vectors', 'd', 0.25, '{T0}', '{T0}'),
                   ('c2', '{U}', 'concept', 'b1', 'root', 'Matrices', '', 1, '{T0}', '{T0}'),
                   ('s1', '{U}', 'subconcept', 'b1', 'c1', 'Dot product', NULL, 0, '{T0}', '{T0}');
        INSERT INTO node_edges (id, source_node_id, target_node_id, created_at)
            VALUES ('e1', 'c1', 'c2', '{T0}');
        INSERT INTO node_contents (id, node_id, explanation_md, visualization_kind,
                                   visualization_payload, generated_by_model,
                                   generation_prompt_hash, status, created_at)
            VALUES ('nc1', 's1', '# Dot', 'mermaid', 'graph TD', 'model-x', 'h', 'active', '{T0}');
        INSERT INTO assessments (id, user_id, target_node_id, type, title, created_at, completed_at)
            VALUES ('a1', '{U}', 'c1', 'diagnostic', NULL, '{T0}', NULL);
        INSERT INTO questions (id, assessment_id, node_id, format, prompt, options, correct_answer,
                               grading_rubric, difficulty, created_at)
            VALUES ('q1', 'a1', 'c1', 'mcq', '2+2?', '["3","4"]', '4', NULL, 2, '{T0}');
        INSERT INTO answers (id, user_id, assessment_id, question_id, answer_text, selected_option,
                             is_correct, score, feedback, created_at)
            VALUES ('an1', '{U}', 'a1', 'q1', NULL, '4', 1, 1, NULL, '{T0}'),
                   ('an2', '{U}', 'a1', 'q1', 'x', NULL, 0, 0.5, 'f', '{T0}');
        INSERT INTO user_node_progress (id, user_id, node_id, first_entered_at, last_entered_at,
                                        completed_at, mastery_score, attempts_count,
                                        has_generated_subnodes, created_at, updated_at)
            VALUES ('p1', '{U}', 'c1', '2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.000Z',
                    NULL, 0.8, 3, 1, '{T0}', '{T0}');
        INSERT INTO chat_sessions (id, user_id, node_id, started_at, ended_at)
            VALUES ('cs1', '{U}', 's1', '{T0}', NULL);
        INSERT INTO chat_messages (id, session_id, user_id, role, kind, content, was_successful,
                                   success_signal, created_at)
            VALUES ('m1', 'cs1', '{U}', 'assistant', 'learning', 'Hello', NULL, NULL, '{T0}'),
                   ('m2', 'cs1', '{U}', 'user', 'learning', '[ANSWER] 4', 1, '{{"score":1}}', '{T0}');
        INSERT INTO hint_events (id, user_id, node_id, session_id, request_message_id,
                                 response_message_id, referenced_success_message_ids, created_at)
            VALUES ('h1', '{U}', 's1', 'cs1', 'm2', NULL, '["m2"]', '{T0}');
        """)


def test_original_database_is_served(start_server, tmp_path):
    db = tmp_path / "original.db"
    shutil.copy(FIXTURE, db)
    seed(db)
    srv = start_server(db=db)
    g = lambda p: srv.request("GET", p)
    r = g(f"/api/branches?userId={U}")
    assert r.status == 200 and r.json == [{"id": "b1", "title": "Linear Algebra", "userId": U,
                                           "createdAt": T0,
                                           "updatedAt": "2026-01-02T03:04:06.789Z"}]
    nodes = g(f"/api/nodes?userId={U}").json
    assert [n["id"] for n in nodes] == ["c1", "c2", "root", "s1"]
    assert nodes[0] == {"id": "c1", "userId": U, "type": "concept", "branchId": "b1",
                        "parentId": "root", "title": "Vectors", "desc": "d", "accuracyScore": 0.25,
                        "createdAt": T0, "updatedAt": T0}
    assert nodes[1]["desc"] == "" and nodes[1]["accuracyScore"] == 1
    assert g("/api/nodes/root/dependency-edges?childType=concept").json == [
        {"id": "e1", "sourceNodeId": "c1", "targetNodeId": "c2", "createdAt": T0}]
    # migration 0003 gave the pre-existing content row cards "[]", in its schema position
    r = g("/api/nodes/s1/contents/active")
    assert r.text == ('{"id":"nc1","nodeId":"s1","explanationMd":"# Dot","visualizationKind":'
                      '"mermaid","visualizationPayload":"graph TD","cards":"[]",'
                      '"generatedByModel":"model-x","generationPromptHash":"h","status":"active",'
                      f'"createdAt":"{T0}"}}')
    q = g("/api/assessments/a1/questions").json
    assert q[0]["options"] == '["3","4"]' and q[0]["difficulty"] == 2
    ans = g(f"/api/assessments/a1/answers?userId={U}").json
    assert [(a["isCorrect"], a["score"]) for a in ans] == [(True, 1), (False, 0.5)]
    p = g(f"/api/progress?userId={U}").json
    assert p == [{"id": "p1", "userId": U, "nodeId": "c1",
                  "firstEnteredAt": "2026-01-02T03:04:05.000Z",
                  "lastEnteredAt": "2026-01-02T03:04:05.000Z", "completedAt": None,
                  "masteryScore": 0.8, "attemptsCount": 3, "hasGeneratedSubnodes": True,
                  "createdAt": T0, "updatedAt": T0}]
    msgs = g("/api/chat/sessions/cs1/messages").json
    assert [m["id"] for m in msgs] == ["m1", "m2"]
    assert msgs[1]["wasSuccessful"] is True and msgs[1]["successSignal"] == '{"score":1}'
    assert msgs[0]["wasSuccessful"] is None
    h = g("/api/chat/hints").json
    assert h[0]["referencedSuccessMessageIds"] == '["m2"]'
    # writes work on the migrated file, and the original rows take part in them
    r = srv.request("POST", "/api/progress", json={"userId": U, "nodeId": "c1"})
    assert r.status == 200 and r.json["attemptsCount"] == 4
    r = srv.request("POST", "/api/nodes/s1/contents", json={"explanationMd": "new"})
    assert r.status == 201 and r.json["cards"] is None
    assert g("/api/nodes/s1/contents/active").json["id"] == "nc1"
    assert srv.request("DELETE", "/api/branches/b1").status == 204
    with sqlite3.connect(db) as c:
        for t in ("nodes", "node_contents", "answers", "chat_messages", "hint_events"):
            assert c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0, t
        assert c.execute("SELECT count(*) FROM users").fetchone()[0] == 1
