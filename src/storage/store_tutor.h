/* storage/store_tutor.h: the SQL of the tutor route and its tools (spec/agents.md §7.5, §8.4,
 * §10.6): the session, node and user checks, the conversation, the learner's message, the
 * diagnostic and prerequisite reads, the exercise record, and the end of a turn (tool
 * exchanges, the reply, the lesson cards and the session's end) in one transaction.
 *
 * Values come back as jansson objects with the API's camelCase keys (new references) or as
 * plain structs whose strings are owned by them (free with the matching *_clear()).
 * Errors: SP_OK, SP_ENOTFOUND with the client-facing message ("Session not found", "Node not
 * found"), SP_EDB/SP_EBUSY from SQLite, SP_ENOMEM.
 * Thread model: the caller's connection (one per thread); writers queue on the storage write
 * lock (store_txn_begin).
 */
#ifndef SP_STORAGE_STORE_TUTOR_H
#define SP_STORAGE_STORE_TUTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "util/buf.h"
#include "util/err.h"

struct db;

struct store_tutor_session {
    char *id, *user_id;
    char *node_id; /* NULL: the session has no linked node */
};
int store_tutor_session_get(struct db *db, const char *session_id, struct store_tutor_session *out,
                            struct sp_error *err);
void store_tutor_session_clear(struct store_tutor_session *s);

struct store_tutor_node {
    char *id, *title;
    char *desc;         /* may be NULL */
    char *parent_id;    /* may be NULL */
    char *parent_title; /* NULL when no parent or the parent row is gone */
};
int store_tutor_node_get(struct db *db, const char *node_id, struct store_tutor_node *out,
                         struct sp_error *err);
void store_tutor_node_clear(struct store_tutor_node *n);

/* SP_ENOTFOUND "userId <id> not found" when the users table has no such row. */
int store_tutor_user_check(struct db *db, const char *user_id, struct sp_error *err);

/* The session's messages, by createdAt then insertion: [{"role","kind","content"}]. */
int store_tutor_messages(struct db *db, const char *session_id, json_t **out, struct sp_error *err);

/* Store the learner's message, unless the session's last message is this same user message
 * (same kind and content) still unanswered: a retried turn is not stored twice. One
 * transaction; *inserted says which. */
int store_tutor_add_user_message(struct db *db, const char *session_id, const char *user_id,
                                 const char *kind, const char *content, bool *inserted,
                                 struct sp_error *err);

/* The user's newest diagnostic of concept_id (by createdAt, then insertion), or *out = NULL:
 * {"assessmentId", "items": [{"prompt","format","correctAnswer","answerText","selectedOption",
 * "isCorrect","score","feedback"}]} with one item per question (insertion order) carrying its
 * latest answer (createdAt, then insertion; answer fields null when unanswered). Raw values:
 * the caller normalises. */
int store_tutor_diagnostic(struct db *db, const char *user_id, const char *concept_id, json_t **out,
                           struct sp_error *err);

/* Prerequisites of node_id (sources of the edges pointing at it, edge insertion order) that
 * exist: [{"title","masteryScore"}] with the user's progress mastery (0 without a row).
 * *n_edges gets the number of incoming edges. */
int store_tutor_prerequisites(struct db *db, const char *user_id, const char *node_id, json_t **out,
                              long *n_edges, struct sp_error *err);

struct store_tutor_exercise {
    const char *user_id, *node_id, *node_title;
    const char *prompt, *answer;
    bool is_correct;
    double score;         /* already normalised to 0..1 */
    const char *feedback; /* may be NULL */
};
struct store_tutor_exercise_stats {
    long total_attempts, correct_count;
    double average_score; /* mean of the non-null scores, rounded to 3 decimals */
};
/* In one transaction: the user's practice quiz on the node (first one, or a new
 * "Practice for <title>"), a new open-ended question, the answer, then the stats over every
 * answer of the user to that quiz's questions, and the progress upsert (mastery = average,
 * attempts = total, updatedAt now; new rows also first/lastEnteredAt now). */
int store_tutor_record_exercise(struct db *db, const struct store_tutor_exercise *ex,
                                struct store_tutor_exercise_stats *out, struct sp_error *err);

/* The lesson cards of a turn: given the current cards JSON text (NULL when the column is
 * NULL), append the new cards JSON text to out. */
typedef int (*store_tutor_cards_fn)(void *ctx, const char *cards, struct buf *out,
                                    struct sp_error *err);

struct store_tutor_turn {
    const char *session_id, *user_id, *node_id;
    json_t *tool_rows;          /* array of strings: content of role "tool" messages, or NULL */
    const char *reply_kind;     /* "learning" | "hint_response" */
    const char *reply;          /* the assistant message */
    store_tutor_cards_fn cards; /* NULL: cards untouched */
    void *cards_ctx;
    const char *new_explanation; /* explanationMd of a content row created for the cards */
    bool end_session;            /* set the session's endedAt to now (ISO) */
};
/* Everything a finished turn writes, in one transaction. */
int store_tutor_finish(struct db *db, const struct store_tutor_turn *turn, struct sp_error *err);

#endif
