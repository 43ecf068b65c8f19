/* storage/store_graph.c: SQL for the topic and bootstrap agents and the legacy generators (see
 * store_graph.h). Writers take the process write mutex through store_txn_begin(), so every
 * public writer here is one transaction; the static *_locked helpers run inside one.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_sql.h"
#include "util/ids.h"
#include "util/timefmt.h"

#define NODE_COLS                                                              \
    "\"id\", \"user_id\", \"type\", \"branch_id\", \"parent_id\", \"title\", " \
    "\"desc\", \"accuracy_score\", \"created_at\", \"updated_at\""
#define EDGE_COLS "e.\"id\", e.\"source_node_id\", e.\"target_node_id\", e.\"created_at\""
#define QUESTION_COLS                                                  \
    "\"id\", \"assessment_id\", \"node_id\", \"format\", \"prompt\", " \
    "\"options\", \"correct_answer\", \"grading_rubric\", \"difficulty\", \"created_at\""
#define ANSWER_COLS                                                              \
    "\"id\", \"user_id\", \"assessment_id\", \"question_id\", \"answer_text\", " \
    "\"selected_option\", \"is_correct\", \"score\", \"feedback\", \"created_at\""
/* A legacy edge object {id, sourceNodeId, targetNodeId, createdAt, source, target}: node_edges
 * columns keyed by rowjson (storage/rowjson.h), the two titles under their own names. Built in
 * C rather than with SQLite's json_object(), so both databases print the same bytes. */
#define LEGACY_EDGE                                                     \
    EDGE_COLS                                                           \
    ", s.title AS \"source\", t.title AS \"target\" FROM node_edges e " \
    "JOIN nodes s ON s.id = e.source_node_id JOIN nodes t ON t.id = e.target_node_id"

static const char SQL_USER[] = "SELECT 1 FROM users WHERE id = ?1";
static const char SQL_NODE_INSERT[] =
    "INSERT INTO nodes (id, user_id, type, branch_id, parent_id, title, \"desc\") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING " NODE_COLS;
static const char SQL_EDGE_FIND[] =
    "SELECT id FROM node_edges WHERE source_node_id = ?1 AND target_node_id = ?2";
static const char SQL_EDGE_INSERT[] =
    "INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?1, ?2, ?3)";
static const char SQL_CHILDREN[] =
    "SELECT " NODE_COLS
    " FROM nodes WHERE parent_id = ?1 "
    "AND (CAST(?2 AS TEXT) IS NULL OR type = ?2) ORDER BY rowid"; /* the CAST types ?2 for PG */
static const char SQL_CHILD_EDGES[] =
    "SELECT " EDGE_COLS
    " FROM node_edges e "
    "JOIN nodes s ON s.id = e.source_node_id JOIN nodes t ON t.id = e.target_node_id "
    "WHERE s.parent_id = ?1 AND s.type = ?2 AND t.parent_id = ?1 AND t.type = ?2 "
    "ORDER BY e.rowid";
static const char SQL_LEGACY_EDGES[] =
    "SELECT " LEGACY_EDGE
    " WHERE s.parent_id = ?1 "
    "AND (CAST(?2 AS TEXT) IS NULL OR s.type = ?2) ORDER BY e.rowid";
static const char SQL_LEGACY_EDGE[] = "SELECT " LEGACY_EDGE " WHERE e.id = ?1";
static const char SQL_DOCUMENTS[] =
    "SELECT original_filename, extracted_text FROM topic_documents "
    "WHERE node_id = ?1 AND extraction_status = 'completed' AND extracted_text IS NOT NULL "
    "ORDER BY rowid";
static const char SQL_GENERATION_FIND[] =
    "SELECT 1 FROM node_generations WHERE node_id = ?1 AND \"trigger\" = ?2 LIMIT 1";
static const char SQL_QUESTION_COUNT[] =
    "SELECT count(*) FROM questions q JOIN assessments a ON a.id = q.assessment_id "
    "WHERE a.user_id = ?1 AND a.target_node_id = ?2 AND a.type = 'diagnostic'";
static const char SQL_DIAGNOSTIC_NEWEST[] =
    "SELECT id FROM assessments WHERE user_id = ?1 AND target_node_id = ?2 "
    "AND type = 'diagnostic' ORDER BY created_at DESC, rowid DESC LIMIT 1";
static const char SQL_ASSESSMENT_INSERT[] =
    "INSERT INTO assessments (id, user_id, target_node_id, type, title) "
    "VALUES (?1, ?2, ?3, 'diagnostic', ?4)";
static const char SQL_QUESTION_INSERT[] =
    "INSERT INTO questions (id, assessment_id, node_id, format, prompt, options, "
    "correct_answer, difficulty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_PROGRESS_UPDATE[] =
    "UPDATE user_node_progress SET has_generated_subnodes = ?3, updated_at = ?4 "
    "WHERE user_id = ?1 AND node_id = ?2";
static const char SQL_PROGRESS_INSERT[] =
    "INSERT INTO user_node_progress (id, user_id, node_id, first_entered_at, last_entered_at, "
    "attempts_count, has_generated_subnodes) VALUES (?5, ?1, ?2, ?4, ?4, ?6, ?3)";
static const char SQL_PROGRESS_FLAG[] =
    "SELECT has_generated_subnodes FROM user_node_progress WHERE user_id = ?1 AND node_id = ?2";
static const char SQL_QUESTIONS[] =
    "SELECT " QUESTION_COLS " FROM questions WHERE assessment_id = ?1 ORDER BY rowid";
static const char SQL_ANSWERS[] = "SELECT " ANSWER_COLS
                                  " FROM answers WHERE assessment_id = ?1 AND user_id = ?2 "
                                  "ORDER BY created_at, rowid";

/* Step a one-column query: *found, and the first column's text copied into text (cap bytes)
 * or its integer into *num. */
static int query_one(struct db *db, struct dbi_stmt *st, bool *found, char *text, size_t cap,
                     int64_t *num, struct sp_error *err)
{
    int rc = dbi_step(st);
    *found = rc == DBI_ROW;
    if (rc == DBI_ROW) {
        if (text && cap) {
            const char *s = dbi_column_text(st, 0);
            snprintf(text, cap, "%s", s ? (const char *)s : "");
        }
        if (num)
            *num = dbi_column_int64(st, 0);
    } else if (rc != DBI_DONE) {
        return store_step_error(db, st, rc, err);
    }
    dbi_reset(st);
    return SP_OK;
}

int store_graph_user_exists(struct db *db, const char *user_id, bool *exists, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_USER, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    return query_one(db, st, exists, NULL, 0, NULL, err);
}

static int node_insert_locked(struct db *db, const char *user_id, const char *type,
                              const char *branch_id, const char *parent_id, const char *title,
                              const char *desc, char id[37], struct buf *row, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_NODE_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    ids_uuid_v4(id);
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, user_id);
    store_bind_text(st, 3, type);
    store_bind_text(st, 4, branch_id);
    store_bind_text(st, 5, parent_id);
    store_bind_text(st, 6, title);
    store_bind_text(st, 7, desc);
    struct buf scratch = BUF_INIT(0);
    rc = store_one_json(db, st, schema_table(SCHEMA_NODES), NULL, 0, row ? row : &scratch, err);
    buf_release(&scratch);
    if (rc == SP_ENOTFOUND)
        return sp_error_set(err, SP_EDB, "insert into nodes returned no row");
    return rc;
}

int store_graph_node_insert(struct db *db, const char *user_id, const char *type,
                            const char *branch_id, const char *parent_id, const char *title,
                            const char *desc, char id[37], struct buf *row, struct sp_error *err)
{
    size_t len0 = row ? row->len : 0;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = node_insert_locked(db, user_id, type, branch_id, parent_id, title, desc, id, row, err);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK && row)
        store_truncate(row, len0);
    return rc;
}

static int edge_ensure_locked(struct db *db, const char *source_id, const char *target_id,
                              bool *inserted, char edge_id[37], struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_txn_lock(db, "sprout.edge", source_id, target_id, err);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_EDGE_FIND, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, source_id);
    store_bind_text(st, 2, target_id);
    bool found = false;
    char id[37] = "";
    rc = query_one(db, st, &found, id, sizeof id, NULL, err);
    if (rc != SP_OK)
        return rc;
    if (!found) {
        rc = store_stmt(db, SQL_EDGE_INSERT, &st, err);
        if (rc != SP_OK)
            return rc;
        ids_uuid_v4(id);
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, source_id);
        store_bind_text(st, 3, target_id);
        rc = store_run(db, st, NULL, err);
        if (rc != SP_OK)
            return rc;
    }
    if (inserted)
        *inserted = !found;
    if (edge_id)
        memcpy(edge_id, id, 37);
    return SP_OK;
}

int store_graph_edge_ensure(struct db *db, const char *source_id, const char *target_id,
                            bool *inserted, char edge_id[37], struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = edge_ensure_locked(db, source_id, target_id, inserted, edge_id, err);
    return store_txn_end(db, rc, err);
}

int store_graph_children(struct db *db, const char *parent_id, const char *type, struct buf *out,
                         struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_CHILDREN, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, parent_id);
    store_bind_text(st, 2, type);
    return store_list_json(db, st, schema_table(SCHEMA_NODES), NULL, 0, out, err);
}

int store_graph_child_edges(struct db *db, const char *parent_id, const char *type, struct buf *out,
                            struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_CHILD_EDGES, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, parent_id);
    store_bind_text(st, 2, type);
    return store_list_json(db, st, schema_table(SCHEMA_NODE_EDGES), NULL, 0, out, err);
}

int store_graph_legacy_edges(struct db *db, const char *parent_id, const char *type,
                             struct buf *out, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_LEGACY_EDGES, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, parent_id);
    store_bind_text(st, 2, type);
    return store_list_json(db, st, schema_table(SCHEMA_NODE_EDGES), NULL, 0, out, err);
}

/* The legacy edge object (store_graph_legacy_edges) for one edge id. */
static int store_graph_legacy_edge(struct db *db, const char *edge_id, struct buf *out,
                                   struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_LEGACY_EDGE, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, edge_id);
    rc = store_one_json(db, st, schema_table(SCHEMA_NODE_EDGES), NULL, 0, out, err);
    return rc == SP_ENOTFOUND ? sp_error_set(err, rc, "Edge not found") : rc;
}

int store_graph_documents(struct db *db, const char *node_id, struct buf *out, struct sp_error *err)
{
    const struct model_table *t = schema_table(SCHEMA_TOPIC_DOCUMENTS);
    const int cols[2] = { model_column_index(t, "original_filename"),
                          model_column_index(t, "extracted_text") };
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_DOCUMENTS, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, node_id);
    return store_list_json(db, st, t, cols, 2, out, err);
}

int store_graph_has_generation(struct db *db, const char *node_id, const char *trigger, bool *found,
                               struct sp_error *err)
{
    struct dbi_stmt *st;
    *found = false;
    int rc = store_stmt(db, SQL_GENERATION_FIND, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, node_id);
    store_bind_text(st, 2, trigger);
    return query_one(db, st, found, NULL, 0, NULL, err);
}

int store_graph_diagnostic_question_count(struct db *db, const char *user_id, const char *node_id,
                                          int64_t *count, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_QUESTION_COUNT, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, node_id);
    bool found;
    *count = 0;
    return query_one(db, st, &found, NULL, 0, count, err);
}

static int diagnostic_newest(struct db *db, const char *user_id, const char *node_id, bool *found,
                             char id[37], struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_DIAGNOSTIC_NEWEST, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, node_id);
    return query_one(db, st, found, id, 37, NULL, err);
}

static int add_question_locked(struct db *db, const char *user_id, const char *node_id,
                               const char *node_title, char assessment_id[37],
                               const struct store_question *q, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc;
    if (!assessment_id[0]) {
        bool found = false;
        rc = store_txn_lock(db, "sprout.diagnostic", user_id, node_id, err);
        if (rc == SP_OK)
            rc = diagnostic_newest(db, user_id, node_id, &found, assessment_id, err);
        if (rc != SP_OK)
            return rc;
        if (!found) {
            rc = store_stmt(db, SQL_ASSESSMENT_INSERT, &st, err);
            if (rc != SP_OK)
                return rc;
            struct buf title = BUF_INIT(0);
            if (buf_printf(&title, "Diagnostic for %s", node_title) != SP_OK) {
                buf_release(&title);
                return sp_error_set(err, SP_ENOMEM, "out of memory");
            }
            ids_uuid_v4(assessment_id);
            store_bind_text(st, 1, assessment_id);
            store_bind_text(st, 2, user_id);
            store_bind_text(st, 3, node_id);
            dbi_bind_text(st, 4, title.data, title.len, DBI_TRANSIENT);
            buf_release(&title);
            rc = store_run(db, st, NULL, err);
            if (rc != SP_OK)
                return rc;
        }
    }
    rc = store_stmt(db, SQL_QUESTION_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    char id[37];
    ids_uuid_v4(id);
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, assessment_id);
    store_bind_text(st, 3, node_id);
    store_bind_text(st, 4, q->format);
    store_bind_text(st, 5, q->prompt);
    store_bind_text(st, 6, q->options_json);
    store_bind_text(st, 7, q->correct_answer);
    dbi_bind_int64(st, 8, q->difficulty);
    return store_run(db, st, NULL, err);
}

int store_graph_add_diagnostic_question(struct db *db, const char *user_id, const char *node_id,
                                        const char *node_title, char assessment_id[37],
                                        const struct store_question *q, struct sp_error *err)
{
    char saved[37];
    memcpy(saved, assessment_id, 37);
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = add_question_locked(db, user_id, node_id, node_title, assessment_id, q, err);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        memcpy(assessment_id, saved, 37); /* a rolled-back assessment does not exist */
    return rc;
}

static int progress_flag_locked(struct db *db, const char *user_id, const char *node_id,
                                bool generated, int attempts_if_new, struct sp_error *err)
{
    char now[25];
    time_iso_now(now);
    struct dbi_stmt *st;
    int rc = store_txn_lock(db, "sprout.progress", user_id, node_id, err);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_PROGRESS_UPDATE, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, node_id);
    dbi_bind_int64(st, 3, generated ? 1 : 0);
    store_bind_text(st, 4, now);
    int changes = 0;
    rc = store_run(db, st, &changes, err);
    if (rc != SP_OK || changes > 0)
        return rc;
    rc = store_stmt(db, SQL_PROGRESS_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    char id[37];
    ids_uuid_v4(id);
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, node_id);
    dbi_bind_int64(st, 3, generated ? 1 : 0);
    store_bind_text(st, 4, now);
    store_bind_text(st, 5, id);
    dbi_bind_int64(st, 6, attempts_if_new);
    return store_run(db, st, NULL, err);
}

int store_graph_bootstrap_done(struct db *db, const char *user_id, const char *node_id,
                               const char *model, const char *prompt, const char *response_meta,
                               bool generated, struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = store_generation_insert(db, node_id, "on_first_enter", model, prompt, response_meta, err);
    if (rc == SP_OK)
        rc = progress_flag_locked(db, user_id, node_id, generated, 0, err);
    return store_txn_end(db, rc, err);
}

int store_graph_has_generated_subnodes(struct db *db, const char *user_id, const char *node_id,
                                       bool *generated, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_PROGRESS_FLAG, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, node_id);
    bool found = false;
    int64_t flag = 0;
    rc = query_one(db, st, &found, NULL, 0, &flag, err);
    *generated = rc == SP_OK && found && flag == 1;
    return rc;
}

static int legacy_save_locked(struct db *db, const struct store_legacy_batch *b, struct buf *out,
                              struct sp_error *err)
{
    char(*ids)[37] = calloc(b->n ? b->n : 1, sizeof *ids);
    if (!ids)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int rc = buf_printf(out, "{\"generated\":true,\"%s\":[", b->reply_key);
    for (size_t i = 0; rc == SP_OK && i < b->n; i++) {
        if (i)
            rc = buf_putc(out, ',');
        if (rc == SP_OK)
            rc = node_insert_locked(db, b->user_id, b->type, b->branch_id, b->parent_id,
                                    b->titles[i], b->descs[i], ids[i], out, err);
    }
    if (rc == SP_OK)
        rc = buf_puts(out, "],\"edges\":[");
    for (size_t k = 0; rc == SP_OK && k < b->n_edges; k++) {
        char edge_id[37];
        rc = edge_ensure_locked(db, ids[b->edge_from[k]], ids[b->edge_to[k]], NULL, edge_id, err);
        if (rc == SP_OK && k)
            rc = buf_putc(out, ',');
        if (rc == SP_OK)
            rc = store_graph_legacy_edge(db, edge_id, out, err);
    }
    if (rc == SP_OK)
        rc = buf_puts(out, "]}");
    if (rc == SP_OK)
        rc = store_generation_insert(db, b->parent_id, "on_first_enter", b->model, b->prompt,
                                     b->response_meta, err);
    if (rc == SP_OK && b->mark_progress)
        rc = progress_flag_locked(db, b->user_id, b->parent_id, true, 1, err);
    free(ids);
    return rc;
}

int store_graph_legacy_save(struct db *db, const struct store_legacy_batch *b, struct buf *out,
                            struct sp_error *err)
{
    size_t len0 = out->len;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = legacy_save_locked(db, b, out, err);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}

int store_graph_diagnostic_data(struct db *db, const char *user_id, const char *node_id,
                                struct buf *out, struct sp_error *err)
{
    bool found = false;
    char id[37] = "";
    int rc = diagnostic_newest(db, user_id, node_id, &found, id, err);
    if (rc != SP_OK)
        return rc;
    if (!found)
        return buf_puts(out, "null") == SP_OK ? SP_OK : sp_error_set(err, SP_ENOMEM, "oom");
    size_t len0 = out->len;
    struct dbi_stmt *st;
    rc = buf_printf(out, "{\"assessmentId\":\"%s\",\"questions\":", id);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_QUESTIONS, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, id);
        rc = store_list_json(db, st, schema_table(SCHEMA_QUESTIONS), NULL, 0, out, err);
    }
    if (rc == SP_OK)
        rc = buf_puts(out, ",\"answers\":");
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_ANSWERS, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, user_id);
        rc = store_list_json(db, st, schema_table(SCHEMA_ANSWERS), NULL, 0, out, err);
    }
    if (rc == SP_OK)
        rc = buf_putc(out, '}');
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}
