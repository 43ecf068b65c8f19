/* db/seed.h: the default user every Sprout database needs (the original seeds it at start-up):
 * id 00000000-0000-0000-0000-000000000000, email default@sprout.local, title Default Learner. */
#ifndef SP_DB_SEED_H
#define SP_DB_SEED_H

#include <stdbool.h>

#include "db/conn.h"
#include "util/err.h"

#define SEED_USER_ID "00000000-0000-0000-0000-000000000000"
#define SEED_USER_EMAIL "default@sprout.local"
#define SEED_USER_TITLE "Default Learner"

/* Insert the default user when missing; *inserted (may be NULL) says whether it did. */
int seed_default_user(struct db *db, bool *inserted, struct sp_error *err);

#endif
