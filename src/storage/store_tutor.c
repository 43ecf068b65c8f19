/* storage/store_tutor.c: SQL for the tutor route and its tools (see store_tutor.h).
 *
 * "Latest" and "first" follow spec/agents.md §0: createdAt string order, then insertion
 * (rowid). Timestamps written here are ISO (updatedAt, first/lastEnteredAt, endedAt).
 * The tool exchanges of a turn are chat_messages rows with role "tool" (kind "tool_exchange"),
 * which the client's message list ignores (it keeps roles user and assistant only).
 * Thread model: the caller's connection; reads take no transaction, every write sequence one
 * BEGIN IMMEDIATE under the storage write lock.
 */
#include "storage/store_tutor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_sql.h"
#include "util/ids.h"
#include "util/timefmt.h"

static const char SQL_SESSION[] = "SELECT id, user_id, node_id FROM chat_sessions WHERE id = ?1";
static const char SQL_NODE[] =
    "SELECT n.id, n.title, n.\"desc\", n.parent_id, p.title FROM nodes n "
    "LEFT JOIN nodes p ON p.id = n.parent_id WHERE n.id = ?1";
static const char SQL_USER[] = "SELECT 1 FROM users WHERE id = ?1";
static const char SQL_MESSAGES[] =
    "SELECT role, kind, content FROM chat_messages WHERE session_id = ?1 "
    "ORDER BY created_at, rowid";
static const char SQL_LAST_MESSAGE[] =
    "SELECT role, kind, content FROM chat_messages WHERE session_id = ?1 "
    "ORDER BY created_at DESC, rowid DESC LIMIT 1";
static const char SQL_INSERT_MESSAGE[] =
    "INSERT INTO chat_messages (id, session_id, user_id, role, kind, content) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_DIAGNOSTIC[] =
    "SELECT id FROM assessments WHERE user_id = ?1 AND target_node_id = ?2 "
    "AND type = 'diagnostic' ORDER BY created_at DESC, rowid DESC LIMIT 1";
/* joined on the primary key: PostgreSQL's rowid column (db/schema.c) has no index */
static const char SQL_DIAG_ITEMS[] =
    "SELECT q.prompt, q.format, q.correct_answer, a.answer_text, a.selected_option, "
    "a.is_correct, a.score, a.feedback FROM questions q "
    "LEFT JOIN answers a ON a.id = (SELECT a2.id FROM answers a2 "
    "WHERE a2.question_id = q.id AND a2.user_id = ?2 ORDER BY a2.created_at DESC, a2.rowid DESC "
    "LIMIT 1) WHERE q.assessment_id = ?1 ORDER BY q.rowid";
static const char SQL_PREREQ_COUNT[] = "SELECT count(*) FROM node_edges WHERE target_node_id = ?1";
static const char SQL_PREREQS[] =
    "SELECT n.title, coalesce(p.mastery_score, 0) FROM node_edges e "
    "JOIN nodes n ON n.id = e.source_node_id "
    "LEFT JOIN user_node_progress p ON p.node_id = n.id AND p.user_id = ?2 "
    "WHERE e.target_node_id = ?1 ORDER BY e.rowid";
static const char SQL_QUIZ[] =
    "SELECT id FROM assessments WHERE user_id = ?1 AND target_node_id = ?2 AND type = 'quiz' "
    "ORDER BY rowid LIMIT 1";
static const char SQL_QUIZ_INSERT[] =
    "INSERT INTO assessments (id, user_id, target_node_id, type, title) "
    "VALUES (?1, ?2, ?3, 'quiz', ?4)";
static const char SQL_QUESTION_INSERT[] =
    "INSERT INTO questions (id, assessment_id, node_id, format, prompt, correct_answer, "
    "difficulty) VALUES (?1, ?2, ?3, 'open_ended', ?4, NULL, 3)";
static const char SQL_ANSWER_INSERT[] =
    "INSERT INTO answers (id, user_id, assessment_id, question_id, answer_text, is_correct, "
    "score, feedback) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_QUIZ_STATS[] =
    "SELECT count(*), coalesce(sum(CASE WHEN is_correct = true THEN 1 ELSE 0 END), 0), avg(score) "
    "FROM answers WHERE user_id = ?1 "
    "AND question_id IN (SELECT id FROM questions WHERE assessment_id = ?2)";
static const char SQL_PROGRESS_UPSERT[] =
    "INSERT INTO user_node_progress (id, user_id, node_id, first_entered_at, last_entered_at, "
    "mastery_score, attempts_count, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?4) "
    "ON CONFLICT (user_id, node_id) DO UPDATE SET mastery_score = excluded.mastery_score, "
    "attempts_count = excluded.attempts_count, updated_at = excluded.updated_at";
static const char SQL_CONTENT_ACTIVE[] =
    "SELECT id, cards FROM node_contents WHERE node_id = ?1 AND status = 'active' "
    "ORDER BY rowid LIMIT 1";
static const char SQL_CONTENT_INSERT[] =
    "INSERT INTO node_contents (id, node_id, explanation_md, cards, status) "
    "VALUES (?1, ?2, ?3, '[]', 'active')";
static const char SQL_CARDS_UPDATE[] = "UPDATE node_contents SET cards = ?2 WHERE id = ?1";
static const char SQL_SESSION_END[] = "UPDATE chat_sessions SET ended_at = ?2 WHERE id = ?1";

/* ---- small helpers ---- */

/* A new copy of a text column, NULL for SQL NULL; *oom set when the copy failed. */
static char *col_dup(struct dbi_stmt *st, int i, bool *oom)
{
    if (dbi_column_type(st, i) == DBI_NULL)
        return NULL;
    const char *t = dbi_column_text(st, i);
    char *r = strdup(t ? t : "");
    if (!r)
        *oom = true;
    return r;
}

static json_t *col_json(struct dbi_stmt *st, int i)
{
    switch (dbi_column_type(st, i)) {
    case DBI_INTEGER: return json_integer(dbi_column_int64(st, i));
    case DBI_FLOAT: return json_real(dbi_column_double(st, i));
    case DBI_TEXT: return json_stringn(dbi_column_text(st, i), dbi_column_bytes(st, i));
    case DBI_BLOB:
        return json_stringn((const char *)dbi_column_blob(st, i), dbi_column_bytes(st, i));
    default: return json_null();
    }
}

/* Step st to the end; each row becomes an object of keys[0..n) from its columns. */
static int rows_json(struct db *db, struct dbi_stmt *st, const char *const *keys, int n,
                     json_t **out, struct sp_error *err)
{
    json_t *arr = json_array();
    int rc;
    if (!arr) {
        dbi_reset(st);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    while ((rc = dbi_step(st)) == DBI_ROW) {
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o))
            goto oom;
        for (int i = 0; i < n; i++)
            if (json_object_set_new(o, keys[i], col_json(st, i)))
                goto oom;
    }
    if (rc != DBI_DONE) {
        json_decref(arr);
        return store_step_error(db, st, rc, err);
    }
    dbi_reset(st);
    *out = arr;
    return SP_OK;
oom:
    dbi_reset(st);
    json_decref(arr);
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}

/* Step a statement expected to give at most one row: SP_OK with the row (caller resets),
 * SP_ENOTFOUND (reset), or an error (reset). */
static int one_row(struct db *db, struct dbi_stmt *st, struct sp_error *err)
{
    int rc = dbi_step(st);
    if (rc == DBI_ROW)
        return SP_OK;
    if (rc == DBI_DONE) {
        dbi_reset(st);
        return SP_ENOTFOUND;
    }
    return store_step_error(db, st, rc, err);
}

/* ---- reads for validation ---- */

int store_tutor_session_get(struct db *db, const char *session_id, struct store_tutor_session *out,
                            struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_SESSION, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, session_id);
    rc = one_row(db, st, err);
    if (rc == SP_ENOTFOUND)
        return sp_error_set(err, rc, "Session not found");
    if (rc != SP_OK)
        return rc;
    bool oom = false;
    out->id = col_dup(st, 0, &oom);
    out->user_id = col_dup(st, 1, &oom);
    out->node_id = col_dup(st, 2, &oom);
    dbi_reset(st);
    if (oom) {
        store_tutor_session_clear(out);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    return SP_OK;
}

void store_tutor_session_clear(struct store_tutor_session *s)
{
    free(s->id);
    free(s->user_id);
    free(s->node_id);
    memset(s, 0, sizeof *s);
}

int store_tutor_node_get(struct db *db, const char *node_id, struct store_tutor_node *out,
                         struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_NODE, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, node_id);
    rc = one_row(db, st, err);
    if (rc == SP_ENOTFOUND)
        return sp_error_set(err, rc, "Node not found");
    if (rc != SP_OK)
        return rc;
    bool oom = false;
    out->id = col_dup(st, 0, &oom);
    out->title = col_dup(st, 1, &oom);
    out->desc = col_dup(st, 2, &oom);
    out->parent_id = col_dup(st, 3, &oom);
    out->parent_title = col_dup(st, 4, &oom);
    dbi_reset(st);
    if (oom || !out->title) {
        store_tutor_node_clear(out);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    return SP_OK;
}

void store_tutor_node_clear(struct store_tutor_node *n)
{
    free(n->id);
    free(n->title);
    free(n->desc);
    free(n->parent_id);
    free(n->parent_title);
    memset(n, 0, sizeof *n);
}

int store_tutor_user_check(struct db *db, const char *user_id, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_USER, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    rc = one_row(db, st, err);
    if (rc == SP_ENOTFOUND)
        return sp_error_set(err, rc, "userId %s not found", user_id);
    if (rc == SP_OK)
        dbi_reset(st);
    return rc;
}

/* ---- the conversation ---- */

int store_tutor_messages(struct db *db, const char *session_id, json_t **out, struct sp_error *err)
{
    static const char *const keys[] = { "role", "kind", "content" };
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_MESSAGES, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, session_id);
    return rows_json(db, st, keys, 3, out, err);
}

static int insert_message(struct db *db, const char *session_id, const char *user_id,
                          const char *role, const char *kind, const char *content,
                          struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_INSERT_MESSAGE, &st, err);
    if (rc != SP_OK)
        return rc;
    char id[IDS_UUID_SIZE];
    ids_uuid_v4(id);
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, session_id);
    store_bind_text(st, 3, user_id);
    store_bind_text(st, 4, role);
    store_bind_text(st, 5, kind);
    store_bind_text(st, 6, content);
    return store_run(db, st, NULL, err);
}

int store_tutor_add_user_message(struct db *db, const char *session_id, const char *user_id,
                                 const char *kind, const char *content, bool *inserted,
                                 struct sp_error *err)
{
    *inserted = false;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    struct dbi_stmt *st;
    bool same = false;
    rc = store_txn_lock(db, "sprout.session", session_id, NULL, err);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_LAST_MESSAGE, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, session_id);
        rc = one_row(db, st, err);
        if (rc == SP_OK) {
            const char *role = dbi_column_text(st, 0);
            const char *k = dbi_column_text(st, 1);
            const char *c = dbi_column_text(st, 2);
            same = role && k && c && strcmp(role, "user") == 0 && strcmp(k, kind) == 0 &&
                   strcmp(c, content) == 0;
            dbi_reset(st);
        } else if (rc == SP_ENOTFOUND) {
            rc = SP_OK;
        }
    }
    if (rc == SP_OK && !same) {
        rc = insert_message(db, session_id, user_id, "user", kind, content, err);
        *inserted = rc == SP_OK;
    }
    rc = store_txn_end(db, rc, err);
    if (rc != SP_OK)
        *inserted = false;
    return rc;
}

/* ---- tool reads ---- */

int store_tutor_diagnostic(struct db *db, const char *user_id, const char *concept_id, json_t **out,
                           struct sp_error *err)
{
    static const char *const keys[] = { "prompt",     "format",         "correctAnswer",
                                        "answerText", "selectedOption", "isCorrect",
                                        "score",      "feedback" };
    *out = NULL;
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_DIAGNOSTIC, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, user_id);
    store_bind_text(st, 2, concept_id);
    rc = one_row(db, st, err);
    if (rc == SP_ENOTFOUND)
        return SP_OK;
    if (rc != SP_OK)
        return rc;
    bool oom = false;
    char *aid = col_dup(st, 0, &oom);
    dbi_reset(st);
    if (!aid)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    json_t *items = NULL;
    rc = store_stmt(db, SQL_DIAG_ITEMS, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, aid);
        store_bind_text(st, 2, user_id);
        rc = rows_json(db, st, keys, 8, &items, err);
    }
    if (rc == SP_OK) {
        *out = json_pack("{s:s, s:o}", "assessmentId", aid, "items", items);
        if (!*out)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    free(aid);
    return rc;
}

int store_tutor_prerequisites(struct db *db, const char *user_id, const char *node_id, json_t **out,
                              long *n_edges, struct sp_error *err)
{
    static const char *const keys[] = { "title", "masteryScore" };
    *out = NULL;
    *n_edges = 0;
    struct dbi_stmt *st;
    int rc = store_stmt(db, SQL_PREREQ_COUNT, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, node_id);
    rc = one_row(db, st, err);
    if (rc != SP_OK)
        return rc == SP_ENOTFOUND ? sp_error_set(err, SP_EDB, "count returned no row") : rc;
    *n_edges = (long)dbi_column_int64(st, 0);
    dbi_reset(st);
    rc = store_stmt(db, SQL_PREREQS, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, node_id);
    store_bind_text(st, 2, user_id);
    return rows_json(db, st, keys, 2, out, err);
}

/* ---- the exercise record ---- */

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

int store_tutor_record_exercise(struct db *db, const struct store_tutor_exercise *ex,
                                struct store_tutor_exercise_stats *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    char *quiz = NULL, qid[IDS_UUID_SIZE], aid[IDS_UUID_SIZE], pid[IDS_UUID_SIZE],
         now[TIME_ISO_SIZE];
    bool oom = false;
    ids_uuid_v4(qid);
    ids_uuid_v4(aid);
    ids_uuid_v4(pid);
    time_iso_now(now);
    struct dbi_stmt *st;
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    /* the practice quiz (and its stats below): one exercise of (user, node) at a time */
    rc = store_txn_lock(db, "sprout.quiz", ex->user_id, ex->node_id, err);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_QUIZ, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, ex->user_id);
        store_bind_text(st, 2, ex->node_id);
        rc = one_row(db, st, err);
        if (rc == SP_OK) {
            quiz = col_dup(st, 0, &oom);
            dbi_reset(st);
            if (!quiz)
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        }
    }
    if (rc == SP_ENOTFOUND) {
        struct buf title = BUF_INIT(0);
        quiz = malloc(IDS_UUID_LEN + 1);
        if (quiz)
            ids_uuid_v4(quiz);
        rc = quiz && buf_printf(&title, "Practice for %s", ex->node_title) == SP_OK
                 ? store_stmt(db, SQL_QUIZ_INSERT, &st, err)
                 : sp_error_set(err, SP_ENOMEM, "out of memory");
        if (rc == SP_OK) {
            store_bind_text(st, 1, quiz);
            store_bind_text(st, 2, ex->user_id);
            store_bind_text(st, 3, ex->node_id);
            store_bind_text(st, 4, buf_cstr(&title));
            rc = store_run(db, st, NULL, err);
        }
        buf_release(&title);
    }
    /* question and answer */
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_QUESTION_INSERT, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, qid);
        store_bind_text(st, 2, quiz);
        store_bind_text(st, 3, ex->node_id);
        store_bind_text(st, 4, ex->prompt);
        rc = store_run(db, st, NULL, err);
    }
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_ANSWER_INSERT, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, aid);
        store_bind_text(st, 2, ex->user_id);
        store_bind_text(st, 3, quiz);
        store_bind_text(st, 4, qid);
        store_bind_text(st, 5, ex->answer);
        dbi_bind_int64(st, 6, ex->is_correct ? 1 : 0);
        dbi_bind_double(st, 7, ex->score);
        store_bind_text(st, 8, ex->feedback);
        rc = store_run(db, st, NULL, err);
    }
    /* stats over the quiz */
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_QUIZ_STATS, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, ex->user_id);
        store_bind_text(st, 2, quiz);
        rc = one_row(db, st, err);
        if (rc == SP_OK) {
            out->total_attempts = (long)dbi_column_int64(st, 0);
            out->correct_count = (long)dbi_column_int64(st, 1);
            out->average_score =
                dbi_column_type(st, 2) == DBI_NULL ? ex->score : round3(dbi_column_double(st, 2));
            dbi_reset(st);
        } else if (rc == SP_ENOTFOUND) {
            rc = sp_error_set(err, SP_EDB, "aggregate returned no row");
        }
    }
    /* progress */
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_PROGRESS_UPSERT, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, pid);
        store_bind_text(st, 2, ex->user_id);
        store_bind_text(st, 3, ex->node_id);
        store_bind_text(st, 4, now);
        dbi_bind_double(st, 5, out->average_score);
        dbi_bind_int64(st, 6, out->total_attempts);
        rc = store_run(db, st, NULL, err);
    }
    free(quiz);
    return store_txn_end(db, rc, err);
}

/* ---- the end of a turn ---- */

static int save_cards(struct db *db, const struct store_tutor_turn *t, struct sp_error *err)
{
    struct dbi_stmt *st;
    char *cid = NULL, *cards = NULL;
    bool oom = false;
    /* the cards are read, changed and written back: one turn of the node at a time */
    int rc = store_txn_lock(db, "sprout.content", t->node_id, NULL, err);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_CONTENT_ACTIVE, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_text(st, 1, t->node_id);
    rc = one_row(db, st, err);
    if (rc == SP_OK) {
        cid = col_dup(st, 0, &oom);
        cards = col_dup(st, 1, &oom); /* NULL column: NULL */
        dbi_reset(st);
        if (oom || !cid)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    } else if (rc == SP_ENOTFOUND) {
        cid = malloc(IDS_UUID_LEN + 1);
        cards = strdup("[]");
        rc = cid && cards ? store_stmt(db, SQL_CONTENT_INSERT, &st, err)
                          : sp_error_set(err, SP_ENOMEM, "out of memory");
        if (rc == SP_OK) {
            ids_uuid_v4(cid);
            store_bind_text(st, 1, cid);
            store_bind_text(st, 2, t->node_id);
            store_bind_text(st, 3, t->new_explanation ? t->new_explanation : "");
            rc = store_run(db, st, NULL, err);
        }
    }
    struct buf out = BUF_INIT(0);
    if (rc == SP_OK)
        rc = t->cards(t->cards_ctx, cards, &out, err);
    free(cards);
    if (rc == SP_OK)
        rc = store_stmt(db, SQL_CARDS_UPDATE, &st, err);
    if (rc == SP_OK) {
        store_bind_text(st, 1, cid);
        dbi_bind_text(st, 2, buf_cstr(&out), out.len, DBI_STATIC);
        rc = store_run(db, st, NULL, err);
    }
    buf_release(&out);
    free(cid);
    return rc;
}

int store_tutor_finish(struct db *db, const struct store_tutor_turn *t, struct sp_error *err)
{
    int rc = store_txn_begin(db, err);
    if (rc != SP_OK)
        return rc;
    size_t i;
    json_t *row;
    json_array_foreach(t->tool_rows, i, row)
    {
        if (rc != SP_OK)
            break;
        rc = insert_message(db, t->session_id, t->user_id, "tool", "tool_exchange",
                            json_string_value(row), err);
    }
    if (rc == SP_OK)
        rc = insert_message(db, t->session_id, t->user_id, "assistant", t->reply_kind, t->reply,
                            err);
    if (rc == SP_OK && t->cards)
        rc = save_cards(db, t, err);
    if (rc == SP_OK && t->end_session) {
        struct dbi_stmt *st;
        char now[TIME_ISO_SIZE];
        time_iso_now(now);
        rc = store_stmt(db, SQL_SESSION_END, &st, err);
        if (rc == SP_OK) {
            store_bind_text(st, 1, t->session_id);
            store_bind_text(st, 2, now);
            rc = store_run(db, st, NULL, err);
        }
    }
    return store_txn_end(db, rc, err);
}
