/* db/model.c: look-ups over a schema description (see model.h). */
#include "db/model.h"

#include <stdlib.h>
#include <string.h>

const struct model_table *model_table_find(const struct model_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_tables; i++)
        if (strcmp(s->tables[i].name, name) == 0)
            return &s->tables[i];
    return NULL;
}

int model_column_index(const struct model_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_columns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return (int)i;
    return -1;
}

const struct model_column *model_column_find(const struct model_table *t, const char *name)
{
    int i = model_column_index(t, name);
    return i < 0 ? NULL : &t->columns[i];
}

void model_schema_free(struct model_schema *s)
{
    if (!s || !s->arena)
        return;
    arena_free(s->arena);
    free(s->arena);
    s->arena = NULL;
    s->tables = NULL;
    s->n_tables = 0;
}
