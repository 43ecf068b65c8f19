/* db/diff.c: the diff engine (see db/diff.h, spec/drizzle-compat.md §5-§6).
 *
 * Three phases, as drizzle-kit:
 *   1. match tables and then columns by name, resolving renames (answers, prompt, or an
 *      open question);
 *   2. produce abstract statements in drizzle-kit's category order (§6.5);
 *   3. group them per table, turn rebuild triggers into one table rebuild, hoist renames,
 *      render SQL (db/sqlgen) and drop exact duplicate strings (§6.6).
 * Ownership: all results are malloc'd copies owned by struct diff_result; the engine keeps
 * pointers into the two input schemas only while it runs.
 * Thread model: pure function of its inputs (opt->ask may talk to a terminal).
 */
#include "db/diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/sqlgen.h"
#include "util/buf.h"

enum kind {
    K_CREATE_TABLE = 1,
    K_DROP_TABLE,
    K_RENAME_TABLE,
    K_RENAME_COLUMN,
    K_DELETE_FK,
    K_DELETE_CHECK,
    K_DROP_INDEX,
    K_DELETE_PK,
    K_ALTER_COLUMN,
    K_ADD_PK,
    K_ADD_COLUMN,
    K_CREATE_INDEX_NEW,
    K_CREATE_INDEX,
    K_ADD_CHECK,
    K_ADD_FK,
    K_DROP_COLUMN,
    K_ALTER_PK,
    K_REBUILD /* produced by grouping only */
};

struct stmt {
    enum kind kind;
    const char *group;             /* table the statement belongs to (new name) */
    const struct model_table *tbl; /* new table (create, rebuild, add column) */
    const struct model_column *col;
    const struct model_index *idx;
    const struct model_fk *fk;
    const char *a, *b; /* names: rename from/to, dropped object */
};

struct svec {
    struct stmt *v;
    size_t n, cap;
};

struct ctx {
    const struct diff_options *opt;
    struct diff_result *out;
    struct sp_error *err;
    const char *ol, *nl; /* labels for changes */
    int rc;
};

static int svec_push(struct svec *s, struct stmt st)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct stmt *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = st;
    return 0;
}

static int strv_push(char ***v, size_t *n, const char *s)
{
    char *d = strdup(s);
    char **nv = d ? realloc(*v, (*n + 1) * sizeof *nv) : NULL;
    if (!nv) {
        free(d);
        return -1;
    }
    nv[(*n)++] = d;
    *v = nv;
    return 0;
}

static void change(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void change(struct ctx *c, const char *fmt, ...)
{
    struct buf b = BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc || strv_push(&c->out->changes, &c->out->n_changes, buf_cstr(&b)))
        c->rc = SP_ENOMEM;
    buf_release(&b);
}

static void data_loss(struct ctx *c, char *sql)
{
    if (!sql || strv_push(&c->out->data_loss, &c->out->n_data_loss, sql))
        c->rc = SP_ENOMEM;
    free(sql);
}

/* ---- comparisons ---- */

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool type_eq(const char *a, const char *b)
{
    while (*a || *b) {
        if (a[0] == ' ' && a[1] == '(')
            a++;
        if (b[0] == ' ' && b[1] == '(')
            b++;
        if (*a != *b)
            return false;
        if (*a) {
            a++;
            b++;
        }
    }
    return true;
}

static const char *def_text(const struct model_column *c)
{
    return c->def_kind == MODEL_DEF_NONE ? NULL : c->def_sql;
}

static bool column_eq(const struct model_column *a, const struct model_column *b)
{
    return type_eq(a->type, b->type) && a->primary_key == b->primary_key &&
           a->not_null == b->not_null && a->autoincrement == b->autoincrement &&
           str_eq(def_text(a), def_text(b));
}

static bool strs_eq(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool index_eq(const struct model_index *a, const struct model_index *b)
{
    if (a->unique != b->unique || !str_eq(a->where, b->where) ||
        !strs_eq(a->columns, a->n_columns, b->columns, b->n_columns))
        return false;
    for (size_t i = 0; i < a->n_columns; i++)
        if ((a->is_expr && a->is_expr[i]) != (b->is_expr && b->is_expr[i]))
            return false;
    return true;
}

static const char *act(const char *s)
{
    return s && *s ? s : "no action";
}

static bool fk_content_eq(const struct model_fk *a, const char *ta, const struct model_fk *b,
                          const char *tb)
{
    return str_eq(a->table_from ? a->table_from : ta, b->table_from ? b->table_from : tb) &&
           str_eq(a->table_to, b->table_to) &&
           strs_eq(a->columns_from, a->n_from, b->columns_from, b->n_from) &&
           strs_eq(a->columns_to, a->n_to, b->columns_to, b->n_to) &&
           strcmp(act(a->on_update), act(b->on_update)) == 0 &&
           strcmp(act(a->on_delete), act(b->on_delete)) == 0;
}

static const struct model_index *find_index(const struct model_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_indexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return &t->indexes[i];
    return NULL;
}

static const struct model_check *find_check(const struct model_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_checks; i++)
        if (strcmp(t->checks[i].name, name) == 0)
            return &t->checks[i];
    return NULL;
}

static const struct model_pk *find_pk(const struct model_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_pks; i++)
        if (str_eq(t->pks[i].name, name))
            return &t->pks[i];
    return NULL;
}

/* FK of `in` matching f: by name (generate) or by content (push). */
static const struct model_fk *find_fk(const struct ctx *c, const struct model_table *in,
                                      const struct model_fk *f, const char *f_table)
{
    for (size_t i = 0; i < in->n_fks; i++) {
        const struct model_fk *g = &in->fks[i];
        if (c->opt->push ? fk_content_eq(g, in->name, f, f_table) : strcmp(g->name, f->name) == 0)
            return g;
    }
    return NULL;
}

/* ---- rename questions ---- */

int diff_decide(const struct diff_options *o, const char *kind, const char *table,
                const char *added, const char *const *cand, size_t n_cand, struct diff_result *out,
                int *pick, struct sp_error *err)
{
    *pick = -1;
    char key[1024];
    if (table)
        snprintf(key, sizeof key, "column:%s.%s", table, added);
    else
        snprintf(key, sizeof key, "%s:%s", kind, added); /* table:, schema:, enum: */
    for (size_t i = 0; i < o->n_answers; i++) {
        if (strcmp(o->answers[i].key, key) != 0)
            continue;
        const char *v = o->answers[i].value;
        if (strcmp(v, "create") == 0)
            return SP_OK;
        if (strncmp(v, "rename:", 7) == 0) {
            for (size_t j = 0; j < n_cand; j++)
                if (cand[j] && strcmp(cand[j], v + 7) == 0) {
                    *pick = (int)j;
                    return SP_OK;
                }
        }
        return sp_error_set(
            err, SP_EINVAL,
            "answer %s=%s: expected \"create\" or \"rename:<name>\" naming a removed %s%s%s", key,
            v, kind, table ? " of table " : "", table ? table : "");
    }
    if (o->default_create && !o->ask)
        return SP_OK;
    struct buf q = BUF_INIT(0);
    int rc;
    if (table)
        rc = buf_printf(&q, "Is %s column in %s table created or renamed from another column?",
                        added, table);
    else
        rc = buf_printf(&q, "Is %s %s created or renamed from another %s?", added, kind, kind);
    if (o->ask) {
        const char **choices = calloc(n_cand + 1, sizeof *choices);
        size_t *map = calloc(n_cand + 1, sizeof *map);
        char **owned = calloc(n_cand + 1, sizeof *owned);
        size_t k = 0;
        if (!choices || !map || !owned)
            rc = SP_ENOMEM;
        struct buf cb = BUF_INIT(0);
        if (rc == SP_OK && buf_printf(&cb, "+ %s  create %s", added, kind) == SP_OK) {
            owned[k] = buf_detach(&cb);
            choices[k] = owned[k];
            k++;
        } else {
            rc = SP_ENOMEM;
        }
        for (size_t j = 0; rc == SP_OK && j < n_cand; j++) {
            if (!cand[j])
                continue;
            if (buf_printf(&cb, "~ %s \u203a %s  rename %s", cand[j], added, kind) != SP_OK) {
                rc = SP_ENOMEM;
                break;
            }
            owned[k] = buf_detach(&cb);
            map[k] = j;
            choices[k] = owned[k];
            k++;
        }
        buf_release(&cb);
        size_t choice = 0;
        if (rc == SP_OK && o->ask(o->ask_ud, buf_cstr(&q), choices, k, &choice) != SP_OK)
            rc = sp_error_set(err, SP_EABORT, "aborted at the question for %s", key);
        else if (rc != SP_OK)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        else if (choice > 0 && choice < k)
            *pick = (int)map[choice];
        for (size_t j = 0; j < k; j++)
            free(owned[j]);
        free(owned);
        free(choices);
        free(map);
        buf_release(&q);
        return rc;
    }
    rc |= buf_printf(&q, "\n    --rename %s=create", key);
    for (size_t j = 0; j < n_cand; j++)
        if (cand[j])
            rc |= buf_printf(&q, "\n    --rename %s=rename:%s", key, cand[j]);
    if (rc || strv_push(&out->questions, &out->n_questions, buf_cstr(&q)))
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    buf_release(&q);
    return rc;
}

int diff_record_rename(struct diff_result *out, const char *kind, const char *table,
                       const char *from, const char *to)
{
    struct diff_rename *v = realloc(out->renames, (out->n_renames + 1) * sizeof *v);
    if (!v)
        return SP_ENOMEM;
    out->renames = v;
    struct diff_rename *r = &v[out->n_renames++];
    r->table = table ? strdup(table) : NULL;
    r->from = strdup(from);
    r->to = strdup(to);
    r->kind = kind;
    return (table && !r->table) || !r->from || !r->to ? SP_ENOMEM : SP_OK;
}

/* diff_decide for c: the candidate index chosen for a rename, -1 for create; -2 on error
 * (c->rc set). */
static int decide(struct ctx *c, const char *kind, const char *table, const char *added,
                  const char *const *cand, size_t n_cand)
{
    int pick;
    int rc = diff_decide(c->opt, kind, table, added, cand, n_cand, c->out, &pick, c->err);
    if (rc != SP_OK) {
        c->rc = rc;
        return -2;
    }
    return pick;
}

static void record_rename(struct ctx *c, const char *table, const char *from, const char *to)
{
    if (diff_record_rename(c->out, NULL, table, from, to) != SP_OK)
        c->rc = SP_ENOMEM;
}

/* ---- phase 2: statements per category ---- */

struct pair {
    const struct model_table *o, *n; /* old and new version of a table (either may be NULL) */
    bool renamed;
};

/* Column pairing of one table: for every new column, the old column (or NULL). */
static int match_columns(struct ctx *c, const struct model_table *o, const struct model_table *n,
                         const struct model_column **old_for_new, bool *old_used, struct svec *ren)
{
    size_t n_added = 0, n_deleted = 0;
    for (size_t j = 0; j < n->n_columns; j++) {
        old_for_new[j] = model_column_find(o, n->columns[j].name);
        if (!old_for_new[j])
            n_added++;
        else
            old_used[model_column_index(o, n->columns[j].name)] = true;
    }
    const char **cand = calloc(o->n_columns + 1, sizeof *cand);
    if (!cand)
        return c->rc = SP_ENOMEM;
    for (size_t i = 0; i < o->n_columns; i++)
        if (!old_used[i]) {
            cand[i] = o->columns[i].name;
            n_deleted++;
        }
    if (n_added && n_deleted) {
        for (size_t j = 0; j < n->n_columns && c->rc == SP_OK; j++) {
            if (old_for_new[j])
                continue;
            int k = decide(c, "column", n->name, n->columns[j].name, cand, o->n_columns);
            if (k < 0)
                continue;
            old_for_new[j] = &o->columns[k];
            old_used[k] = true;
            cand[k] = NULL;
            struct stmt st = { .kind = K_RENAME_COLUMN,
                               .group = n->name,
                               .a = o->columns[k].name,
                               .b = n->columns[j].name };
            if (svec_push(ren, st))
                c->rc = SP_ENOMEM;
            record_rename(c, n->name, o->columns[k].name, n->columns[j].name);
            change(c, "table %s: column %s renamed to %s", n->name, o->columns[k].name,
                   n->columns[j].name);
        }
    }
    free(cand);
    return c->rc;
}

#define PUSH(...)                           \
    do {                                    \
        struct stmt st_ = { __VA_ARGS__ };  \
        if (svec_push(&cat[st_.kind], st_)) \
            c->rc = SP_ENOMEM;              \
    } while (0)

static void diff_table(struct ctx *c, const struct pair *p, struct svec *cat)
{
    const struct model_table *o = p->o, *n = p->n;
    const char *g = n->name;
    const struct model_column **ofn = calloc(n->n_columns + 1, sizeof *ofn);
    bool *used = calloc(o->n_columns + 1, sizeof *used);
    if (!ofn || !used) {
        free(ofn);
        free(used);
        c->rc = SP_ENOMEM;
        return;
    }
    if (match_columns(c, o, n, ofn, used, &cat[K_RENAME_COLUMN]) != SP_OK)
        goto out;
    /* 5 removed / altered FKs */
    for (size_t i = 0; i < o->n_fks; i++) {
        const struct model_fk *f = find_fk(c, n, &o->fks[i], o->name);
        if (!f) {
            PUSH(.kind = K_DELETE_FK, .group = g, .fk = &o->fks[i]);
            change(c, "table %s: foreign key %s not in the %s", g, o->fks[i].name, c->nl);
        } else if (!fk_content_eq(f, n->name, &o->fks[i], o->name)) {
            PUSH(.kind = K_DELETE_FK, .group = g, .fk = &o->fks[i]);
            change(c, "table %s: foreign key %s differs", g, o->fks[i].name);
        }
    }
    /* 6 removed / altered checks */
    for (size_t i = 0; i < o->n_checks; i++) {
        const struct model_check *k = find_check(n, o->checks[i].name);
        if (!k || strcmp(k->value, o->checks[i].value) != 0) {
            PUSH(.kind = K_DELETE_CHECK, .group = g, .a = o->checks[i].name);
            if (!k)
                change(c, "table %s: check %s not in the %s", g, o->checks[i].name, c->nl);
            else
                change(c, "table %s: check %s differs (%s: %s, %s: %s)", g, k->name, c->ol,
                       o->checks[i].value, c->nl, k->value);
        }
    }
    /* 7 dropped / altered indexes */
    for (size_t i = 0; i < o->n_indexes; i++) {
        const struct model_index *x = find_index(n, o->indexes[i].name);
        if (!x || !index_eq(x, &o->indexes[i])) {
            PUSH(.kind = K_DROP_INDEX, .group = g, .a = o->indexes[i].name);
            if (!x) {
                change(c, "table %s: index %s not in the %s", g, o->indexes[i].name, c->nl);
            } else {
                char *s1 = sqlgen_create_index(g, &o->indexes[i]), *s2 = sqlgen_create_index(g, x);
                change(c, "table %s: index %s differs (%s: %s, %s: %s)", g, x->name, c->ol,
                       s1 ? s1 : "?", c->nl, s2 ? s2 : "?");
                free(s1);
                free(s2);
            }
        }
    }
    /* 8 removed composite PKs, 10 added, 17 altered */
    for (size_t i = 0; i < o->n_pks; i++) {
        const struct model_pk *k = find_pk(n, o->pks[i].name);
        if (!k) {
            PUSH(.kind = K_DELETE_PK, .group = g);
            change(c, "table %s: primary key %s not in the %s", g, o->pks[i].name, c->nl);
        } else if (!strs_eq(k->columns, k->n_columns, o->pks[i].columns, o->pks[i].n_columns)) {
            PUSH(.kind = K_ALTER_PK, .group = g);
            change(c, "table %s: primary key %s differs", g, k->name);
        }
    }
    for (size_t i = 0; i < n->n_pks; i++)
        if (!find_pk(o, n->pks[i].name)) {
            PUSH(.kind = K_ADD_PK, .group = g);
            change(c, "table %s: primary key %s missing in the %s", g, n->pks[i].name, c->ol);
        }
    /* 9 altered columns, 11 added columns */
    for (size_t j = 0; j < n->n_columns; j++) {
        const struct model_column *nc = &n->columns[j], *oc = ofn[j];
        if (oc && !column_eq(oc, nc)) {
            PUSH(.kind = K_ALTER_COLUMN, .group = g, .col = nc);
            change(c, "table %s: column %s differs (%s: %s%s%s%s%s%s, %s: %s%s%s%s%s%s)", g,
                   nc->name, c->ol, oc->type, oc->primary_key ? " primary key" : "",
                   oc->not_null ? " not null" : "", oc->autoincrement ? " autoincrement" : "",
                   def_text(oc) ? " default " : "", def_text(oc) ? def_text(oc) : "", c->nl,
                   nc->type, nc->primary_key ? " primary key" : "", nc->not_null ? " not null" : "",
                   nc->autoincrement ? " autoincrement" : "", def_text(nc) ? " default " : "",
                   def_text(nc) ? def_text(nc) : "");
        }
    }
    for (size_t j = 0; j < n->n_columns; j++) {
        const struct model_column *nc = &n->columns[j];
        if (ofn[j])
            continue;
        const struct model_fk *ref = NULL;
        for (size_t i = 0; i < n->n_fks && !ref; i++) {
            const struct model_fk *f = &n->fks[i];
            if (find_fk(c, o, f, n->name))
                continue;
            for (size_t k = 0; k < f->n_from; k++)
                if (strcmp(f->columns_from[k], nc->name) == 0)
                    ref = f;
        }
        PUSH(.kind = K_ADD_COLUMN, .group = g, .tbl = n, .col = nc, .fk = ref);
        change(c, "table %s: column %s missing in the %s", g, nc->name, c->ol);
        if (nc->not_null && !def_text(nc))
            data_loss(c, sqlgen_add_column(g, nc, ref));
    }
    /* 13 new / altered indexes */
    for (size_t i = 0; i < n->n_indexes; i++) {
        const struct model_index *x = find_index(o, n->indexes[i].name);
        if (!x || !index_eq(x, &n->indexes[i])) {
            PUSH(.kind = K_CREATE_INDEX, .group = g, .idx = &n->indexes[i]);
            if (!x)
                change(c, "table %s: index %s missing in the %s", g, n->indexes[i].name, c->ol);
        }
    }
    /* 14 added / altered checks */
    for (size_t i = 0; i < n->n_checks; i++) {
        const struct model_check *k = find_check(o, n->checks[i].name);
        if (!k || strcmp(k->value, n->checks[i].value) != 0) {
            PUSH(.kind = K_ADD_CHECK, .group = g);
            if (!k)
                change(c, "table %s: check %s missing in the %s", g, n->checks[i].name, c->ol);
        }
    }
    /* 15 added / altered FKs */
    for (size_t i = 0; i < n->n_fks; i++) {
        const struct model_fk *f = find_fk(c, o, &n->fks[i], n->name);
        if (!f || !fk_content_eq(f, o->name, &n->fks[i], n->name)) {
            PUSH(.kind = K_ADD_FK, .group = g, .fk = &n->fks[i]);
            if (!f)
                change(c, "table %s: foreign key %s missing in the %s", g, n->fks[i].name, c->ol);
        }
    }
    /* 16 dropped columns */
    for (size_t i = 0; i < o->n_columns; i++) {
        if (used[i])
            continue;
        PUSH(.kind = K_DROP_COLUMN, .group = g, .a = o->columns[i].name);
        change(c, "table %s: column %s not in the %s", g, o->columns[i].name, c->nl);
        data_loss(c, sqlgen_drop_column(g, o->columns[i].name));
    }
out:
    free(ofn);
    free(used);
}

/* ---- phase 3: grouping and rendering ---- */

struct group {
    const char *key;
    struct svec st;
    bool rebuilt;
};

struct groups {
    struct group *v;
    size_t n, cap;
};

static struct group *group_get(struct groups *gs, const char *key, bool create)
{
    for (size_t i = 0; i < gs->n; i++)
        if (strcmp(gs->v[i].key, key) == 0)
            return &gs->v[i];
    if (!create)
        return NULL;
    if (gs->n == gs->cap) {
        size_t cap = gs->cap ? gs->cap * 2 : 16;
        struct group *v = realloc(gs->v, cap * sizeof *v);
        if (!v)
            return NULL;
        gs->v = v;
        gs->cap = cap;
    }
    struct group *g = &gs->v[gs->n++];
    memset(g, 0, sizeof *g);
    g->key = key;
    return g;
}

static bool is_rebuild_trigger(const struct stmt *s)
{
    switch (s->kind) {
    case K_DELETE_FK:
    case K_DELETE_CHECK:
    case K_DELETE_PK:
    case K_ALTER_COLUMN:
    case K_ADD_PK:
    case K_ADD_CHECK:
    case K_ALTER_PK: return true;
    case K_ADD_COLUMN: return s->col->primary_key;
    default: return false;
    }
}

static bool group_has(const struct group *g, enum kind k)
{
    for (size_t i = 0; i < g->st.n; i++)
        if (g->st.v[i].kind == k)
            return true;
    return false;
}

static int rebuild(struct group *g, const struct model_table *t)
{
    struct stmt r = { .kind = K_REBUILD, .group = g->key, .tbl = t };
    g->rebuilt = true;
    if (!group_has(g, K_RENAME_TABLE))
        g->st.n = 0;
    return svec_push(&g->st, r);
}

static int render(struct ctx *c, const struct stmt *s, const struct model_schema *new_s,
                  struct sqlgen_list *out)
{
    switch (s->kind) {
    case K_CREATE_TABLE: return sqlgen_list_push(out, sqlgen_create_table(s->tbl, NULL));
    case K_DROP_TABLE: return sqlgen_list_push(out, sqlgen_drop_table(s->a));
    case K_RENAME_TABLE: return sqlgen_list_push(out, sqlgen_rename_table(s->a, s->b));
    case K_RENAME_COLUMN: return sqlgen_list_push(out, sqlgen_rename_column(s->group, s->a, s->b));
    case K_DROP_INDEX: return sqlgen_list_push(out, sqlgen_drop_index(s->a));
    case K_ADD_COLUMN: return sqlgen_list_push(out, sqlgen_add_column(s->group, s->col, s->fk));
    case K_CREATE_INDEX_NEW:
    case K_CREATE_INDEX: return sqlgen_list_push(out, sqlgen_create_index(s->group, s->idx));
    case K_DROP_COLUMN: return sqlgen_list_push(out, sqlgen_drop_column(s->group, s->a));
    case K_REBUILD: {
        bool pragmas = true;
        if (c->opt->push) {
            pragmas = false;
            for (size_t i = 0; i < new_s->n_tables; i++)
                for (size_t j = 0; j < new_s->tables[i].n_fks; j++)
                    if (strcmp(new_s->tables[i].fks[j].table_to, s->tbl->name) == 0 &&
                        strcmp(new_s->tables[i].name, s->tbl->name) != 0)
                        pragmas = true;
        }
        return sqlgen_rebuild(out, s->tbl, pragmas);
    }
    default: return 0;
    }
}

static int combine(struct ctx *c, struct svec *cat, const struct model_schema *new_s)
{
    struct groups gs = { 0 };
    int rc = 0;
    for (int k = K_CREATE_TABLE; k <= K_ALTER_PK && rc == 0; k++) {
        for (size_t i = 0; i < cat[k].n && rc == 0; i++) {
            const struct stmt *s = &cat[k].v[i];
            struct group *g = group_get(&gs, s->group, true);
            if (!g) {
                rc = -1;
                break;
            }
            const struct model_table *nt = model_table_find(new_s, s->group);
            if (is_rebuild_trigger(s) || s->kind == K_ADD_FK) {
                if (s->kind == K_ADD_FK && s->fk->n_from == 1) {
                    bool skip = false;
                    for (size_t j = 0; j < g->st.n; j++)
                        if (g->st.v[j].kind == K_ADD_COLUMN &&
                            strcmp(g->st.v[j].col->name, s->fk->columns_from[0]) == 0)
                            skip = true;
                    if (skip)
                        continue;
                }
                if (!g->rebuilt && nt)
                    rc = rebuild(g, nt);
                continue;
            }
            if (!g->rebuilt)
                rc = svec_push(&g->st, *s);
        }
    }
    struct sqlgen_list sql = { 0 };
    /* renamed tables, renamed columns, then the rest in group order */
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
        for (size_t i = 0; i < gs.n && rc == 0; i++) {
            for (size_t j = 0; j < gs.v[i].st.n && rc == 0; j++) {
                const struct stmt *s = &gs.v[i].st.v[j];
                bool want = pass == 0   ? s->kind == K_RENAME_TABLE
                            : pass == 1 ? s->kind == K_RENAME_COLUMN
                                        : s->kind != K_RENAME_TABLE && s->kind != K_RENAME_COLUMN;
                if (!want)
                    continue;
                rc = render(c, s, new_s, &sql);
            }
        }
    }
    for (size_t i = 0; i < gs.n; i++)
        free(gs.v[i].st.v);
    free(gs.v);
    /* exact duplicates removed, first kept */
    for (size_t i = 0; rc == 0 && i < sql.n; i++) {
        bool dup = false;
        for (size_t j = 0; j < c->out->n_sql && !dup; j++)
            dup = strcmp(c->out->sql[j], sql.v[i]) == 0;
        if (!dup && strv_push(&c->out->sql, &c->out->n_sql, sql.v[i]))
            rc = -1;
    }
    sqlgen_list_free(&sql);
    return rc ? SP_ENOMEM : SP_OK;
}

/* Dropped tables in an order where every table comes before the tables it references
 * (stable; cycles fall back to the old order). Only entries with !used matter. */
static void order_drops(const struct model_schema *s, const bool *used, size_t *order)
{
    size_t n = s->n_tables, k = 0;
    bool *done = calloc(n + 1, sizeof *done);
    if (!done)
        return;
    while (k < n) {
        bool progress = false;
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            bool referenced = false;
            for (size_t j = 0; j < n && !referenced && !used[i]; j++) {
                if (j == i || done[j] || used[j])
                    continue;
                for (size_t f = 0; f < s->tables[j].n_fks; f++)
                    if (strcmp(s->tables[j].fks[f].table_to, s->tables[i].name) == 0)
                        referenced = true;
            }
            if (!referenced) {
                order[k++] = i;
                done[i] = true;
                progress = true;
            }
        }
        if (!progress) /* a cycle: keep the rest in old order */
            for (size_t i = 0; i < n; i++)
                if (!done[i]) {
                    order[k++] = i;
                    done[i] = true;
                }
    }
    free(done);
}

int diff_schemas(const struct model_schema *old_s, const struct model_schema *new_s,
                 const struct diff_options *opt, struct diff_result *out, struct sp_error *err)
{
    static const struct diff_options none = { 0 };
    memset(out, 0, sizeof *out);
    struct ctx c = { opt ? opt : &none, out, err, NULL, NULL, SP_OK };
    c.ol = c.opt->old_label ? c.opt->old_label : "old schema";
    c.nl = c.opt->new_label ? c.opt->new_label : "new schema";
    struct svec cat[K_REBUILD + 1];
    memset(cat, 0, sizeof cat);
    size_t no = old_s->n_tables, nn = new_s->n_tables;
    const struct model_table **old_for_new = calloc(nn + 1, sizeof *old_for_new);
    const char **cand = calloc(no + 1, sizeof *cand);
    bool *old_used = calloc(no + 1, sizeof *old_used);
    if (!old_for_new || !cand || !old_used) {
        c.rc = SP_ENOMEM;
        goto done;
    }
    /* phase 1: tables */
    size_t n_added = 0, n_deleted = 0;
    for (size_t j = 0; j < nn; j++) {
        const struct model_table *o = model_table_find(old_s, new_s->tables[j].name);
        old_for_new[j] = o;
        if (o)
            old_used[o - old_s->tables] = true;
        else
            n_added++;
    }
    for (size_t i = 0; i < no; i++)
        if (!old_used[i]) {
            cand[i] = old_s->tables[i].name;
            n_deleted++;
        }
    bool *renamed = calloc(nn + 1, sizeof *renamed);
    if (!renamed) {
        c.rc = SP_ENOMEM;
        goto done;
    }
    if (n_added && n_deleted) {
        for (size_t j = 0; j < nn && c.rc == SP_OK; j++) {
            if (old_for_new[j])
                continue;
            int k = decide(&c, "table", NULL, new_s->tables[j].name, cand, no);
            if (k < 0)
                continue;
            old_for_new[j] = &old_s->tables[k];
            old_used[k] = true;
            renamed[j] = true;
            cand[k] = NULL;
            struct stmt st = { .kind = K_RENAME_TABLE,
                               .group = new_s->tables[j].name,
                               .a = old_s->tables[k].name,
                               .b = new_s->tables[j].name };
            if (svec_push(&cat[K_RENAME_TABLE], st))
                c.rc = SP_ENOMEM;
            record_rename(&c, NULL, old_s->tables[k].name, new_s->tables[j].name);
            change(&c, "table %s renamed to %s", old_s->tables[k].name, new_s->tables[j].name);
        }
    }
    /* 1 created tables (+ 12 their indexes), 2 dropped tables */
    for (size_t j = 0; j < nn && c.rc == SP_OK; j++) {
        const struct model_table *t = &new_s->tables[j];
        if (old_for_new[j])
            continue;
        struct stmt st = { .kind = K_CREATE_TABLE, .group = t->name, .tbl = t };
        if (svec_push(&cat[K_CREATE_TABLE], st))
            c.rc = SP_ENOMEM;
        for (size_t x = 0; x < t->n_indexes; x++) {
            struct stmt si = { .kind = K_CREATE_INDEX_NEW,
                               .group = t->name,
                               .idx = &t->indexes[x] };
            if (svec_push(&cat[K_CREATE_INDEX_NEW], si))
                c.rc = SP_ENOMEM;
        }
        change(&c, "table %s missing in the %s", t->name, c.ol);
    }
    size_t *drop_order = calloc(no + 1, sizeof *drop_order);
    if (!drop_order) {
        free(renamed);
        c.rc = SP_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < no; i++)
        drop_order[i] = i;
    if (c.opt->drops_children_first)
        order_drops(old_s, old_used, drop_order);
    for (size_t oi = 0; oi < no && c.rc == SP_OK; oi++) {
        size_t i = drop_order[oi];
        if (old_used[i])
            continue;
        struct stmt st = { .kind = K_DROP_TABLE,
                           .group = old_s->tables[i].name,
                           .a = old_s->tables[i].name };
        if (svec_push(&cat[K_DROP_TABLE], st))
            c.rc = SP_ENOMEM;
        change(&c, "table %s not in the %s", old_s->tables[i].name, c.nl);
        data_loss(&c, sqlgen_drop_table(old_s->tables[i].name));
    }
    free(drop_order);
    /* existing tables, old order */
    for (size_t i = 0; i < no && c.rc == SP_OK; i++) {
        for (size_t j = 0; j < nn; j++) {
            if (old_for_new[j] == &old_s->tables[i]) {
                struct pair p = { &old_s->tables[i], &new_s->tables[j], renamed[j] };
                diff_table(&c, &p, cat);
                break;
            }
        }
    }
    free(renamed);
    if (c.rc == SP_OK && out->n_questions)
        c.rc = sp_error_set(err, SP_EABORT, "%zu rename question%s without an answer",
                            out->n_questions, out->n_questions == 1 ? "" : "s");
    if (c.rc == SP_OK)
        c.rc = combine(&c, cat, new_s);
done:
    for (size_t k = 0; k <= K_REBUILD; k++)
        free(cat[k].v);
    free(old_for_new);
    free(cand);
    free(old_used);
    if (c.rc == SP_ENOMEM && (!err || err->code != SP_ENOMEM))
        sp_error_set(err, SP_ENOMEM, "out of memory");
    return c.rc;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void diff_result_free(struct diff_result *r)
{
    if (!r)
        return;
    strv_free(r->sql, r->n_sql);
    strv_free(r->changes, r->n_changes);
    strv_free(r->questions, r->n_questions);
    strv_free(r->data_loss, r->n_data_loss);
    for (size_t i = 0; i < r->n_renames; i++) {
        free((char *)r->renames[i].table);
        free((char *)r->renames[i].from);
        free((char *)r->renames[i].to);
    }
    free(r->renames);
    memset(r, 0, sizeof *r);
}
