/* db/pgsnap.c: PostgreSQL snapshot bodies from the schema, case files and snapshot files, and
 * the snapshot writer (see db/pgsnap.h). Key order is drizzle-kit 0.31's, so that
 * jsonw_dump() gives its text byte for byte.
 * Thread model: pure functions.
 */
#include "db/pgsnap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/journal.h"
#include "util/jsonw.h"

static json_t *empty_bodies(json_t *tables)
{
    json_t *b = json_object();
    json_object_set_new(b, "tables", tables ? tables : json_object());
    const char *rest[] = { "enums", "schemas", "sequences", "roles", "policies", "views" };
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        json_object_set_new(b, rest[i], json_object());
    return b;
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *index_json(const char *name, json_t *cols, bool unique, const char *where)
{
    json_t *x = json_object();
    json_object_set_new(x, "name", json_string(name));
    json_object_set_new(x, "columns", cols);
    json_object_set_new(x, "isUnique", json_boolean(unique));
    if (where)
        json_object_set_new(x, "where", json_string(where));
    json_object_set_new(x, "concurrently", json_false());
    json_object_set_new(x, "method", json_string("btree"));
    json_object_set_new(x, "with", json_object());
    return x;
}

static json_t *index_col(const char *expr, bool is_expr, bool asc, const char *nulls,
                         const char *opclass)
{
    json_t *c = json_object();
    json_object_set_new(c, "expression", json_string(expr));
    json_object_set_new(c, "isExpression", json_boolean(is_expr));
    json_object_set_new(c, "asc", json_boolean(asc));
    json_object_set_new(c, "nulls", json_string(nulls));
    if (opclass)
        json_object_set_new(c, "opclass", json_string(opclass));
    return c;
}

static json_t *fk_json(const char *name, const char *from, const char *to, const char *schema_to,
                       json_t *cols_from, json_t *cols_to, const char *on_delete,
                       const char *on_update)
{
    json_t *f = json_object();
    json_object_set_new(f, "name", json_string(name));
    json_object_set_new(f, "tableFrom", json_string(from));
    json_object_set_new(f, "tableTo", json_string(to));
    if (schema_to)
        json_object_set_new(f, "schemaTo", json_string(schema_to));
    json_object_set_new(f, "columnsFrom", cols_from);
    json_object_set_new(f, "columnsTo", cols_to);
    json_object_set_new(f, "onDelete", json_string(on_delete ? on_delete : "no action"));
    json_object_set_new(f, "onUpdate", json_string(on_update ? on_update : "no action"));
    return f;
}

/* drizzle-kit's resolved identity of a column declared with .generatedAlwaysAsIdentity() (or
 * ByDefault) and no options: its sequence <table>_<column>_seq in public, 1 to the type's max. */
static json_t *identity_json(const char *table, const struct model_column *c)
{
    char seq[256];
    snprintf(seq, sizeof seq, "%s_%s_seq", table, c->name);
    const char *max = strcmp(c->type, "bigint") == 0     ? "9223372036854775807"
                      : strcmp(c->type, "smallint") == 0 ? "32767"
                                                         : "2147483647";
    json_t *id = json_object();
    json_object_set_new(id, "type", json_string(c->pg_identity));
    json_object_set_new(id, "name", json_string(seq));
    json_object_set_new(id, "schema", json_string("public"));
    json_object_set_new(id, "increment", json_string("1"));
    json_object_set_new(id, "startWith", json_string("1"));
    json_object_set_new(id, "minValue", json_string("1"));
    json_object_set_new(id, "maxValue", json_string(max));
    json_object_set_new(id, "cache", json_string("1"));
    json_object_set_new(id, "cycle", json_false());
    return id;
}

json_t *pgsnap_table_shell(const char *name, const char *schema)
{
    json_t *t = json_object();
    json_object_set_new(t, "name", json_string(name));
    json_object_set_new(t, "schema", json_string(schema ? schema : ""));
    const char *objs[] = { "columns",           "indexes",
                           "foreignKeys",       "compositePrimaryKeys",
                           "uniqueConstraints", "policies",
                           "checkConstraints" };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        json_object_set_new(t, objs[i], json_object());
    json_object_set_new(t, "isRLSEnabled", json_false());
    return t;
}

int pgsnap_from_model(const struct model_schema *s, json_t **out, struct sp_error *err)
{
    json_t *tables = json_object();
    for (size_t i = 0; i < s->n_tables; i++) {
        const struct model_table *t = &s->tables[i];
        json_t *jt = pgsnap_table_shell(t->name, NULL);
        json_t *cols = json_object_get(jt, "columns");
        for (size_t k = 0; k < t->n_columns + t->n_pg_columns; k++) {
            const struct model_column *c =
                k < t->n_columns ? &t->columns[k] : &t->pg_columns[k - t->n_columns];
            json_t *jc = json_object();
            json_object_set_new(jc, "name", json_string(c->name));
            json_object_set_new(jc, "type", json_string(c->pg_type ? c->pg_type : c->type));
            json_object_set_new(jc, "primaryKey", json_boolean(c->primary_key));
            json_object_set_new(jc, "notNull", json_boolean(c->not_null));
            if (c->def_kind == MODEL_DEF_NUMBER)
                json_object_set_new(jc, "default", json_loads(c->def_sql, JSON_DECODE_ANY, NULL));
            else if (c->def_kind == MODEL_DEF_BOOL)
                json_object_set_new(jc, "default", json_boolean(strcmp(c->def_sql, "true") == 0));
            else if (c->def_kind == MODEL_DEF_SQL)
                json_object_set_new(jc, "default",
                                    json_string(c->pg_def_sql ? c->pg_def_sql : c->def_sql));
            if (c->pg_identity)
                json_object_set_new(jc, "identity", identity_json(t->name, c));
            json_object_set_new(cols, c->name, jc);
        }
        for (size_t k = 0; k < t->n_indexes; k++) {
            const struct model_index *x = &t->indexes[k];
            if (x->pg_constraint) {
                json_t *u = json_object();
                json_object_set_new(u, "name", json_string(x->name));
                json_object_set_new(u, "nullsNotDistinct", json_false());
                json_object_set_new(u, "columns", str_array(x->columns, x->n_columns));
                json_object_set_new(json_object_get(jt, "uniqueConstraints"), x->name, u);
                continue;
            }
            json_t *ic = json_array();
            for (size_t m = 0; m < x->n_columns; m++)
                json_array_append_new(ic, index_col(x->columns[m], x->is_expr && x->is_expr[m],
                                                    true, "last", NULL));
            if (x->pg_rowid) /* SQLite's implicit last key, explicit here (schema.c) */
                json_array_append_new(ic, index_col("rowid", false, true, "last", NULL));
            json_object_set_new(json_object_get(jt, "indexes"), x->name,
                                index_json(x->name, ic, x->unique, x->where));
        }
        for (size_t k = 0; k < t->n_fks; k++) {
            const struct model_fk *f = &t->fks[k];
            json_object_set_new(json_object_get(jt, "foreignKeys"), f->name,
                                fk_json(f->name, f->table_from, f->table_to, NULL,
                                        str_array(f->columns_from, f->n_from),
                                        str_array(f->columns_to, f->n_to), f->on_delete,
                                        f->on_update));
        }
        for (size_t k = 0; k < t->n_pks; k++) {
            json_t *p = json_object();
            json_object_set_new(p, "name", json_string(t->pks[k].name));
            json_object_set_new(p, "columns", str_array(t->pks[k].columns, t->pks[k].n_columns));
            json_object_set_new(json_object_get(jt, "compositePrimaryKeys"), t->pks[k].name, p);
        }
        for (size_t k = 0; k < t->n_checks; k++) {
            json_t *ch = json_object();
            json_object_set_new(ch, "name", json_string(t->checks[k].name));
            json_object_set_new(ch, "value", json_string(t->checks[k].value));
            json_object_set_new(json_object_get(jt, "checkConstraints"), t->checks[k].name, ch);
        }
        char key[512];
        snprintf(key, sizeof key, "public.%s", t->name);
        json_object_set_new(tables, key, jt);
    }
    *out = empty_bodies(tables);
    (void)err;
    return SP_OK;
}

/* ---- case files ---- */

static const char *opt_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int bad_case(struct sp_error *err, const char *path, const char *what)
{
    return sp_error_set(err, SP_EINVAL, "%s: case file is malformed: %s", path, what);
}

static int case_table(const char *path, json_t *t, json_t *tables, struct sp_error *err)
{
    const char *name = opt_str(t, "name"), *schema = opt_str(t, "schema");
    json_t *cols = json_object_get(t, "columns");
    if (!name || !json_is_array(cols))
        return bad_case(err, path, "a table without name or columns");
    json_t *jt = pgsnap_table_shell(name, schema);
    size_t i;
    json_t *v;
    json_array_foreach(cols, i, v)
    {
        const char *cn = opt_str(v, "name"), *type = opt_str(v, "type");
        if (!cn || !type) {
            json_decref(jt);
            return bad_case(err, path, "a column without name or type");
        }
        json_t *jc = json_object();
        json_object_set_new(jc, "name", json_string(cn));
        json_object_set_new(jc, "type", json_string(type));
        if (opt_str(v, "typeSchema"))
            json_object_set_new(jc, "typeSchema", json_string(opt_str(v, "typeSchema")));
        json_object_set_new(jc, "primaryKey",
                            json_boolean(json_is_true(json_object_get(v, "primaryKey"))));
        json_object_set_new(jc, "notNull",
                            json_boolean(json_is_true(json_object_get(v, "notNull"))));
        json_t *d = json_object_get(v, "default");
        if (json_is_object(d)) {
            const char *kind = opt_str(d, "kind");
            if (kind && (strcmp(kind, "number") == 0 || strcmp(kind, "boolean") == 0))
                json_object_set(jc, "default", json_object_get(d, "value"));
            else if (opt_str(d, "sql"))
                json_object_set_new(jc, "default", json_string(opt_str(d, "sql")));
        }
        json_t *id = json_object_get(v, "identity");
        if (json_is_object(id) && json_is_object(json_object_get(id, "resolved")))
            json_object_set_new(jc, "identity", json_deep_copy(json_object_get(id, "resolved")));
        json_object_set_new(json_object_get(jt, "columns"), cn, jc);
    }
    json_array_foreach(json_object_get(t, "indexes"), i, v)
    {
        json_t *ic = json_array();
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(v, "columns"), k, c)
        {
            bool expr = !opt_str(c, "column");
            const char *e = expr ? opt_str(c, "expression") : opt_str(c, "column");
            const char *nulls = opt_str(c, "nulls");
            json_array_append_new(ic, index_col(e ? e : "", expr,
                                                !json_is_false(json_object_get(c, "asc")),
                                                nulls ? nulls : "last", opt_str(c, "opclass")));
        }
        json_t *x = index_json(opt_str(v, "name"), ic, json_is_true(json_object_get(v, "unique")),
                               opt_str(v, "where"));
        if (json_is_true(json_object_get(v, "concurrently")))
            json_object_set_new(x, "concurrently", json_true());
        if (opt_str(v, "method"))
            json_object_set_new(x, "method", json_string(opt_str(v, "method")));
        if (json_is_object(json_object_get(v, "with")))
            json_object_set(x, "with", json_object_get(v, "with"));
        json_object_set_new(json_object_get(jt, "indexes"), opt_str(v, "name"), x);
    }
    json_array_foreach(json_object_get(t, "foreignKeys"), i, v)
    {
        json_object_set_new(json_object_get(jt, "foreignKeys"), opt_str(v, "name"),
                            fk_json(opt_str(v, "name"), name, opt_str(v, "refTable"),
                                    opt_str(v, "refSchema"),
                                    json_deep_copy(json_object_get(v, "columns")),
                                    json_deep_copy(json_object_get(v, "refColumns")),
                                    opt_str(v, "onDelete"), opt_str(v, "onUpdate")));
    }
    json_t *pk = json_object_get(t, "primaryKey");
    if (json_is_object(pk)) {
        json_t *p = json_object();
        json_object_set_new(p, "name", json_string(opt_str(pk, "name")));
        json_object_set(p, "columns", json_object_get(pk, "columns"));
        json_object_set_new(json_object_get(jt, "compositePrimaryKeys"), opt_str(pk, "name"), p);
    }
    json_array_foreach(json_object_get(t, "uniqueConstraints"), i, v)
    {
        json_t *u = json_object();
        json_object_set_new(u, "name", json_string(opt_str(v, "name")));
        json_object_set_new(u, "nullsNotDistinct",
                            json_boolean(json_is_true(json_object_get(v, "nullsNotDistinct"))));
        json_object_set(u, "columns", json_object_get(v, "columns"));
        json_object_set_new(json_object_get(jt, "uniqueConstraints"), opt_str(v, "name"), u);
    }
    json_array_foreach(json_object_get(t, "checks"), i, v)
    {
        json_t *ch = json_object();
        json_object_set_new(ch, "name", json_string(opt_str(v, "name")));
        json_object_set_new(ch, "value", json_string(opt_str(v, "value")));
        json_object_set_new(json_object_get(jt, "checkConstraints"), opt_str(v, "name"), ch);
    }
    if (json_is_true(json_object_get(t, "rlsEnabled")))
        json_object_set_new(jt, "isRLSEnabled", json_true());
    char key[512];
    snprintf(key, sizeof key, "%s.%s", schema ? schema : "public", name);
    json_object_set_new(tables, key, jt);
    return SP_OK;
}

static int body_from_case(const char *path, json_t *root, json_t **out, struct sp_error *err)
{
    json_t *tables = json_object(), *body = empty_bodies(tables);
    size_t i;
    json_t *v;
    int rc = SP_OK;
    json_array_foreach(json_object_get(root, "schemas"), i, v)
    {
        const char *n = opt_str(v, "name");
        if (n)
            json_object_set_new(json_object_get(body, "schemas"), n, json_string(n));
    }
    json_array_foreach(json_object_get(root, "enums"), i, v)
    {
        const char *n = opt_str(v, "name"), *s = opt_str(v, "schema");
        if (!n) {
            rc = bad_case(err, path, "an enum without name");
            break;
        }
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(n));
        json_object_set_new(e, "schema", json_string(s ? s : "public"));
        json_object_set(e, "values", json_object_get(v, "values"));
        char key[512];
        snprintf(key, sizeof key, "%s.%s", s ? s : "public", n);
        json_object_set_new(json_object_get(body, "enums"), key, e);
    }
    if (rc == SP_OK && !json_is_array(json_object_get(root, "tables")))
        rc = bad_case(err, path, "tables missing");
    json_array_foreach(json_object_get(root, "tables"), i, v)
    {
        if (rc == SP_OK)
            rc = case_table(path, v, tables, err);
    }
    if (rc) {
        json_decref(body);
        return rc;
    }
    *out = body;
    return SP_OK;
}

static int parse(const char *name, const char *text, size_t len, json_t **root,
                 struct sp_error *err)
{
    json_error_t je;
    *root = json_loadb(text, len, 0, &je);
    if (!*root || !json_is_object(*root)) {
        json_decref(*root);
        *root = NULL;
        return sp_error_set(err, SP_EINVAL, "%s data is malformed: %s (line %d)", name,
                            je.text[0] ? je.text : "not an object", je.line);
    }
    return SP_OK;
}

/* parse() on the contents of the file at path. */
static int parse_file(const char *path, json_t **root, struct sp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &text, &len, err);
    if (rc)
        return rc;
    rc = parse(path, text, len, root, err);
    free(text);
    return rc;
}

static int body_from_snapshot(const char *name, json_t *root, json_t **out,
                              struct snapshot_meta *meta, struct sp_error *err)
{
    const char *version = opt_str(root, "version"), *dialect = opt_str(root, "dialect");
    if (!dialect || strcmp(dialect, "postgresql") != 0)
        return sp_error_set(err, SP_EINVAL, "%s: not a postgresql snapshot (dialect %s)", name,
                            dialect ? dialect : "missing");
    if (!version || strcmp(version, "7") != 0)
        return sp_error_set(err, SP_EINVAL,
                            "%s: snapshot version %s%s; this tool writes and reads \"7\"", name,
                            version ? version : "missing",
                            version && strcmp(version, "7") > 0 ? " is newer" : "");
    json_t *tables = json_object_get(root, "tables");
    if (!json_is_object(tables))
        return sp_error_set(err, SP_EINVAL, "%s data is malformed: tables missing", name);
    const char *k;
    json_t *t;
    json_object_foreach(tables, k, t)
    {
        const char *parts[] = { "columns", "indexes", "foreignKeys", "compositePrimaryKeys",
                                "uniqueConstraints" };
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (!json_is_object(json_object_get(t, parts[i])))
                return sp_error_set(err, SP_EINVAL, "%s data is malformed: tables.%s.%s missing",
                                    name, k, parts[i]);
        if (!opt_str(t, "name"))
            return sp_error_set(err, SP_EINVAL, "%s data is malformed: tables.%s.name missing",
                                name, k);
    }
    json_t *body = json_object();
    const char *keys[] = { "tables", "enums", "schemas", "sequences", "roles", "policies", "views" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(root, keys[i]);
        json_object_set_new(body, keys[i], json_is_object(v) ? json_deep_copy(v) : json_object());
    }
    if (meta) {
        snprintf(meta->id, sizeof meta->id, "%s", opt_str(root, "id") ? opt_str(root, "id") : "");
        snprintf(meta->prev_id, sizeof meta->prev_id, "%s",
                 opt_str(root, "prevId") ? opt_str(root, "prevId") : "");
        snprintf(meta->version, sizeof meta->version, "%s", version);
    }
    *out = body;
    return SP_OK;
}

int pgsnap_load_text(const char *name, const char *text, size_t len, json_t **out,
                     struct snapshot_meta *meta, struct sp_error *err)
{
    json_t *root;
    int rc = parse(name, text, len, &root, err);
    if (rc)
        return rc;
    rc = body_from_snapshot(name, root, out, meta, err);
    json_decref(root);
    return rc;
}

int pgsnap_load_file(const char *path, json_t **out, struct snapshot_meta *meta,
                     struct sp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &text, &len, err);
    if (rc)
        return rc;
    rc = pgsnap_load_text(path, text, len, out, meta, err);
    free(text);
    return rc;
}

int pgsnap_load_any(const char *path, json_t **out, struct sp_error *err)
{
    json_t *root;
    int rc = parse_file(path, &root, err);
    if (rc)
        return rc;
    if (json_is_object(json_object_get(root, "tables")))
        rc = body_from_snapshot(path, root, out, NULL, err);
    else
        rc = body_from_case(path, root, out, err);
    json_decref(root);
    return rc;
}

int pgsnap_write(struct buf *out, const json_t *body, const char *id, const char *prev_id)
{
    json_t *s = json_object();
    json_object_set_new(s, "id", json_string(id));
    json_object_set_new(s, "prevId", json_string(prev_id));
    json_object_set_new(s, "version", json_string("7"));
    json_object_set_new(s, "dialect", json_string("postgresql"));
    const char *keys[] = { "tables", "enums", "schemas", "sequences", "roles", "policies", "views" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        json_object_set_new(s, keys[i], v ? json_deep_copy(v) : json_object());
    }
    json_t *meta = json_object();
    json_object_set_new(meta, "columns", json_object());
    json_object_set_new(meta, "schemas", json_object());
    json_object_set_new(meta, "tables", json_object());
    json_object_set_new(s, "_meta", meta);
    int rc = jsonw_dump(out, s, 2);
    json_decref(s);
    return rc;
}

int pgsnap_validate_dir(const char *dir, struct sp_error *err)
{
    char **paths = NULL;
    size_t n = 0;
    int rc = snapshot_list(dir, &paths, &n, err);
    if (rc)
        return rc;
    struct snapshot_meta *metas = calloc(n + 1, sizeof *metas);
    if (!metas) {
        snapshot_list_free(paths, n);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == SP_OK; i++) {
        json_t *b = NULL;
        rc = pgsnap_load_file(paths[i], &b, &metas[i], err);
        json_decref(b);
    }
    for (size_t i = 0; i < n && rc == SP_OK; i++)
        for (size_t j = i + 1; j < n && rc == SP_OK; j++)
            if (strcmp(metas[i].prev_id, metas[j].prev_id) == 0)
                rc = sp_error_set(err, SP_EINVAL,
                                  "snapshot collision: %s and %s have the same prevId %s", paths[i],
                                  paths[j], metas[i].prev_id);
    free(metas);
    snapshot_list_free(paths, n);
    return rc;
}
