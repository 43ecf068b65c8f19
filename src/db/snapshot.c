/* db/snapshot.c: drizzle-kit snapshot files and conformance case files <-> struct model_schema
 * (see db/snapshot.h and spec/drizzle-compat.md §4).
 *
 * Loading parses with jansson and copies everything into the schema's own arena, so the JSON
 * is released before returning. Writing builds a jansson tree in drizzle-kit's key order and
 * serialises it with util/jsonw (JSON.stringify(v, null, 2), no trailing newline).
 * Ownership: loaded schemas own an arena (model_schema_free()); returned paths are malloc'd.
 * Thread model: pure functions, no shared state.
 */
#include "db/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"

/* ---- loading helpers ---- */

struct loader {
    struct arena *arena;
    const char *path;
    struct sp_error *err;
};

static int malformed(struct loader *L, const char *what, const char *a, const char *b)
{
    return sp_error_set(L->err, SP_EINVAL, "%s data is malformed: %s%s%s%s", L->path, what,
                        a ? a : "", b && b[0] != '.' ? " " : "", b ? b : "");
}

static const char *dup_str(struct loader *L, json_t *v)
{
    return arena_strdup(L->arena, json_string_value(v));
}

/* Array of strings -> arena array; NULL on a non-string element or OOM (count in *n). */
static const char *const *str_array(struct loader *L, json_t *arr, size_t *n)
{
    if (!json_is_array(arr))
        return NULL;
    size_t k = json_array_size(arr);
    const char **v = arena_alloc(L->arena, (k ? k : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e))
            return NULL;
        v[i] = dup_str(L, e);
    }
    *n = k;
    return v;
}

/* A default value from a snapshot: string = SQL text, number, boolean. */
static int snap_default(struct loader *L, json_t *d, struct model_column *c)
{
    if (!d)
        return SP_OK;
    if (json_is_string(d)) {
        c->def_kind = MODEL_DEF_SQL;
        c->def_sql = dup_str(L, d);
    } else if (json_is_boolean(d)) {
        c->def_kind = MODEL_DEF_BOOL;
        c->def_sql = json_is_true(d) ? "true" : "false";
    } else if (json_is_number(d)) {
        char num[JSONW_NUMBER_SIZE];
        if (json_is_integer(d))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(d));
        else
            jsonw_format_number(num, json_real_value(d));
        c->def_kind = MODEL_DEF_NUMBER;
        c->def_sql = arena_strdup(L->arena, num);
    } else {
        return SP_EINVAL;
    }
    return SP_OK;
}

static bool opt_bool(json_t *o, const char *k, bool *out)
{
    json_t *v = json_object_get(o, k);
    if (!v) {
        *out = false;
        return true;
    }
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static int snap_table(struct loader *L, const char *tkey, json_t *t, json_t *internal_idx,
                      struct model_table *mt)
{
    json_t *name = json_object_get(t, "name"), *cols = json_object_get(t, "columns");
    json_t *idx = json_object_get(t, "indexes"), *fks = json_object_get(t, "foreignKeys");
    json_t *pks = json_object_get(t, "compositePrimaryKeys");
    json_t *chk = json_object_get(t, "checkConstraints");
    if (!json_is_object(t))
        return malformed(L, "tables.", tkey, "is not an object");
    if (!json_is_string(name))
        return malformed(L, "tables.", tkey, ".name missing");
    if (!json_is_object(cols))
        return malformed(L, "tables.", tkey, ".columns missing");
    if (!json_is_object(idx))
        return malformed(L, "tables.", tkey, ".indexes missing");
    if (!json_is_object(fks))
        return malformed(L, "tables.", tkey, ".foreignKeys missing");
    if (!json_is_object(pks))
        return malformed(L, "tables.", tkey, ".compositePrimaryKeys missing");
    if (chk && !json_is_object(chk))
        return malformed(L, "tables.", tkey, ".checkConstraints is not an object");
    mt->name = dup_str(L, name);

    size_t n = json_object_size(cols), i = 0;
    struct model_column *mc = arena_alloc(L->arena, (n ? n : 1) * sizeof *mc);
    if (!mc)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    const char *k;
    json_t *v;
    json_object_foreach(cols, k, v)
    {
        struct model_column *c = &mc[i++];
        json_t *cn = json_object_get(v, "name"), *ct = json_object_get(v, "type");
        if (!json_is_object(v) || !json_is_string(cn) || !json_is_string(ct) ||
            !opt_bool(v, "primaryKey", &c->primary_key) || !opt_bool(v, "notNull", &c->not_null) ||
            !opt_bool(v, "autoincrement", &c->autoincrement) ||
            snap_default(L, json_object_get(v, "default"), c) != SP_OK) {
            char where[512];
            snprintf(where, sizeof where, "%s.columns.%s", tkey, k);
            return malformed(L, "tables.", where, "is not a valid column");
        }
        c->name = dup_str(L, cn);
        c->type = dup_str(L, ct);
    }
    mt->columns = mc;
    mt->n_columns = n;

    n = json_object_size(idx);
    i = 0;
    struct model_index *mi = arena_alloc(L->arena, (n ? n : 1) * sizeof *mi);
    if (!mi)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    json_object_foreach(idx, k, v)
    {
        struct model_index *x = &mi[i++];
        json_t *in = json_object_get(v, "name"), *w = json_object_get(v, "where");
        x->columns = str_array(L, json_object_get(v, "columns"), &x->n_columns);
        if (!json_is_object(v) || !json_is_string(in) || !x->columns ||
            !opt_bool(v, "isUnique", &x->unique) || (w && !json_is_string(w) && !json_is_null(w))) {
            char where[512];
            snprintf(where, sizeof where, "%s.indexes.%s", tkey, k);
            return malformed(L, "tables.", where, "is not a valid index");
        }
        x->name = dup_str(L, in);
        x->where = json_is_string(w) ? dup_str(L, w) : NULL;
        json_t *ic = json_object_get(json_object_get(internal_idx, x->name), "columns");
        if (json_is_object(ic)) {
            bool *e = arena_alloc(L->arena, (x->n_columns ? x->n_columns : 1) * sizeof *e);
            if (!e)
                return sp_error_set(L->err, SP_ENOMEM, "out of memory");
            for (size_t j = 0; j < x->n_columns; j++)
                e[j] = json_is_true(
                    json_object_get(json_object_get(ic, x->columns[j]), "isExpression"));
            x->is_expr = e;
        }
    }
    mt->indexes = mi;
    mt->n_indexes = n;

    n = json_object_size(fks);
    i = 0;
    struct model_fk *mf = arena_alloc(L->arena, (n ? n : 1) * sizeof *mf);
    if (!mf)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    json_object_foreach(fks, k, v)
    {
        struct model_fk *f = &mf[i++];
        json_t *fn = json_object_get(v, "name"), *tf = json_object_get(v, "tableFrom");
        json_t *tt = json_object_get(v, "tableTo"), *od = json_object_get(v, "onDelete");
        json_t *ou = json_object_get(v, "onUpdate");
        f->columns_from = str_array(L, json_object_get(v, "columnsFrom"), &f->n_from);
        f->columns_to = str_array(L, json_object_get(v, "columnsTo"), &f->n_to);
        if (!json_is_object(v) || !json_is_string(fn) || !json_is_string(tf) ||
            !json_is_string(tt) || !f->columns_from || !f->columns_to ||
            (od && !json_is_string(od)) || (ou && !json_is_string(ou))) {
            char where[512];
            snprintf(where, sizeof where, "%s.foreignKeys.%s", tkey, k);
            return malformed(L, "tables.", where, "is not a valid foreign key");
        }
        f->name = dup_str(L, fn);
        f->table_from = dup_str(L, tf);
        f->table_to = dup_str(L, tt);
        f->on_delete = od ? dup_str(L, od) : NULL;
        f->on_update = ou ? dup_str(L, ou) : NULL;
    }
    mt->fks = mf;
    mt->n_fks = n;

    n = json_object_size(pks);
    i = 0;
    struct model_pk *mp = arena_alloc(L->arena, (n ? n : 1) * sizeof *mp);
    if (!mp)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    json_object_foreach(pks, k, v)
    {
        struct model_pk *p = &mp[i++];
        json_t *pn = json_object_get(v, "name");
        p->columns = str_array(L, json_object_get(v, "columns"), &p->n_columns);
        if (!json_is_object(v) || !p->columns || (pn && !json_is_string(pn))) {
            char where[512];
            snprintf(where, sizeof where, "%s.compositePrimaryKeys.%s", tkey, k);
            return malformed(L, "tables.", where, "is not a valid primary key");
        }
        p->name = pn ? dup_str(L, pn) : arena_strdup(L->arena, k);
    }
    mt->pks = mp;
    mt->n_pks = n;

    n = chk ? json_object_size(chk) : 0;
    i = 0;
    struct model_check *mk = arena_alloc(L->arena, (n ? n : 1) * sizeof *mk);
    if (!mk)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    if (chk) {
        json_object_foreach(chk, k, v)
        {
            struct model_check *c = &mk[i++];
            json_t *cn = json_object_get(v, "name"), *cv = json_object_get(v, "value");
            if (!json_is_object(v) || !json_is_string(cn) || !json_is_string(cv)) {
                char where[512];
                snprintf(where, sizeof where, "%s.checkConstraints.%s", tkey, k);
                return malformed(L, "tables.", where, "is not a valid check constraint");
            }
            c->name = dup_str(L, cn);
            c->value = dup_str(L, cv);
        }
    }
    mt->checks = mk;
    mt->n_checks = n;
    return SP_OK;
}

static int parse_text(const char *name, const char *text, size_t len, json_t **root,
                      struct sp_error *err)
{
    json_error_t jerr;
    *root = json_loadb(text, len, 0, &jerr);
    if (!*root)
        return sp_error_set(err, SP_EINVAL, "%s data is malformed: %s (line %d, column %d)", name,
                            jerr.text, jerr.line, jerr.column);
    return SP_OK;
}

static int parse_file(const char *path, json_t **root, struct sp_error *err)
{
    json_error_t jerr;
    *root = json_load_file(path, 0, &jerr);
    if (!*root) {
        if (errno == ENOENT && jerr.line <= 0)
            return sp_error_set(err, SP_ENOTFOUND, "cannot read %s: %s", path, jerr.text);
        return sp_error_set(err, SP_EINVAL, "%s data is malformed: %s (line %d, column %d)", path,
                            jerr.text, jerr.line, jerr.column);
    }
    return SP_OK;
}

/* path names the snapshot in messages; text (len bytes) is its content, or NULL to read path. */
static int load_snapshot(const char *path, const char *text, size_t len, struct model_schema *out,
                         struct snapshot_meta *meta, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root;
    int rc = text ? parse_text(path, text, len, &root, err) : parse_file(path, &root, err);
    if (rc)
        return rc;
    struct arena *a = calloc(1, sizeof *a);
    if (!a) {
        json_decref(root);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    struct loader L = { a, path, err };
    json_t *ver = json_object_get(root, "version"), *dia = json_object_get(root, "dialect");
    json_t *id = json_object_get(root, "id"), *prev = json_object_get(root, "prevId");
    json_t *tables = json_object_get(root, "tables");
    json_t *iidx = json_object_get(json_object_get(root, "internal"), "indexes");
    if (!json_is_object(root))
        rc = malformed(&L, "not a JSON object", NULL, NULL);
    else if (!json_is_string(ver))
        rc = malformed(&L, "version missing", NULL, NULL);
    else if (strtol(json_string_value(ver), NULL, 10) > 6)
        rc = sp_error_set(err, SP_EUNSUPPORTED,
                          "%s has snapshot version %s, newer than the supported version 6: "
                          "upgrade the tool that reads it",
                          path, json_string_value(ver));
    else if (strcmp(json_string_value(ver), "6") != 0)
        rc =
            sp_error_set(err, SP_EINVAL,
                         "%s is not of the latest version (%s, expected 6), please run drizzle-kit up",
                         path, json_string_value(ver));
    else if (!json_is_string(dia) || strcmp(json_string_value(dia), "sqlite") != 0)
        rc = malformed(&L, "dialect is not \"sqlite\"", NULL, NULL);
    else if (!json_is_string(id) || !json_is_string(prev))
        rc = malformed(&L, "id or prevId missing", NULL, NULL);
    else if (!json_is_object(tables))
        rc = malformed(&L, "tables missing", NULL, NULL);
    if (rc == SP_OK) {
        size_t n = json_object_size(tables), i = 0;
        struct model_table *mt = arena_alloc(a, (n ? n : 1) * sizeof *mt);
        if (!mt)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        const char *k;
        json_t *v;
        json_object_foreach(tables, k, v)
        {
            if (rc)
                break;
            rc = snap_table(&L, k, v, iidx, &mt[i++]);
        }
        out->tables = mt;
        out->n_tables = n;
        if (rc == SP_OK && meta) {
            snprintf(meta->id, sizeof meta->id, "%s", json_string_value(id));
            snprintf(meta->prev_id, sizeof meta->prev_id, "%s", json_string_value(prev));
            snprintf(meta->version, sizeof meta->version, "%s", json_string_value(ver));
        }
    }
    json_decref(root);
    out->arena = a;
    if (rc) {
        model_schema_free(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- conformance case files ---- */

static int case_default(struct loader *L, json_t *d, struct model_column *c)
{
    if (!d || json_is_null(d))
        return SP_OK;
    json_t *kind = json_object_get(d, "kind"), *sql = json_object_get(d, "sql");
    if (!json_is_string(kind) || !json_is_string(sql))
        return SP_EINVAL;
    const char *k = json_string_value(kind);
    c->def_kind = !strcmp(k, "number")    ? MODEL_DEF_NUMBER
                  : !strcmp(k, "boolean") ? MODEL_DEF_BOOL
                                          : MODEL_DEF_SQL;
    c->def_sql = dup_str(L, sql);
    return SP_OK;
}

static int case_table(struct loader *L, json_t *t, struct model_table *mt)
{
    json_t *name = json_object_get(t, "name"), *cols = json_object_get(t, "columns");
    json_t *idx = json_object_get(t, "indexes"), *fks = json_object_get(t, "foreignKeys");
    json_t *pk = json_object_get(t, "primaryKey"), *chk = json_object_get(t, "checks");
    if (!json_is_string(name) || !json_is_array(cols))
        return malformed(L, "a table needs a name and a columns array", NULL, NULL);
    const char *tn = json_string_value(name);
    mt->name = dup_str(L, name);
    size_t n = json_array_size(cols);
    struct model_column *mc = arena_alloc(L->arena, (n ? n : 1) * sizeof *mc);
    if (!mc)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(cols, i);
        struct model_column *c = &mc[i];
        json_t *cn = json_object_get(v, "name"), *ct = json_object_get(v, "type");
        if (!json_is_string(cn) || !json_is_string(ct) ||
            !opt_bool(v, "primaryKey", &c->primary_key) || !opt_bool(v, "notNull", &c->not_null) ||
            !opt_bool(v, "autoincrement", &c->autoincrement) ||
            case_default(L, json_object_get(v, "default"), c) != SP_OK)
            return malformed(L, "tables.", tn, "has an invalid column");
        c->name = dup_str(L, cn);
        c->type = dup_str(L, ct);
    }
    mt->columns = mc;
    mt->n_columns = n;

    n = json_is_array(idx) ? json_array_size(idx) : 0;
    struct model_index *mi = arena_alloc(L->arena, (n ? n : 1) * sizeof *mi);
    if (!mi)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(idx, i), *ic = json_object_get(v, "columns");
        json_t *in = json_object_get(v, "name"), *w = json_object_get(v, "where");
        struct model_index *x = &mi[i];
        if (!json_is_string(in) || !json_is_array(ic) || !opt_bool(v, "unique", &x->unique))
            return malformed(L, "tables.", tn, "has an invalid index");
        size_t k = json_array_size(ic);
        const char **cv = arena_alloc(L->arena, (k ? k : 1) * sizeof *cv);
        bool *ev = arena_alloc(L->arena, (k ? k : 1) * sizeof *ev);
        if (!cv || !ev)
            return sp_error_set(L->err, SP_ENOMEM, "out of memory");
        bool any = false;
        for (size_t j = 0; j < k; j++) {
            json_t *e = json_array_get(ic, j), *col = json_object_get(e, "column");
            json_t *ex = json_object_get(e, "expression");
            if (!ex)
                ex = json_object_get(e, "sql");
            if (json_is_string(e))
                col = e;
            if (json_is_string(col)) {
                cv[j] = dup_str(L, col);
            } else if (json_is_string(ex)) {
                cv[j] = dup_str(L, ex);
                ev[j] = any = true;
            } else {
                return malformed(L, "tables.", tn, "has an invalid index column");
            }
        }
        x->name = dup_str(L, in);
        x->columns = cv;
        x->n_columns = k;
        x->is_expr = any ? ev : NULL;
        x->where = json_is_string(w) ? dup_str(L, w) : NULL;
    }
    mt->indexes = mi;
    mt->n_indexes = n;

    n = json_is_array(fks) ? json_array_size(fks) : 0;
    struct model_fk *mf = arena_alloc(L->arena, (n ? n : 1) * sizeof *mf);
    if (!mf)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(fks, i);
        struct model_fk *f = &mf[i];
        json_t *fn = json_object_get(v, "name"), *rt = json_object_get(v, "refTable");
        json_t *ou = json_object_get(v, "onUpdate"), *od = json_object_get(v, "onDelete");
        f->columns_from = str_array(L, json_object_get(v, "columns"), &f->n_from);
        f->columns_to = str_array(L, json_object_get(v, "refColumns"), &f->n_to);
        if (!json_is_string(fn) || !json_is_string(rt) || !f->columns_from || !f->columns_to)
            return malformed(L, "tables.", tn, "has an invalid foreign key");
        f->name = dup_str(L, fn);
        f->table_from = mt->name;
        f->table_to = dup_str(L, rt);
        f->on_update = json_is_string(ou) ? dup_str(L, ou) : "no action";
        f->on_delete = json_is_string(od) ? dup_str(L, od) : "no action";
    }
    mt->fks = mf;
    mt->n_fks = n;

    if (json_is_object(pk)) {
        struct model_pk *p = arena_alloc(L->arena, sizeof *p);
        json_t *pn = json_object_get(pk, "name");
        if (!p)
            return sp_error_set(L->err, SP_ENOMEM, "out of memory");
        p->columns = str_array(L, json_object_get(pk, "columns"), &p->n_columns);
        if (!json_is_string(pn) || !p->columns)
            return malformed(L, "tables.", tn, "has an invalid primaryKey");
        p->name = dup_str(L, pn);
        mt->pks = p;
        mt->n_pks = 1;
    }

    n = json_is_array(chk) ? json_array_size(chk) : 0;
    struct model_check *mk = arena_alloc(L->arena, (n ? n : 1) * sizeof *mk);
    if (!mk)
        return sp_error_set(L->err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(chk, i), *cn = json_object_get(v, "name");
        json_t *cv = json_object_get(v, "value");
        if (!cv)
            cv = json_object_get(v, "sql");
        if (!json_is_string(cn) || !json_is_string(cv))
            return malformed(L, "tables.", tn, "has an invalid check");
        mk[i].name = dup_str(L, cn);
        mk[i].value = dup_str(L, cv);
    }
    mt->checks = mk;
    mt->n_checks = n;
    return SP_OK;
}

int snapshot_load_file(const char *path, struct model_schema *out, struct snapshot_meta *meta,
                       struct sp_error *err)
{
    return load_snapshot(path, NULL, 0, out, meta, err);
}

int snapshot_load_text(const char *name, const char *text, size_t len, struct model_schema *out,
                       struct snapshot_meta *meta, struct sp_error *err)
{
    return load_snapshot(name, text, len, out, meta, err);
}

int snapshot_load_case(const char *path, struct model_schema *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root;
    int rc = parse_file(path, &root, err);
    if (rc)
        return rc;
    struct arena *a = calloc(1, sizeof *a);
    if (!a) {
        json_decref(root);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    struct loader L = { a, path, err };
    json_t *tables = json_object_get(root, "tables");
    if (json_is_object(tables)) { /* a drizzle snapshot given as a schema */
        json_decref(root);
        free(a);
        return snapshot_load_file(path, out, NULL, err);
    }
    if (!json_is_array(tables)) {
        rc = malformed(&L, "tables array missing", NULL, NULL);
    } else {
        size_t n = json_array_size(tables);
        struct model_table *mt = arena_alloc(a, (n ? n : 1) * sizeof *mt);
        if (!mt)
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        for (size_t i = 0; rc == SP_OK && i < n; i++)
            rc = case_table(&L, json_array_get(tables, i), &mt[i]);
        out->tables = mt;
        out->n_tables = n;
    }
    json_decref(root);
    out->arena = a;
    if (rc) {
        model_schema_free(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- writing ---- */

static json_t *jstr_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *default_value(const struct model_column *c)
{
    switch (c->def_kind) {
    case MODEL_DEF_BOOL: return json_boolean(strcmp(c->def_sql, "true") == 0);
    case MODEL_DEF_NUMBER: {
        char *end;
        double d = strtod(c->def_sql, &end);
        if (*end == '\0')
            return json_real(d);
        return json_string(c->def_sql);
    }
    default: return json_string(c->def_sql);
    }
}

static json_t *table_json(const struct model_table *t, json_t *internal)
{
    json_t *o = json_object(), *cols = json_object(), *idx = json_object(), *fks = json_object();
    json_t *pks = json_object(), *chk = json_object();
    json_object_set_new(o, "name", json_string(t->name));
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct model_column *c = &t->columns[i];
        json_t *cj = json_object();
        json_object_set_new(cj, "name", json_string(c->name));
        json_object_set_new(cj, "type", json_string(c->type));
        json_object_set_new(cj, "primaryKey", json_boolean(c->primary_key));
        json_object_set_new(cj, "notNull", json_boolean(c->not_null));
        json_object_set_new(cj, "autoincrement", json_boolean(c->autoincrement));
        if (c->def_kind != MODEL_DEF_NONE && c->def_sql)
            json_object_set_new(cj, "default", default_value(c));
        json_object_set_new(cols, c->name, cj);
    }
    for (size_t i = 0; i < t->n_indexes; i++) {
        const struct model_index *x = &t->indexes[i];
        json_t *ij = json_object();
        json_object_set_new(ij, "name", json_string(x->name));
        json_object_set_new(ij, "columns", jstr_array(x->columns, x->n_columns));
        json_object_set_new(ij, "isUnique", json_boolean(x->unique));
        if (x->where)
            json_object_set_new(ij, "where", json_string(x->where));
        json_object_set_new(idx, x->name, ij);
        for (size_t j = 0; x->is_expr && j < x->n_columns; j++) {
            if (!x->is_expr[j])
                continue;
            json_t *e = json_object_get(internal, x->name);
            if (!e) {
                e = json_object();
                json_object_set_new(e, "columns", json_object());
                json_object_set_new(internal, x->name, e);
            }
            json_t *m = json_object();
            json_object_set_new(m, "isExpression", json_true());
            json_object_set_new(json_object_get(e, "columns"), x->columns[j], m);
        }
    }
    for (size_t i = 0; i < t->n_fks; i++) {
        const struct model_fk *f = &t->fks[i];
        json_t *fj = json_object();
        json_object_set_new(fj, "name", json_string(f->name));
        json_object_set_new(fj, "tableFrom", json_string(f->table_from ? f->table_from : t->name));
        json_object_set_new(fj, "tableTo", json_string(f->table_to));
        json_object_set_new(fj, "columnsFrom", jstr_array(f->columns_from, f->n_from));
        json_object_set_new(fj, "columnsTo", jstr_array(f->columns_to, f->n_to));
        json_object_set_new(fj, "onDelete", json_string(f->on_delete ? f->on_delete : "no action"));
        json_object_set_new(fj, "onUpdate", json_string(f->on_update ? f->on_update : "no action"));
        json_object_set_new(fks, f->name, fj);
    }
    for (size_t i = 0; i < t->n_pks; i++) {
        json_t *pj = json_object();
        json_object_set_new(pj, "columns", jstr_array(t->pks[i].columns, t->pks[i].n_columns));
        json_object_set_new(pj, "name", json_string(t->pks[i].name));
        json_object_set_new(pks, t->pks[i].name, pj);
    }
    for (size_t i = 0; i < t->n_checks; i++) {
        json_t *cj = json_object();
        json_object_set_new(cj, "name", json_string(t->checks[i].name));
        json_object_set_new(cj, "value", json_string(t->checks[i].value));
        json_object_set_new(chk, t->checks[i].name, cj);
    }
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "indexes", idx);
    json_object_set_new(o, "foreignKeys", fks);
    json_object_set_new(o, "compositePrimaryKeys", pks);
    json_object_set_new(o, "uniqueConstraints", json_object());
    json_object_set_new(o, "checkConstraints", chk);
    return o;
}

int snapshot_write(struct buf *out, const struct model_schema *s, const char *id,
                   const char *prev_id, const struct diff_rename *renames, size_t n_renames)
{
    json_t *root = json_object(), *tables = json_object(), *internal = json_object();
    json_t *meta = json_object(), *mt = json_object(), *mc = json_object();
    if (!root || !tables || !internal || !meta || !mt || !mc) {
        json_decref(root);
        json_decref(tables);
        json_decref(internal);
        json_decref(meta);
        json_decref(mt);
        json_decref(mc);
        return SP_ENOMEM;
    }
    json_object_set_new(root, "version", json_string("6"));
    json_object_set_new(root, "dialect", json_string("sqlite"));
    json_object_set_new(root, "id", json_string(id));
    json_object_set_new(root, "prevId", json_string(prev_id));
    for (size_t i = 0; i < s->n_tables; i++)
        json_object_set_new(tables, s->tables[i].name, table_json(&s->tables[i], internal));
    json_object_set_new(root, "tables", tables);
    json_object_set_new(root, "views", json_object());
    json_object_set_new(root, "enums", json_object());
    for (size_t i = 0; i < n_renames; i++) {
        const struct diff_rename *r = &renames[i];
        char k[1024], v[1024];
        if (r->table) {
            snprintf(k, sizeof k, "\"%s\".\"%s\"", r->table, r->from);
            snprintf(v, sizeof v, "\"%s\".\"%s\"", r->table, r->to);
            json_object_set_new(mc, k, json_string(v));
        } else {
            snprintf(k, sizeof k, "\"%s\"", r->from);
            snprintf(v, sizeof v, "\"%s\"", r->to);
            json_object_set_new(mt, k, json_string(v));
        }
    }
    json_object_set_new(meta, "schemas", json_object());
    json_object_set_new(meta, "tables", mt);
    json_object_set_new(meta, "columns", mc);
    json_object_set_new(root, "_meta", meta);
    json_t *in = json_object();
    json_object_set_new(in, "indexes", internal);
    json_object_set_new(root, "internal", in);
    int rc = jsonw_dump(out, root, 2);
    json_decref(root);
    return rc;
}

/* ---- folder helpers ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int snapshot_list(const char *dir, char ***paths, size_t *n, struct sp_error *err)
{
    *paths = NULL;
    *n = 0;
    char meta[PATH_MAX];
    if (snprintf(meta, sizeof meta, "%s/meta", dir) >= (int)sizeof meta)
        return sp_error_set(err, SP_EINVAL, "the migrations folder path is too long: %s", dir);
    DIR *d = opendir(meta);
    if (!d) {
        if (errno == ENOENT)
            return SP_OK;
        return sp_error_set(err, SP_EIO, "cannot list %s: %s", meta, strerror(errno));
    }
    char **v = NULL;
    size_t k = 0, cap = 0;
    int rc = SP_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '_' || e->d_name[0] == '.')
            continue;
        if (k == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = SP_ENOMEM;
                break;
            }
            v = nv;
        }
        size_t len = strlen(meta) + strlen(e->d_name) + 2;
        v[k] = malloc(len);
        if (!v[k]) {
            rc = SP_ENOMEM;
            break;
        }
        snprintf(v[k++], len, "%s/%s", meta, e->d_name);
    }
    closedir(d);
    if (rc) {
        snapshot_list_free(v, k);
        return sp_error_set(err, rc, "out of memory");
    }
    if (k)
        qsort(v, k, sizeof *v, cmp_str);
    *paths = v;
    *n = k;
    return SP_OK;
}

void snapshot_list_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int snapshot_latest_path(const char *dir, char **path, struct sp_error *err)
{
    char **v;
    size_t n;
    *path = NULL;
    int rc = snapshot_list(dir, &v, &n, err);
    if (rc)
        return rc;
    if (n) {
        *path = v[n - 1];
        v[n - 1] = NULL;
    }
    snapshot_list_free(v, n);
    return SP_OK;
}

int snapshot_validate_dir(const char *dir, struct sp_error *err)
{
    char **v;
    size_t n;
    int rc = snapshot_list(dir, &v, &n, err);
    if (rc)
        return rc;
    struct snapshot_meta *m = calloc(n ? n : 1, sizeof *m);
    struct buf msg = BUF_INIT(0);
    int first = SP_OK;
    if (!m) {
        snapshot_list_free(v, n);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct model_schema s;
        struct sp_error e = { 0 };
        int r = snapshot_load_file(v[i], &s, &m[i], &e);
        if (r) {
            if (!first)
                first = r;
            buf_printf(&msg, "%s%s", msg.len ? "; " : "", sp_error_text(&e, r));
            m[i].id[0] = '\0';
            continue;
        }
        model_schema_free(&s);
    }
    for (size_t i = 0; !first && i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (m[i].id[0] && m[j].id[0] && strcmp(m[i].prev_id, m[j].prev_id) == 0) {
                first = SP_EINVAL;
                buf_printf(&msg,
                           "%s[%s, %s] are pointing to a parent snapshot: %s which is a collision.",
                           msg.len ? "; " : "", v[i], v[j], m[i].prev_id);
            }
        }
    }
    if (first)
        sp_error_set(err, first, "%s", buf_cstr(&msg));
    buf_release(&msg);
    free(m);
    snapshot_list_free(v, n);
    return first;
}
