/* db/diff.h: the diff engine: old schema -> new schema as drizzle-kit's SQLite statements.
 *
 * One engine serves generate (old = last snapshot, new = compiled-in or --schema file),
 * push (old = live database, new = compiled-in schema), check (old = live database,
 * new = last snapshot: only `changes` is used) and down migrations (old and new swapped).
 * It follows spec/drizzle-compat.md §5-§6 exactly: rename questions, grouping per table,
 * table rebuilds, statement order, de-duplication.
 *
 * Renames: for every added table (column) while deleted ones exist, the engine needs a
 * decision. It looks for an answer (key "table:<new>" or "column:<table>.<new>", value
 * "create" or "rename:<old>"), else calls opt->ask when set (terminal prompt), else records
 * the question in out->questions and returns SP_EABORT without SQL.
 * Ownership: everything in a struct diff_result is owned by it; diff_result_free() releases.
 * Thread model: pure function of its inputs.
 */
#ifndef SP_DB_DIFF_H
#define SP_DB_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "db/model.h"
#include "util/err.h"

struct diff_answer {
    const char *key;   /* "table:patrons" or "column:authors.biography" */
    const char *value; /* "create" or "rename:members" */
};

/* Terminal prompt: question text and choices (choice 0 = create); store the choice index.
 * Return SP_OK, or SP_EABORT when the user aborts. */
typedef int (*diff_ask_fn)(void *ud, const char *question, const char *const *choices,
                           size_t n_choices, size_t *choice);

struct diff_options {
    const struct diff_answer *answers;
    size_t n_answers;
    diff_ask_fn ask; /* NULL: unanswered questions fail */
    void *ask_ud;
    bool push; /* drizzle-kit push semantics (FK identity by content, PRAGMAs only when referenced) */
    bool default_create;       /* unanswered questions are answered "create" (down migrations) */
    bool drops_children_first; /* order dropped tables so that a table is dropped before the
                                  tables it references (down migrations; drizzle: old order) */
    const char *old_label; /* wording of `changes`: "database" / "snapshot"; NULL = "old schema" */
    const char *new_label; /* NULL = "new schema" */
};

struct diff_rename {
    const char *table; /* for column renames: the table (new name); NULL for table renames */
    const char *from;
    const char *to;
    const char *kind; /* NULL: a table or column; "enum" / "schema" (PostgreSQL; static text) */
};

struct diff_result {
    char **sql; /* statements in file order, exact duplicates removed */
    size_t n_sql;
    char **changes; /* one human-readable line per difference, e.g.
                                    "nodes: column difficulty added", "nodes: index x missing" */
    size_t n_changes;
    char **questions; /* unanswered rename questions (with SP_EABORT) */
    size_t n_questions;
    struct diff_rename *renames; /* table and column renames decided (for the snapshot _meta) */
    size_t n_renames;
    char **data_loss; /* statements that lose data: dropped tables/columns, NOT NULL adds */
    size_t n_data_loss;
};

/* The rename question for `added`, a new `kind` ("table", "column" of table, or on PostgreSQL
 * "schema" and "enum"), among the removed names cand (NULL entries are taken already):
 * *pick = the index of the candidate it is renamed from, or -1 for create. Answered from
 * opt->answers (key "<kind>:<added>", or "column:<table>.<added>"), else by opt->ask, else
 * "create" with opt->default_create, else the question (with its --rename lines) is added to
 * out->questions and *pick is -1. SP_EINVAL for an answer that is not "create" or names no
 * candidate, SP_EABORT when the prompt is aborted, SP_ENOMEM. Shared by db/pgdiff.c. */
int diff_decide(const struct diff_options *opt, const char *kind, const char *table,
                const char *added, const char *const *cand, size_t n_cand, struct diff_result *out,
                int *pick, struct sp_error *err);
/* Append a decided rename to out->renames (kind: NULL for tables and columns, else static
 * text). SP_OK or SP_ENOMEM. */
int diff_record_rename(struct diff_result *out, const char *kind, const char *table,
                       const char *from, const char *to);

int diff_schemas(const struct model_schema *old_s, const struct model_schema *new_s,
                 const struct diff_options *opt, struct diff_result *out, struct sp_error *err);
void diff_result_free(struct diff_result *r);

#endif
