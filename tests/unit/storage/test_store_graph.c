/* tests/unit/storage/test_store_graph.c: the topic/bootstrap/legacy SQL on a migrated in-memory
 * database: node and edge inserts (an edge twice is one row), children and edges among them in
 * insertion order, the diagnostic question tool (reuses the newest assessment, all or nothing),
 * the bootstrap's progress upsert, the topic run's completion record, and the legacy batch (one transaction: a failure leaves
 * nothing). The migrations are the built-in set. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db/conn.h"
#include "db/migrate.h"
#include "db/seed.h"
#include "storage/store_graph.h"
#include "storage/store_learning.h"
#include "support/check.h"

#define USER SEED_USER_ID

static struct db *fresh(void)
{
    struct db *db = NULL;
    struct sp_error err = { 0 };
    struct migsrc src = migsrc_builtin();
    if (db_open(":memory:", DB_OPEN_CREATE, &db, &err) != SP_OK ||
        migrate_apply(db, &src, NULL, NULL, &err) != SP_OK ||
        seed_default_user(db, NULL, &err) != SP_OK)
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

static json_t *parse(struct buf *b)
{
    json_t *v = json_loads(buf_cstr(b), 0, NULL);
    buf_reset(b);
    return v;
}

static void test_nodes_edges_children(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    struct buf b = BUF_INIT(0);
    char topic[37], c1[37], c2[37], s1[37], e1[37], e2[37];
    CHECK_EQ_INT(store_graph_node_insert(db, USER, "root", NULL, NULL, "T", NULL, topic, NULL,
                                         &err),
                 SP_OK);
    CHECK_EQ_INT(store_graph_node_insert(db, USER, "concept", NULL, topic, "B", "b", c1, &b, &err),
                 SP_OK);
    json_t *row = parse(&b);
    CHECK_STR_EQ(json_string_value(json_object_get(row, "id")), c1);
    CHECK_STR_EQ(json_string_value(json_object_get(row, "parentId")), topic);
    CHECK_STR_EQ(json_string_value(json_object_get(row, "desc")), "b");
    CHECK(json_is_integer(json_object_get(row, "accuracyScore")));
    json_decref(row);
    store_graph_node_insert(db, USER, "concept", NULL, topic, "A", NULL, c2, NULL, &err);
    store_graph_node_insert(db, USER, "subconcept", NULL, c1, "s", NULL, s1, NULL, &err);
    bool inserted = false;
    CHECK_EQ_INT(store_graph_edge_ensure(db, c1, c2, &inserted, e1, &err), SP_OK);
    CHECK(inserted);
    CHECK_EQ_INT(store_graph_edge_ensure(db, c1, c2, &inserted, e2, &err), SP_OK);
    CHECK(!inserted);
    CHECK_STR_EQ(e1, e2);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_edges"), 1);
    store_graph_edge_ensure(db, c1, s1, NULL, NULL, &err); /* not among the concepts */

    CHECK_EQ_INT(store_graph_children(db, topic, "concept", &b, &err), SP_OK);
    json_t *kids = parse(&b);
    CHECK_EQ_INT(json_array_size(kids), 2);
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(kids, 0), "title")), "B");
    json_decref(kids);
    CHECK_EQ_INT(store_graph_child_edges(db, topic, "concept", &b, &err), SP_OK);
    json_t *edges = parse(&b);
    CHECK_EQ_INT(json_array_size(edges), 1);
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(edges, 0), "targetNodeId")), c2);
    json_decref(edges);
    CHECK_EQ_INT(store_graph_legacy_edges(db, topic, "concept", &b, &err), SP_OK);
    edges = parse(&b);
    CHECK_EQ_INT(json_array_size(edges), 2); /* the source is a concept */
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(edges, 0), "source")), "B");
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(edges, 0), "target")), "A");
    CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(edges, 0), "id")), e1);
    json_decref(edges);
    /* an unknown user: a foreign-key failure, nothing written */
    char x[37];
    CHECK(store_graph_node_insert(db, "nobody", "concept", NULL, topic, "X", NULL, x, NULL, &err) !=
          SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM nodes WHERE title = 'X'"), 0);
    bool exists = true;
    store_graph_user_exists(db, "nobody", &exists, &err);
    CHECK(!exists);
    store_graph_user_exists(db, USER, &exists, &err);
    CHECK(exists);
    buf_release(&b);
    db_close(db);
}

static void test_diagnostic_questions(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    char concept[37], aid[37] = "";
    store_graph_node_insert(db, USER, "concept", NULL, NULL, "Loops", NULL, concept, NULL, &err);
    int64_t n = -1;
    store_graph_diagnostic_question_count(db, USER, concept, &n, &err);
    CHECK_EQ_INT(n, 0);
    struct store_question q = { "mcq", "Q1", "[\"a\",\"b\"]", "a", 2 };
    CHECK_EQ_INT(store_graph_add_diagnostic_question(db, USER, concept, "Loops", aid, &q, &err),
                 SP_OK);
    CHECK(aid[0] != '\0');
    CHECK_EQ_INT(
        count(db,
              "SELECT count(*) FROM assessments WHERE title = 'Diagnostic for Loops' AND type = 'diagnostic'"),
        1);
    q.prompt = "Q2";
    q.options_json = NULL;
    CHECK_EQ_INT(store_graph_add_diagnostic_question(db, USER, concept, "Loops", aid, &q, &err),
                 SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM questions WHERE options IS NULL"), 1);
    store_graph_diagnostic_question_count(db, USER, concept, &n, &err);
    CHECK_EQ_INT(n, 2);
    /* a new run (empty id) reuses the newest assessment */
    char aid2[37] = "";
    q.prompt = "Q3";
    store_graph_add_diagnostic_question(db, USER, concept, "Loops", aid2, &q, &err);
    CHECK_STR_EQ(aid2, aid);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM assessments"), 1);
    /* a failing question (NOT NULL prompt) leaves no new assessment behind */
    char other[37], aid3[37] = "";
    store_graph_node_insert(db, USER, "concept", NULL, NULL, "Other", NULL, other, NULL, &err);
    q.prompt = NULL;
    CHECK(store_graph_add_diagnostic_question(db, USER, other, "Other", aid3, &q, &err) != SP_OK);
    CHECK_STR_EQ(aid3, "");
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM assessments"), 1);
    db_close(db);
}

static void test_bootstrap_done_upserts_progress(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    char concept[37];
    store_graph_node_insert(db, USER, "concept", NULL, NULL, "Loops", NULL, concept, NULL, &err);
    CHECK_EQ_INT(store_graph_bootstrap_done(db, USER, concept, "m", "p", "{\"count\":0}", false,
                                            &err),
                 SP_OK);
    CHECK_EQ_INT(count(db,
                       "SELECT count(*) FROM user_node_progress WHERE has_generated_subnodes = 0 "
                       "AND attempts_count = 0 AND first_entered_at = last_entered_at"),
                 1);
    bool gen = true;
    store_graph_has_generated_subnodes(db, USER, concept, &gen, &err);
    CHECK(!gen);
    CHECK_EQ_INT(store_graph_bootstrap_done(db, USER, concept, "m", "p", "{\"count\":2}", true,
                                            &err),
                 SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM user_node_progress"), 1);
    store_graph_has_generated_subnodes(db, USER, concept, &gen, &err);
    CHECK(gen);
    CHECK_EQ_INT(
        count(db,
              "SELECT count(*) FROM node_generations WHERE model = 'm' AND \"trigger\" = 'on_first_enter'"),
        2);
    /* an unknown user fails the progress insert: the generation row is rolled back too */
    CHECK(store_graph_bootstrap_done(db, "nobody", concept, "m", "p", NULL, true, &err) != SP_OK);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_generations"), 2);
    db_close(db);
}

/* The topic run's completion record: an "on_first_enter" row on the node, no other trigger. */
static void test_has_generation(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    char topic[37], other[37];
    store_graph_node_insert(db, USER, "root", NULL, NULL, "T", NULL, topic, NULL, &err);
    store_graph_node_insert(db, USER, "root", NULL, NULL, "U", NULL, other, NULL, &err);
    bool found = true;
    CHECK_EQ_INT(store_graph_has_generation(db, topic, "on_first_enter", &found, &err), SP_OK);
    CHECK(!found);
    struct learning_generation g = { .node_id = topic,
                                     .trigger = "manual_regenerate",
                                     .model = "m",
                                     .prompt = "p" };
    CHECK_EQ_INT(store_learning_generation(db, &g, &err), SP_OK);
    g.node_id = other;
    g.trigger = "on_first_enter";
    CHECK_EQ_INT(store_learning_generation(db, &g, &err), SP_OK);
    CHECK_EQ_INT(store_graph_has_generation(db, topic, "on_first_enter", &found, &err), SP_OK);
    CHECK(!found);
    g.node_id = topic;
    g.prompt = "Topic agent bootstrap for: T";
    g.response_meta = "{\"count\":1}";
    CHECK_EQ_INT(store_learning_generation(db, &g, &err), SP_OK);
    CHECK_EQ_INT(store_graph_has_generation(db, topic, "on_first_enter", &found, &err), SP_OK);
    CHECK(found);
    db_close(db);
}

static void test_legacy_batch_is_one_transaction(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    struct buf b = BUF_INIT(0);
    char topic[37];
    store_graph_node_insert(db, USER, "root", NULL, NULL, "T", NULL, topic, NULL, &err);
    const char *titles[] = { "One", "Two", "Three" }, *descs[] = { "1", "2", "" };
    size_t from[] = { 0, 1 }, to[] = { 1, 2 };
    struct store_legacy_batch batch = {
        .user_id = USER,
        .parent_id = topic,
        .type = "concept",
        .reply_key = "concepts",
        .n = 3,
        .titles = titles,
        .descs = descs,
        .n_edges = 2,
        .edge_from = from,
        .edge_to = to,
        .model = "m",
        .prompt = "Generate educational path for: T",
        .response_meta = "{\"count\":3}",
    };
    CHECK_EQ_INT(store_graph_legacy_save(db, &batch, &b, &err), SP_OK);
    json_t *reply = parse(&b);
    CHECK(json_is_true(json_object_get(reply, "generated")));
    CHECK_EQ_INT(json_array_size(json_object_get(reply, "concepts")), 3);
    json_t *e = json_array_get(json_object_get(reply, "edges"), 1);
    CHECK_STR_EQ(json_string_value(json_object_get(e, "source")), "Two");
    CHECK_STR_EQ(json_string_value(json_object_get(e, "target")), "Three");
    CHECK_STR_EQ(json_string_value(json_object_get(e, "targetNodeId")),
                 json_string_value(
                     json_object_get(json_array_get(json_object_get(reply, "concepts"), 2), "id")));
    json_decref(reply);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM user_node_progress"), 0);
    /* a failure in the middle (unknown user for the progress row) writes nothing at all */
    batch.user_id = "nobody";
    batch.mark_progress = true;
    b.len = 0;
    CHECK(store_graph_legacy_save(db, &batch, &b, &err) != SP_OK);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM nodes"), 4);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_edges"), 2);
    CHECK_EQ_INT(count(db, "SELECT count(*) FROM node_generations"), 1);
    buf_release(&b);
    db_close(db);
}

static void test_documents_and_diagnostic_data(void)
{
    struct db *db = fresh();
    struct sp_error err = { 0 };
    struct buf b = BUF_INIT(0);
    char topic[37];
    store_graph_node_insert(db, USER, "root", NULL, NULL, "T", NULL, topic, NULL, &err);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO topic_documents (id, node_id, original_filename, s3_key, mime_type, "
             "file_size_bytes, extracted_text, extraction_status) VALUES "
             "('d1', '%s', 'a.txt', 'k1', 'text/plain', 1, 'alpha', 'completed'), "
             "('d2', '%s', 'b.pdf', 'k2', 'application/pdf', 1, NULL, 'failed'), "
             "('d3', '%s', 'c.txt', 'k3', 'text/plain', 1, 'gamma', 'pending'), "
             "('d4', '%s', 'd.md', 'k4', 'text/markdown', 1, 'delta', 'completed')",
             topic, topic, topic, topic);
    CHECK_EQ_INT(db_exec(db, sql, &err), SP_OK);
    CHECK_EQ_INT(store_graph_documents(db, topic, &b, &err), SP_OK);
    CHECK_STR_EQ(buf_cstr(&b),
                 "[{\"originalFilename\":\"a.txt\",\"extractedText\":\"alpha\"},"
                 "{\"originalFilename\":\"d.md\",\"extractedText\":\"delta\"}]");
    buf_reset(&b);
    CHECK_EQ_INT(store_graph_diagnostic_data(db, USER, topic, &b, &err), SP_OK);
    CHECK_STR_EQ(buf_cstr(&b), "null");
    buf_reset(&b);
    char aid[37] = "";
    struct store_question q = { "open_ended", "Why?", NULL, "because", 3 };
    store_graph_add_diagnostic_question(db, USER, topic, "T", aid, &q, &err);
    CHECK_EQ_INT(store_graph_diagnostic_data(db, USER, topic, &b, &err), SP_OK);
    json_t *d = parse(&b);
    CHECK_STR_EQ(json_string_value(json_object_get(d, "assessmentId")), aid);
    CHECK_EQ_INT(json_array_size(json_object_get(d, "questions")), 1);
    CHECK_EQ_INT(json_array_size(json_object_get(d, "answers")), 0);
    json_decref(d);
    buf_release(&b);
    db_close(db);
}

int main(void)
{
    RUN(test_nodes_edges_children);
    RUN(test_diagnostic_questions);
    RUN(test_bootstrap_done_upserts_progress);
    RUN(test_has_generation);
    RUN(test_legacy_batch_is_one_transaction);
    RUN(test_documents_and_diagnostic_data);
    return check_report("test_store_graph");
}
