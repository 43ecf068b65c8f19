/* db/pg.c: the libpq connection and error mapping (see db/pg.h).
 * Thread model: one struct pg per thread at a time; the statement timeout is set before threads.
 */
#include "db/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pg {
    PGconn *conn;
    char shown[512];
};

static int statement_timeout_ms;

bool pg_is_url(const char *s)
{
    return s && (strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0);
}

void pg_set_statement_timeout_ms(int ms)
{
    statement_timeout_ms = ms > 0 ? ms : 0;
}

void pg_hide_password(const char *url, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (!colon) {
        snprintf(out, size, "%s", url);
        return;
    }
    snprintf(out, size, "%.*s:***%s", (int)(colon - url), url, at);
}

int pg_code_of_sqlstate(const char *st)
{
    if (!st || !st[0])
        return SP_EUNAVAILABLE;
    if (strncmp(st, "23", 2) == 0)
        return SP_ECONFLICT;
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0 ||
        strcmp(st, "57014") == 0)
        return SP_EBUSY;
    if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
        strcmp(st, "57P03") == 0)
        return SP_EUNAVAILABLE;
    if (strncmp(st, "22", 2) == 0)
        return SP_EINVAL;
    return SP_EDB;
}

int pg_error(struct pg *pg, const PGresult *res, struct sp_error *err, const char *what)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = pg && pg->conn ? PQerrorMessage(pg->conn) : "no connection";
    char clean[SP_ERR_MSG_MAX];
    snprintf(clean, sizeof clean, "%s", msg);
    size_t n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    if (!st && pg && pg->conn && PQstatus(pg->conn) == CONNECTION_OK && res)
        st = "XX000"; /* a failed result without a state: treat as a database error */
    int code = pg_code_of_sqlstate(st);
    if (st)
        return sp_error_set(err, code, "%s: %s (SQLSTATE %s)", what, clean, st);
    return sp_error_set(err, code, "%s: %s", what, clean);
}

int pg_connect(const char *url, struct pg **out, struct sp_error *err)
{
    *out = NULL;
    struct pg *pg = calloc(1, sizeof *pg);
    if (!pg)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    pg_hide_password(url, pg->shown, sizeof pg->shown);
    /* defaults first, so that the URL's own parameters override them (libpq takes the last
     * value of a keyword): the name in pg_stat_activity, and a bounded connect on a server
     * that does not answer (libpq's default is to wait forever) */
    const char *const keys[] = { "application_name", "connect_timeout", "dbname", NULL };
    const char *const vals[] = { "sprout", "10", url, NULL };
    pg->conn = PQconnectdbParams(keys, vals, 1);
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        char what[700];
        snprintf(what, sizeof what, "cannot connect to PostgreSQL at %s", pg->shown);
        int rc = pg_error(pg, NULL, err, what);
        pg_close(pg);
        return rc == SP_EDB ? SP_EUNAVAILABLE : rc;
    }
    char set[256];
    snprintf(set, sizeof set,
             "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET extra_float_digits = 1; "
             "SET statement_timeout = %d; SET client_min_messages = warning",
             statement_timeout_ms);
    int rc = pg_exec(pg, set, err, "configuring the PostgreSQL session");
    if (rc) {
        pg_close(pg);
        return rc;
    }
    *out = pg;
    return SP_OK;
}

void pg_close(struct pg *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    free(pg);
}

PGconn *pg_handle(struct pg *pg)
{
    return pg->conn;
}

const char *pg_display_url(struct pg *pg)
{
    return pg->shown;
}

int pg_exec(struct pg *pg, const char *sql, struct sp_error *err, const char *what)
{
    PGresult *r = PQexec(pg->conn, sql);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = SP_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY)
        rc = pg_error(pg, r, err, what);
    PQclear(r);
    return rc;
}

int pg_query(struct pg *pg, const char *sql, int n, const char *const *params, PGresult **out,
             struct sp_error *err, const char *what)
{
    if (out)
        *out = NULL;
    PGresult *r = PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        int rc = pg_error(pg, r, err, what);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return SP_OK;
}

int pg_begin(struct pg *pg, struct sp_error *err)
{
    return pg_exec(pg, "BEGIN", err, "BEGIN");
}

int pg_commit(struct pg *pg, struct sp_error *err)
{
    return pg_exec(pg, "COMMIT", err, "COMMIT");
}

void pg_rollback(struct pg *pg)
{
    if (pg && pg->conn && PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(pg->conn, "ROLLBACK");
        PQclear(r);
    }
}
