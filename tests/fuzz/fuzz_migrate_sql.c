/* tests/fuzz/fuzz_migrate_sql.c: libFuzzer target: migrate_exec_script(), the splitter that
 * cuts a migration at "--> statement-breakpoint" and runs every statement of every chunk, on a
 * fresh in-memory database. ATTACH is refused and every statement is cut off after a bounded
 * number of VM steps, so the input cannot touch files or loop forever. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/conn.h"
#include "db/migrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int deny_attach(void *cls, int action, const char *a, const char *b, const char *c,
                       const char *d)
{
    (void)cls; (void)a; (void)b; (void)c; (void)d;
    return action == SQLITE_ATTACH || action == SQLITE_PRAGMA ? SQLITE_DENY : SQLITE_OK;
}

static int stop_long(void *cls)
{
    int *n = cls;
    return ++*n > 2000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct db *db = NULL;
    struct sp_error err = { 0 };
    if (db_open(":memory:", DB_OPEN_CREATE | DB_OPEN_NO_WAL, &db, &err) != SP_OK)
        return 0;
    sqlite3 *h = db_handle(db);
    sqlite3_set_authorizer(h, deny_attach, NULL);
    int steps = 0;
    sqlite3_progress_handler(h, 1000, stop_long, &steps);
    sqlite3_limit(h, SQLITE_LIMIT_LENGTH, 1 << 20);
    char *sql = malloc(size + 1);
    if (sql) {
        memcpy(sql, data, size);
        sql[size] = '\0';
        migrate_exec_script(db, sql, "fuzz", &err);
        free(sql);
    }
    db_close(db);
    return 0;
}
