/* storage/store_learning.h: the SQL of the concept agents (spec/agents.md §7.2–7.4, §8.3, §9):
 * the learner's diagnostic (found, or created with its questions in one transaction), grading
 * writes, the subconcept / concept graph edits of the refinement tools and of the path review,
 * and the reads they need beyond the REST routes' store_* functions (learning history, edges
 * leaving a set of children, the last refinement record).
 *
 * Every function that writes is ONE transaction (BEGIN IMMEDIATE, store_txn_begin/end): it
 * either commits all of its rows or none, so an agent emits its SSE events after it returned
 * SP_OK, never for a change that did not happen (bug B4).
 * JSON rows are the REST routes' rows (storage/rowjson.c). Strings passed in are borrowed.
 * Ownership: a struct learning_edges owns its strings; free with store_learning_edges_free().
 * Thread model: the caller's connection; no shared state (writes queue on the store mutex).
 */
#ifndef SP_STORAGE_STORE_LEARNING_H
#define SP_STORAGE_STORE_LEARNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct db;

/* A dependency edge source -> target (ids, malloc'd); remove: an edge to delete (plans). */
struct learning_edge {
    char *source;
    char *target;
    bool remove;
};
struct learning_edges {
    struct learning_edge *v;
    size_t n, cap;
};
int store_learning_edges_add(struct learning_edges *e, const char *source, const char *target);
int store_learning_edges_op(struct learning_edges *e, const char *source, const char *target,
                            bool remove);
void store_learning_edges_free(struct learning_edges *e);

/* A node to insert. id NULL: a new UUID. branch_id, parent_id, desc may be NULL. */
struct learning_node {
    const char *id;
    const char *user_id;
    const char *type;
    const char *branch_id;
    const char *parent_id;
    const char *title;
    const char *desc;
};

/* A diagnostic question to insert (options: JSON text of the array, or NULL). */
struct learning_question {
    const char *format;
    const char *prompt;
    const char *options;
    const char *correct_answer;
    int64_t difficulty;
};

/* A node_generations row. */
struct learning_generation {
    const char *node_id;
    const char *trigger;
    const char *model;
    const char *prompt;
    const char *response_meta; /* JSON text */
};

/* ---- reads ---- */

/* *exists = whether the user row exists. */
int store_learning_user_exists(struct db *db, const char *user_id, bool *exists,
                               struct sp_error *err);
/* The learner's newest diagnostic assessment of node that has at least one question (by
 * createdAt, then insertion), appended as a row; SP_ENOTFOUND (err untouched) when none. */
int store_learning_diagnostic(struct db *db, const char *user_id, const char *node_id,
                              struct buf *out, struct sp_error *err);
/* The user's progress rows joined with their node's title, in insertion order:
 * [{"nodeId","title"(null when the node is gone),"masteryScore","completedAt"}]. */
int store_learning_history(struct db *db, const char *user_id, struct buf *out,
                           struct sp_error *err);
/* Edge rows whose source is a child of parent_id of type child_type (targets anywhere). */
int store_learning_edges_from_children(struct db *db, const char *parent_id, const char *child_type,
                                       struct buf *out, struct sp_error *err);
/* The "answerCount" recorded by the newest concept-refinement generation row of node_id for
 * assessment_id and user_id (spec bug B5), or -1 when none. */
int store_learning_last_refinement(struct db *db, const char *node_id, const char *assessment_id,
                                   const char *user_id, long *answer_count, struct sp_error *err);

/* ---- writes (one transaction each) ---- */

/* The diagnostic of (user, node) with its questions (bug B6): inside the transaction, when a
 * diagnostic with questions exists by now, nothing is written (*created = false); else the
 * newest question-less diagnostic assessment is reused or one titled title inserted, and the
 * questions inserted (*created = true). The assessment row is appended to out either way. */
int store_learning_diagnostic_create(struct db *db, const char *user_id, const char *node_id,
                                     const char *title, const struct learning_question *q,
                                     size_t n_questions, bool *created, struct buf *out,
                                     struct sp_error *err);

/* Grading results written onto answer rows. is_correct: -1 NULL, 0 false, 1 true. */
struct learning_grade {
    const char *answer_id;
    int is_correct;
    bool has_score;
    double score;
    const char *feedback; /* NULL: SQL NULL */
};
int store_learning_grade(struct db *db, const struct learning_grade *g, size_t n,
                         struct sp_error *err);

/* Insert node and an edge dep -> node for each of deps (ids; skipped when it exists). The row
 * is appended to out and its id copied to id_out. */
int store_learning_add_node(struct db *db, const struct learning_node *node,
                            const char *const *deps, size_t n_deps, char id_out[37],
                            struct buf *out, struct sp_error *err);

enum learning_side { LEARNING_BEFORE, LEARNING_AFTER };
/* add_prerequisite_concept (BEFORE) / add_followup_concept (AFTER) of spec §8.3, reading the
 * edges to rewire inside the transaction. BEFORE: every edge X -> current becomes X -> new,
 * then new -> current. AFTER: every edge current -> Y (Y a concept of the same parent) becomes
 * new -> Y, then current -> new. removed / created receive the edges in that order. */
int store_learning_insert_concept(struct db *db, const struct learning_node *node,
                                  const char *current_id, enum learning_side side, char id_out[37],
                                  struct buf *out, struct learning_edges *removed,
                                  struct learning_edges *created, struct sp_error *err);

/* remove_subconcept (bug B4): refused with SP_ECONFLICT "... is still referenced by <what>"
 * and nothing changed while rows other than edges reference the node; else its incoming and
 * outgoing edges are deleted (removed: incoming then outgoing), each incoming source linked
 * to each outgoing target when that edge is missing (created), and the node deleted. */
int store_learning_remove_node(struct db *db, const char *node_id, struct learning_edges *removed,
                               struct learning_edges *created, struct sp_error *err);

/* The path review's insertion (spec §9.4/9.5), planned by the caller: insert nodes (with
 * their ids set), then run the edge operations in order (remove: delete when present; else
 * insert when missing), and log gen (may be NULL); inserted rows are appended to out as a
 * JSON array. */
int store_learning_apply(struct db *db, const struct learning_node *nodes, size_t n_nodes,
                         const struct learning_edges *ops, const struct learning_generation *gen,
                         struct buf *out, struct sp_error *err);

/* One node_generations row (its own transaction). */
int store_learning_generation(struct db *db, const struct learning_generation *gen,
                              struct sp_error *err);

#endif
