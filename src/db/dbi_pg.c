/* db/dbi_pg.c: the PostgreSQL backend of the database interface (see db/dbi_pg.h).
 *
 * Round trips: a statement that only moves the transaction (BEGIN, SAVEPOINT x, RELEASE x:
 * no parameters, no rows, nothing the caller reads) is not sent when stepped but queued on the
 * connection, and goes out in one libpq pipeline with the next statement that does something,
 * whose result (or the first error of the batch) is what that step reports. So a request's
 * BEGIN travels with its first statement, and a savepoint's SAVEPOINT and RELEASE with the
 * statements around them. A COMMIT or ROLLBACK while the BEGIN is still queued ends a
 * transaction the server never saw: the queue is dropped and nothing is sent.
 * Thread model: a connection and its statements are used by one thread at a time.
 */
#include "db/dbi_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/dbi_sqlite.h"

#define PG_CACHE 256 /* power of two */
#define PG_MAX_PARAMS 64
#define PG_MAX_QUEUED 8  /* transaction-control statements waiting for the next statement */
#define PG_TYPE_CACHE 32 /* result columns whose type is kept beside the result */

/* What a statement is, for the queue of transaction-control statements. */
enum pg_kind { PG_PLAIN, PG_DEFER_BEGIN, PG_DEFER, PG_END };

/* Type OIDs of the built-in types (fixed in PostgreSQL's catalog, pg_type.dat). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700
};

struct dbi_pgstmt {
    struct dbi_stmt base; /* what dbi_* callers hold; base.pg points back here */
    struct dbi_pgconn *c;
    char name[24];
    char *text;    /* the rewritten SQL */
    bool prepared; /* PQprepare done on this connection */
    bool once;
    enum pg_kind kind; /* PG_DEFER*: queued, not sent, when stepped; PG_END: COMMIT/ROLLBACK */
    int n_params;
    char *names[PG_MAX_PARAMS + 1]; /* [k]: ":name" of $k, or NULL */
    bool used[PG_MAX_PARAMS + 1];   /* [k]: $k appears (SQLite allows gaps: ?2 without ?1) */
    const char *vals[PG_MAX_PARAMS + 1];
    int lens[PG_MAX_PARAMS + 1];
    int fmts[PG_MAX_PARAMS + 1];
    char *owned[PG_MAX_PARAMS + 1];
    PGresult *desc; /* PQdescribePrepared: result columns before the first step */
    PGresult *res;
    bool ran;
    int row, n_rows;
    int n_fields;              /* of res (0 without one) */
    Oid ftypes[PG_TYPE_CACHE]; /* of res's first columns: read once per result, not per value */
    unsigned char *blob;       /* the unescaped bytea of (blob_row, blob_col) */
    size_t blob_len;
    int blob_row, blob_col;
};

struct dbi_pgconn {
    struct pg *pg;
    struct {
        const char *sql;
        struct dbi_pgstmt *st;
    } cache[PG_CACHE];
    struct dbi_pgstmt *spill; /* cache full: the last statement prepared outside it */
    unsigned next_name;
    PGresult *last_err;
    int changes;
    /* transaction-control statements stepped but not sent yet (their names: a statement may be
     * freed meanwhile, the server keeps it until DEALLOCATE, which flushes the queue first) */
    char queued[PG_MAX_QUEUED][24];
    int n_queued;
    bool begin_queued; /* one of them is the BEGIN: the transaction exists only here so far */
};

int dbi_pg_conn_open(const char *url, struct dbi_pgconn **out, struct sp_error *err)
{
    *out = NULL;
    struct dbi_pgconn *c = calloc(1, sizeof *c);
    if (!c)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int rc = pg_connect(url, &c->pg, err);
    if (rc != SP_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return SP_OK;
}

void dbi_pg_conn_close(struct dbi_pgconn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < PG_CACHE; i++)
        if (c->cache[i].st) { /* the server forgets them with the session: no DEALLOCATE */
            c->cache[i].st->once = true;
            c->cache[i].st->c = NULL;
            dbi_pg_free(c->cache[i].st);
        }
    if (c->spill) {
        c->spill->once = true;
        c->spill->c = NULL;
        dbi_pg_free(c->spill);
    }
    PQclear(c->last_err);
    pg_close(c->pg);
    free(c);
}

bool dbi_pg_conn_ok(struct dbi_pgconn *c)
{
    return PQstatus(pg_handle(c->pg)) == CONNECTION_OK;
}

struct pg *dbi_pg_conn_pg(struct dbi_pgconn *c)
{
    return c->pg;
}

/* ---- SQL rewriting ---- */

static bool ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Rewrite into out (cap >= 4 * strlen(sql) + 1 is always enough); names[k] gets ":name",
 * used[k] (may be NULL) whether $k appears. */
static int rewrite(const char *sql, char *out, char **names, bool *used, int *n_params,
                   struct sp_error *err)
{
    int max = 0;
    char quote = 0;
    size_t o = 0;
    for (const char *p = sql; *p;) {
        char ch = *p;
        if (quote) {
            if (ch == quote)
                quote = 0;
            out[o++] = *p++;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            out[o++] = *p++;
            continue;
        }
        if (ch == ':' && p[1] == ':') { /* a cast */
            out[o++] = *p++;
            out[o++] = *p++;
            continue;
        }
        int idx = 0;
        if (ch == '?' || (ch == '$' && is_digit(p[1]))) {
            p++;
            if (!is_digit(*p) && ch == '?') {
                idx = max + 1;
            } else {
                char *end;
                long v = strtol(p, &end, 10);
                p = end;
                if (v < 1 || v > PG_MAX_PARAMS)
                    return sp_error_set(err, SP_EINVAL, "parameter number out of range in: %.80s",
                                        sql);
                idx = (int)v;
            }
        } else if (ch == ':' && (ident_char(p[1]) && !is_digit(p[1]))) {
            const char *start = p++;
            while (ident_char(*p))
                p++;
            size_t n = (size_t)(p - start);
            for (int k = 1; k <= max && !idx; k++)
                if (names[k] && strlen(names[k]) == n && memcmp(names[k], start, n) == 0)
                    idx = k;
            if (!idx) {
                idx = max + 1;
                if (idx > PG_MAX_PARAMS)
                    return sp_error_set(err, SP_EINVAL, "too many parameters in: %.80s", sql);
                names[idx] = strndup(start, n);
                if (!names[idx])
                    return sp_error_set(err, SP_ENOMEM, "out of memory");
            }
        } else if (ident_char(ch) && !is_digit(ch)) {
            /* a word, copied whole (a ? or : inside one is not a parameter); `rowid` needs no
             * rewrite: the PostgreSQL dialect has a real rowid column (db/schema.c, pg_rowid) */
            const char *start = p;
            while (ident_char(*p))
                p++;
            memcpy(out + o, start, (size_t)(p - start));
            o += (size_t)(p - start);
            continue;
        } else {
            out[o++] = *p++;
            continue;
        }
        if (idx > max)
            max = idx;
        if (used)
            used[idx] = true;
        o += (size_t)snprintf(out + o, 8, "$%d", idx); /* "?" (1 byte) -> "$64" at most */
    }
    out[o] = '\0';
    *n_params = max;
    return SP_OK;
}

int dbi_pg_rewrite(const char *sql, char **out, int *n_params, struct sp_error *err)
{
    char *names[PG_MAX_PARAMS + 1] = { 0 };
    char *text = malloc(4 * strlen(sql) + 1);
    if (!text)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int rc = rewrite(sql, text, names, NULL, n_params, err);
    for (int k = 0; k <= PG_MAX_PARAMS; k++)
        free(names[k]);
    if (rc != SP_OK) {
        free(text);
        return rc;
    }
    *out = text;
    return SP_OK;
}

/* ---- statements ---- */

/* Does text start with the keyword kw (followed by the end or a space)? */
static bool starts_with_word(const char *text, const char *kw)
{
    size_t n = strlen(kw);
    while (*text == ' ' || *text == '\n' || *text == '\t')
        text++;
    return strncasecmp(text, kw, n) == 0 && (text[n] == '\0' || text[n] == ' ');
}

static enum pg_kind classify(const char *text, int n_params)
{
    if (n_params)
        return PG_PLAIN;
    if (starts_with_word(text, "BEGIN"))
        return PG_DEFER_BEGIN;
    if (starts_with_word(text, "SAVEPOINT") || starts_with_word(text, "RELEASE"))
        return PG_DEFER;
    if (strcasecmp(text, "COMMIT") == 0 || strcasecmp(text, "ROLLBACK") == 0)
        return PG_END;
    return PG_PLAIN;
}

static struct dbi_pgstmt *stmt_new(struct db *db, struct dbi_pgconn *c, const char *sql,
                                   struct sp_error *err)
{
    struct dbi_pgstmt *s = calloc(1, sizeof *s);
    char *text = malloc(4 * strlen(sql) + 1);
    if (!s || !text) {
        free(s);
        free(text);
        sp_error_set(err, SP_ENOMEM, "out of memory preparing a statement");
        return NULL;
    }
    s->text = text;
    if (rewrite(sql, text, s->names, s->used, &s->n_params, err) != SP_OK) {
        s->once = true;
        dbi_pg_free(s);
        return NULL;
    }
    s->c = c;
    s->kind = classify(text, s->n_params);
    s->base = (struct dbi_stmt){ .db = db, .pg = s };
    snprintf(s->name, sizeof s->name, "sp%u", c->next_name++);
    s->row = -1;
    s->blob_row = -1;
    return s;
}

/* A failed result becomes the connection's last error (for dbi_error). */
static int fail(struct dbi_pgconn *c, PGresult *r)
{
    PQclear(c->last_err);
    c->last_err = r;
    return 1; /* neither DBI_ROW nor DBI_DONE */
}

/* PQprepare on the server once per connection; a failure is the connection's last error. */
static int prepare_now(struct dbi_pgstmt *s)
{
    if (s->prepared)
        return SP_OK;
    /* a parameter the text never uses has no type to infer: call it text (it is bound, unread) */
    Oid types[PG_MAX_PARAMS];
    for (int k = 1; k <= s->n_params; k++)
        types[k - 1] = s->used[k] ? 0 : 25 /* text */;
    PGresult *r = PQprepare(pg_handle(s->c->pg), s->name, s->text, s->n_params, types);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail(s->c, r);
        return SP_EDB;
    }
    PQclear(r);
    s->prepared = true;
    PQclear(s->desc);
    s->desc = PQdescribePrepared(pg_handle(s->c->pg), s->name);
    if (!s->desc || PQresultStatus(s->desc) != PGRES_COMMAND_OK) {
        fail(s->c, s->desc);
        s->desc = NULL;
        return SP_EDB;
    }
    return SP_OK;
}

static void unbind(struct dbi_pgstmt *s)
{
    for (int k = 0; k <= PG_MAX_PARAMS; k++) {
        free(s->owned[k]);
        s->owned[k] = NULL;
        s->vals[k] = NULL;
        s->lens[k] = 0;
        s->fmts[k] = 0;
    }
}

void dbi_pg_reset(struct dbi_pgstmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->ran = false;
    s->row = -1;
    s->n_rows = 0;
    s->n_fields = 0;
    free(s->blob);
    s->blob = NULL;
    s->blob_row = -1;
}

void dbi_pg_clear(struct dbi_pgstmt *s)
{
    dbi_pg_reset(s);
    unbind(s);
}

void dbi_pg_free(struct dbi_pgstmt *s)
{
    if (!s || !s->once)
        return;
    dbi_pg_clear(s);
    if (s->prepared && s->c && s->c->pg && PQstatus(pg_handle(s->c->pg)) == CONNECTION_OK) {
        dbi_pg_flush(s->c, NULL); /* the queue may name this statement */
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(pg_handle(s->c->pg), sql));
    }
    for (int k = 0; k <= PG_MAX_PARAMS; k++)
        free(s->names[k]);
    PQclear(s->desc);
    free(s->text);
    free(s);
}

int dbi_pg_prepare(struct db *db, struct dbi_pgconn *c, const char *sql, bool once,
                   struct dbi_stmt **out, struct sp_error *err)
{
    *out = NULL;
    struct dbi_pgstmt *s = NULL;
    if (!once) {
        size_t h = ((uintptr_t)sql >> 4) * 2654435761u;
        for (size_t probe = 0; probe < PG_CACHE; probe++) {
            size_t i = (h + probe) & (PG_CACHE - 1);
            if (c->cache[i].sql == sql) {
                dbi_pg_clear(c->cache[i].st);
                *out = &c->cache[i].st->base;
                return SP_OK;
            }
            if (!c->cache[i].sql) {
                if (!(s = stmt_new(db, c, sql, err)))
                    return err ? err->code : SP_ENOMEM;
                if (prepare_now(s) != SP_OK) {
                    s->once = true;
                    dbi_pg_free(s);
                    return dbi_pg_error(c, err, "preparing a statement");
                }
                c->cache[i].sql = sql;
                c->cache[i].st = s;
                *out = &s->base;
                return SP_OK;
            }
        }
        if (c->spill) { /* cache full: one statement outside it at a time */
            c->spill->once = true;
            dbi_pg_free(c->spill);
            c->spill = NULL;
        }
    }
    if (!(s = stmt_new(db, c, sql, err)))
        return err ? err->code : SP_ENOMEM;
    if (prepare_now(s) != SP_OK) {
        s->once = true;
        dbi_pg_free(s);
        return dbi_pg_error(c, err, "preparing a statement");
    }
    s->once = once;
    if (!once)
        c->spill = s;
    *out = &s->base;
    return SP_OK;
}

int dbi_pg_bind(struct dbi_pgstmt *s, int idx, const char *v, size_t len, bool binary,
                enum dbi_copy copy)
{
    if (idx < 1 || idx > s->n_params)
        return SP_EINVAL;
    free(s->owned[idx]);
    s->owned[idx] = NULL;
    s->fmts[idx] = binary;
    if (!v) {
        s->vals[idx] = NULL;
        return SP_OK;
    }
    if (len == DBI_NTS)
        len = strlen(v);
    if (len > 0x7fffffff)
        return SP_ETOOBIG;
    s->lens[idx] = (int)len;
    /* libpq reads text parameters up to their NUL: a counted or transient string is copied */
    if (copy == DBI_STATIC && (binary || v[len] == '\0')) {
        s->vals[idx] = v;
        return SP_OK;
    }
    char *dup = malloc(len + 1);
    if (!dup)
        return SP_ENOMEM;
    memcpy(dup, v, len);
    dup[len] = '\0';
    s->owned[idx] = dup;
    s->vals[idx] = dup;
    return SP_OK;
}

int dbi_pg_param_count(struct dbi_pgstmt *s)
{
    return s->n_params;
}

const char *dbi_pg_param_name(struct dbi_pgstmt *s, int idx)
{
    return idx >= 1 && idx <= s->n_params ? s->names[idx] : NULL;
}

int dbi_pg_param_index(struct dbi_pgstmt *s, const char *name)
{
    for (int k = 1; k <= s->n_params; k++)
        if (s->names[k] && strcmp(s->names[k], name) == 0)
            return k;
    return 0;
}

/* Send the queued statements and then s (NULL: none) in one pipeline: s's result, or the
 * first failure of the batch (NULL if the connection broke before any result). */
static PGresult *exec_pipelined(struct dbi_pgconn *c, struct dbi_pgstmt *s)
{
    PGconn *conn = pg_handle(c->pg);
    int n = c->n_queued + (s ? 1 : 0);
    c->n_queued = 0;
    c->begin_queued = false;
    if (!PQenterPipelineMode(conn))
        return NULL;
    bool sent = true;
    for (int i = 0; i < n && sent; i++) {
        if (s && i == n - 1)
            sent = PQsendQueryPrepared(conn, s->name, s->n_params, s->vals + 1, s->lens + 1,
                                       s->fmts + 1, 0);
        else
            sent = PQsendQueryPrepared(conn, c->queued[i], 0, NULL, NULL, NULL, 0);
    }
    sent = sent && PQpipelineSync(conn);
    PGresult *mine = NULL, *failed = NULL;
    /* each query's results end with NULL; a failure turns the later ones PIPELINE_ABORTED */
    for (int i = 0; sent && i < n;) {
        PGresult *r = PQgetResult(conn);
        if (!r) {
            i++;
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
        if (ok && s && i == n - 1 && !mine && !failed) {
            mine = r;
        } else if (!ok && st != PGRES_PIPELINE_ABORTED && !failed) {
            failed = r;
        } else {
            PQclear(r);
        }
    }
    PGresult *r;
    while (sent && (r = PQgetResult(conn)) != NULL) { /* the sync point */
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC || PQstatus(conn) != CONNECTION_OK)
            break;
    }
    PQexitPipelineMode(conn);
    if (failed) {
        PQclear(mine);
        return failed;
    }
    if (!sent || (s && !mine)) {
        PQclear(mine);
        return NULL;
    }
    return mine ? mine : PQmakeEmptyPGresult(conn, PGRES_COMMAND_OK);
}

int dbi_pg_flush(struct dbi_pgconn *c, struct sp_error *err)
{
    if (!c->n_queued)
        return SP_OK;
    PGresult *r = exec_pipelined(c, NULL);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail(c, r);
        return dbi_pg_error(c, err, "starting a transaction");
    }
    PQclear(r);
    return SP_OK;
}

/* A step answered without sending s (queued, or a COMMIT of nothing): done, no rows. */
static int done_unsent(struct dbi_pgstmt *s)
{
    s->ran = true;
    s->n_rows = 0;
    s->row = 0;
    return DBI_DONE;
}

int dbi_pg_step(struct dbi_pgstmt *s)
{
    PGconn *conn = pg_handle(s->c->pg);
    struct dbi_pgconn *c = s->c;
    if (!s->ran) {
        if (prepare_now(s) != SP_OK)
            return 1;
        if ((s->kind == PG_DEFER_BEGIN || s->kind == PG_DEFER) && c->n_queued < PG_MAX_QUEUED &&
            (s->kind == PG_DEFER_BEGIN || c->n_queued > 0 || dbi_pg_in_txn(c))) {
            /* queued (a SAVEPOINT or RELEASE outside a transaction runs now, to fail now) */
            memcpy(c->queued[c->n_queued++], s->name, sizeof s->name);
            if (s->kind == PG_DEFER_BEGIN)
                c->begin_queued = true;
            return done_unsent(s);
        }
        if (s->kind == PG_END && c->begin_queued) {
            /* the transaction never reached the server: nothing to commit or roll back */
            c->n_queued = 0;
            c->begin_queued = false;
            return done_unsent(s);
        }
        PGresult *r = c->n_queued ? exec_pipelined(c, s)
                                  : PQexecPrepared(conn, s->name, s->n_params, s->vals + 1,
                                                   s->lens + 1, s->fmts + 1, 0);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
            return fail(s->c, r);
        const char *n = PQcmdTuples(r);
        if (n && *n)
            s->c->changes = (int)strtol(n, NULL, 10);
        s->res = r;
        s->n_rows = st == PGRES_TUPLES_OK ? PQntuples(r) : 0;
        s->n_fields = PQnfields(r);
        for (int k = 0; k < s->n_fields && k < PG_TYPE_CACHE; k++)
            s->ftypes[k] = PQftype(r, k);
        s->row = -1;
        s->ran = true;
    }
    if (s->row + 1 < s->n_rows) {
        s->row++;
        return DBI_ROW;
    }
    s->row = s->n_rows;
    return DBI_DONE;
}

static bool on_row(struct dbi_pgstmt *s, int k)
{
    return s->res && s->row >= 0 && s->row < s->n_rows && k >= 0 && k < PQnfields(s->res);
}

/* The result being walked, or before the first step the statement's description. */
static const PGresult *shape(struct dbi_pgstmt *s)
{
    return s->res ? s->res : s->desc;
}

int dbi_pg_column_count(struct dbi_pgstmt *s)
{
    return shape(s) ? PQnfields(shape(s)) : 0;
}

const char *dbi_pg_column_name(struct dbi_pgstmt *s, int k)
{
    return shape(s) && k >= 0 && k < PQnfields(shape(s)) ? PQfname(shape(s), k) : NULL;
}

enum dbi_type dbi_pg_column_type(struct dbi_pgstmt *s, int k)
{
    if (!on_row(s, k) || PQgetisnull(s->res, s->row, k))
        return DBI_NULL;
    switch (PQftype(s->res, k)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: return DBI_INTEGER;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC: return DBI_FLOAT;
    case OID_BYTEA: return DBI_BLOB;
    default: return DBI_TEXT;
    }
}

static const char *raw(struct dbi_pgstmt *s, int k)
{
    return on_row(s, k) && !PQgetisnull(s->res, s->row, k) ? PQgetvalue(s->res, s->row, k) : NULL;
}

int64_t dbi_pg_column_int64(struct dbi_pgstmt *s, int k)
{
    const char *v = raw(s, k);
    if (!v)
        return 0;
    if (PQftype(s->res, k) == OID_BOOL)
        return v[0] == 't';
    if (PQftype(s->res, k) == OID_FLOAT4 || PQftype(s->res, k) == OID_FLOAT8 ||
        PQftype(s->res, k) == OID_NUMERIC)
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

double dbi_pg_column_double(struct dbi_pgstmt *s, int k)
{
    const char *v = raw(s, k);
    if (!v)
        return 0;
    if (PQftype(s->res, k) == OID_BOOL)
        return v[0] == 't';
    return strtod(v, NULL);
}

const char *dbi_pg_column_text(struct dbi_pgstmt *s, int k)
{
    const char *v = raw(s, k);
    if (v && PQftype(s->res, k) == OID_BOOL)
        return v[0] == 't' ? "1" : "0"; /* as SQLite's integer booleans print */
    return v;
}

static const unsigned char *blob(struct dbi_pgstmt *s, int k)
{
    const char *v = raw(s, k);
    if (!v)
        return NULL;
    if (s->blob_row != s->row || s->blob_col != k) {
        PQfreemem(s->blob);
        s->blob = PQunescapeBytea((const unsigned char *)v, &s->blob_len);
        s->blob_row = s->row;
        s->blob_col = k;
    }
    return s->blob;
}

const void *dbi_pg_column_blob(struct dbi_pgstmt *s, int k)
{
    if (PQftype(s->res, k) != OID_BYTEA)
        return raw(s, k);
    return blob(s, k);
}

size_t dbi_pg_column_bytes(struct dbi_pgstmt *s, int k)
{
    if (!raw(s, k))
        return 0;
    if (PQftype(s->res, k) == OID_BYTEA)
        return blob(s, k) ? s->blob_len : 0;
    if (PQftype(s->res, k) == OID_BOOL)
        return 1;
    return (size_t)PQgetlength(s->res, s->row, k);
}

/* One value with one bounds check and one lookup of its text and length (the row loops of
 * storage/rowjson.c read every column of every row this way): the column types were read
 * once per result (dbi_pg_step), and only an empty value can be NULL, so the null flag is read
 * for those alone. */
void dbi_pg_column_read(struct dbi_pgstmt *s, int k, struct dbi_value *v)
{
    if (s->row < 0 || s->row >= s->n_rows || k < 0 || k >= s->n_fields) {
        v->type = DBI_NULL;
        return;
    }
    int len = PQgetlength(s->res, s->row, k);
    if (len == 0 && PQgetisnull(s->res, s->row, k)) {
        v->type = DBI_NULL;
        return;
    }
    const char *raw_v = PQgetvalue(s->res, s->row, k);
    switch (k < PG_TYPE_CACHE ? s->ftypes[k] : PQftype(s->res, k)) {
    case OID_BOOL:
        v->type = DBI_INTEGER;
        v->i = raw_v[0] == 't';
        break;
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        v->type = DBI_INTEGER;
        v->i = strtoll(raw_v, NULL, 10);
        break;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        v->type = DBI_FLOAT;
        v->d = strtod(raw_v, NULL);
        break;
    case OID_BYTEA:
        v->type = DBI_BLOB;
        v->p = blob(s, k);
        v->n = v->p ? s->blob_len : 0;
        break;
    default:
        v->type = DBI_TEXT;
        v->p = raw_v;
        v->n = (size_t)len;
        break;
    }
}

int dbi_pg_changes(struct dbi_pgconn *c)
{
    return c->changes;
}

bool dbi_pg_in_txn(struct dbi_pgconn *c)
{
    return c->begin_queued || PQtransactionStatus(pg_handle(c->pg)) != PQTRANS_IDLE;
}

bool dbi_pg_txn_failed(struct dbi_pgconn *c)
{
    return PQtransactionStatus(pg_handle(c->pg)) == PQTRANS_INERROR;
}

int dbi_pg_error(struct dbi_pgconn *c, struct sp_error *err, const char *what)
{
    return pg_error(c->pg, c->last_err, err, what);
}

int dbi_pg_exec(struct dbi_pgconn *c, const char *sql, struct sp_error *err)
{
    int rc = dbi_pg_flush(c, err); /* the queued BEGIN/SAVEPOINT/RELEASE go first */
    if (rc != SP_OK)
        return rc;
    PGresult *r = PQexec(pg_handle(c->pg), sql);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) {
        PQclear(r);
        return SP_OK;
    }
    rc = pg_error(c->pg, r, err, "executing SQL");
    PQclear(c->last_err);
    c->last_err = r;
    return rc;
}

bool dbi_pg_error_is_retryable(struct dbi_pgconn *c)
{
    const char *st = c->last_err ? PQresultErrorField(c->last_err, PG_DIAG_SQLSTATE) : NULL;
    return st && (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0);
}

bool dbi_pg_error_is_fk(struct dbi_pgconn *c)
{
    const char *st = c->last_err ? PQresultErrorField(c->last_err, PG_DIAG_SQLSTATE) : NULL;
    return st && strcmp(st, "23503") == 0;
}
