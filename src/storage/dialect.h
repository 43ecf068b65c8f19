/* storage/dialect.h: the statements of storage/ whose SQL differs between SQLite and
 * PostgreSQL, together in one place (issue 9, point 4). Every other statement is shared: it is
 * written in the SQL both engines accept (CASE instead of iif, IS NOT DISTINCT FROM instead of
 * IS, RETURNING, ON CONFLICT), and the PostgreSQL backend of db/dbi.h turns SQLite's parameter
 * forms (?N, :name) into $N when it prepares a statement.
 * A pair's two strings have static storage, so each is its own key in the statement cache.
 * Thread model: constant data.
 */
#ifndef SP_STORAGE_DIALECT_H
#define SP_STORAGE_DIALECT_H

#include "db/dbi.h"

struct store_sql2 {
    const char *sqlite;
    const char *pg;
};

/* The text of s for db's engine (NULL: nothing to run on that engine). */
const char *store_dialect(struct db *db, const struct store_sql2 *s);

/* A request's write transaction. SQLite: BEGIN IMMEDIATE takes the write lock at once, so a
 * transaction never fails half-way on a lock upgrade. PostgreSQL: READ COMMITTED with row
 * locks; the multi-statement writes retry on serialization failures and deadlocks. */
extern const struct store_sql2 STORE_SQL_BEGIN;
/* The answer count recorded by the last concept refinement of (node, assessment, user):
 * JSON inside the text column response_meta (json_extract vs ->>). */
extern const struct store_sql2 STORE_SQL_LAST_REFINE;
/* The dependency edges among a node's children (?1; _TYPE: of type ?2). */
extern const struct store_sql2 STORE_SQL_NODE_EDGES, STORE_SQL_NODE_EDGES_TYPE;
/* First visits of (user ?1, node ?2) are serialised for the visit "upsert" (there is no unique
 * index to lean on): PostgreSQL takes a transaction advisory lock on the pair, which holds
 * across every instance on the database; NULL on SQLite (BEGIN IMMEDIATE queues writers). */
extern const struct store_sql2 STORE_SQL_PROGRESS_VISIT_LOCK;
/* The find-or-create writes of the agents (store_txn_lock in store_sql.h): one writer at a time
 * per key (?1 a name space, ?2 and ?3 the ids). PostgreSQL: a transaction advisory lock, held
 * until commit or rollback, across every instance on the database; the key of
 * ("sprout.progress", user, node) is the visit lock's above. NULL on SQLite (BEGIN IMMEDIATE
 * queues every writer already). */
extern const struct store_sql2 STORE_SQL_TXN_LOCK;
/* Deleting a branch: whether it exists (?1). PostgreSQL also locks its row FOR UPDATE, so
 * inserts of nodes into it (their foreign-key check takes KEY SHARE on the row) wait for the
 * delete and then fail; the delete runs READ COMMITTED, so the statements after the lock see
 * every insert that committed before it. */
extern const struct store_sql2 STORE_SQL_BRANCH_EXISTS_LOCK;
/* Deleting a branch (store_branches.c): the temp tables holding what the cascade removes. */
extern const struct store_sql2 STORE_SQL_BRANCH_NODESET, STORE_SQL_BRANCH_KEYS,
    STORE_SQL_BRANCH_TEMP_PREPARE, STORE_SQL_BRANCH_TEMP_CLEAR, STORE_SQL_BRANCH_SETS,
    STORE_SQL_BRANCH_CASCADE;

#endif
