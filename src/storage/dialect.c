/* storage/dialect.c: the SQLite and PostgreSQL texts of the statements that differ (see
 * dialect.h). Keep this list short: a statement that can be written once for both belongs in
 * its store_*.c file.
 * Thread model: constant data.
 */
#include "storage/dialect.h"

const char *store_dialect(struct db *db, const struct store_sql2 *s)
{
    return dbi_engine(db) == DBI_POSTGRES ? s->pg : s->sqlite;
}

const struct store_sql2 STORE_SQL_BEGIN = {
    .sqlite = "BEGIN IMMEDIATE",
    .pg = "BEGIN",
};

const struct store_sql2 STORE_SQL_LAST_REFINE = {
    .sqlite =
        "SELECT json_extract(response_meta, '$.answerCount') FROM node_generations "
        "WHERE node_id = ?1 AND json_valid(response_meta) "
        "AND json_extract(response_meta, '$.mode') = 'concept_refinement_agent' "
        "AND json_extract(response_meta, '$.assessmentId') = ?2 "
        "AND json_extract(response_meta, '$.userId') = ?3 "
        "ORDER BY created_at DESC, rowid DESC LIMIT 1",
    /* response_meta is text: only rows whose text is a JSON object are looked into (a CASE,
     * because PostgreSQL before 16 has no pg_input_is_valid and a bad cast fails the query) */
    .pg =
        "SELECT (m ->> 'answerCount')::bigint FROM ("
        "SELECT CASE WHEN response_meta ~ '^\\s*\\{.*\\}\\s*$' THEN response_meta::jsonb END AS m, "
        "created_at, ctid FROM node_generations WHERE node_id = $1) g "
        "WHERE m ->> 'mode' = 'concept_refinement_agent' AND m ->> 'assessmentId' = $2 "
        "AND m ->> 'userId' = $3 ORDER BY created_at DESC, ctid DESC LIMIT 1",
};
