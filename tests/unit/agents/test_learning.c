/* tests/unit/agents/test_learning.c: the concept agents' deterministic helpers
 * (agents/learning.c): rounding, score normalisation, JavaScript trim on UTF-8, latest answers,
 * the diagnostic summary, validate_graph, future concepts, history and the review's plans. */
#include "agents/learning.h"

#include <stdlib.h>

#include "support/check.h"
#include "util/jsonw.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
    return v;
}

/* compact JavaScript JSON of v (static buffer per call site is enough for the checks) */
static char *dump(const json_t *v)
{
    struct buf b = BUF_INIT(0);
    jsonw_dump(&b, v, 0);
    return buf_detach(&b);
}

#define CHECK_JSON(v, expect)     \
    do {                          \
        char *s_ = dump(v);       \
        CHECK_STR_EQ(s_, expect); \
        free(s_);                 \
    } while (0)

static void test_round_normalize(void)
{
    CHECK(learning_round3(2.0 / 3.0) == 0.667);
    CHECK(learning_round3(1.0) == 1.0);
    CHECK(learning_round3(0.0005) == 0.001); /* half rounds up like Math.round */
    double d = -1;
    json_t *n85 = json_integer(85), *half = json_real(0.5), *neg = json_real(-2);
    CHECK(learning_normalize(n85, -1, &d) && d == 0.85);
    CHECK(learning_normalize(half, 0, &d) && d == 0.5);
    CHECK(learning_normalize(neg, -1, &d) && d == 0);
    CHECK(learning_normalize(NULL, 1, &d) && d == 1);
    CHECK(learning_normalize(json_null(), 0, &d) && d == 0);
    CHECK(!learning_normalize(NULL, -1, &d));
    json_decref(n85);
    json_decref(half);
    json_decref(neg);
}

static void test_trim_key(void)
{
    size_t n;
    const char *t = learning_trim("\xc2\xa0\t  caf\xc3\xa9 \xe3\x80\x80\n", &n);
    CHECK_EQ_INT(n, 5);
    CHECK(strncmp(t, "caf\xc3\xa9", 5) == 0);
    t = learning_trim("   ", &n);
    CHECK_EQ_INT(n, 0);
    /* a multi-byte letter ending in 0x80 must not be mistaken for a space */
    t = learning_trim("\xe2\x82\xac", &n); /* U+20AC euro sign */
    CHECK_EQ_INT(n, 3);
    char *k = learning_title_key("  Graph Theory\xe2\x80\xaf");
    CHECK_STR_EQ(k, "graph theory");
    free(k);
    k = learning_title_key("Graph \t Theory"); /* the same key as graph_title_key */
    CHECK_STR_EQ(k, "graph theory");
    free(k);
    CHECK(learning_title_key(NULL) == NULL);
}

static void test_latest_and_counts(void)
{
    json_t *qs =
        J("[{\"id\":\"q1\",\"prompt\":\"P1\",\"format\":\"mcq\",\"correctAnswer\":\"A\","
          "\"difficulty\":1},{\"id\":\"q2\",\"prompt\":\"P2\",\"format\":\"open_ended\","
          "\"correctAnswer\":\"x\",\"difficulty\":3},{\"id\":\"q3\",\"prompt\":\"P3\","
          "\"format\":\"open_ended\",\"correctAnswer\":\"\",\"difficulty\":5}]");
    json_t *as =
        J("[{\"id\":\"a1\",\"questionId\":\"q1\",\"answerText\":null,"
          "\"selectedOption\":\"B\",\"isCorrect\":null,\"score\":null,\"feedback\":null,"
          "\"createdAt\":\"2026-01-01 10:00:00\"},"
          "{\"id\":\"a2\",\"questionId\":\"q1\",\"answerText\":null,"
          "\"selectedOption\":\"A\",\"isCorrect\":null,\"score\":null,\"feedback\":null,"
          "\"createdAt\":\"2026-01-01 10:00:00\"},"
          "{\"id\":\"a3\",\"questionId\":\"q2\",\"answerText\":\"  \","
          "\"selectedOption\":null,\"isCorrect\":false,\"score\":40,\"feedback\":\"f\","
          "\"createdAt\":\"2026-01-01 10:00:01\"},"
          "{\"id\":\"a4\",\"questionId\":\"q3\",\"answerText\":\" yes \","
          "\"selectedOption\":null,\"isCorrect\":null,\"score\":null,\"feedback\":null,"
          "\"createdAt\":\"2026-01-01 10:00:02\"}]");
    json_t *latest = learning_latest_answers(as);
    CHECK_STR_EQ(learning_str(json_object_get(latest, "q1"), "id"), "a2"); /* tie: later row */
    CHECK_EQ_INT(learning_answered_count(qs, latest), 2);                  /* q2 is blank */
    json_t *obj = json_object();
    json_t *assess = J("{\"completedAt\":null}");
    CHECK_EQ_INT(learning_diagnostic_counts(obj, assess, qs, as), SP_OK);
    CHECK_JSON(obj, "{\"answeredCount\":2,\"requiredAnswers\":3,\"isComplete\":false}");

    json_t *sum = learning_diagnostic_summary("A1", qs, latest);
    CHECK_JSON(json_object_get(sum, "overallScore"), "0.7"); /* (1 + 0.4) / 2 */
    CHECK_JSON(json_object_get(sum, "strengths"), "[\"P1\"]");
    CHECK_JSON(json_object_get(sum, "gaps"), "[\"P2\"]");
    CHECK_JSON(json_array_get(json_object_get(sum, "items"), 0),
               "{\"questionId\":\"q1\",\"prompt\":\"P1\",\"format\":\"mcq\",\"difficulty\":1,"
               "\"studentAnswer\":\"A\",\"correctAnswer\":\"A\",\"isCorrect\":true,\"score\":1,"
               "\"feedback\":null}");
    CHECK_EQ_INT(json_integer_value(json_object_get(sum, "answeredCount")), 2);

    json_t *g = learning_gradable(qs, latest); /* q2 blank, q3 has no correct answer */
    CHECK_JSON(g,
               "[{\"questionId\":\"q1\",\"prompt\":\"P1\",\"format\":\"mcq\","
               "\"correctAnswer\":\"A\",\"studentAnswer\":\"A\"}]");
    json_decref(g);
    json_decref(sum);
    json_decref(obj);
    json_decref(assess);
    json_decref(latest);
    json_decref(qs);
    json_decref(as);
}

static void test_validate_graph(void)
{
    json_t *none = J("[]");
    json_t *v = learning_validate_graph(none, none);
    CHECK_JSON(v, "{\"valid\":true,\"issues\":[],\"message\":\"No subconcepts to validate.\"}");
    json_decref(v);
    json_t *subs =
        J("[{\"id\":\"a\",\"title\":\"A\"},{\"id\":\"b\",\"title\":\"B\"},"
          "{\"id\":\"c\",\"title\":\"C\"},{\"id\":\"d\",\"title\":\"D\"},"
          "{\"id\":\"e\",\"title\":\"E\"}]");
    json_t *edges =
        J("[{\"sourceNodeId\":\"a\",\"targetNodeId\":\"b\"},"
          "{\"sourceNodeId\":\"c\",\"targetNodeId\":\"d\"},"
          "{\"sourceNodeId\":\"d\",\"targetNodeId\":\"c\"},"
          "{\"sourceNodeId\":\"b\",\"targetNodeId\":\"zz\"}]");
    v = learning_validate_graph(subs, edges);
    CHECK_JSON(v,
               "{\"valid\":false,\"issues\":[\"Orphan nodes (no connections): E\","
               "\"Broken edges: B -> [missing node]\","
               "\"Unreachable nodes (not connected to any root): C, D\"],"
               "\"orphanNodes\":[\"E\"],\"unreachableNodes\":[\"C\",\"D\"],\"totalNodes\":5,"
               "\"totalEdges\":3,\"rootNodes\":[\"A\",\"E\"]}");
    json_decref(v);
    json_decref(subs);
    json_decref(edges);
    json_decref(none);
}

static void test_future_history(void)
{
    json_t *sib =
        J("[{\"id\":\"1\",\"title\":\"One\"},{\"id\":\"2\",\"title\":\"Two\"},"
          "{\"id\":\"3\",\"title\":\"Three\"},{\"id\":\"4\",\"title\":\"Four\"}]");
    json_t *edges =
        J("[{\"sourceNodeId\":\"1\",\"targetNodeId\":\"2\"},"
          "{\"sourceNodeId\":\"2\",\"targetNodeId\":\"3\"},"
          "{\"sourceNodeId\":\"1\",\"targetNodeId\":\"4\"}]");
    json_t *f = learning_future_concepts("1", sib, edges);
    CHECK_JSON(f, "{\"futureConcepts\":[\"Two\",\"Four\",\"Three\"]}");
    json_decref(f);
    f = learning_future_concepts("3", sib, edges);
    CHECK_JSON(f, "{\"futureConcepts\":[]}");
    json_decref(f);

    json_t *none = J("[]");
    json_t *h = learning_history_summary(none);
    CHECK_JSON(h,
               "{\"completedConcepts\":[],\"overallLevel\":\"new_student\",\"averageMastery\":0}");
    json_decref(h);
    json_t *rows =
        J("[{\"nodeId\":\"n1\",\"title\":\"T1\",\"masteryScore\":1.0,"
          "\"completedAt\":\"2026-01-01T00:00:00.000Z\"},"
          "{\"nodeId\":\"n2\",\"title\":null,\"masteryScore\":0.1,\"completedAt\":\"x\"},"
          "{\"nodeId\":\"n3\",\"title\":\"T3\",\"masteryScore\":0,\"completedAt\":null}]");
    h = learning_history_summary(rows);
    CHECK_JSON(h,
               "{\"completedConcepts\":[{\"title\":\"T1\",\"masteryScore\":1},"
               "{\"title\":\"n2\",\"masteryScore\":0.1}],\"overallLevel\":\"beginner\","
               "\"averageMastery\":0.367,\"totalTrackedNodes\":3,\"totalCompleted\":2}");
    json_decref(h);
    json_decref(rows);
    json_decref(none);
    json_decref(sib);
    json_decref(edges);
}

static const char *title_of(const struct learning_plan *p, const char *id)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        if (strcmp(p->nodes[i].id, id) == 0)
            return p->nodes[i].title;
    return id;
}

/* "-A>B +A>N ..." of the plan's operations, with titles for the new nodes */
static char *ops_text(const struct learning_plan *p)
{
    struct buf b = BUF_INIT(0);
    for (size_t i = 0; i < p->ops.n; i++)
        buf_printf(&b, "%s%c%s>%s", i ? " " : "", p->ops.v[i].remove ? '-' : '+',
                   title_of(p, p->ops.v[i].source), title_of(p, p->ops.v[i].target));
    return buf_detach(&b);
}

static void test_plan_concepts(void)
{
    json_t *cur =
        J("{\"id\":\"A\",\"type\":\"concept\",\"parentId\":\"T\",\"branchId\":null,"
          "\"title\":\"Alpha\"}");
    json_t *sib =
        J("[{\"id\":\"A\",\"title\":\"Alpha\"},{\"id\":\"B\",\"title\":\"Beta\"},"
          "{\"id\":\"C\",\"title\":\"Gamma\"}]");
    json_t *edges =
        J("[{\"sourceNodeId\":\"A\",\"targetNodeId\":\"B\"},"
          "{\"sourceNodeId\":\"B\",\"targetNodeId\":\"C\"}]");
    json_t *adds =
        J("[{\"title\":\" N1 \",\"desc\":\"d1\"},"
          "{\"title\":\"N2\",\"desc\":\"d2\"},"
          "{\"title\":\"beta\",\"desc\":\"dup of a sibling\"},"
          "{\"title\":\"n1\",\"desc\":\"dup of a candidate\"},"
          "{\"title\":\"N3\",\"desc\":\"\"},"
          "{\"title\":\"N4\",\"desc\":\"d4\",\"insert_after\":\" BETA\"}]");
    struct learning_plan p;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(learning_plan_concepts(&p, cur, sib, edges, adds, "U", &err), SP_OK);
    CHECK_EQ_INT(p.n_nodes, 3);
    CHECK_STR_EQ(p.nodes[0].title, "N1");
    CHECK_STR_EQ(p.nodes[0].parent_id, "T");
    CHECK_STR_EQ(p.nodes[0].user_id, "U");
    CHECK(p.nodes[0].branch_id == NULL);
    char *ops = ops_text(&p);
    /* N1 after Alpha: A>B moves behind N1; N2 chains after N1; N4 after Beta takes B>C */
    CHECK_STR_EQ(ops, "-A>B +A>N1 +N1>B -N1>B +N1>N2 +N2>B -B>C +B>N4 +N4>C");
    free(ops);
    CHECK_JSON(p.created_edges,
               "[{\"source\":\"Alpha\",\"target\":\"N1\"},{\"source\":\"N1\",\"target\":\"Beta\"},"
               "{\"source\":\"N1\",\"target\":\"N2\"},{\"source\":\"N2\",\"target\":\"Beta\"},"
               "{\"source\":\"Beta\",\"target\":\"N4\"},{\"source\":\"N4\",\"target\":\"Gamma\"}]");
    learning_plan_free(&p);
    /* no parent: nothing */
    json_t *orphan = J("{\"id\":\"A\",\"type\":\"concept\",\"parentId\":null,\"title\":\"Alpha\"}");
    CHECK_EQ_INT(learning_plan_concepts(&p, orphan, sib, edges, adds, "U", &err), SP_OK);
    CHECK_EQ_INT(p.n_nodes, 0);
    learning_plan_free(&p);
    json_decref(orphan);
    json_decref(cur);
    json_decref(sib);
    json_decref(edges);
    json_decref(adds);
}

static void test_plan_subconcepts(void)
{
    json_t *cur =
        J("{\"id\":\"S\",\"type\":\"subconcept\",\"parentId\":\"C\",\"branchId\":\"br\","
          "\"title\":\"Sets\"}");
    json_t *sib =
        J("[{\"id\":\"S\",\"title\":\"Sets\"},{\"id\":\"M\",\"title\":\"Maps\"},"
          "{\"id\":\"L\",\"title\":\"Lists\"}]");
    json_t *edges = J("[{\"sourceNodeId\":\"S\",\"targetNodeId\":\"M\"}]");
    json_t *adds =
        J("[{\"title\":\"Bridge\",\"desc\":\"b\",\"depends_on\":[\"sets\",\"Nope\"],"
          "\"unlocks\":[\"Maps\",\"Sets\"]},"
          "{\"title\":\"Extra\",\"desc\":\"e\"},"
          "{\"title\":\"After\",\"desc\":\"a\",\"depends_on\":[\"bridge\",\"After\"],"
          "\"unlocks\":\"not a list\"}]");
    struct learning_plan p;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(learning_plan_subconcepts(&p, cur, sib, edges, adds, "U", &err), SP_OK);
    CHECK_EQ_INT(p.n_nodes, 3);
    CHECK_STR_EQ(p.nodes[1].branch_id, "br");
    CHECK_STR_EQ(p.nodes[1].type, "subconcept");
    char *ops = ops_text(&p);
    CHECK_STR_EQ(ops, "+S>Bridge +Bridge>M -S>M +S>Extra +Bridge>After");
    free(ops);
    CHECK_JSON(p.titles, "[\"Bridge\",\"Extra\",\"After\"]");
    learning_plan_free(&p);
    json_decref(cur);
    json_decref(sib);
    json_decref(edges);
    json_decref(adds);
}

int main(void)
{
    RUN(test_round_normalize);
    RUN(test_trim_key);
    RUN(test_latest_and_counts);
    RUN(test_validate_graph);
    RUN(test_future_history);
    RUN(test_plan_concepts);
    RUN(test_plan_subconcepts);
    return check_report("test_learning");
}
