/* tests/unit/storage/test_store_learning.c: the concept agents' SQL (storage/store_learning.c)
 * on a migrated in-memory database: the diagnostic written once with its questions (B6),
 * remove_subconcept refused while referenced and atomic otherwise (B4), the concept insertions
 * before / after, the refinement record (B5), the learning history and the review's ordered
 * edge operations. The schema comes from the migrations built into the binary. */
#include <stdlib.h>
#include <string.h>

#include "db/conn.h"
#include "db/migrate.h"
#include "db/migsrc.h"
#include "db/seed.h"
#include "storage/store_learning.h"
#include "support/check.h"

#define USER "00000000-0000-0000-0000-000000000000"

static struct db *fresh(void)
{
    struct db *db = NULL;
    struct sp_error err = { 0 };
    size_t n = 0;
    bool ins;
    struct migsrc src = migsrc_builtin();
    if (db_open(":memory:", DB_OPEN_CREATE, &db, &err) != SP_OK ||
        migrate_apply(db, &src, NULL, &n, &err) != SP_OK ||
        seed_default_user(db, &ins, &err) != SP_OK)
        fprintf(stderr, "setup: %s\n", err.msg);
    return db;
}

static long long count(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (db_prepare(db, sql, &st, NULL) == SP_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec(struct db *db, const char *sql)
{
    struct sp_error err = { 0 };
    if (db_exec(db, sql, &err) != SP_OK)
        fprintf(stderr, "exec: %s\n", err.msg);
}

/* nodes T (root) > C (concept) > S1, S2, S3 (subconcepts); S1 -> S2 -> S3; concepts A -> C -> D */
static void graph(struct db *db)
{
    exec(db, "INSERT INTO nodes (id, user_id, type, title) VALUES ('T', '" USER
             "', 'root', 'T');"
             "INSERT INTO nodes (id, user_id, type, parent_id, title) VALUES "
             "('A', '" USER "', 'concept', 'T', 'A'), ('C', '" USER
             "', 'concept', 'T', 'C'),"
             "('D', '" USER "', 'concept', 'T', 'D'), ('X', '" USER
             "', 'concept', NULL, 'X'),"
             "('S1', '" USER "', 'subconcept', 'C', 'S1'), ('S2', '" USER
             "', 'subconcept', 'C', 'S2'),"
             "('S3', '" USER
             "', 'subconcept', 'C', 'S3');"
             "INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES "
             "('e1', 'S1', 'S2'), ('e2', 'S2', 'S3'), ('e3', 'A', 'C'), ('e4', 'C', 'D'),"
             "('e5', 'C', 'X');");
}

static bool has_edge(struct db *db, const char *s, const char *t)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM node_edges WHERE source_node_id = '%s' AND target_node_id = '%s'",
             s, t);
    return count(db, sql) == 1;
}

static void test_diagnostic_once(void)
{
    struct db *db = fresh();
    graph(db);
    struct sp_error err = { 0 };
    struct buf out = BUF_INIT(0);
    CHECK_EQ_INT(store_learning_diagnostic(db, USER, "C", &out, &err), SP_ENOTFOUND);
    /* an empty diagnostic left by the original is filled, not duplicated */
    exec(db,
         "INSERT INTO assessments (id, user_id, target_node_id, type) VALUES "
         "('old', '" USER "', 'C', 'diagnostic')");
    CHECK_EQ_INT(store_learning_diagnostic(db, USER, "C", &out, &err), SP_ENOTFOUND);
    struct learning_question q[2] = {
        { "mcq", "P1", "[\"a\",\"b\"]", "a", 2 },
        { "open_ended", "P2", NULL, NULL, 5 },
    };
    bool created = false;
    CHECK_EQ_INT(store_learning_diagnostic_create(db, USER, "C", "Diagnostic for C", q, 2, &created,
                                                  &out, &err),
                 SP_OK);
    CHECK(created);
    CHECK(strstr(buf_cstr(&out), "\"id\":\"old\"") != NULL);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM assessments"), 1);
    CHECK_EQ_INT(count(db,
                       "SELECT count(*) FROM questions WHERE assessment_id = 'old' AND "
                       "node_id = 'C'"),
                 2);
    /* a second writer finds it and writes nothing */
    buf_reset(&out);
    CHECK_EQ_INT(store_learning_diagnostic_create(db, USER, "C", "Diagnostic for C", q, 2, &created,
                                                  &out, &err),
                 SP_OK);
    CHECK(!created);
    CHECK(strstr(buf_cstr(&out), "\"id\":\"old\"") != NULL);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM questions"), 2);
    /* for another concept: a new assessment, titled */
    buf_reset(&out);
    CHECK_EQ_INT(store_learning_diagnostic_create(db, USER, "D", "Diagnostic for D", q, 1, &created,
                                                  &out, &err),
                 SP_OK);
    CHECK(created);
    CHECK(strstr(buf_cstr(&out), "\"title\":\"Diagnostic for D\"") != NULL);
    /* an unknown user: nothing written */
    buf_reset(&out);
    CHECK(store_learning_diagnostic_create(db, "ghost", "A", "t", q, 2, &created, &out, &err) !=
          SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM assessments"), 2);
    CHECK_EQ_INT(out.len, 0);
    bool exists = true;
    CHECK_EQ_INT(store_learning_user_exists(db, "ghost", &exists, &err), SP_OK);
    CHECK(!exists);
    buf_release(&out);
    db_close(db);
}

static void test_remove_node(void)
{
    struct db *db = fresh();
    graph(db);
    struct sp_error err = { 0 };
    struct learning_edges rm = { 0 }, mk = { 0 };
    exec(db,
         "INSERT INTO user_node_progress (id, user_id, node_id) VALUES ('p', '" USER "', 'S2')");
    CHECK_EQ_INT(store_learning_remove_node(db, "S2", &rm, &mk, &err), SP_ECONFLICT);
    CHECK(strstr(err.msg, "is still referenced by progress records") != NULL);
    CHECK_EQ_INT(rm.n + mk.n, 0);
    CHECK(has_edge(db, "S1", "S2") && has_edge(db, "S2", "S3"));
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM nodes WHERE id = 'S2'"), 1);

    exec(db, "DELETE FROM user_node_progress");
    CHECK_EQ_INT(store_learning_remove_node(db, "S2", &rm, &mk, &err), SP_OK);
    CHECK_EQ_INT(rm.n, 2);
    CHECK_STR_EQ(rm.v[0].source, "S1");
    CHECK_STR_EQ(rm.v[1].target, "S3");
    CHECK_EQ_INT(mk.n, 1);
    CHECK_STR_EQ(mk.v[0].source, "S1");
    CHECK_STR_EQ(mk.v[0].target, "S3");
    CHECK(has_edge(db, "S1", "S3") && !has_edge(db, "S1", "S2"));
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM nodes WHERE id = 'S2'"), 0);
    store_learning_edges_free(&rm);
    store_learning_edges_free(&mk);
    /* S1 -> S3 exists already: removing a node between them creates nothing new */
    exec(db,
         "INSERT INTO nodes (id, user_id, type, parent_id, title) VALUES "
         "('M', '" USER
         "', 'subconcept', 'C', 'M');"
         "INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES "
         "('m1', 'S1', 'M'), ('m2', 'M', 'S3')");
    CHECK_EQ_INT(store_learning_remove_node(db, "M", &rm, &mk, &err), SP_OK);
    CHECK_EQ_INT(rm.n, 2);
    CHECK_EQ_INT(mk.n, 0);
    store_learning_edges_free(&rm);
    store_learning_edges_free(&mk);
    db_close(db);
}

static void test_insert_concept(void)
{
    struct db *db = fresh();
    graph(db);
    struct sp_error err = { 0 };
    struct learning_edges rm = { 0 }, mk = { 0 };
    struct buf out = BUF_INIT(0);
    char id[37];
    struct learning_node n = { NULL, USER, "concept", NULL, "T", "Pre", "p" };
    CHECK_EQ_INT(store_learning_insert_concept(db, &n, "C", LEARNING_BEFORE, id, &out, &rm, &mk,
                                               &err),
                 SP_OK);
    CHECK_EQ_INT(rm.n, 1);
    CHECK_STR_EQ(rm.v[0].source, "A");
    CHECK_EQ_INT(mk.n, 2);
    CHECK(has_edge(db, "A", id) && has_edge(db, id, "C") && !has_edge(db, "A", "C"));
    CHECK(strstr(buf_cstr(&out), "\"title\":\"Pre\"") != NULL);
    store_learning_edges_free(&rm);
    store_learning_edges_free(&mk);
    /* after: only edges to concepts of the same parent move (C -> X stays) */
    n.title = "Post";
    buf_reset(&out);
    CHECK_EQ_INT(store_learning_insert_concept(db, &n, "C", LEARNING_AFTER, id, &out, &rm, &mk,
                                               &err),
                 SP_OK);
    CHECK_EQ_INT(rm.n, 1);
    CHECK_STR_EQ(rm.v[0].target, "D");
    CHECK(has_edge(db, id, "D") && has_edge(db, "C", id) && has_edge(db, "C", "X"));
    CHECK_STR_EQ(mk.v[mk.n - 1].source, "C");
    store_learning_edges_free(&rm);
    store_learning_edges_free(&mk);
    buf_release(&out);
    db_close(db);
}

static void test_records_history_apply(void)
{
    struct db *db = fresh();
    graph(db);
    struct sp_error err = { 0 };
    long last = 0;
    CHECK_EQ_INT(store_learning_last_refinement(db, "C", "a1", USER, &last, &err), SP_OK);
    CHECK_EQ_INT(last, -1);
    struct learning_generation g = { "C", "manual_regenerate", "m", "Concept refinement for: C",
                                     "{\"mode\":\"concept_refinement_agent\",\"assessmentId\":"
                                     "\"a1\",\"userId\":\"" USER "\",\"answerCount\":3}" };
    CHECK_EQ_INT(store_learning_generation(db, &g, &err), SP_OK);
    g.response_meta = "not json";
    CHECK_EQ_INT(store_learning_generation(db, &g, &err), SP_OK);
    CHECK_EQ_INT(store_learning_last_refinement(db, "C", "a1", USER, &last, &err), SP_OK);
    CHECK_EQ_INT(last, 3);
    CHECK_EQ_INT(store_learning_last_refinement(db, "C", "a2", USER, &last, &err), SP_OK);
    CHECK_EQ_INT(last, -1);

    struct buf out = BUF_INIT(0);
    CHECK_EQ_INT(store_learning_history(db, USER, &out, &err), SP_OK);
    CHECK_STR_EQ(buf_cstr(&out), "[]");
    exec(db,
         "INSERT INTO user_node_progress (id, user_id, node_id, mastery_score, completed_at) "
         "VALUES ('p1', '" USER "', 'S1', 0.5, '2026-01-01')");
    buf_reset(&out);
    CHECK_EQ_INT(store_learning_history(db, USER, &out, &err), SP_OK);
    CHECK_STR_EQ(
        buf_cstr(&out),
        "[{\"nodeId\":\"S1\",\"title\":\"S1\",\"masteryScore\":0.5,\"completedAt\":\"2026-01-01\"}]");

    /* ordered operations: a delete then a re-create of the same edge keeps it */
    struct learning_node nodes[1] = { { "N1", USER, "concept", NULL, "T", "N1", "d" } };
    struct learning_edges ops = { 0 };
    store_learning_edges_op(&ops, "A", "C", true);
    store_learning_edges_op(&ops, "A", "N1", false);
    store_learning_edges_op(&ops, "N1", "C", false);
    store_learning_edges_op(&ops, "N1", "C", true);
    store_learning_edges_op(&ops, "N1", "D", false);
    buf_reset(&out);
    g.response_meta = "{}";
    CHECK_EQ_INT(store_learning_apply(db, nodes, 1, &ops, &g, &out, &err), SP_OK);
    CHECK(out.len > 2 && out.data[0] == '[' && strstr(buf_cstr(&out), "\"id\":\"N1\"") != NULL);
    CHECK(!has_edge(db, "A", "C") && has_edge(db, "A", "N1") && !has_edge(db, "N1", "C") &&
          has_edge(db, "N1", "D"));
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_generations"), 3);
    /* a failure rolls everything back (the node id exists now) */
    buf_reset(&out);
    CHECK(store_learning_apply(db, nodes, 1, &ops, &g, &out, &err) != SP_OK);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_generations"), 3);
    store_learning_edges_free(&ops);
    buf_release(&out);
    db_close(db);
}

int main(void)
{
    RUN(test_diagnostic_once);
    RUN(test_remove_node);
    RUN(test_insert_concept);
    RUN(test_records_history_apply);
    return check_report("test_store_learning");
}
