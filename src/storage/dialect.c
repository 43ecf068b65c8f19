/* storage/dialect.c: the SQLite and PostgreSQL texts of the statements that differ (see
 * dialect.h). Keep this list short: a statement that can be written once for both belongs in
 * its store_*.c file.
 * Thread model: constant data.
 */
#include "storage/dialect.h"

#include "storage/columns.h"

const char *store_dialect(struct db *db, const struct store_sql2 *s)
{
    return dbi_engine(db) == DBI_POSTGRES ? s->pg : s->sqlite;
}

const struct store_sql2 STORE_SQL_BEGIN = {
    .sqlite = "BEGIN IMMEDIATE",
    .pg = "BEGIN",
};

const struct store_sql2 STORE_SQL_BRANCH_EXISTS_LOCK = {
    .sqlite = "SELECT 1 FROM branches WHERE id = ?1",
    .pg = "SELECT 1 FROM branches WHERE id = ?1 FOR UPDATE",
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
        "created_at, rowid FROM node_generations WHERE node_id = $1) g "
        "WHERE m ->> 'mode' = 'concept_refinement_agent' AND m ->> 'assessmentId' = $2 "
        "AND m ->> 'userId' = $3 ORDER BY created_at DESC, rowid DESC LIMIT 1",
};

/* Edges among a node's children (store_nodes.c). SQLite: the unary + keeps the target test off
 * the (source, target) index, so SQLite range-scans each child's outgoing edges in index order
 * (no sort) instead of probing every source x target pair: ~35 % less work for a 10-child set
 * (measured on the bench data). PostgreSQL has no unary + on text and plans this itself. */
#define NODE_EDGES(PLUS, TYPE)                                                      \
    "SELECT " STORE_COLS_NODE_EDGES                                                 \
    " FROM node_edges "                                                             \
    "WHERE source_node_id IN (SELECT id FROM nodes WHERE parent_id = ?1" TYPE       \
    ") "                                                                            \
    "AND " PLUS "target_node_id IN (SELECT id FROM nodes WHERE parent_id = ?1" TYPE \
    ") "                                                                            \
    "ORDER BY source_node_id, target_node_id"
const struct store_sql2 STORE_SQL_NODE_EDGES = { NODE_EDGES("+", ""), NODE_EDGES("", "") };
const struct store_sql2 STORE_SQL_NODE_EDGES_TYPE = {
    NODE_EDGES("+", " AND type = ?2"),
    NODE_EDGES("", " AND type = ?2"),
};

/* SQLite: BEGIN IMMEDIATE already queues every writer, so there is nothing to take. */
const struct store_sql2 STORE_SQL_PROGRESS_VISIT_LOCK = {
    .sqlite = NULL,
    .pg = "SELECT pg_advisory_xact_lock(hashtext('sprout.progress'), hashtext(?1 || '/' || ?2))",
};

const struct store_sql2 STORE_SQL_TXN_LOCK = {
    .sqlite = NULL,
    .pg = "SELECT pg_advisory_xact_lock(hashtext(?1), hashtext(?2 || '/' || ?3))",
};

/* ---- branch delete (store_branches.c): the working sets of a cascade, in temp tables ----
 * SQLite names them temp.x and makes them WITHOUT ROWID; PostgreSQL finds a session's temp
 * tables first by their plain name and says ON CONFLICT DO NOTHING for OR IGNORE. */
#define BD_T_SQLITE "temp."
#define BD_T_PG ""
#define BD_NODESET(T, IGNORE, IGNORE_END)                                   \
    IGNORE                                                                  \
    " INTO " T                                                              \
    "sp_del_nodes (id) "                                                    \
    "WITH RECURSIVE sub(id) AS (SELECT id FROM nodes WHERE branch_id = ?1 " \
    "UNION SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id) SELECT id FROM sub" IGNORE_END
#define BD_KEYS(T)                                                           \
    "SELECT s3_key FROM topic_documents WHERE node_id IN (SELECT id FROM " T \
    "sp_del_nodes) "                                                         \
    "ORDER BY rowid"
#define BD_TEMP_PREPARE(T, WR)                                                    \
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_nodes (id TEXT PRIMARY KEY)" WR       \
    ";"                                                                           \
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_assessments (id TEXT PRIMARY KEY)" WR \
    ";"                                                                           \
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_questions (id TEXT PRIMARY KEY)" WR   \
    ";"                                                                           \
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_sessions (id TEXT PRIMARY KEY)" WR    \
    ";"                                                                           \
    "CREATE TEMP TABLE IF NOT EXISTS sp_del_messages (id TEXT PRIMARY KEY)" WR    \
    ";"                                                                           \
    "DELETE FROM " T "sp_del_nodes; DELETE FROM " T                               \
    "sp_del_assessments;"                                                         \
    "DELETE FROM " T "sp_del_questions; DELETE FROM " T                           \
    "sp_del_sessions;"                                                            \
    "DELETE FROM " T "sp_del_messages;"
#define BD_TEMP_CLEAR(T)                                \
    "DELETE FROM " T "sp_del_nodes; DELETE FROM " T     \
    "sp_del_assessments;"                               \
    "DELETE FROM " T "sp_del_questions; DELETE FROM " T \
    "sp_del_sessions;"                                  \
    "DELETE FROM " T "sp_del_messages;"
#define BD_IN_N(T) "(SELECT id FROM " T "sp_del_nodes)"
#define BD_IN_A(T) "(SELECT id FROM " T "sp_del_assessments)"
#define BD_IN_Q(T) "(SELECT id FROM " T "sp_del_questions)"
#define BD_IN_S(T) "(SELECT id FROM " T "sp_del_sessions)"
#define BD_IN_M(T) "(SELECT id FROM " T "sp_del_messages)"

#define BD_SETS(T) \
    "INSERT INTO " T "sp_del_assessments SELECT id FROM assessments " \
    "WHERE target_node_id IN " BD_IN_N(T) ";" \
    "INSERT INTO " T "sp_del_questions SELECT id FROM questions WHERE assessment_id IN " BD_IN_A(T) ";" \
    "INSERT INTO " T "sp_del_sessions SELECT id FROM chat_sessions WHERE node_id IN " BD_IN_N(T) ";" \
    "INSERT INTO " T "sp_del_messages SELECT id FROM chat_messages WHERE session_id IN " BD_IN_S(T) ";"
#define BD_CASCADE(T) \
    "DELETE FROM hint_events WHERE node_id IN " BD_IN_N(T) ";" \
    "UPDATE hint_events SET session_id = NULL WHERE session_id IN " BD_IN_S(T) ";" \
    "UPDATE hint_events SET request_message_id = NULL WHERE request_message_id IN " BD_IN_M(T) ";" \
    "UPDATE hint_events SET response_message_id = NULL WHERE response_message_id IN " BD_IN_M(T) ";" \
    "DELETE FROM chat_messages WHERE id IN " BD_IN_M(T) ";" \
    "DELETE FROM chat_sessions WHERE id IN " BD_IN_S(T) ";" \
    "DELETE FROM answers WHERE assessment_id IN " BD_IN_A(T) " OR question_id IN " BD_IN_Q(T) ";" \
    "UPDATE questions SET node_id = NULL WHERE node_id IN " BD_IN_N(T) " AND id NOT IN " BD_IN_Q(T) ";" \
    "DELETE FROM questions WHERE id IN " BD_IN_Q(T) ";" \
    "DELETE FROM assessments WHERE id IN " BD_IN_A(T) ";" \
    "DELETE FROM user_node_progress WHERE node_id IN " BD_IN_N(T) ";" \
    "DELETE FROM node_contents WHERE node_id IN " BD_IN_N(T) ";" \
    "DELETE FROM node_generations WHERE node_id IN " BD_IN_N(T) ";" \
    "DELETE FROM topic_documents WHERE node_id IN " BD_IN_N(T) ";" \
    "DELETE FROM node_edges WHERE source_node_id IN " BD_IN_N(T) " OR target_node_id IN " BD_IN_N(T) ";" \
    "DELETE FROM nodes WHERE id IN " BD_IN_N(T) ";"

const struct store_sql2 STORE_SQL_BRANCH_NODESET = {
    .sqlite = BD_NODESET(BD_T_SQLITE, "INSERT OR IGNORE", ""),
    .pg = BD_NODESET(BD_T_PG, "INSERT", " ON CONFLICT DO NOTHING"),
};
const struct store_sql2 STORE_SQL_BRANCH_KEYS = { BD_KEYS(BD_T_SQLITE), BD_KEYS(BD_T_PG) };
const struct store_sql2 STORE_SQL_BRANCH_TEMP_PREPARE = {
    BD_TEMP_PREPARE(BD_T_SQLITE, " WITHOUT ROWID"),
    BD_TEMP_PREPARE(BD_T_PG, ""),
};
const struct store_sql2 STORE_SQL_BRANCH_TEMP_CLEAR = {
    BD_TEMP_CLEAR(BD_T_SQLITE),
    BD_TEMP_CLEAR(BD_T_PG),
};
const struct store_sql2 STORE_SQL_BRANCH_SETS = { BD_SETS(BD_T_SQLITE), BD_SETS(BD_T_PG) };
const struct store_sql2 STORE_SQL_BRANCH_CASCADE = {
    BD_CASCADE(BD_T_SQLITE),
    BD_CASCADE(BD_T_PG),
};
