/* db/pgintrospect.h: a live PostgreSQL database read back as a snapshot body (db/pgsnap.h), for
 * `db check`, `db push` and `db baseline` on PostgreSQL.
 *
 * PostgreSQL stores its own rendering of what a migration said ('unknown' comes back as
 * 'unknown'::text, varchar(13) as character varying(13), a serial as integer DEFAULT
 * nextval(...)). Rather than guess those rules, the wanted body is canonicalised by the server
 * itself: pgintrospect_canonical() creates each wanted table as a TEMP table (columns, types,
 * defaults; missing enums and schemas too) inside a transaction that is rolled back, and reads
 * it back with the same code that reads the live tables. Both sides then use PostgreSQL's
 * spelling of types and defaults and compare exactly. Partial-index conditions and checks are
 * compared without quotes, parentheses, qualifiers and case (the live text is adopted when they
 * are equal that way). Opclasses, index storage options and CONCURRENTLY are not compared.
 * Schema "drizzle" (tracking) and system schemas are left out.
 * Ownership: bodies are new json_t references (json_decref()).
 * Thread model: one connection, one caller.
 */
#ifndef SP_DB_PGINTROSPECT_H
#define SP_DB_PGINTROSPECT_H

#include <jansson.h>

#include "db/pg.h"
#include "util/err.h"

/* The live database as a body (types and defaults in PostgreSQL's spelling). */
int pgintrospect_body(struct pg *pg, json_t **out, struct sp_error *err);
/* want with every column's type and default in PostgreSQL's spelling, and with the where /
 * check texts of `live` where they are equivalent. Touches nothing (rolled back). */
int pgintrospect_canonical(struct pg *pg, const json_t *want, const json_t *live, json_t **out,
                           struct sp_error *err);

#endif
