/* db/pg.h: one PostgreSQL connection through libpq, and the one libpq -> project error mapping.
 *
 * pg_connect() takes a libpq connection URI ("postgres://user:pw@host:port/db?sslmode=...")
 * as selected in cli/ (--db or DATABASE_URL), with application_name 'sprout' and a 10 s
 * connect_timeout unless the URL sets them; every connection then gets the session settings
 * the API's JSON relies on (docs/POSTGRESQL.md): client_encoding UTF8, TimeZone UTC,
 * extra_float_digits 1 (shortest round-trip doubles, the PostgreSQL >= 12 default, set
 * explicitly), and a statement_timeout when one is configured (pg_set_statement_timeout_ms).
 * Errors become SP_* codes in exactly one place, pg_error(), by SQLSTATE class:
 *   23505 / 23503 / 23xxx (integrity)          -> SP_ECONFLICT
 *   40001 / 40P01 (serialization, deadlock),
 *   55P03 (lock not available), 57014 (timeout) -> SP_EBUSY   (retry the transaction)
 *   08xxx, 57P01-57P03, no connection          -> SP_EUNAVAILABLE (the server went away)
 *   22xxx (bad data), 42xxx (bad SQL / name)   -> SP_EINVAL / SP_EDB
 *   everything else                            -> SP_EDB
 * and the message is "what: <primary message> (SQLSTATE xxxxx)".
 * All SQL runs with bound parameters (pg_query) or as fixed text without parameters (pg_exec).
 * Ownership: results from pg_query() belong to the caller (PQclear()).
 * Thread model: a struct pg is used by one thread at a time (libpq connections are not shared).
 */
#ifndef SP_DB_PG_H
#define SP_DB_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct pg;

/* Is s a PostgreSQL URL (postgres:// or postgresql://)? */
bool pg_is_url(const char *s);
/* statement_timeout for connections opened afterwards (0 = none, the default). Process-wide:
 * call once at start-up. */
void pg_set_statement_timeout_ms(int ms);
int pg_connect(const char *url, struct pg **out, struct sp_error *err);
void pg_close(struct pg *pg); /* NULL-safe */
PGconn *pg_handle(struct pg *pg);
/* url with its password replaced: postgres://user:secret@host/db -> postgres://user:***@host/db */
void pg_hide_password(const char *url, char *out, size_t size);
/* The URL with any password replaced by "***", for messages (static buffer of the connection). */
const char *pg_display_url(struct pg *pg);

/* Run fixed SQL without parameters (may hold several statements: simple query protocol). */
int pg_exec(struct pg *pg, const char *sql, struct sp_error *err, const char *what);
/* Run one statement with text parameters ($1..$n; NULL entries are SQL NULL). *out (may be NULL:
 * the result is cleared) gets the result on success. */
int pg_query(struct pg *pg, const char *sql, int n, const char *const *params, PGresult **out,
             struct sp_error *err, const char *what);
int pg_begin(struct pg *pg, struct sp_error *err);
int pg_commit(struct pg *pg, struct sp_error *err);
void pg_rollback(struct pg *pg); /* safe when no transaction is open */

/* Map a failed result (or res NULL: the connection's error) to an SP_* code, filling err. */
int pg_error(struct pg *pg, const PGresult *res, struct sp_error *err, const char *what);
/* The SP_* code of a SQLSTATE (NULL = connection failure). */
int pg_code_of_sqlstate(const char *sqlstate);

#endif
