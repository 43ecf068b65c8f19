/* db/schema.h: the compiled-in Sprout schema (defined in db/schema.c). */
#ifndef SP_DB_SCHEMA_H
#define SP_DB_SCHEMA_H

#include "db/model.h"

/* Table ids, in the order of schema_sprout.tables (drizzle-kit's order). */
enum schema_table_id {
    SCHEMA_ANSWERS,
    SCHEMA_ASSESSMENTS,
    SCHEMA_BRANCHES,
    SCHEMA_CHAT_MESSAGES,
    SCHEMA_CHAT_SESSIONS,
    SCHEMA_HINT_EVENTS,
    SCHEMA_NODE_CONTENTS,
    SCHEMA_NODE_EDGES,
    SCHEMA_NODE_GENERATIONS,
    SCHEMA_NODES,
    SCHEMA_QUESTIONS,
    SCHEMA_TOPIC_DOCUMENTS,
    SCHEMA_USER_NODE_PROGRESS,
    SCHEMA_USERS,
    SCHEMA_N_TABLES
};

extern const struct model_schema schema_sprout;
const struct model_table *schema_table(enum schema_table_id id);

#endif
