/* db/seed.c: the default user (see seed.h). One INSERT guarded by NOT EXISTS, so running it
 * twice, or from the server and the CLI at once, inserts the row at most once.
 * Thread model: the caller's connection.
 */
#include "db/seed.h"

static const char SQL_SEED[] =
    "INSERT INTO users (id, email, title) SELECT ?1, ?2, ?3 "
    "WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?1)";

int seed_default_user(struct db *db, bool *inserted, struct sp_error *err)
{
    if (inserted)
        *inserted = false;
    sqlite3_stmt *st = db_stmt(db, SQL_SEED);
    if (!st)
        return db_error(db, sqlite3_errcode(db_handle(db)), err, "seeding the default user");
    sqlite3_bind_text(st, 1, SEED_USER_ID, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, SEED_USER_EMAIL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, SEED_USER_TITLE, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    int changed = sqlite3_changes(db_handle(db));
    sqlite3_reset(st);
    if (src != SQLITE_DONE)
        return db_error(db, src, err, "seeding the default user");
    if (inserted)
        *inserted = changed > 0;
    return SP_OK;
}
