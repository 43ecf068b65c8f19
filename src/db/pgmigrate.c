/* db/pgmigrate.c: migrations, tracking rows, reset and seed on PostgreSQL (see db/pgmigrate.h).
 * Thread model: one connection, one caller.
 */
#include "db/pgmigrate.h"

#include <stdlib.h>
#include <string.h>

#include "db/seed.h"

static const char SQL_SCHEMA[] = "CREATE SCHEMA IF NOT EXISTS \"drizzle\"";
static const char SQL_TABLE[] =
    "\n\t\t\tCREATE TABLE IF NOT EXISTS \"drizzle\".\"__drizzle_migrations\" (\n"
    "\t\t\t\tid SERIAL PRIMARY KEY,\n"
    "\t\t\t\thash text NOT NULL,\n"
    "\t\t\t\tcreated_at bigint\n"
    "\t\t\t)\n\t\t";
static const char SQL_LAST[] =
    "select id, hash, created_at from \"drizzle\".\"__drizzle_migrations\" order by created_at desc limit 1";
static const char SQL_INSERT[] =
    "insert into \"drizzle\".\"__drizzle_migrations\" (\"hash\", \"created_at\") values($1, $2)";
static const char SQL_ROWS[] =
    "select id, hash, created_at from \"drizzle\".\"__drizzle_migrations\" order by id";
static const char SQL_EXISTS[] =
    "select to_regclass('\"drizzle\".\"__drizzle_migrations\"') is not null";
static const char SQL_DELETE[] = "delete from \"drizzle\".\"__drizzle_migrations\" where id = $1";

/* Take the migration lock; when another process holds it, say so on log, then wait. */
static int lock(struct pg *pg, FILE *log, struct sp_error *err)
{
    const char *p[] = { PGMIGRATE_LOCK_KEY };
    PGresult *r;
    int rc = pg_query(pg, "select pg_try_advisory_lock($1::bigint)", 1, p, &r, err,
                      "taking the migration lock");
    if (rc)
        return rc;
    bool got = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (got)
        return SP_OK;
    if (log) {
        fprintf(log, "  another process is migrating this database; waiting for it to finish...\n");
        fflush(log);
    }
    return pg_query(pg, "select pg_advisory_lock($1::bigint)", 1, p, NULL, err,
                    "taking the migration lock");
}

static void unlock(struct pg *pg)
{
    struct sp_error ignored = { 0 };
    const char *p[] = { PGMIGRATE_LOCK_KEY };
    pg_rollback(pg);
    pg_query(pg, "select pg_advisory_unlock($1::bigint)", 1, p, NULL, &ignored,
             "releasing the migration lock");
}

static int table_exists(struct pg *pg, bool *exists, struct sp_error *err)
{
    PGresult *r;
    int rc = pg_query(pg, SQL_EXISTS, 0, NULL, &r, err, "looking for the migrations table");
    if (rc)
        return rc;
    *exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return SP_OK;
}

static int last_created(struct pg *pg, bool *have, double *last, struct sp_error *err)
{
    *have = false;
    *last = 0;
    PGresult *r;
    int rc = pg_query(pg, SQL_LAST, 0, NULL, &r, err, "reading the newest applied migration");
    if (rc)
        return rc;
    if (PQntuples(r) == 1) {
        *have = true;
        *last = PQgetisnull(r, 0, 2) ? 0 : strtod(PQgetvalue(r, 0, 2), NULL); /* Number(null) = 0 */
    }
    PQclear(r);
    return SP_OK;
}

int pgmigrate_rows_load(struct pg *pg, struct migrate_row **rows, size_t *n, struct sp_error *err)
{
    *rows = NULL;
    *n = 0;
    bool exists = false;
    int rc = table_exists(pg, &exists, err);
    if (rc || !exists)
        return rc;
    PGresult *r;
    rc = pg_query(pg, SQL_ROWS, 0, NULL, &r, err, "reading drizzle.__drizzle_migrations");
    if (rc)
        return rc;
    int nt = PQntuples(r);
    *rows = calloc((size_t)nt + 1, sizeof **rows);
    if (!*rows) {
        PQclear(r);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nt; i++) {
        (*rows)[i].rowid = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        (*rows)[i].hash = strdup(PQgetvalue(r, i, 1));
        (*rows)[i].created_at = PQgetisnull(r, i, 2) ? 0 : strtod(PQgetvalue(r, i, 2), NULL);
        if (!(*rows)[i].hash) {
            migrate_rows_free(*rows, (size_t)i);
            *rows = NULL;
            PQclear(r);
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        }
    }
    *n = (size_t)nt;
    PQclear(r);
    return SP_OK;
}

int pgmigrate_count_pending(struct pg *pg, const struct migrate_folder *f, size_t *n_pending,
                            struct sp_error *err)
{
    *n_pending = 0;
    bool exists = false, have = false;
    double last = 0;
    int rc = table_exists(pg, &exists, err);
    if (rc == SP_OK && exists)
        rc = last_created(pg, &have, &last, err);
    for (size_t i = 0; rc == SP_OK && i < f->n; i++)
        *n_pending += migrate_is_pending(have, last, f->files[i].when);
    return rc;
}

/* For the transaction that applies migrations (or a push): a table rewrite (ALTER TABLE ... ADD
 * COLUMN ... GENERATED ... AS IDENTITY, as 0001's rowid) numbers the rows in the order it scans
 * the heap, and with synchronized scans a table over shared_buffers/4 is scanned from where an
 * earlier scan stopped, not from its first page: the numbering would start mid-table. Off, the
 * rewrite reads the heap in order, so existing rows keep the order `ORDER BY ctid` gave them. */
static const char SQL_NO_SYNCSCAN[] = "SET LOCAL synchronize_seqscans = off";

/* Send each chunk of a migration as is (drizzle: one query per chunk; a chunk may hold several
 * statements, which PostgreSQL's simple query protocol runs in order). */
static int exec_chunks(struct pg *pg, const char *sql, const char *what, struct sp_error *err)
{
    const char *p = sql;
    size_t bl = strlen(MIGRATE_BREAKPOINT);
    int k = 0;
    for (;;) {
        const char *e = strstr(p, MIGRATE_BREAKPOINT);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *chunk = strndup(p, len);
        if (!chunk)
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        k++;
        bool blank = strspn(chunk, " \t\r\n") == len;
        int rc = SP_OK;
        if (!blank) {
            char label[400];
            snprintf(label, sizeof label, "%s, statement %d (%.60s%s)", what, k,
                     chunk + strspn(chunk, " \t\r\n"), len > 60 ? "..." : "");
            rc = pg_exec(pg, chunk, err, label);
        }
        free(chunk);
        if (rc)
            return rc;
        if (!e)
            return SP_OK;
        p = e + bl;
    }
}

int pgmigrate_apply(struct pg *pg, const struct migrate_folder *f, FILE *log, size_t *n_applied,
                    struct sp_error *err)
{
    if (n_applied)
        *n_applied = 0;
    int rc = lock(pg, log, err);
    if (rc)
        return rc;
    bool have = false;
    double last = 0;
    size_t n = 0;
    rc = pg_exec(pg, SQL_SCHEMA, err, "creating schema drizzle");
    if (rc == SP_OK)
        rc = pg_exec(pg, SQL_TABLE, err, "creating drizzle.__drizzle_migrations");
    if (rc == SP_OK)
        rc = last_created(pg, &have, &last, err);
    bool any = false;
    for (size_t i = 0; i < f->n; i++)
        any = any || migrate_is_pending(have, last, f->files[i].when);
    if (rc == SP_OK && any) {
        rc = pg_begin(pg, err);
        if (rc == SP_OK)
            rc = pg_exec(pg, SQL_NO_SYNCSCAN, err, "setting synchronize_seqscans");
        for (size_t i = 0; rc == SP_OK && i < f->n; i++) {
            const struct migrate_file *mf = &f->files[i];
            if (!migrate_is_pending(have, last, mf->when))
                continue;
            char what[300], when[32];
            snprintf(what, sizeof what, "migration %s failed", mf->tag);
            snprintf(when, sizeof when, "%lld", mf->when);
            rc = exec_chunks(pg, mf->sql, what, err);
            const char *p[] = { mf->hash, when };
            if (rc == SP_OK)
                rc = pg_query(pg, SQL_INSERT, 2, p, NULL, err, "recording a migration");
            n += rc == SP_OK;
        }
        if (rc == SP_OK)
            rc = pg_commit(pg, err);
    }
    unlock(pg); /* rolls back an open transaction first */
    if (rc)
        return rc;
    for (size_t i = 0, k = 0; log && i < f->n && k < n; i++)
        if (migrate_is_pending(have, last, f->files[i].when)) {
            fprintf(log, "  applied %s\n", f->files[i].tag);
            k++;
        }
    if (n_applied)
        *n_applied = n;
    return SP_OK;
}

int pgmigrate_rollback(struct pg *pg, const struct migrate_folder *f, size_t steps, FILE *log,
                       struct sp_error *err)
{
    int rc = lock(pg, log, err);
    if (rc)
        return rc;
    struct migrate_row *rows = NULL;
    size_t n = 0;
    char **down = calloc(steps + 1, sizeof *down);
    const struct migrate_file **files = calloc(steps + 1, sizeof *files);
    if (!down || !files)
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    if (rc == SP_OK)
        rc = pgmigrate_rows_load(pg, &rows, &n, err);
    if (rc == SP_OK && steps > n)
        rc = sp_error_set(err, SP_EINVAL, "cannot roll back %zu migration%s: only %zu %s applied",
                          steps, steps == 1 ? "" : "s", n, n == 1 ? "is" : "are");
    if (rc == SP_OK)
        qsort(rows, n, sizeof *rows, migrate_cmp_newest_first);
    for (size_t i = 0; rc == SP_OK && i < steps; i++) {
        files[i] = migrate_file_for_row(f, &rows[i]);
        if (!files[i]) {
            rc =
                sp_error_set(err, SP_ENOTFOUND,
                             "the applied migration with created_at %.0f (hash %.12s...) is not in "
                             "%s/meta/_journal.json; cannot roll it back",
                             rows[i].created_at, rows[i].hash, migsrc_name(&f->src));
            break;
        }
        char rel[1024], path[4200];
        snprintf(rel, sizeof rel, "%s.down.sql", files[i]->tag);
        migsrc_file_name(&f->src, rel, path, sizeof path);
        rc = migsrc_read(&f->src, rel, &down[i], NULL, err);
        if (rc == SP_ENOTFOUND)
            sp_error_set(err, rc,
                         "no down migration %s for %s: write the SQL that undoes %s.sql there, "
                         "then run again (nothing was changed)",
                         path, files[i]->tag, files[i]->tag);
    }
    if (rc == SP_OK)
        rc = pg_begin(pg, err);
    for (size_t i = 0; rc == SP_OK && i < steps; i++) {
        char what[300], id[32];
        snprintf(what, sizeof what, "down migration %s.down.sql failed", files[i]->tag);
        snprintf(id, sizeof id, "%lld", rows[i].rowid);
        rc = exec_chunks(pg, down[i], what, err);
        const char *p[] = { id };
        if (rc == SP_OK)
            rc = pg_query(pg, SQL_DELETE, 1, p, NULL, err,
                          "deleting a row of drizzle.__drizzle_migrations");
    }
    if (rc == SP_OK)
        rc = pg_commit(pg, err);
    unlock(pg);
    for (size_t i = 0; rc == SP_OK && log && i < steps; i++)
        fprintf(log, "  rolled back %s\n", files[i]->tag);
    for (size_t i = 0; down && i < steps; i++)
        free(down[i]);
    free(down);
    free(files);
    migrate_rows_free(rows, n);
    return rc;
}

int pgmigrate_record_upto(struct pg *pg, const struct migrate_folder *f, size_t upto, FILE *log,
                          size_t *n_recorded, struct sp_error *err)
{
    *n_recorded = 0;
    int rc = lock(pg, log, err);
    struct migrate_row *rows = NULL;
    size_t n = 0;
    if (rc == SP_OK)
        rc = pg_exec(pg, SQL_SCHEMA, err, "creating schema drizzle");
    if (rc == SP_OK)
        rc = pg_exec(pg, SQL_TABLE, err, "creating drizzle.__drizzle_migrations");
    if (rc == SP_OK)
        rc = pgmigrate_rows_load(pg, &rows, &n, err);
    if (rc == SP_OK)
        rc = pg_begin(pg, err);
    for (size_t i = 0; rc == SP_OK && i <= upto && i < f->n; i++) {
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = rows[k].created_at == (double)f->files[i].when;
        if (known)
            continue;
        char when[32];
        snprintf(when, sizeof when, "%lld", f->files[i].when);
        const char *p[] = { f->files[i].hash, when };
        rc = pg_query(pg, SQL_INSERT, 2, p, NULL, err, "recording a migration");
        if (rc == SP_OK) {
            (*n_recorded)++;
            if (log)
                fprintf(log, "  recorded %s\n", f->files[i].tag);
        }
    }
    if (rc == SP_OK)
        rc = pg_commit(pg, err);
    unlock(pg);
    migrate_rows_free(rows, n);
    return rc;
}

int pgmigrate_reset(struct pg *pg, size_t *n_dropped, struct sp_error *err)
{
    if (n_dropped)
        *n_dropped = 0;
    PGresult *r = NULL;
    int rc = pg_query(pg, "select count(*) from pg_tables where schemaname = 'public'", 0, NULL, &r,
                      err, "counting tables");
    if (rc == SP_OK && n_dropped)
        *n_dropped = (size_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (rc == SP_OK)
        rc = pg_begin(pg, err);
    /* every table, view, sequence and type of public (not the schema itself: it keeps its owner
     * and grants), and the tracking schema */
    if (rc == SP_OK)
        rc = pg_exec(
            pg,
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT viewname FROM pg_views WHERE schemaname = 'public' LOOP "
            "EXECUTE format('DROP VIEW IF EXISTS public.%I CASCADE', r.viewname); END LOOP; "
            "FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP "
            "EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename); END LOOP; "
            "FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP "
            "EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', r.sequencename); END LOOP; "
            "FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') LOOP "
            "EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname); END LOOP; "
            "END $$; DROP SCHEMA IF EXISTS \"drizzle\" CASCADE",
            err, "dropping the database's objects");
    if (rc == SP_OK)
        rc = pg_commit(pg, err);
    if (rc)
        pg_rollback(pg);
    return rc;
}

int pgmigrate_seed(struct pg *pg, bool *inserted, struct sp_error *err)
{
    if (inserted)
        *inserted = false;
    const char *p[] = { SEED_USER_ID, SEED_USER_EMAIL, SEED_USER_TITLE };
    PGresult *r;
    int rc =
        pg_query(pg,
                 /* no conflict target: instances seeding at once meet on the email's unique
                  * index as well as the id's, and a target of (id) alone let the loser of that
                  * race fail with a duplicate email (test_pg_instances, ten instances) */
                 "INSERT INTO users (id, email, title) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                 3, p, &r, err, "seeding the default user");
    if (rc)
        return rc;
    if (inserted)
        *inserted = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return SP_OK;
}

int pgmigrate_push_statements(struct pg *pg, char *const *sql, size_t n, struct sp_error *err)
{
    int rc = pg_begin(pg, err);
    if (rc == SP_OK)
        rc = pg_exec(pg, SQL_NO_SYNCSCAN, err, "setting synchronize_seqscans");
    for (size_t i = 0; rc == SP_OK && i < n; i++)
        rc = pg_exec(pg, sql[i], err, "push");
    if (rc == SP_OK)
        rc = pg_commit(pg, err);
    if (rc)
        pg_rollback(pg);
    return rc;
}
