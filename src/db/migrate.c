/* db/migrate.c: the migration runner, tracking-table access, rollback and baseline recording
 * (see migrate.h; rules in spec/drizzle-compat.md §3). All SQL here uses bound parameters;
 * migration files are executed verbatim, as drizzle does.
 * Thread model: one connection, one caller.
 */
#include "db/migrate.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* drizzle-orm's statement, byte for byte (tabs and newlines included). */
static const char TRACKING_DDL[] = "\n\t\t\tCREATE TABLE IF NOT EXISTS \"" MIGRATE_TABLE
                                   "\" (\n"
                                   "\t\t\t\tid SERIAL PRIMARY KEY,\n"
                                   "\t\t\t\thash text NOT NULL,\n"
                                   "\t\t\t\tcreated_at numeric\n"
                                   "\t\t\t)\n\t\t";
static const char SQL_LAST[] =
    "SELECT id, hash, created_at FROM \"" MIGRATE_TABLE "\" ORDER BY created_at DESC LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO \"" MIGRATE_TABLE "\" (\"hash\", \"created_at\") VALUES(?, ?)";
static const char SQL_ROWS[] =
    "SELECT rowid, hash, created_at FROM \"" MIGRATE_TABLE "\" ORDER BY rowid";
static const char SQL_DELETE_ROW[] = "DELETE FROM \"" MIGRATE_TABLE "\" WHERE rowid = ?";
static const char SQL_TABLE_EXISTS[] =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";

#define STMT_TEXT_MAX 480 /* how much of a failing statement an error message quotes */

int migrate_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return SP_EINVAL;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return SP_OK;
}

int migrate_folder_load(const struct migsrc *src, struct migrate_folder *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    out->src = *src;
    int rc = journal_load_src(src, false, &out->journal, err);
    if (rc != SP_OK)
        return rc;
    out->files = calloc(out->journal.n ? out->journal.n : 1, sizeof *out->files);
    if (!out->files) {
        migrate_folder_free(out);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < out->journal.n; i++) {
        struct migrate_file *mf = &out->files[i];
        mf->tag = out->journal.entries[i].tag;
        mf->when = out->journal.entries[i].when;
        rc = journal_read_sql(src, mf->tag, &mf->sql, &mf->len, err);
        if (rc == SP_OK && migrate_sha256_hex(mf->sql, mf->len, mf->hash) != SP_OK)
            rc = sp_error_set(err, SP_EINVAL, "cannot hash %s.sql", mf->tag);
        out->n = i + 1;
        if (rc != SP_OK) {
            migrate_folder_free(out);
            return rc;
        }
    }
    return SP_OK;
}

void migrate_folder_free(struct migrate_folder *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->files[i].sql);
    free(f->files);
    journal_free(&f->journal);
    memset(f, 0, sizeof *f);
}

/* "what: Failed to run the query '<stmt>': <sqlite message>" with db_error()'s code mapping. */
static int stmt_error(struct db *db, int src, const char *what, const char *stmt, size_t stmt_len,
                      struct sp_error *err)
{
    while (stmt_len && (*stmt == ' ' || *stmt == '\n' || *stmt == '\t' || *stmt == '\r')) {
        stmt++;
        stmt_len--;
    }
    int shown = stmt_len > STMT_TEXT_MAX ? STMT_TEXT_MAX : (int)stmt_len;
    char ctx[STMT_TEXT_MAX + 256];
    snprintf(ctx, sizeof ctx, "%s: Failed to run the query '%.*s%s'", what, shown, stmt,
             (size_t)shown < stmt_len ? "..." : "");
    return db_error(db, src, err, ctx);
}

/* One chunk: every statement in it, in order. Zero statements is drizzle's error. */
static int exec_chunk(struct db *db, const char *chunk, const char *what, struct sp_error *err)
{
    sqlite3 *h = db_handle(db);
    const char *p = chunk;
    int n_run = 0;
    while (*p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int src = sqlite3_prepare_v2(h, p, -1, &st, &tail);
        if (src != SQLITE_OK)
            return stmt_error(db, src, what, p, strlen(p), err);
        if (!st) {
            if (!tail || tail == p)
                break;
            p = tail;
            continue;
        }
        n_run++;
        do
            src = sqlite3_step(st);
        while (src == SQLITE_ROW);
        if (src != SQLITE_DONE) {
            int code = stmt_error(db, src, what, p, (size_t)(tail - p), err);
            sqlite3_finalize(st);
            return code;
        }
        sqlite3_finalize(st);
        p = tail;
    }
    if (n_run == 0)
        return sp_error_set(
            err, SP_EDB,
            "%s: Failed to run the query '%.*s': The supplied SQL string contains no statements",
            what, STMT_TEXT_MAX, chunk);
    return SP_OK;
}

int migrate_exec_script(struct db *db, const char *sql, const char *what, struct sp_error *err)
{
    const size_t mlen = strlen(MIGRATE_BREAKPOINT);
    const char *p = sql;
    for (;;) {
        const char *m = strstr(p, MIGRATE_BREAKPOINT);
        size_t n = m ? (size_t)(m - p) : strlen(p);
        char *chunk = malloc(n + 1);
        if (!chunk)
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        memcpy(chunk, p, n);
        chunk[n] = '\0';
        int rc = exec_chunk(db, chunk, what, err);
        free(chunk);
        if (rc != SP_OK)
            return rc;
        if (!m)
            return SP_OK;
        p = m + mlen;
    }
}

int migrate_table_ensure(struct db *db, struct sp_error *err)
{
    int rc = db_exec(db, TRACKING_DDL, err);
    if (rc != SP_OK)
        sp_error_prefix(err, rc, "creating the %s table", MIGRATE_TABLE);
    return rc;
}

int migrate_table_exists(struct db *db, bool *exists, struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = db_prepare(db, SQL_TABLE_EXISTS, &st, err);
    if (rc != SP_OK)
        return rc;
    sqlite3_bind_text(st, 1, MIGRATE_TABLE, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    *exists = src == SQLITE_ROW;
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = db_error(db, src, err, "reading sqlite_master");
    sqlite3_finalize(st);
    return rc;
}

void migrate_rows_free(struct migrate_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].hash);
    free(rows);
}

int migrate_rows_load(struct db *db, struct migrate_row **rows, size_t *n, struct sp_error *err)
{
    *rows = NULL;
    *n = 0;
    bool exists;
    int rc = migrate_table_exists(db, &exists, err);
    if (rc != SP_OK || !exists)
        return rc;
    sqlite3_stmt *st;
    if ((rc = db_prepare(db, SQL_ROWS, &st, err)) != SP_OK)
        return rc;
    size_t cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct migrate_row *r = realloc(*rows, cap * sizeof *r);
            if (!r) {
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
                break;
            }
            *rows = r;
        }
        struct migrate_row *r = &(*rows)[*n];
        const unsigned char *hash = sqlite3_column_text(st, 1);
        r->rowid = sqlite3_column_int64(st, 0);
        r->created_at = sqlite3_column_double(st, 2);
        r->hash = strdup(hash ? (const char *)hash : "");
        if (!r->hash) {
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (rc == SP_OK && src != SQLITE_DONE)
        rc = db_error(db, src, err, "reading " MIGRATE_TABLE);
    sqlite3_finalize(st);
    if (rc != SP_OK) {
        migrate_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

int migrate_last_created(struct db *db, bool *have, double *created_at, struct sp_error *err)
{
    *have = false;
    *created_at = 0;
    bool exists;
    int rc = migrate_table_exists(db, &exists, err);
    if (rc != SP_OK || !exists)
        return rc;
    sqlite3_stmt *st;
    if ((rc = db_prepare(db, SQL_LAST, &st, err)) != SP_OK)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *have = true;
        *created_at = sqlite3_column_double(st, 2);
    } else if (src != SQLITE_DONE) {
        rc = db_error(db, src, err, "reading " MIGRATE_TABLE);
    }
    sqlite3_finalize(st);
    return rc;
}

bool migrate_is_pending(bool have_last, double last, long long when)
{
    return !have_last || last < (double)when;
}

int migrate_count_pending(struct db *db, const struct migrate_folder *f, size_t *n_pending,
                          struct sp_error *err)
{
    *n_pending = 0;
    bool have;
    double last;
    int rc = migrate_last_created(db, &have, &last, err);
    for (size_t i = 0; rc == SP_OK && i < f->n; i++)
        if (migrate_is_pending(have, last, f->files[i].when))
            (*n_pending)++;
    return rc;
}

static int insert_row(struct db *db, const char *hash, long long when, struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = db_prepare(db, SQL_INSERT, &st, err);
    if (rc != SP_OK)
        return rc;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, when);
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = db_error(db, src, err, "recording a migration in " MIGRATE_TABLE);
    sqlite3_finalize(st);
    return rc;
}

int migrate_apply_folder(struct db *db, const struct migrate_folder *f, FILE *log,
                         size_t *n_applied, struct sp_error *err)
{
    if (n_applied)
        *n_applied = 0;
    int rc = migrate_table_ensure(db, err);
    if (rc != SP_OK)
        return rc;
    /* IMMEDIATE rather than drizzle's deferred BEGIN: the newest row is read inside the write
     * transaction, so two runners cannot both apply the same migration. */
    if ((rc = db_begin_immediate(db, err)) != SP_OK)
        return sp_error_prefix(err, rc, "starting the migration transaction");
    bool have;
    double last;
    size_t n = 0;
    rc = migrate_last_created(db, &have, &last, err);
    for (size_t i = 0; rc == SP_OK && i < f->n; i++) {
        const struct migrate_file *mf = &f->files[i];
        if (!migrate_is_pending(have, last, mf->when))
            continue;
        char what[300];
        snprintf(what, sizeof what, "migration %s failed", mf->tag);
        rc = migrate_exec_script(db, mf->sql, what, err);
        if (rc == SP_OK)
            rc = insert_row(db, mf->hash, mf->when, err);
        n++;
    }
    if (rc == SP_OK)
        rc = db_commit(db, err);
    if (rc != SP_OK) {
        db_rollback(db);
        return rc;
    }
    for (size_t i = 0; log && i < f->n; i++)
        if (migrate_is_pending(have, last, f->files[i].when))
            fprintf(log, "  applied %s\n", f->files[i].tag);
    if (n_applied)
        *n_applied = n;
    return SP_OK;
}

int migrate_apply(struct db *db, const struct migsrc *src, FILE *log, size_t *n_applied,
                  struct sp_error *err)
{
    struct migrate_folder f;
    int rc = migrate_folder_load(src, &f, err);
    if (rc != SP_OK)
        return rc;
    rc = migrate_apply_folder(db, &f, log, n_applied, err);
    migrate_folder_free(&f);
    return rc;
}

int migrate_cmp_newest_first(const void *a, const void *b)
{
    const struct migrate_row *x = a, *y = b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? 1 : -1;
    return x->rowid < y->rowid ? 1 : -1;
}

const struct migrate_file *migrate_file_for_row(const struct migrate_folder *f,
                                                const struct migrate_row *r)
{
    for (size_t i = 0; i < f->n; i++)
        if ((double)f->files[i].when == r->created_at)
            return &f->files[i];
    return NULL;
}

int migrate_rollback(struct db *db, const struct migrate_folder *f, size_t steps, FILE *log,
                     struct sp_error *err)
{
    struct migrate_row *rows;
    size_t n;
    int rc = migrate_rows_load(db, &rows, &n, err);
    if (rc != SP_OK)
        return rc;
    if (steps > n) {
        migrate_rows_free(rows, n);
        return sp_error_set(err, SP_EINVAL, "cannot roll back %zu migration%s: only %zu %s applied",
                            steps, steps == 1 ? "" : "s", n, n == 1 ? "is" : "are");
    }
    qsort(rows, n, sizeof *rows, migrate_cmp_newest_first);
    char **down = calloc(steps ? steps : 1, sizeof *down);
    const struct migrate_file **files = calloc(steps ? steps : 1, sizeof *files);
    if (!down || !files)
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    /* everything is read and checked before the database is touched */
    for (size_t i = 0; rc == SP_OK && i < steps; i++) {
        files[i] = migrate_file_for_row(f, &rows[i]);
        if (!files[i]) {
            rc = sp_error_set(
                err, SP_ENOTFOUND,
                "the applied migration with created_at %.0f (hash %.12s...) is not in %s/meta/_journal.json; "
                "cannot roll it back",
                rows[i].created_at, rows[i].hash, migsrc_name(&f->src));
            break;
        }
        char rel[1024], path[4200];
        snprintf(rel, sizeof rel, "%s.down.sql", files[i]->tag);
        migsrc_file_name(&f->src, rel, path, sizeof path);
        rc = migsrc_read(&f->src, rel, &down[i], NULL, err);
        if (rc == SP_ENOTFOUND)
            sp_error_set(err, rc,
                         "no down migration %s for %s: write the SQL that undoes %s.sql "
                         "there, then run again (nothing was changed)",
                         path, files[i]->tag, files[i]->tag);
    }
    if (rc == SP_OK)
        rc = db_begin_immediate(db, err);
    for (size_t i = 0; rc == SP_OK && i < steps; i++) {
        char what[300];
        snprintf(what, sizeof what, "down migration %s.down.sql failed", files[i]->tag);
        rc = migrate_exec_script(db, down[i], what, err);
        sqlite3_stmt *st = NULL;
        if (rc == SP_OK && (rc = db_prepare(db, SQL_DELETE_ROW, &st, err)) == SP_OK) {
            sqlite3_bind_int64(st, 1, rows[i].rowid);
            int src = sqlite3_step(st);
            if (src != SQLITE_DONE)
                rc = db_error(db, src, err, "deleting a row of " MIGRATE_TABLE);
            sqlite3_finalize(st);
        }
    }
    if (rc == SP_OK)
        rc = db_commit(db, err);
    if (rc != SP_OK)
        db_rollback(db);
    for (size_t i = 0; rc == SP_OK && log && i < steps; i++)
        fprintf(log, "  rolled back %s\n", files[i]->tag);
    for (size_t i = 0; down && i < steps; i++)
        free(down[i]);
    free(down);
    free(files);
    migrate_rows_free(rows, n);
    return rc;
}

int migrate_record_upto(struct db *db, const struct migrate_folder *f, size_t upto, FILE *log,
                        size_t *n_recorded, struct sp_error *err)
{
    if (n_recorded)
        *n_recorded = 0;
    if (upto >= f->n)
        return sp_error_set(err, SP_EINVAL, "journal index %zu out of range", upto);
    int rc = migrate_table_ensure(db, err);
    if (rc != SP_OK || (rc = db_begin_immediate(db, err)) != SP_OK)
        return rc;
    struct migrate_row *rows = NULL;
    size_t n = 0, done = 0;
    bool *record = calloc(upto + 1, sizeof *record);
    rc = record ? migrate_rows_load(db, &rows, &n, err)
                : sp_error_set(err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SP_OK && i <= upto; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = rows[k].created_at == (double)f->files[i].when;
        if (found)
            continue;
        rc = insert_row(db, f->files[i].hash, f->files[i].when, err);
        record[i] = true;
        done++;
    }
    if (rc == SP_OK)
        rc = db_commit(db, err);
    if (rc != SP_OK)
        db_rollback(db);
    for (size_t i = 0; rc == SP_OK && log && i <= upto; i++)
        if (record[i])
            fprintf(log, "  recorded %s as applied\n", f->files[i].tag);
    if (rc == SP_OK && n_recorded)
        *n_recorded = done;
    free(record);
    migrate_rows_free(rows, n);
    return rc;
}

int migrate_push_statements(struct db *db, char *const *sql, size_t n, struct sp_error *err)
{
    /* foreign keys off around the transaction (it is a no-op inside one), so that a table
     * rebuild neither fails on nor cascades into referencing rows; checked before COMMIT */
    int rc = db_exec(db, "PRAGMA foreign_keys=OFF", err);
    if (rc == SP_OK)
        rc = db_begin_immediate(db, err);
    for (size_t i = 0; rc == SP_OK && i < n; i++)
        rc = migrate_exec_script(db, sql[i], "push failed", err);
    if (rc == SP_OK) {
        sqlite3_stmt *st = NULL;
        rc = db_prepare(db, "PRAGMA foreign_key_check", &st, err);
        if (rc == SP_OK && sqlite3_step(st) == SQLITE_ROW)
            rc = sp_error_set(err, SP_ECONFLICT,
                              "push failed: table %s would hold rows whose foreign key "
                              "matches no parent row; nothing was changed",
                              (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (rc == SP_OK)
        rc = db_commit(db, err);
    if (rc != SP_OK)
        db_rollback(db);
    db_exec(db, "PRAGMA foreign_keys=ON", NULL);
    return rc;
}
