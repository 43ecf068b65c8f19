/* db/sqlgen.c: DDL text exactly as drizzle-kit's SQLite convertors write it (see sqlgen.h). */
#include "db/sqlgen.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

int sqlgen_list_push(struct sqlgen_list *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

void sqlgen_list_free(struct sqlgen_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static char *done(struct buf *b, int failed)
{
    if (failed) {
        buf_release(b);
        return NULL;
    }
    return buf_detach(b);
}

/* s with every occurrence of from replaced by to, appended to b. */
static int replace_all(struct buf *b, const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    const char *p;
    int rc = 0;
    while ((p = strstr(s, from)) != NULL) {
        rc |= buf_append(b, s, (size_t)(p - s));
        rc |= buf_puts(b, to);
        s = p + fl;
    }
    return rc | buf_puts(b, s);
}

/* The four replacements of drizzle-kit's recreate convertor: "T". `T`. T. 'T'. -> __new_T */
static char *rewrite_check(const char *value, const char *old, const char *new_name)
{
    char *cur = strdup(value);
    static const char *const wrap[4][2] = { { "\"", "\"" }, { "`", "`" }, { "", "" }, { "'", "'" } };
    for (int i = 0; cur && i < 4; i++) {
        struct buf b = BUF_INIT(0), f = BUF_INIT(0), t = BUF_INIT(0);
        int rc = buf_printf(&f, "%s%s%s.", wrap[i][0], old, wrap[i][1]);
        rc |= buf_printf(&t, "%s%s%s.", wrap[i][0], new_name, wrap[i][1]);
        rc |= replace_all(&b, cur, buf_cstr(&f), buf_cstr(&t));
        free(cur);
        cur = done(&b, rc);
        buf_release(&f);
        buf_release(&t);
    }
    return cur;
}

static int col_list(struct buf *b, const char *const *cols, size_t n, const char *sep)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        rc |= buf_printf(b, "%s`%s`", i ? sep : "", cols[i]);
    return rc;
}

char *sqlgen_create_table(const struct model_table *t, const char *name)
{
    struct buf b = BUF_INIT(0);
    const char *tn = name ? name : t->name;
    int rc = buf_printf(&b, "CREATE TABLE `%s` (\n", tn);
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct model_column *c = &t->columns[i];
        rc |=
            buf_printf(&b, "\t`%s` %s%s%s", c->name, c->type, c->primary_key ? " PRIMARY KEY" : "",
                       c->autoincrement ? " AUTOINCREMENT" : "");
        if (c->def_kind != MODEL_DEF_NONE && c->def_sql)
            rc |= buf_printf(&b, " DEFAULT %s", c->def_sql);
        rc |= buf_printf(&b, "%s%s", c->not_null ? " NOT NULL" : "",
                         i + 1 < t->n_columns ? ",\n" : "");
    }
    for (size_t i = 0; i < t->n_pks; i++) {
        rc |= buf_puts(&b, ",\n\tPRIMARY KEY(");
        rc |= col_list(&b, t->pks[i].columns, t->pks[i].n_columns, ", ");
        rc |= buf_puts(&b, ")");
    }
    for (size_t i = 0; i < t->n_fks; i++) {
        const struct model_fk *f = &t->fks[i];
        rc |= buf_puts(&b, ",\n\tFOREIGN KEY (");
        rc |= col_list(&b, f->columns_from, f->n_from, ",");
        rc |= buf_printf(&b, ") REFERENCES `%s`(", f->table_to);
        rc |= col_list(&b, f->columns_to, f->n_to, ",");
        rc |= buf_puts(&b, ")");
        if (f->on_update && *f->on_update)
            rc |= buf_printf(&b, " ON UPDATE %s", f->on_update);
        if (f->on_delete && *f->on_delete)
            rc |= buf_printf(&b, " ON DELETE %s", f->on_delete);
    }
    for (size_t i = 0; i < t->n_checks; i++) {
        const char *v = t->checks[i].value;
        char *rw = name && strcmp(name, t->name) != 0 ? rewrite_check(v, t->name, name) : NULL;
        if (name && strcmp(name, t->name) != 0 && !rw)
            rc = -1;
        rc |= buf_printf(&b, ",\n\tCONSTRAINT \"%s\" CHECK(%s)", t->checks[i].name, rw ? rw : v);
        free(rw);
    }
    rc |= buf_puts(&b, "\n);\n");
    return done(&b, rc);
}

char *sqlgen_create_index(const char *table, const struct model_index *x)
{
    struct buf b = BUF_INIT(0);
    int rc =
        buf_printf(&b, "CREATE %sINDEX `%s` ON `%s` (", x->unique ? "UNIQUE " : "", x->name, table);
    for (size_t i = 0; i < x->n_columns; i++) {
        if (x->is_expr && x->is_expr[i])
            rc |= buf_printf(&b, "%s%s", i ? "," : "", x->columns[i]);
        else
            rc |= buf_printf(&b, "%s`%s`", i ? "," : "", x->columns[i]);
    }
    rc |= buf_puts(&b, ")");
    if (x->where)
        rc |= buf_printf(&b, " WHERE %s", x->where);
    rc |= buf_puts(&b, ";");
    return done(&b, rc);
}

static char *fmt1(const char *fmt, const char *a, const char *b2, const char *c)
{
    struct buf b = BUF_INIT(0);
    int rc = buf_printf(&b, fmt, a, b2 ? b2 : "", c ? c : "");
    return done(&b, rc);
}

char *sqlgen_drop_index(const char *name)
{
    return fmt1("DROP INDEX `%s`;%s%s", name, NULL, NULL);
}
char *sqlgen_drop_table(const char *name)
{
    return fmt1("DROP TABLE `%s`;%s%s", name, NULL, NULL);
}

char *sqlgen_rename_table(const char *from, const char *to)
{
    return fmt1("ALTER TABLE `%s` RENAME TO `%s`;%s", from, to, NULL);
}

char *sqlgen_rename_column(const char *table, const char *from, const char *to)
{
    return fmt1("ALTER TABLE `%s` RENAME COLUMN \"%s\" TO \"%s\";", table, from, to);
}

char *sqlgen_drop_column(const char *table, const char *column)
{
    return fmt1("ALTER TABLE `%s` DROP COLUMN `%s`;%s", table, column, NULL);
}

char *sqlgen_add_column(const char *table, const struct model_column *c, const struct model_fk *fk)
{
    struct buf b = BUF_INIT(0);
    int rc = buf_printf(&b, "ALTER TABLE `%s` ADD `%s` %s%s", table, c->name, c->type,
                        c->primary_key ? " PRIMARY KEY" : "");
    if (c->def_kind != MODEL_DEF_NONE && c->def_sql)
        rc |= buf_printf(&b, " DEFAULT %s", c->def_sql);
    if (c->not_null)
        rc |= buf_puts(&b, " NOT NULL");
    if (fk) {
        rc |= buf_printf(&b, " REFERENCES %s(", fk->table_to);
        for (size_t i = 0; i < fk->n_to; i++)
            rc |= buf_printf(&b, "%s%s", i ? "," : "", fk->columns_to[i]);
        rc |= buf_puts(&b, ")");
    }
    rc |= buf_puts(&b, ";");
    return done(&b, rc);
}

int sqlgen_rebuild(struct sqlgen_list *out, const struct model_table *t, bool pragmas)
{
    struct buf nn = BUF_INIT(0), cols = BUF_INIT(0), ins = BUF_INIT(0);
    int rc = buf_printf(&nn, "__new_%s", t->name);
    for (size_t i = 0; i < t->n_columns; i++)
        rc |= buf_printf(&cols, "%s\"%s\"", i ? ", " : "", t->columns[i].name);
    rc |= buf_printf(&ins, "INSERT INTO `%s`(%s) SELECT %s FROM `%s`;", buf_cstr(&nn),
                     buf_cstr(&cols), buf_cstr(&cols), t->name);
    if (rc == 0 && pragmas)
        rc = sqlgen_list_push(out, strdup("PRAGMA foreign_keys=OFF;"));
    if (rc == 0)
        rc = sqlgen_list_push(out, sqlgen_create_table(t, buf_cstr(&nn)));
    if (rc == 0)
        rc = sqlgen_list_push(out, buf_detach(&ins));
    if (rc == 0)
        rc = sqlgen_list_push(out, sqlgen_drop_table(t->name));
    if (rc == 0)
        rc = sqlgen_list_push(out, sqlgen_rename_table(buf_cstr(&nn), t->name));
    if (rc == 0 && pragmas)
        rc = sqlgen_list_push(out, strdup("PRAGMA foreign_keys=ON;"));
    for (size_t i = 0; rc == 0 && i < t->n_indexes; i++)
        rc = sqlgen_list_push(out, sqlgen_create_index(t->name, &t->indexes[i]));
    buf_release(&nn);
    buf_release(&cols);
    buf_release(&ins);
    return rc ? -1 : 0;
}
