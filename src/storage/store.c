/* storage/store.c: statement helpers shared by the store_*.c files (see store_sql.h).
 * Thread model: stateless; the caller's connection.
 */
#include "storage/store_sql.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "db/shm_guard.h"
#include "storage/columns.h"
#include "storage/dialect.h"
#include "storage/rowjson.h"
#include "storage/store_pgwriter.h"
#include "storage/store_writer.h"
#include "util/ids.h"
#include "util/timefmt.h"

_Static_assert(STORE_SCHEMA_MAX_COLS <= STORE_MAX_COLS,
               "a table of db/schema.c has more columns than struct store_row holds: raise "
               "STORE_MAX_COLS in storage/store.h");

static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;

int store_db_thread(const char *db_path, struct db **out, struct sp_error *err)
{
    struct db *batch = store_pgwriter_db(); /* a job of PostgreSQL's group commit */
    if (batch) {
        *out = batch;
        return SP_OK;
    }
    return db_thread(db_path, out, err);
}

void store_db_release(void)
{
    db_thread_release();
}

const char *store_db_fault(void)
{
    return shm_guard_tripped() ? SHM_GUARD_MESSAGE : NULL;
}

/* Inside a group-commit batch the writer thread already holds the lock (store_writer.c). */
void store_write_lock(void)
{
    if (!store_writer_in_batch())
        pthread_mutex_lock(&write_mutex);
}

void store_write_unlock(void)
{
    if (!store_writer_in_batch())
        pthread_mutex_unlock(&write_mutex);
}

/* SQLite: this process's writers queue on the mutex (store_sql.h). PostgreSQL takes row locks
 * itself, and a process-wide mutex would serialise every instance's requests for nothing. */
static bool db_locks(struct db *db)
{
    return dbi_engine(db) == DBI_SQLITE;
}

static void lock_for(struct db *db)
{
    if (db_locks(db))
        store_write_lock();
}

static void unlock_for(struct db *db)
{
    if (db_locks(db))
        store_write_unlock();
}

/* BEGIN/COMMIT as cached statements (sqlite3_exec would parse them on every request). */
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
/* A transaction inside a group-commit batch is a savepoint nested in the request's own. */
static const char SQL_SP[] = "SAVEPOINT sprout_txn";
static const char SQL_SP_RELEASE[] = "RELEASE sprout_txn";
static const char SQL_SP_ROLLBACK[] = "ROLLBACK TO sprout_txn";
/* A failed statement aborts a whole PostgreSQL transaction (SQLite's does not): inside one, an
 * INSERT (and a job's lone store_write in a group-commit batch) runs under a savepoint, so
 * that after a failure the transaction can still look up which reference was missing, and the
 * caller still decides whether to commit. */
static const char SQL_STMT_SP[] = "SAVEPOINT sprout_stmt";
static const char SQL_STMT_RELEASE[] = "RELEASE SAVEPOINT sprout_stmt";
static const char SQL_STMT_UNDO[] = "ROLLBACK TO SAVEPOINT sprout_stmt";

int store_static(struct db *db, const char *sql, const char *what, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = dbi_prepare(db, sql, &st, err);
    if (rc != SP_OK)
        return sp_error_prefix(err, rc, "%s", what);
    rc = dbi_step(st);
    if (rc != DBI_DONE) {
        rc = dbi_error(db, rc, err, what);
        dbi_reset(st);
        return rc;
    }
    dbi_reset(st);
    return SP_OK;
}

/* The statement savepoint (SQL_STMT_SP) around one statement, when undo: begin it; end it with
 * the statement's rc (released when it succeeded, else rolled back to, so that the transaction
 * can go on). Returns the final rc. */
static int stmt_sp_begin(struct db *db, bool undo, struct sp_error *err)
{
    return undo && !store_pgwriter_optimistic()
               ? store_static(db, SQL_STMT_SP, "starting a savepoint", err)
               : SP_OK;
}

static int stmt_sp_end(struct db *db, bool undo, int rc, struct sp_error *err)
{
    undo = undo && !store_pgwriter_optimistic(); /* a failure re-runs the batch instead */
    if (undo && rc == SP_OK)
        rc = store_static(db, SQL_STMT_RELEASE, "releasing a savepoint", err);
    if (undo && rc != SP_OK)
        store_static(db, SQL_STMT_UNDO, "rolling back to a savepoint", NULL);
    return rc;
}

/* Inside a group-commit batch: how many store_txn_begin savepoints are open on this thread. */
static _Thread_local int batch_txn_depth;

static int txn_begin(struct db *db, const struct store_sql2 *begin, struct sp_error *err)
{
    if (store_writer_in_batch()) { /* no savepoint in an optimistic run: see store_txn_end */
        int rc = store_pgwriter_optimistic()
                     ? SP_OK
                     : store_static(db, SQL_SP, "starting a transaction", err);
        if (rc == SP_OK)
            batch_txn_depth++;
        return rc;
    }
    lock_for(db);
    int rc = store_static(db, store_dialect(db, begin), "starting a transaction", err);
    if (rc != SP_OK)
        unlock_for(db);
    return rc;
}

int store_txn_begin(struct db *db, struct sp_error *err)
{
    return txn_begin(db, &STORE_SQL_BEGIN, err);
}

int store_txn_end(struct db *db, int rc, struct sp_error *err)
{
    if (store_writer_in_batch()) {
        batch_txn_depth--;
        if (store_pgwriter_optimistic())
            return rc; /* a failure fails the job, and the writer runs the batch again */
        if (rc == SP_OK)
            rc = store_static(db, SQL_SP_RELEASE, "committing", err);
        if (rc != SP_OK && dbi_in_txn(db)) {
            store_static(db, SQL_SP_ROLLBACK, "rolling back", NULL);
            store_static(db, SQL_SP_RELEASE, "rolling back", NULL);
        }
        return rc;
    }
    if (rc == SP_OK)
        rc = store_static(db, SQL_COMMIT, "committing", err);
    if (rc != SP_OK && dbi_in_txn(db))
        store_static(db, SQL_ROLLBACK, "rolling back", NULL);
    unlock_for(db);
    return rc;
}

int store_txn_lock(struct db *db, const char *space, const char *a, const char *b,
                   struct sp_error *err)
{
    const char *sql = store_dialect(db, &STORE_SQL_TXN_LOCK);
    if (!sql)
        return SP_OK;
    struct dbi_stmt *st;
    int rc = store_stmt(db, sql, &st, err);
    if (rc != SP_OK)
        return rc;
    dbi_bind_text(st, 1, space, DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 2, a ? a : "", DBI_NTS, DBI_STATIC);
    dbi_bind_text(st, 3, b ? b : "", DBI_NTS, DBI_STATIC);
    return store_run(db, st, NULL, err);
}

static atomic_ulong retries;

/* A retry is logged (operators, the two-instance tests): a conflict that was absorbed. */
static bool retry_note(int attempt, const char *why)
{
    unsigned long n = atomic_fetch_add(&retries, 1) + 1;
    fprintf(stderr,
            "database: transaction retried after %s (attempt %d of %d; %lu retries so far)\n", why,
            attempt + 1, STORE_ATTEMPTS, n);
    return true;
}

bool store_retry(struct db *db, int rc, int attempt)
{
    return rc == SP_EBUSY && attempt < STORE_ATTEMPTS && !dbi_in_txn(db) &&
           !store_writer_in_batch() && dbi_error_is_retryable(db) &&
           retry_note(attempt, "a serialization failure or deadlock");
}

/* Also inside a group-commit batch (PostgreSQL): the failed attempt was rolled back to its own
 * savepoint, and under READ COMMITTED the next attempt's statements see what committed since
 * (a deadlock or serialization failure, store_retry, is the batch's to retry instead). */
bool store_retry_fk_race(struct db *db, int rc, bool fk_failed, int attempt)
{
    return rc == SP_ECONFLICT && fk_failed && dbi_engine(db) != DBI_SQLITE &&
           attempt < STORE_ATTEMPTS && (!dbi_in_txn(db) || store_writer_in_batch()) &&
           retry_note(attempt, "a concurrent insert referenced a row it deletes");
}


int store_stmt(struct db *db, const char *sql, struct dbi_stmt **out, struct sp_error *err)
{
    return dbi_prepare(db, sql, out, err);
}

int store_bind_value(struct dbi_stmt *st, int idx, const struct store_value *v)
{
    switch (v ? v->kind : STORE_V_NULL) {
    case STORE_V_TEXT: return dbi_bind_text(st, idx, v->text, v->len, DBI_STATIC);
    case STORE_V_INT: return dbi_bind_int64(st, idx, v->i);
    case STORE_V_REAL: return dbi_bind_double(st, idx, v->d);
    default: return dbi_bind_null(st, idx);
    }
}

void store_bind_name(struct dbi_stmt *st, const char *name, const char *text)
{
    int idx = dbi_param_index(st, name);
    if (idx > 0)
        store_bind_text(st, idx, text);
}

void store_bind_row(struct dbi_stmt *st, const struct model_table *t, const struct store_row *row)
{
    int n = dbi_param_count(st);
    for (int i = 1; i <= n; i++) {
        const char *name = dbi_param_name(st, i);
        if (!name)
            continue;
        if (strcmp(name, ":now") == 0) {
            char now[TIME_ISO_SIZE];
            time_iso_now(now);
            dbi_bind_text(st, i, now, TIME_ISO_LEN, DBI_TRANSIENT);
            continue;
        }
        if (strncmp(name, ":set_", 5) == 0) { /* ":set_<col>": 1 when the value is present */
            int j = model_column_index(t, name + 5);
            assert(j < STORE_MAX_COLS);
            if (j >= 0)
                dbi_bind_int64(st, i, row->v[j].kind != STORE_V_ABSENT);
            continue;
        }
        int k = model_column_index(t, name + 1);
        assert(k < STORE_MAX_COLS);
        if (k >= 0)
            store_bind_value(st, i, &row->v[k]);
    }
}

struct store_value *store_row_value(const struct model_table *t, struct store_row *row,
                                    const char *name)
{
    int k = model_column_index(t, name);
    assert(k < STORE_MAX_COLS);
    return k >= 0 ? &row->v[k] : NULL;
}

void store_row_set_text(const struct model_table *t, struct store_row *row, const char *name,
                        const char *text)
{
    struct store_value *v = store_row_value(t, row, name);
    if (v)
        *v = (struct store_value){ .kind = STORE_V_TEXT, .text = text, .len = strlen(text) };
}

bool store_is_fk_error(struct db *db)
{
    return dbi_error_is_fk(db);
}

int store_step_error(struct db *db, struct dbi_stmt *st, int rc, struct sp_error *err)
{
    int code = dbi_error(db, rc, err, "database");
    dbi_reset(st);
    return code;
}

void store_bind_text(struct dbi_stmt *st, int idx, const char *text)
{
    if (text)
        dbi_bind_text(st, idx, text, DBI_NTS, DBI_TRANSIENT);
    else
        dbi_bind_null(st, idx);
}

void store_truncate(struct buf *out, size_t len)
{
    out->len = len;
    if (out->data)
        out->data[len] = '\0';
}

/* A caller's positional column list must name what the statement selects (debug check only:
 * rowjson matches by name, so the list changes nothing). */
static void check_cols(struct dbi_stmt *st, const struct model_table *t, const int *cols,
                       size_t n_cols)
{
#ifndef NDEBUG
    if (!cols)
        return;
    assert(n_cols == (size_t)dbi_column_count(st));
    for (size_t k = 0; k < n_cols; k++)
        assert(strcmp(dbi_column_name(st, (int)k), t->columns[cols[k]].name) == 0);
#else
    (void)st, (void)t, (void)cols, (void)n_cols;
#endif
}

/* store_one_json; *extra (when not NULL) gets the statement's last column as an integer (a
 * ROWJSON_EXTRA_PREFIX column, left out of the JSON). */
static int one_json(struct db *db, struct dbi_stmt *st, const struct model_table *t,
                    const int *cols, size_t n_cols, struct buf *out, int64_t *extra,
                    struct sp_error *err)
{
    check_cols(st, t, cols, n_cols);
    size_t len0 = out->len;
    int rc = dbi_step(st);
    if (rc == DBI_DONE) {
        dbi_reset(st);
        return SP_ENOTFOUND;
    }
    if (rc != DBI_ROW)
        return store_step_error(db, st, rc, err);
    int code = rowjson_object(out, st, t);
    if (code != SP_OK) {
        store_truncate(out, len0);
        dbi_reset(st);
        return sp_error_set(err, code, "building the reply: %s", sp_strerror(code));
    }
    if (extra)
        *extra = dbi_column_int64(st, dbi_column_count(st) - 1);
    while ((rc = dbi_step(st)) == DBI_ROW)
        ;
    if (rc != DBI_DONE) {
        store_truncate(out, len0);
        return store_step_error(db, st, rc, err);
    }
    dbi_reset(st);
    return SP_OK;
}

int store_one_json(struct db *db, struct dbi_stmt *st, const struct model_table *t, const int *cols,
                   size_t n_cols, struct buf *out, struct sp_error *err)
{
    return one_json(db, st, t, cols, n_cols, out, NULL, err);
}

int store_list_json(struct db *db, struct dbi_stmt *st, const struct model_table *t,
                    const int *cols, size_t n_cols, struct buf *out, struct sp_error *err)
{
    check_cols(st, t, cols, n_cols);
    size_t len0 = out->len;
    int rc_step = 0;
    int code = rowjson_array(out, st, t, NULL, &rc_step);
    if (code == SP_OK) {
        dbi_reset(st);
        return SP_OK;
    }
    store_truncate(out, len0);
    if (code == SP_EDB)
        return store_step_error(db, st, rc_step, err);
    dbi_reset(st);
    return sp_error_set(err, code, "building the reply: %s", sp_strerror(code));
}

int store_stmt_texts(struct db *db, const char *sql, const char *const *texts, size_t n,
                     struct dbi_stmt **st, struct sp_error *err)
{
    int rc = store_stmt(db, sql, st, err);
    for (size_t k = 0; rc == SP_OK && k < n; k++)
        if (texts[k])
            dbi_bind_text(*st, (int)k + 1, texts[k], DBI_NTS, DBI_STATIC);
    return rc; /* unbound parameters are NULL: dbi_prepare hands statements back cleared */
}

int store_list(struct db *db, const char *sql, const struct model_table *t,
               const char *const *texts, size_t n, struct buf *out, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt_texts(db, sql, texts, n, &st, err);
    return rc == SP_OK ? store_list_json(db, st, t, NULL, 0, out, err) : rc;
}

int store_get(struct db *db, const char *sql, const struct model_table *t, const char *const *texts,
              size_t n, const char *not_found, struct buf *out, struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt_texts(db, sql, texts, n, &st, err);
    if (rc == SP_OK)
        rc = store_one_json(db, st, t, NULL, 0, out, err);
    return rc == SP_ENOTFOUND && not_found ? sp_error_set(err, rc, "%s", not_found) : rc;
}

int store_write(struct db *db, const char *sql, const char *const *texts, size_t n, int *changes,
                struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt_texts(db, sql, texts, n, &st, err);
    if (rc != SP_OK)
        return rc;
    bool own = !dbi_in_txn(db); /* else store_txn_begin holds it */
    if (own)
        lock_for(db);
    /* A statement that would run alone in autocommit, run by a job of PostgreSQL's group
     * commit inside the batch's transaction: under a savepoint, so that after a failure (a
     * node delete's foreign key) the job can still look up why, as it could in autocommit. */
    bool undo =
        !own && dbi_engine(db) == DBI_POSTGRES && store_writer_in_batch() && batch_txn_depth == 0;
    if ((rc = stmt_sp_begin(db, undo, err)) != SP_OK)
        return rc;
    rc = stmt_sp_end(db, undo, store_run(db, st, changes, err), err);
    if (own)
        unlock_for(db);
    return rc;
}

int store_exists(struct db *db, const char *sql, const char *const *texts, size_t n, bool *exists,
                 struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt_texts(db, sql, texts, n, &st, err);
    if (rc != SP_OK)
        return rc;
    int step = dbi_step(st);
    if (step != DBI_ROW && step != DBI_DONE)
        return store_step_error(db, st, step, err);
    *exists = step == DBI_ROW;
    dbi_reset(st);
    return SP_OK;
}

int store_run(struct db *db, struct dbi_stmt *st, int *changes, struct sp_error *err)
{
    int rc;
    while ((rc = dbi_step(st)) == DBI_ROW)
        ;
    if (rc != DBI_DONE)
        return store_step_error(db, st, rc, err);
    if (changes)
        *changes = dbi_changes(db);
    dbi_reset(st);
    return SP_OK;
}

/* After a foreign-key failure writing row into t: find the first referenced id that does not
 * exist and fill err with SP_ENOTFOUND as store_insert() describes; SP_ECONFLICT if all exist
 * (a concurrent delete). */
static int store_fk_explain(struct db *db, const struct model_table *t, const struct store_row *row,
                            const char *path_col, const char *path_msg, struct sp_error *err)
{
    for (size_t f = 0; f < t->n_fks; f++) {
        const struct model_fk *fk = &t->fks[f];
        if (fk->n_from != 1 || fk->n_to != 1)
            continue;
        int k = model_column_index(t, fk->columns_from[0]);
        assert(k < STORE_MAX_COLS);
        if (k < 0 || row->v[k].kind != STORE_V_TEXT)
            continue;
        /* Built from schema names only (never from input); the value is bound. Error path. */
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" WHERE \"%s\" = ?1", fk->table_to,
                 fk->columns_to[0]);
        struct dbi_stmt *st = NULL;
        int rc = dbi_prepare_once(db, sql, &st, err);
        if (rc != SP_OK)
            return rc;
        store_bind_value(st, 1, &row->v[k]);
        int step = dbi_step(st);
        if (step != DBI_ROW && step != DBI_DONE)
            step = dbi_error(db, step, err, "checking references");
        dbi_finalize(st);
        if (step == DBI_ROW)
            continue;
        if (step != DBI_DONE)
            return step;
        const struct model_column *c = &t->columns[k];
        if (path_col && strcmp(path_col, c->name) == 0)
            return sp_error_set(err, SP_ENOTFOUND, "%s", path_msg);
        return sp_error_set(err, SP_ENOTFOUND, "%s %.*s not found", c->json_key,
                            (int)(row->v[k].len > 200 ? 200 : row->v[k].len), row->v[k].text);
    }
    return sp_error_set(err, SP_ECONFLICT, "a referenced row was deleted concurrently; retry");
}


static int insert_locked(struct db *db, const char *sql, const struct model_table *t,
                         struct store_row *row, const char *path_col, const char *path_msg,
                         bool undo, struct buf *out, int64_t *extra, struct sp_error *err)
{
    char id[IDS_UUID_SIZE];
    if (row->v[0].kind != STORE_V_TEXT) { /* else made before the hand-off (api/write.c) */
        ids_uuid_v4(id);
        row->v[0] = (struct store_value){ .kind = STORE_V_TEXT, .text = id, .len = IDS_UUID_LEN };
    }
    struct dbi_stmt *st;
    int rc = store_stmt(db, sql, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_row(st, t, row);
    size_t len0 = out->len;
    if ((rc = stmt_sp_begin(db, undo, err)) != SP_OK)
        return rc;
    rc = stmt_sp_end(db, undo, one_json(db, st, t, NULL, 0, out, extra, err), err);
    row->v[0].kind = STORE_V_ABSENT; /* id was on our stack, or is used */
    if (rc == SP_OK)
        return SP_OK;
    store_truncate(out, len0);
    if (rc == SP_ENOTFOUND) /* RETURNING gave no row: cannot happen for an INSERT */
        return sp_error_set(err, SP_EDB, "insert into %s returned no row", t->name);
    if (rc == SP_ECONFLICT && store_is_fk_error(db))
        return store_fk_explain(db, t, row, path_col, path_msg, err);
    return rc;
}

int store_insert_extra(struct db *db, const char *sql, const struct model_table *t,
                       struct store_row *row, const char *path_col, const char *path_msg,
                       struct buf *out, int64_t *extra, struct sp_error *err)
{
    bool own = !dbi_in_txn(db);
    if (own)
        lock_for(db);
    bool undo = !own && dbi_engine(db) == DBI_POSTGRES;
    int rc = insert_locked(db, sql, t, row, path_col, path_msg, undo, out, extra, err);
    if (own)
        unlock_for(db);
    return rc;
}

int store_insert(struct db *db, const char *sql, const struct model_table *t, struct store_row *row,
                 const char *path_col, const char *path_msg, struct buf *out, struct sp_error *err)
{
    return store_insert_extra(db, sql, t, row, path_col, path_msg, out, NULL, err);
}

int store_write_one_json(struct db *db, struct dbi_stmt *st, const struct model_table *t,
                         struct buf *out, struct sp_error *err)
{
    lock_for(db);
    int rc = store_one_json(db, st, t, NULL, 0, out, err);
    unlock_for(db);
    return rc;
}

int store_patch(struct db *db, const char *sql, const struct model_table *t, const char *id,
                const struct store_row *row, const char *not_found, struct buf *out,
                struct sp_error *err)
{
    struct dbi_stmt *st;
    int rc = store_stmt(db, sql, &st, err);
    if (rc != SP_OK)
        return rc;
    store_bind_row(st, t, row);
    store_bind_name(st, ":key", id);
    rc = store_write_one_json(db, st, t, out, err);
    return rc == SP_ENOTFOUND ? sp_error_set(err, rc, "%s", not_found) : rc;
}

static const char SQL_GENERATION_INSERT[] =
    "INSERT INTO node_generations (id, node_id, \"trigger\", model, prompt, response_meta) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int store_generation_insert(struct db *db, const char *node_id, const char *trigger,
                            const char *model, const char *prompt, const char *response_meta,
                            struct sp_error *err)
{
    char id[IDS_UUID_SIZE];
    ids_uuid_v4(id);
    return store_write(db, SQL_GENERATION_INSERT,
                       STORE_TEXTS(id, node_id, trigger, model, prompt, response_meta), NULL, err);
}
