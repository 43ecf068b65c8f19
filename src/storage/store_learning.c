/* storage/store_learning.c: SQL of the concept agents (see store_learning.h): diagnostics,
 * grading, graph edits (each one BEGIN IMMEDIATE transaction) and the reads they need.
 * Thread model: the caller's connection; reads take no transaction.
 */
#include "storage/store_learning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/dialect.h"
#include "storage/store_sql.h"
#include "util/ids.h"

#define NODE_COLS                                                              \
    "\"id\", \"user_id\", \"type\", \"branch_id\", \"parent_id\", \"title\", " \
    "\"desc\", \"accuracy_score\", \"created_at\", \"updated_at\""
#define ASSESS_COLS                                                  \
    "\"id\", \"user_id\", \"target_node_id\", \"type\", \"title\", " \
    "\"created_at\", \"completed_at\""
#define EDGE_COLS "e.\"id\", e.\"source_node_id\", e.\"target_node_id\", e.\"created_at\""

static const char SQL_USER_EXISTS[] = "SELECT 1 FROM users WHERE id = ?1";
/* Newest first: createdAt strings compare (both formats share the date prefix), then rowid. */
static const char SQL_DIAG[] =
    "SELECT " ASSESS_COLS
    " FROM assessments a WHERE user_id = ?1 AND target_node_id = ?2 "
    "AND type = 'diagnostic' AND EXISTS (SELECT 1 FROM questions q WHERE q.assessment_id = a.id) "
    "ORDER BY created_at DESC, rowid DESC LIMIT 1";
static const char SQL_DIAG_EMPTY[] =
    "SELECT id FROM assessments a WHERE user_id = ?1 AND target_node_id = ?2 "
    "AND type = 'diagnostic' ORDER BY created_at DESC, rowid DESC LIMIT 1";
static const char SQL_ASSESS_GET[] = "SELECT " ASSESS_COLS " FROM assessments WHERE id = ?1";
static const char SQL_ASSESS_INSERT[] =
    "INSERT INTO assessments (id, user_id, target_node_id, type, title) "
    "VALUES (?1, ?2, ?3, 'diagnostic', ?4)";
static const char SQL_Q_INSERT[] =
    "INSERT INTO questions (id, assessment_id, node_id, format, prompt, options, correct_answer, "
    "difficulty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/* Plain rows, made JSON by rowjson (the same bytes on both databases; SQLite's json_object()
 * has no byte-identical PostgreSQL twin): progress columns by their keys, the title as is. */
static const char SQL_HISTORY[] =
    "SELECT p.node_id, n.title AS \"title\", p.mastery_score, p.completed_at "
    "FROM user_node_progress p LEFT JOIN nodes n ON n.id = p.node_id WHERE p.user_id = ?1 "
    "ORDER BY p.rowid";
static const char SQL_EDGES_FROM[] =
    "SELECT " EDGE_COLS
    " FROM node_edges e WHERE e.source_node_id IN "
    "(SELECT id FROM nodes WHERE parent_id = ?1 AND type = ?2) ORDER BY e.rowid";
static const char SQL_GRADE[] =
    "UPDATE answers SET is_correct = ?2, score = ?3, feedback = ?4 WHERE id = ?1";
static const char SQL_NODE_INSERT[] =
    "INSERT INTO nodes (id, user_id, type, branch_id, parent_id, title, \"desc\") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING " NODE_COLS;
static const char SQL_EDGE_INSERT[] =
    "INSERT INTO node_edges (id, source_node_id, target_node_id) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (source_node_id, target_node_id) DO NOTHING";
static const char SQL_EDGE_DELETE[] =
    "DELETE FROM node_edges WHERE source_node_id = ?1 AND target_node_id = ?2";
static const char SQL_EDGES_IN[] =
    "SELECT source_node_id, target_node_id FROM node_edges WHERE target_node_id = ?1 "
    "ORDER BY rowid";
static const char SQL_EDGES_OUT[] =
    "SELECT source_node_id, target_node_id FROM node_edges WHERE source_node_id = ?1 "
    "ORDER BY rowid";
static const char SQL_EDGES_OUT_SIBLING[] =
    "SELECT e.source_node_id, e.target_node_id FROM node_edges e JOIN nodes t "
    "ON t.id = e.target_node_id WHERE e.source_node_id = ?1 AND t.type = 'concept' "
    "AND t.parent_id IS NOT DISTINCT FROM ?2 ORDER BY e.rowid";
static const char SQL_NODE_DELETE[] = "DELETE FROM nodes WHERE id = ?1";

/* ---- edge lists ---- */

int store_learning_edges_add(struct learning_edges *e, const char *source, const char *target)
{
    return store_learning_edges_op(e, source, target, false);
}

int store_learning_edges_op(struct learning_edges *e, const char *source, const char *target,
                            bool remove)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        struct learning_edge *v = realloc(e->v, cap * sizeof *v);
        if (!v)
            return SP_ENOMEM;
        e->v = v;
        e->cap = cap;
    }
    char *s = strdup(source), *t = strdup(target);
    if (!s || !t) {
        free(s);
        free(t);
        return SP_ENOMEM;
    }
    e->v[e->n++] = (struct learning_edge){ s, t, remove };
    return SP_OK;
}

void store_learning_edges_free(struct learning_edges *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].source);
        free(e->v[i].target);
    }
    free(e->v);
    *e = (struct learning_edges){ 0 };
}

/* ---- reads ---- */

int store_learning_user_exists(struct db *db, const char *user_id, bool *exists,
                               struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_USER_EXISTS, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, user_id, DBI_NTS, DBI_STATIC);
    int step = dbi_step(st);
    if (step != DBI_ROW && step != DBI_DONE)
        return store_step_error(db, st, step, err);
    *exists = step == DBI_ROW;
    dbi_reset(st);
    return SP_OK;
}

int store_learning_diagnostic(struct db *db, const char *user_id, const char *node_id,
                              struct buf *out, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_DIAG, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, user_id, DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 2, node_id, DBI_NTS, DBI_STATIC);
    return store_one_json(db, st, schema_table(SCHEMA_ASSESSMENTS), NULL, 0, out, err);
}

int store_learning_history(struct db *db, const char *user_id, struct buf *out,
                           struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_HISTORY, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, user_id, DBI_NTS, DBI_STATIC);
    return store_list_json(db, st, schema_table(SCHEMA_USER_NODE_PROGRESS), NULL, 0, out, err);
}

int store_learning_edges_from_children(struct db *db, const char *parent_id, const char *child_type,
                                       struct buf *out, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_EDGES_FROM, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, parent_id, DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 2, child_type, DBI_NTS, DBI_STATIC);
    return store_list_json(db, st, schema_table(SCHEMA_NODE_EDGES), NULL, 0, out, err);
}

int store_learning_last_refinement(struct db *db, const char *node_id, const char *assessment_id,
                                   const char *user_id, long *answer_count, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, store_dialect(db, &STORE_SQL_LAST_REFINE), &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, node_id, DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 2, assessment_id, DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 3, user_id, DBI_NTS, DBI_STATIC);
    int step = dbi_step(st);
    if (step != DBI_ROW && step != DBI_DONE)
        return store_step_error(db, st, step, err);
    *answer_count = -1;
    if (step == DBI_ROW && dbi_column_type(st, 0) == DBI_INTEGER)
        *answer_count = (long)dbi_column_int64(st, 0);
    dbi_reset(st);
    return SP_OK;
}

/* ---- write helpers (inside an open transaction) ---- */

static int run_stmt(struct db *db, const char *sql, const char *const *texts, size_t n,
                    int *changes, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, sql, &st, err);
    if (rc != SP_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        store_bind_text(st, (int)i + 1, texts[i]);
    return store_run(db, st, changes, err);
}

static int edge_insert(struct db *db, const char *src, const char *tgt, bool *inserted,
                       struct sp_error *err)
{
    char id[37];
    ids_uuid_v4(id);
    const char *v[] = { id, src, tgt };
    int changes = 0;
    int rc = run_stmt(db, SQL_EDGE_INSERT, v, 3, &changes, err);
    if (inserted)
        *inserted = rc == SP_OK && changes > 0;
    return rc;
}

static int edge_delete(struct db *db, const char *src, const char *tgt, struct sp_error *err)
{
    const char *v[] = { src, tgt };
    return run_stmt(db, SQL_EDGE_DELETE, v, 2, NULL, err);
}

static int node_insert(struct db *db, const struct learning_node *n, char id_out[37],
                       struct buf *out, struct sp_error *err)
{
    char id[37];
    if (n->id)
        snprintf(id, sizeof id, "%s", n->id);
    else
        ids_uuid_v4(id);
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_NODE_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    const char *v[] = { id, n->user_id, n->type, n->branch_id, n->parent_id, n->title, n->desc };
    for (int i = 0; i < 7; i++)
        store_bind_text(st, i + 1, v[i]);
    rc = store_one_json(db, st, schema_table(SCHEMA_NODES), NULL, 0, out, err);
    if (rc == SP_ENOTFOUND)
        rc = sp_error_set(err, SP_EDB, "insert into nodes returned no row");
    if (rc == SP_OK && id_out)
        memcpy(id_out, id, 37);
    return rc;
}

/* Edges of sql (?1 = id, ?2 = second) into list. */
static int edges_query(struct db *db, const char *sql, const char *id, const char *second,
                       bool bind_second, struct learning_edges *list, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, sql, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, id, DBI_NTS, DBI_STATIC);
    if (bind_second)
        store_bind_text(st, 2, second);
    int step;
    while ((step = dbi_step(st)) == DBI_ROW) {
        rc = store_learning_edges_add(list, dbi_column_text(st, 0), dbi_column_text(st, 1));
        if (rc != SP_OK) {
            dbi_reset(st);
            return sp_error_set(err, rc, "out of memory");
        }
    }
    if (step != DBI_DONE)
        return store_step_error(db, st, step, err);
    dbi_reset(st);
    return SP_OK;
}

/* ---- writes ---- */

int store_learning_diagnostic_create(struct db *db, const char *user_id, const char *node_id,
                                     const char *title, const struct learning_question *q,
                                     size_t n_questions, bool *created, struct buf *out,
                                     struct sp_error *err)
{
    size_t len0 = out->len;
    *created = false;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = store_txn_lock(db, "sprout.diagnostic", user_id, node_id, err);
    if (rc == SP_OK)
        rc = store_learning_diagnostic(db, user_id, node_id, out, err);
    if (rc != SP_ENOTFOUND) /* exists by now (a concurrent run wrote it), or a failure */
        return store_txn_end(db, rc, err);
    char aid[37] = { 0 };
    struct dbi_stmt *st;
    rc = store_stmt(db, SQL_DIAG_EMPTY, &st, err);
    if (rc == SP_OK) {
        dbi_bind_text(st, 1, user_id, DBI_NTS, DBI_STATIC);
        dbi_bind_text(st, 2, node_id, DBI_NTS, DBI_STATIC);
        int step = dbi_step(st);
        if (step == DBI_ROW) /* an empty one (the original's bug B6): fill it */
            snprintf(aid, sizeof aid, "%s", dbi_column_text(st, 0));
        else if (step != DBI_DONE)
            rc = store_step_error(db, st, step, err);
        dbi_reset(st);
    }
    if (rc == SP_OK && !aid[0]) {
        ids_uuid_v4(aid);
        const char *v[] = { aid, user_id, node_id, title };
        rc = run_stmt(db, SQL_ASSESS_INSERT, v, 4, NULL, err);
    }
    for (size_t i = 0; rc == SP_OK && i < n_questions; i++) {
        char qid[37];
        ids_uuid_v4(qid);
        rc = store_stmt(db, SQL_Q_INSERT, &st, err);
        if (rc != SP_OK)
            break;
        const char *v[] = {
            qid, aid, node_id, q[i].format, q[i].prompt, q[i].options, q[i].correct_answer
        };
        for (int k = 0; k < 7; k++)
            store_bind_text(st, k + 1, v[k]);
        dbi_bind_int64(st, 8, q[i].difficulty);
        rc = store_run(db, st, NULL, err);
    }
    if (rc == SP_OK) {
        rc = store_stmt(db, SQL_ASSESS_GET, &st, err);
        if (rc == SP_OK) {
            dbi_bind_text(st, 1, aid, DBI_NTS, DBI_TRANSIENT);
            rc = store_one_json(db, st, schema_table(SCHEMA_ASSESSMENTS), NULL, 0, out, err);
            if (rc == SP_ENOTFOUND)
                rc = sp_error_set(err, SP_EDB, "the new assessment is missing");
        }
    }
    rc = store_txn_end(db, rc, err);
    if (rc == SP_OK)
        *created = true;
    else
        store_truncate(out, len0);
    return rc;
}

int store_learning_grade(struct db *db, const struct learning_grade *g, size_t n,
                         struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    for (size_t i = 0; rc == SP_OK && i < n; i++) {
        struct dbi_stmt *st;
        rc = store_stmt(db, SQL_GRADE, &st, err);
        if (rc != SP_OK)
            break;
        dbi_bind_text(st, 1, g[i].answer_id, DBI_NTS, DBI_STATIC);
        if (g[i].is_correct < 0)
            dbi_bind_null(st, 2);
        else
            dbi_bind_int64(st, 2, g[i].is_correct ? 1 : 0);
        if (g[i].has_score)
            dbi_bind_double(st, 3, g[i].score);
        else
            dbi_bind_null(st, 3);
        store_bind_text(st, 4, g[i].feedback);
        rc = store_run(db, st, NULL, err);
    }
    return store_txn_end(db, rc, err);
}

int store_learning_add_node(struct db *db, const struct learning_node *node,
                            const char *const *deps, size_t n_deps, char id_out[37],
                            struct buf *out, struct sp_error *err)
{
    size_t len0 = out->len;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = node_insert(db, node, id_out, out, err);
    for (size_t i = 0; rc == SP_OK && i < n_deps; i++)
        rc = edge_insert(db, deps[i], id_out, NULL, err);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}

int store_learning_insert_concept(struct db *db, const struct learning_node *node,
                                  const char *current_id, enum learning_side side, char id_out[37],
                                  struct buf *out, struct learning_edges *removed,
                                  struct learning_edges *created, struct sp_error *err)
{
    size_t len0 = out->len;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    struct learning_edges old = { 0 };
    if (side == LEARNING_BEFORE)
        rc = edges_query(db, SQL_EDGES_IN, current_id, NULL, false, &old, err);
    else
        rc = edges_query(db, SQL_EDGES_OUT_SIBLING, current_id, node->parent_id, true, &old, err);
    if (rc == SP_OK)
        rc = node_insert(db, node, id_out, out, err);
    for (size_t i = 0; rc == SP_OK && i < old.n; i++) {
        const struct learning_edge *e = &old.v[i];
        rc = edge_delete(db, e->source, e->target, err);
        if (rc == SP_OK)
            rc = store_learning_edges_add(removed, e->source, e->target);
        const char *s = side == LEARNING_BEFORE ? e->source : id_out;
        const char *t = side == LEARNING_BEFORE ? id_out : e->target;
        bool ins = false;
        if (rc == SP_OK)
            rc = edge_insert(db, s, t, &ins, err);
        if (rc == SP_OK && ins)
            rc = store_learning_edges_add(created, s, t);
    }
    if (rc == SP_OK) {
        const char *s = side == LEARNING_BEFORE ? id_out : current_id;
        const char *t = side == LEARNING_BEFORE ? current_id : id_out;
        rc = edge_insert(db, s, t, NULL, err);
        if (rc == SP_OK)
            rc = store_learning_edges_add(created, s, t);
    }
    if (rc == SP_ENOMEM)
        sp_error_set(err, rc, "out of memory");
    store_learning_edges_free(&old);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK) {
        store_truncate(out, len0);
        store_learning_edges_free(removed);
        store_learning_edges_free(created);
    }
    return rc;
}

/* SP_ECONFLICT naming what still references the node (its edges are rewired by the caller). */
static int refs_check(struct db *db, const char *id, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    int rc = store_node_refs(db, id, true, &b, err);
    if (rc == SP_OK && b.len)
        rc = sp_error_set(err, SP_ECONFLICT, "is still referenced by %s", buf_cstr(&b));
    buf_release(&b);
    return rc;
}

int store_learning_remove_node(struct db *db, const char *node_id, struct learning_edges *removed,
                               struct learning_edges *created, struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    struct learning_edges in = { 0 }, outg = { 0 };
    rc = refs_check(db, node_id, err);
    if (rc == SP_OK)
        rc = edges_query(db, SQL_EDGES_IN, node_id, NULL, false, &in, err);
    if (rc == SP_OK)
        rc = edges_query(db, SQL_EDGES_OUT, node_id, NULL, false, &outg, err);
    for (int pass = 0; pass < 2 && rc == SP_OK; pass++) {
        struct learning_edges *l = pass ? &outg : &in;
        for (size_t i = 0; rc == SP_OK && i < l->n; i++) {
            rc = edge_delete(db, l->v[i].source, l->v[i].target, err);
            if (rc == SP_OK)
                rc = store_learning_edges_add(removed, l->v[i].source, l->v[i].target);
        }
    }
    for (size_t i = 0; rc == SP_OK && i < in.n; i++)
        for (size_t j = 0; rc == SP_OK && j < outg.n; j++) {
            const char *s = in.v[i].source, *t = outg.v[j].target;
            if (strcmp(s, t) == 0) /* a 2-cycle through the node: no self-loop */
                continue;
            bool ins = false;
            rc = edge_insert(db, s, t, &ins, err);
            if (rc == SP_OK && ins)
                rc = store_learning_edges_add(created, s, t);
        }
    if (rc == SP_OK) {
        const char *v[] = { node_id };
        int changes = 0;
        rc = run_stmt(db, SQL_NODE_DELETE, v, 1, &changes, err);
        if (rc == SP_OK && changes == 0)
            rc = sp_error_set(err, SP_ENOTFOUND, "was deleted meanwhile");
    }
    if (rc == SP_ENOMEM)
        sp_error_set(err, rc, "out of memory");
    store_learning_edges_free(&in);
    store_learning_edges_free(&outg);
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK) {
        store_learning_edges_free(removed);
        store_learning_edges_free(created);
    }
    return rc;
}

static int gen_insert(struct db *db, const struct learning_generation *g, struct sp_error *err)
{
    return store_generation_insert(db, g->node_id, g->trigger, g->model, g->prompt,
                                   g->response_meta, err);
}

int store_learning_apply(struct db *db, const struct learning_node *nodes, size_t n_nodes,
                         const struct learning_edges *ops, const struct learning_generation *gen,
                         struct buf *out, struct sp_error *err)
{
    size_t len0 = out->len;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = buf_putc(out, '[');
    for (size_t i = 0; rc == SP_OK && i < n_nodes; i++) {
        if (i)
            rc = buf_putc(out, ',');
        if (rc == SP_OK)
            rc = node_insert(db, &nodes[i], NULL, out, err);
    }
    if (rc == SP_OK)
        rc = buf_putc(out, ']');
    for (size_t i = 0; rc == SP_OK && ops && i < ops->n; i++) {
        const struct learning_edge *e = &ops->v[i];
        rc = e->remove ? edge_delete(db, e->source, e->target, err)
                       : edge_insert(db, e->source, e->target, NULL, err);
    }
    if (rc == SP_OK && gen)
        rc = gen_insert(db, gen, err);
    if (rc == SP_ENOMEM || rc == SP_ETOOBIG)
        sp_error_set(err, rc, "building the reply");
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        store_truncate(out, len0);
    return rc;
}

int store_learning_generation(struct db *db, const struct learning_generation *gen,
                              struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    rc = gen_insert(db, gen, err);
    return store_txn_end(db, rc, err);
}
