/* db/pgdiff.c: old PostgreSQL snapshot body -> new, as drizzle-kit's statements (see
 * db/pgdiff.h). The old body is copied, the decided renames are applied to the copy, and the
 * copy is compared with the new body object by object (by name).
 * Thread model: pure function.
 */
#include "db/pgdiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/countof.h"
#include "util/jsonw.h"

enum cat { /* drizzle-kit's order of statement kinds */
           C_CREATE_SCHEMA,
           C_RENAME_SCHEMA,
           C_CREATE_ENUM,
           C_RENAME_ENUM,
           C_ENUM_ADD,
           C_CREATE_TABLE,
           C_DROP_TABLE,
           C_RENAME_TABLE,
           C_RENAME_COLUMN,
           C_DROP_UNIQUE,
           C_DROP_CHECK,
           C_DROP_FK,
           C_ENUM_DROP_VALUE,
           C_DROP_INDEX,
           C_DROP_PK,
           C_ALTER_COLUMN,
           C_ADD_PK,
           C_ADD_COLUMN,
           C_FK_NEW_TABLE,
           C_INDEX_NEW_TABLE,
           C_FK_ALTERED,
           C_INDEX_ALTERED,
           C_DROP_COLUMN,
           C_ALTERED_PK,
           C_ADD_UNIQUE,
           C_ADD_CHECK,
           C_ALTERED_UNIQUE,
           C_DROP_ENUM,
           C_DROP_SCHEMA,
           C_N
};

struct ctx {
    const struct diff_options *opt;
    struct diff_result *out;
    struct sp_error *err;
    int rc;
    char **cat[C_N];
    size_t n_cat[C_N];
};

static int strv_push(char ***v, size_t *n, char *s)
{
    if (!s)
        return SP_ENOMEM;
    char **nv = realloc(*v, (*n + 2) * sizeof *nv);
    if (!nv) {
        free(s);
        return SP_ENOMEM;
    }
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return SP_OK;
}

__attribute__((format(printf, 3, 4))) static void emit(struct ctx *c, enum cat k, const char *fmt,
                                                       ...)
{
    struct buf b = BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc || strv_push(&c->cat[k], &c->n_cat[k], buf_detach(&b)))
        c->rc = SP_ENOMEM;
}

__attribute__((format(printf, 2, 3))) static void change(struct ctx *c, const char *fmt, ...)
{
    struct buf b = BUF_INIT(0);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc || strv_push(&c->out->changes, &c->out->n_changes, buf_detach(&b)))
        c->rc = SP_ENOMEM;
}

/* remember a statement that loses data (db push asks for --force) */
static void loss(struct ctx *c, const char *sql)
{
    if (c->rc == SP_OK && strv_push(&c->out->data_loss, &c->out->n_data_loss, strdup(sql)))
        c->rc = SP_ENOMEM;
}

static const char *s_of(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static bool b_of(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

/* "name" or "schema"."name" (schema "" and "public" are left out) into a static-free buf */
static char *qname(const char *schema, const char *name)
{
    struct buf b = BUF_INIT(0);
    if (schema && schema[0] && strcmp(schema, "public") != 0)
        buf_printf(&b, "\"%s\".\"%s\"", schema, name);
    else
        buf_printf(&b, "\"%s\"", name);
    return buf_detach(&b);
}

static char *tname(const json_t *t)
{
    return qname(s_of(t, "schema"), s_of(t, "name"));
}

/* How rename questions and answers name a table: name, or schema.name outside public. */
static char *display(const json_t *t)
{
    struct buf b = BUF_INIT(0);
    const char *s = s_of(t, "schema");
    if (s[0] && strcmp(s, "public") != 0)
        buf_printf(&b, "%s.%s", s, s_of(t, "name"));
    else
        buf_puts(&b, s_of(t, "name"));
    return buf_detach(&b);
}

static char *quoted_list(const json_t *arr)
{
    struct buf b = BUF_INIT(0);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        buf_printf(&b, "%s\"%s\"", i ? "," : "", json_string_value(v) ? json_string_value(v) : "");
    }
    return buf_detach(&b);
}

char *pgdiff_default_text(const json_t *d)
{
    if (json_is_string(d))
        return strdup(json_string_value(d));
    struct buf b = BUF_INIT(0);
    jsonw_dump(&b, d, 0);
    return buf_detach(&b);
}

char *pgdiff_type_text(const json_t *col)
{
    struct buf b = BUF_INIT(0);
    const char *ts = json_string_value(json_object_get(col, "typeSchema"));
    if (ts) {
        if (strcmp(ts, "public") != 0)
            buf_printf(&b, "\"%s\".", ts);
        buf_printf(&b, "\"%s\"", s_of(col, "type"));
    } else {
        buf_puts(&b, s_of(col, "type"));
    }
    return buf_detach(&b);
}

/* `"c" type PRIMARY KEY DEFAULT x NOT NULL GENERATED ... AS IDENTITY (...)`; drizzle-kit leaves
 * NOT NULL out for identity columns in CREATE TABLE (in_create), not in ADD COLUMN */
static char *column_def(const json_t *col, const char *table_schema, bool in_create)
{
    struct buf b = BUF_INIT(0);
    char *type = pgdiff_type_text(col);
    buf_printf(&b, "\"%s\" %s", s_of(col, "name"), type);
    free(type);
    if (b_of(col, "primaryKey"))
        buf_puts(&b, " PRIMARY KEY");
    json_t *d = json_object_get(col, "default");
    if (d) {
        char *dt = pgdiff_default_text(d);
        buf_printf(&b, " DEFAULT %s", dt ? dt : "");
        free(dt);
    }
    json_t *id = json_object_get(col, "identity");
    if (b_of(col, "notNull") && !(in_create && json_is_object(id)))
        buf_puts(&b, " NOT NULL");
    if (json_is_object(id)) {
        char *seq = qname(table_schema && table_schema[0] ? table_schema : NULL, s_of(id, "name"));
        if (table_schema && table_schema[0] && strcmp(table_schema, "public") == 0) {
            free(seq);
            struct buf sb = BUF_INIT(0);
            buf_printf(&sb, "\"public\".\"%s\"", s_of(id, "name"));
            seq = buf_detach(&sb);
        }
        buf_printf(&b, " GENERATED %s AS IDENTITY (sequence name %s",
                   strcmp(s_of(id, "type"), "always") == 0 ? "ALWAYS" : "BY DEFAULT", seq);
        free(seq);
        const char *parts[][2] = { { "increment", "INCREMENT BY" },
                                   { "minValue", "MINVALUE" },
                                   { "maxValue", "MAXVALUE" },
                                   { "startWith", "START WITH" },
                                   { "cache", "CACHE" } };
        for (size_t i = 0; i < 5; i++)
            if (s_of(id, parts[i][0])[0])
                buf_printf(&b, " %s %s", parts[i][1], s_of(id, parts[i][0]));
        if (b_of(id, "cycle"))
            buf_puts(&b, " CYCLE");
        buf_puts(&b, ")");
    }
    return buf_detach(&b);
}

static void create_table(struct ctx *c, const json_t *t)
{
    struct buf b = BUF_INIT(0);
    char *q = tname(t);
    buf_printf(&b, "CREATE TABLE %s (\n", q);
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)json_object_get(t, "columns"), k, v)
    {
        char *def = column_def(v, s_of(t, "schema"), true);
        buf_printf(&b, "%s\t%s", first ? "" : ",\n", def);
        free(def);
        first = false;
    }
    json_object_foreach((json_t *)json_object_get(t, "compositePrimaryKeys"), k, v)
    {
        char *cols = quoted_list(json_object_get(v, "columns"));
        buf_printf(&b, ",\n\tCONSTRAINT \"%s\" PRIMARY KEY(%s)", s_of(v, "name"), cols);
        free(cols);
    }
    json_object_foreach((json_t *)json_object_get(t, "uniqueConstraints"), k, v)
    {
        char *cols = quoted_list(json_object_get(v, "columns"));
        buf_printf(&b, ",\n\tCONSTRAINT \"%s\" UNIQUE%s(%s)", s_of(v, "name"),
                   b_of(v, "nullsNotDistinct") ? " NULLS NOT DISTINCT" : "", cols);
        free(cols);
    }
    json_object_foreach((json_t *)json_object_get(t, "checkConstraints"), k, v)
    {
        buf_printf(&b, ",\n\tCONSTRAINT \"%s\" CHECK (%s)", s_of(v, "name"), s_of(v, "value"));
    }
    buf_puts(&b, "\n);\n");
    free(q);
    if (strv_push(&c->cat[C_CREATE_TABLE], &c->n_cat[C_CREATE_TABLE], buf_detach(&b)))
        c->rc = SP_ENOMEM;
}

/* The writers of a table's named objects share one signature (struct table_object); name
 * is the object's key, x the object. */
static void add_fk(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *f)
{
    (void)name;
    char *q = tname(t), *from = quoted_list(json_object_get(f, "columnsFrom")),
         *to = quoted_list(json_object_get(f, "columnsTo"));
    const char *st = json_string_value(json_object_get(f, "schemaTo"));
    emit(c, k,
         "ALTER TABLE %s ADD CONSTRAINT \"%s\" FOREIGN KEY (%s) REFERENCES \"%s\".\"%s\"(%s) ON DELETE %s "
         "ON UPDATE %s;",
         q, s_of(f, "name"), from, st && st[0] ? st : "public", s_of(f, "tableTo"), to,
         s_of(f, "onDelete")[0] ? s_of(f, "onDelete") : "no action",
         s_of(f, "onUpdate")[0] ? s_of(f, "onUpdate") : "no action");
    free(q);
    free(from);
    free(to);
}

static void create_index(struct ctx *c, enum cat k, const json_t *t, const char *name,
                         const json_t *x)
{
    (void)name;
    struct buf cols = BUF_INIT(0);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(x, "columns"), i, v)
    {
        bool expr = b_of(v, "isExpression"), asc = !json_is_false(json_object_get(v, "asc"));
        const char *opclass = json_string_value(json_object_get(v, "opclass")),
                   *nulls = s_of(v, "nulls");
        if (i)
            buf_putc(&cols, ',');
        if (expr)
            buf_puts(&cols, s_of(v, "expression"));
        else
            buf_printf(&cols, "\"%s\"", s_of(v, "expression"));
        if (opclass)
            buf_printf(&cols, " %s", opclass);
        else if (!asc)
            buf_puts(&cols, " DESC");
        if (!((asc && strcmp(nulls, "last") == 0) || opclass)) {
            buf_puts(&cols, " NULLS ");
            for (const char *p = nulls; *p; p++)
                buf_putc(&cols, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
        }
    }
    struct buf with = BUF_INIT(0);
    json_t *w = json_object_get(x, "with");
    if (json_object_size(w)) {
        const char *wk;
        json_t *wv;
        bool first = true;
        buf_puts(&with, " WITH (");
        json_object_foreach(w, wk, wv)
        {
            char *val = pgdiff_default_text(wv);
            buf_printf(&with, "%s%s=%s", first ? "" : ", ", wk, val ? val : "");
            free(val);
            first = false;
        }
        buf_puts(&with, ")");
    }
    const char *where = json_string_value(json_object_get(x, "where"));
    char *q = tname(t);
    emit(c, k, "CREATE %sINDEX %s\"%s\" ON %s USING %s (%s)%s%s%s;",
         b_of(x, "isUnique") ? "UNIQUE " : "", b_of(x, "concurrently") ? "CONCURRENTLY " : "",
         s_of(x, "name"), q, s_of(x, "method")[0] ? s_of(x, "method") : "btree", buf_cstr(&cols),
         buf_cstr(&with), where ? " WHERE " : "", where ? where : "");
    free(q);
    buf_release(&cols);
    buf_release(&with);
}

static void drop_index(struct ctx *c, enum cat k, const json_t *t, const char *name,
                       const json_t *x)
{
    (void)name;
    char *q = qname(s_of(t, "schema"), s_of(x, "name"));
    emit(c, k, "DROP INDEX %s;", q);
    free(q);
}

static void drop_constraint(struct ctx *c, enum cat k, const json_t *t, const char *name,
                            const char *tail)
{
    char *q = tname(t);
    emit(c, k, "ALTER TABLE %s DROP CONSTRAINT \"%s\";%s", q, name, tail);
    free(q);
}

static void add_unique(struct ctx *c, enum cat k, const json_t *t, const char *name,
                       const json_t *u)
{
    (void)name;
    char *q = tname(t), *cols = quoted_list(json_object_get(u, "columns"));
    emit(c, k, "ALTER TABLE %s ADD CONSTRAINT \"%s\" UNIQUE%s(%s);", q, s_of(u, "name"),
         b_of(u, "nullsNotDistinct") ? " NULLS NOT DISTINCT" : "", cols);
    free(q);
    free(cols);
}

static void add_pk(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *p)
{
    (void)name;
    char *q = tname(t), *cols = quoted_list(json_object_get(p, "columns"));
    emit(c, k, "ALTER TABLE %s ADD CONSTRAINT \"%s\" PRIMARY KEY(%s);", q, s_of(p, "name"), cols);
    free(q);
    free(cols);
}

/* ---- rename questions (db/diff.c's diff_decide) ---- */

/* The candidate index chosen for a rename, -1 for create; -2 on error (c->rc set). */
static int decide(struct ctx *c, const char *kind, const char *table, const char *added,
                  char **cand, size_t n_cand)
{
    int pick;
    int rc = diff_decide(c->opt, kind, table, added, (const char *const *)cand, n_cand, c->out,
                         &pick, c->err);
    if (rc != SP_OK) {
        c->rc = rc;
        return -2;
    }
    return pick;
}

static void record_rename_kind(struct ctx *c, const char *kind, const char *table, const char *from,
                               const char *to)
{
    if (diff_record_rename(c->out, kind, table, from, to) != SP_OK)
        c->rc = SP_ENOMEM;
}

static void record_rename(struct ctx *c, const char *table, const char *from, const char *to)
{
    record_rename_kind(c, NULL, table, from, to);
}

/* obj with key `from` replaced by `to` (value v), keeping the order */
static json_t *rekey(json_t *obj, const char *from, const char *to, json_t *v)
{
    json_t *n = json_object();
    const char *k;
    json_t *x;
    json_object_foreach(obj, k, x)
    {
        if (strcmp(k, from) == 0)
            json_object_set(n, to, v);
        else
            json_object_set(n, k, x);
    }
    return n;
}

/* apply a column rename to table t of the working copy: the column only. Like drizzle-kit, the
 * indexes and constraints that name it are not patched, so they are dropped and made again. */
static void rename_column(json_t *t, const char *from, const char *to)
{
    json_t *cols = json_object_get(t, "columns"), *col = json_object_get(cols, from);
    json_object_set_new(col, "name", json_string(to));
    json_object_set_new(t, "columns", rekey(cols, from, to, col));
}

/* ---- the comparison ---- */

static bool same(const json_t *a, const json_t *b)
{
    return json_equal((json_t *)a, (json_t *)b);
}

static bool fk_same(const json_t *a, const json_t *b)
{
    const char *keys[] = {
        "tableTo", "schemaTo", "columnsFrom", "columnsTo", "onDelete", "onUpdate"
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
        if (!x != !y || (x && !json_equal(x, y)))
            return false;
    }
    return true;
}

/* Candidates: keys of W's `what` object missing from N's; display names of them in *names. */
static size_t gone(const json_t *W, const json_t *N, const char *what, char ***keys)
{
    json_t *wo = json_object_get(W, what), *no = json_object_get(N, what);
    *keys = calloc(json_object_size(wo) + 1, sizeof **keys);
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(wo, k, v)
    {
        if (*keys && !json_object_get(no, k))
            (*keys)[n++] = strdup(k);
    }
    return n;
}

static size_t live_count(char **v, size_t n)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += v[i] != NULL;
    return live;
}

/* "public.x" -> "x", "s.x" stays: how questions name an enum */
static const char *enum_display(const char *key)
{
    return strncmp(key, "public.", 7) == 0 ? key + 7 : key;
}

/* Schemas created while others were dropped: ask, and on a rename patch the working copy
 * (its tables, enums and enum columns move with it). */
static void resolve_schema_renames(struct ctx *c, json_t *W, const json_t *N)
{
    char **del;
    size_t n_del = gone(W, N, "schemas", &del);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(N, "schemas"), k, v)
    {
        if (c->rc || !del || json_object_get(json_object_get(W, "schemas"), k) ||
            !live_count(del, n_del))
            continue;
        int pick = decide(c, "schema", NULL, k, del, n_del);
        if (pick < 0)
            continue;
        const char *from = del[pick];
        emit(c, C_RENAME_SCHEMA, "ALTER SCHEMA \"%s\" RENAME TO \"%s\";\n", from, k);
        change(c, "schema %s renamed to %s", from, k);
        record_rename_kind(c, "schema", NULL, from, k);
        json_t *ws = json_object_get(W, "schemas");
        json_t *name = json_string(k);
        json_object_set_new(W, "schemas", rekey(ws, from, k, name));
        json_decref(name);
        const char *objs[] = { "tables", "enums" };
        for (int o = 0; o < 2; o++) {
            json_t *obj = json_object_get(W, objs[o]), *out = json_object();
            const char *ok;
            json_t *ov;
            json_object_foreach(obj, ok, ov)
            {
                const char *sch = json_string_value(json_object_get(ov, "schema"));
                if (sch && strcmp(sch, from) == 0) {
                    char nk[600];
                    snprintf(nk, sizeof nk, "%s.%s", k, s_of(ov, "name"));
                    json_object_set_new(ov, "schema", json_string(k));
                    json_object_set(out, nk, ov);
                } else {
                    json_object_set(out, ok, ov);
                }
                const char *ck;
                json_t *col;
                json_object_foreach(json_object_get(ov, "columns"), ck, col)
                {
                    if (strcmp(s_of(col, "typeSchema"), from) == 0)
                        json_object_set_new(col, "typeSchema", json_string(k));
                }
            }
            json_object_set_new(W, objs[o], out);
        }
        free(del[pick]);
        del[pick] = NULL;
    }
    for (size_t i = 0; del && i < n_del; i++)
        free(del[i]);
    free(del);
}

/* Enums created while others were dropped: ask ("enum:name", "enum:schema.name" outside
 * public), and on a rename patch the working copy (the enum and the columns of its type). */
static void resolve_enum_renames(struct ctx *c, json_t *W, const json_t *N)
{
    char **del;
    size_t n_del = gone(W, N, "enums", &del);
    char **shown = calloc(n_del + 1, sizeof *shown);
    for (size_t i = 0; shown && i < n_del; i++)
        shown[i] = strdup(enum_display(del[i]));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(N, "enums"), k, v)
    {
        if (c->rc || !del || !shown || json_object_get(json_object_get(W, "enums"), k) ||
            !live_count(shown, n_del))
            continue;
        int pick = decide(c, "enum", NULL, enum_display(k), shown, n_del);
        if (pick < 0)
            continue;
        json_t *old = json_object_get(json_object_get(W, "enums"), del[pick]);
        const char *sch = s_of(old, "schema");
        char *oname = strdup(s_of(old, "name"));
        emit(c, C_RENAME_ENUM, "ALTER TYPE \"%s\".\"%s\" RENAME TO \"%s\";", sch, oname,
             s_of(v, "name"));
        change(c, "enum %s renamed to %s", shown[pick], enum_display(k));
        record_rename_kind(c, "enum", NULL, shown[pick], enum_display(k));
        json_object_set_new(old, "name", json_string(s_of(v, "name")));
        json_object_set_new(W, "enums", rekey(json_object_get(W, "enums"), del[pick], k, old));
        const char *tk;
        json_t *t;
        json_object_foreach(json_object_get(W, "tables"), tk, t)
        {
            const char *ck;
            json_t *col;
            json_object_foreach(json_object_get(t, "columns"), ck, col)
            {
                if (oname && strcmp(s_of(col, "type"), oname) == 0 &&
                    strcmp(s_of(col, "typeSchema"), sch) == 0)
                    json_object_set_new(col, "type", json_string(s_of(v, "name")));
            }
        }
        free(oname);
        free(shown[pick]);
        shown[pick] = NULL;
    }
    for (size_t i = 0; del && i < n_del; i++) {
        free(del[i]);
        free(shown ? shown[i] : NULL);
    }
    free(del);
    free(shown);
}

static void create_enum(struct ctx *c, enum cat k, const json_t *e)
{
    struct buf vals = BUF_INIT(0);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(e, "values"), i, x)
    {
        buf_printf(&vals, "%s'%s'", i ? ", " : "", json_string_value(x));
    }
    emit(c, k, "CREATE TYPE \"%s\".\"%s\" AS ENUM(%s);", s_of(e, "schema"), s_of(e, "name"),
         buf_cstr(&vals));
    buf_release(&vals);
}

/* Every column of enum e in tables: to_text, its type (and default) set to text; else back
 * to e (the default first). */
static void retype_enum_columns(struct ctx *c, const json_t *tables, const json_t *e, bool to_text)
{
    const char *sch = s_of(e, "schema"), *name = s_of(e, "name");
    const char *tk;
    json_t *t;
    json_object_foreach((json_t *)tables, tk, t)
    {
        const char *ck;
        json_t *col;
        json_object_foreach(json_object_get(t, "columns"), ck, col)
        {
            if (strcmp(s_of(col, "type"), name) || strcmp(s_of(col, "typeSchema"), sch))
                continue;
            char *q = tname(t);
            json_t *def = json_object_get(col, "default");
            char *d = def ? pgdiff_default_text(def) : NULL;
            if (to_text) {
                emit(c, C_ENUM_DROP_VALUE, "ALTER TABLE %s ALTER COLUMN \"%s\" SET DATA TYPE text;",
                     q, ck);
                if (def)
                    emit(c, C_ENUM_DROP_VALUE,
                         "ALTER TABLE %s ALTER COLUMN \"%s\" SET DEFAULT %s::text;", q, ck, d);
            } else {
                if (def)
                    emit(c, C_ENUM_DROP_VALUE,
                         "ALTER TABLE %s ALTER COLUMN \"%s\" SET DEFAULT %s::\"%s\".\"%s\";", q, ck,
                         d, sch, name);
                emit(c, C_ENUM_DROP_VALUE,
                     "ALTER TABLE %s ALTER COLUMN \"%s\" SET DATA TYPE \"%s\".\"%s\" USING "
                     "\"%s\"::\"%s\".\"%s\";",
                     q, ck, sch, name, ck, sch, name);
            }
            free(d);
            free(q);
        }
    }
}

static void enums_phase(struct ctx *c, json_t *W, const json_t *N, bool drops)
{
    if (!drops)
        resolve_enum_renames(c, W, N);
    json_t *we = json_object_get(W, "enums"), *ne = json_object_get(N, "enums");
    const char *k;
    json_t *v;
    if (!drops) {
        json_object_foreach((json_t *)ne, k, v)
        {
            json_t *old = json_object_get(we, k);
            if (!old) {
                create_enum(c, C_CREATE_ENUM, v);
                change(c, "enum %s created", k);
                continue;
            }
            json_t *ov = json_object_get(old, "values"), *nv = json_object_get(v, "values");
            size_t i, j;
            json_t *x, *y;
            bool dropped = false;
            json_array_foreach(ov, i, x)
            {
                bool found = false;
                json_array_foreach(nv, j, y) found = found || json_equal(x, y);
                dropped = dropped || !found;
            }
            if (dropped) {
                /* drizzle-kit: columns to text, type dropped and created, columns back */
                const json_t *tables = json_object_get(N, "tables");
                retype_enum_columns(c, tables, v, true);
                emit(c, C_ENUM_DROP_VALUE, "DROP TYPE \"%s\".\"%s\";", s_of(v, "schema"),
                     s_of(v, "name"));
                create_enum(c, C_ENUM_DROP_VALUE, v);
                retype_enum_columns(c, tables, v, false);
                change(c, "enum %s: values removed", k);
                continue;
            }
            size_t nn = json_array_size(nv);
            json_array_foreach(nv, i, x)
            {
                bool found = false;
                json_array_foreach(ov, j, y) found = found || json_equal(x, y);
                if (found)
                    continue;
                json_t *before = i + 1 < nn ? json_array_get(nv, i + 1) : NULL;
                emit(c, C_ENUM_ADD, "ALTER TYPE \"%s\".\"%s\" ADD VALUE '%s'%s%s%s;",
                     s_of(v, "schema"), s_of(v, "name"), json_string_value(x),
                     before ? " BEFORE '" : "", before ? json_string_value(before) : "",
                     before ? "'" : "");
                change(c, "enum %s: value %s added", k, json_string_value(x));
            }
        }
        return;
    }
    json_object_foreach(we, k, v)
    {
        if (!json_object_get(ne, k)) {
            emit(c, C_DROP_ENUM, "DROP TYPE \"%s\".\"%s\";", s_of(v, "schema"), s_of(v, "name"));
            change(c, "enum %s dropped", k);
        }
    }
}

/* ---- a table's constraints and indexes: old (working copy) against new, by name ---- */

static void drop_plain(struct ctx *c, enum cat k, const json_t *t, const char *name,
                       const json_t *x)
{
    (void)x;
    drop_constraint(c, k, t, name, "");
}

static void drop_fk(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *x)
{
    (void)x;
    drop_constraint(c, k, t, name, "\n");
}

static void add_check(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *x)
{
    char *q = tname(t);
    emit(c, k, "ALTER TABLE %s ADD CONSTRAINT \"%s\" CHECK (%s);", q, name, s_of(x, "value"));
    free(q);
}

/* One kind of a table's named objects. A changed one is either replaced in k_altered (drop and
 * add, in_place: primary keys, unique constraints) or dropped in k_drop and added in k_add. */
struct table_object {
    const char *key; /* the table's member: "uniqueConstraints", ... */
    bool (*eq)(const json_t *a, const json_t *b);
    void (*drop)(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *x);
    void (*add)(struct ctx *c, enum cat k, const json_t *t, const char *name, const json_t *x);
    enum cat k_drop, k_add, k_altered;
    bool in_place;
    const char *what; /* named in `changes` ("<table>: <what> <name> added"); NULL: not */
};

/* key, eq, drop, add, k_drop, k_add, k_altered, in_place, what */
static const struct table_object UNIQUE = { "uniqueConstraints", same,          drop_plain,
                                            add_unique,          C_DROP_UNIQUE, C_ADD_UNIQUE,
                                            C_ALTERED_UNIQUE,    true,          NULL };
static const struct table_object CHECK = { "checkConstraints", same,         drop_plain,
                                           add_check,          C_DROP_CHECK, C_ADD_CHECK,
                                           C_ADD_CHECK,        false,        NULL };
static const struct table_object FK = { "foreignKeys", fk_same,   drop_fk,
                                        add_fk,        C_DROP_FK, C_FK_ALTERED,
                                        C_FK_ALTERED,  false,     "foreign key" };
static const struct table_object INDEX = { "indexes",       same,         drop_index,
                                           create_index,    C_DROP_INDEX, C_INDEX_ALTERED,
                                           C_INDEX_ALTERED, false,        "index" };
static const struct table_object PK = {
    "compositePrimaryKeys", same, drop_plain, add_pk, C_DROP_PK, C_ADD_PK, C_ALTERED_PK, true, NULL
};
/* in drizzle-kit's order of the drops */
static const struct table_object *const table_objects[] = { &UNIQUE, &CHECK, &FK, &INDEX, &PK };

/* Drop the objects of kind o that the new table nt no longer has (or, not in place, has
 * changed). */
static void drop_objects(struct ctx *c, const struct table_object *o, const json_t *wt,
                         const json_t *nt, const char *disp)
{
    const json_t *now = json_object_get(nt, o->key);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(wt, o->key), k, v)
    {
        const json_t *n = json_object_get(now, k);
        if (n && (o->in_place || o->eq(n, v)))
            continue;
        o->drop(c, o->k_drop, nt, k, v);
        if (o->what)
            change(c, "%s: %s %s dropped", disp, o->what, k);
    }
}

/* Add the objects of kind o that are new in nt, or changed. */
static void add_objects(struct ctx *c, const struct table_object *o, const json_t *wt,
                        const json_t *nt, const char *disp)
{
    const json_t *was = json_object_get(wt, o->key);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(nt, o->key), k, v)
    {
        const json_t *w = json_object_get(was, k);
        if (w && o->eq(w, v))
            continue;
        if (!w || !o->in_place) {
            o->add(c, o->k_add, nt, k, v);
        } else {
            o->drop(c, o->k_altered, nt, k, w);
            o->add(c, o->k_altered, nt, k, v);
        }
        if (o->what)
            change(c, "%s: %s %s added", disp, o->what, k);
    }
}

static void alter_table(struct ctx *c, json_t *wt, const json_t *nt)
{
    const char *k;
    json_t *v;
    char *q = tname(nt);
    char *disp = display(nt);
    json_t *wc = json_object_get(wt, "columns"), *nc = json_object_get(nt, "columns");
    /* column renames */
    size_t n_del = 0;
    char **del = calloc(json_object_size(wc) + 1, sizeof *del);
    if (!del) {
        c->rc = SP_ENOMEM;
        goto out;
    }
    json_object_foreach(wc, k, v)
    {
        if (!json_object_get(nc, k))
            del[n_del++] = strdup(k);
    }
    json_object_foreach((json_t *)nc, k, v)
    {
        if (json_object_get(wc, k) || c->rc)
            continue;
        if (!live_count(del, n_del))
            break;
        int pick = decide(c, "column", disp, k, del, n_del);
        if (pick < 0)
            continue;
        emit(c, C_RENAME_COLUMN, "ALTER TABLE %s RENAME COLUMN \"%s\" TO \"%s\";", q, del[pick], k);
        change(c, "%s: column %s renamed to %s", disp, del[pick], k);
        record_rename(c, disp, del[pick], k);
        rename_column(wt, del[pick], k);
        wc = json_object_get(wt, "columns");
        free(del[pick]);
        del[pick] = NULL;
    }
    for (size_t i = 0; i < n_del; i++)
        free(del[i]);
    free(del);
    if (c->rc)
        goto out;

    /* constraints dropped or changed */
    for (size_t i = 0; i < SP_COUNT(table_objects); i++)
        drop_objects(c, table_objects[i], wt, nt, disp);
    /* column changes */
    json_object_foreach((json_t *)nc, k, v)
    {
        json_t *o = json_object_get(wc, k);
        if (!o)
            continue;
        if (strcmp(s_of(o, "type"), s_of(v, "type")) ||
            strcmp(s_of(o, "typeSchema"), s_of(v, "typeSchema"))) {
            char *ty = pgdiff_type_text(v);
            emit(c, C_ALTER_COLUMN, "ALTER TABLE %s ALTER COLUMN \"%s\" SET DATA TYPE %s;", q, k,
                 ty);
            free(ty);
            change(c, "%s: column %s type changed", disp, k);
        }
        bool retyped = strcmp(s_of(o, "type"), s_of(v, "type")) ||
                       strcmp(s_of(o, "typeSchema"), s_of(v, "typeSchema"));
        json_t *od = json_object_get(o, "default"), *nd = json_object_get(v, "default");
        /* drizzle-kit sets the default again after a type change */
        if (nd && (retyped || !od || !json_equal(od, nd))) {
            char *d = pgdiff_default_text(nd);
            emit(c, C_ALTER_COLUMN, "ALTER TABLE %s ALTER COLUMN \"%s\" SET DEFAULT %s;", q, k, d);
            free(d);
            change(c, "%s: column %s default changed", disp, k);
        } else if (od && !nd) {
            emit(c, C_ALTER_COLUMN, "ALTER TABLE %s ALTER COLUMN \"%s\" DROP DEFAULT;", q, k);
            change(c, "%s: column %s default dropped", disp, k);
        }
        if (b_of(o, "notNull") != b_of(v, "notNull")) {
            emit(c, C_ALTER_COLUMN, "ALTER TABLE %s ALTER COLUMN \"%s\" %s NOT NULL;", q, k,
                 b_of(v, "notNull") ? "SET" : "DROP");
            change(c, "%s: column %s %s", disp, k,
                   b_of(v, "notNull") ? "NOT NULL added" : "NOT NULL dropped");
        }
        if (b_of(o, "primaryKey") != b_of(v, "primaryKey")) {
            if (b_of(v, "primaryKey"))
                emit(c, C_ALTER_COLUMN, "ALTER TABLE %s ADD PRIMARY KEY (\"%s\");", q, k);
            else
                emit(c, C_ALTER_COLUMN, "ALTER TABLE %s DROP CONSTRAINT \"%s_pkey\";", q,
                     s_of(nt, "name"));
            change(c, "%s: column %s primary key changed", disp, k);
        }
    }
    add_objects(c, &PK, wt, nt, disp);
    /* new columns */
    json_object_foreach((json_t *)nc, k, v)
    {
        if (json_object_get(wc, k))
            continue;
        char *def = column_def(v, s_of(nt, "schema"), false);
        emit(c, C_ADD_COLUMN, "ALTER TABLE %s ADD COLUMN %s;", q, def);
        free(def);
        change(c, "%s: column %s added", disp, k);
    }
    add_objects(c, &FK, wt, nt, disp);
    add_objects(c, &INDEX, wt, nt, disp);
    json_object_foreach(wc, k, v)
    {
        if (!json_object_get(nc, k)) {
            emit(c, C_DROP_COLUMN, "ALTER TABLE %s DROP COLUMN \"%s\";", q, k);
            if (c->rc == SP_OK)
                loss(c, c->cat[C_DROP_COLUMN][c->n_cat[C_DROP_COLUMN] - 1]);
            change(c, "%s: column %s dropped", disp, k);
        }
    }
    add_objects(c, &UNIQUE, wt, nt, disp);
    add_objects(c, &CHECK, wt, nt, disp);
out:
    free(q);
    free(disp);
}

int pgdiff_bodies(const json_t *old_body, const json_t *new_body, const struct diff_options *opt,
                  struct diff_result *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    struct ctx c = { .opt = opt, .out = out, .err = err };
    json_t *W = json_deep_copy(old_body);
    const json_t *N = new_body;
    if (!W)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    if (!json_is_object(json_object_get(W, "tables")))
        json_object_set_new(W, "tables", json_object());
    const char *k;
    json_t *v;
    resolve_schema_renames(&c, W, N);
    json_t *ws = json_object_get(W, "schemas"), *ns = json_object_get(N, "schemas");
    json_object_foreach((json_t *)ns, k, v)
    {
        if (!json_object_get(ws, k)) {
            emit(&c, C_CREATE_SCHEMA, "CREATE SCHEMA \"%s\";\n", k);
            change(&c, "schema %s created", k);
        }
    }
    json_object_foreach(ws, k, v)
    {
        if (!json_object_get(ns, k)) {
            emit(&c, C_DROP_SCHEMA, "DROP SCHEMA \"%s\";\n", k);
            change(&c, "schema %s dropped", k);
        }
    }
    enums_phase(&c, W, N, false);

    /* tables: renames, then created / dropped / altered */
    json_t *wt = json_object_get(W, "tables"), *nt = json_object_get(N, "tables");
    size_t n_del = 0;
    char **del = calloc(json_object_size(wt) + 1, sizeof *del),
         **del_key = calloc(json_object_size(wt) + 1, sizeof *del_key);
    if (!del || !del_key)
        c.rc = SP_ENOMEM;
    json_object_foreach(wt, k, v)
    {
        if (c.rc == SP_OK && !json_object_get(nt, k)) {
            del_key[n_del] = strdup(k);
            del[n_del++] = display(v);
        }
    }
    json_object_foreach((json_t *)nt, k, v)
    {
        if (c.rc || json_object_get(wt, k))
            continue;
        if (!live_count(del, n_del))
            break;
        char *disp = display(v);
        int pick = decide(&c, "table", NULL, disp, del, n_del);
        if (pick >= 0) {
            json_t *old = json_object_get(wt, del_key[pick]);
            char *from = tname(old);
            emit(&c, C_RENAME_TABLE, "ALTER TABLE %s RENAME TO \"%s\";", from, s_of(v, "name"));
            free(from);
            change(&c, "table %s renamed to %s", del[pick], disp);
            record_rename(&c, NULL, del[pick], disp);
            char *old_name = strdup(s_of(old, "name"));
            json_object_set_new(old, "name", json_string(s_of(v, "name")));
            json_object_set_new(W, "tables", rekey(wt, del_key[pick], k, old));
            wt = json_object_get(W, "tables");
            /* foreign keys pointing at the renamed table follow it (PostgreSQL keeps them) */
            const char *tk;
            json_t *t;
            json_object_foreach(wt, tk, t)
            {
                const char *fk;
                json_t *f;
                json_object_foreach(json_object_get(t, "foreignKeys"), fk, f)
                {
                    if (old_name && strcmp(s_of(f, "tableTo"), old_name) == 0 &&
                        strcmp(s_of(f, "schemaTo"), s_of(old, "schema")) == 0)
                        json_object_set_new(f, "tableTo", json_string(s_of(v, "name")));
                }
            }
            free(old_name);
            free(del[pick]);
            del[pick] = NULL;
        }
        free(disp);
    }
    for (size_t i = 0; i < n_del; i++) {
        free(del[i]);
        free(del_key[i]);
    }
    free(del);
    free(del_key);

    json_object_foreach((json_t *)nt, k, v)
    {
        if (c.rc)
            break;
        json_t *o = json_object_get(wt, k);
        if (!o) {
            create_table(&c, v);
            change(&c, "table %s created", k);
            const char *fk;
            json_t *f;
            json_object_foreach(json_object_get(v, "foreignKeys"), fk, f)
                add_fk(&c, C_FK_NEW_TABLE, v, fk, f);
            json_object_foreach(json_object_get(v, "indexes"), fk, f)
                create_index(&c, C_INDEX_NEW_TABLE, v, fk, f);
        } else {
            alter_table(&c, o, v);
        }
    }
    json_object_foreach(wt, k, v)
    {
        if (c.rc == SP_OK && !json_object_get(nt, k)) {
            char *q = tname(v);
            /* drizzle-kit 0.31 disables RLS first, whether it was on or not */
            emit(&c, C_DROP_TABLE, "ALTER TABLE %s DISABLE ROW LEVEL SECURITY;", q);
            emit(&c, C_DROP_TABLE, "DROP TABLE %s CASCADE;", q);
            if (c.rc == SP_OK)
                loss(&c, c.cat[C_DROP_TABLE][c.n_cat[C_DROP_TABLE] - 1]);
            free(q);
            change(&c, "table %s dropped", k);
        }
    }
    enums_phase(&c, W, N, true);
    json_decref(W);

    for (int i = 0; i < C_N; i++) {
        for (size_t j = 0; j < c.n_cat[i]; j++) {
            if (c.rc == SP_OK)
                c.rc = strv_push(&out->sql, &out->n_sql, c.cat[i][j]);
            else
                free(c.cat[i][j]);
        }
        free(c.cat[i]);
    }
    if (c.rc == SP_OK && out->n_questions)
        c.rc = sp_error_set(err, SP_EABORT, "%zu rename question%s without an answer",
                            out->n_questions, out->n_questions == 1 ? "" : "s");
    if (c.rc != SP_OK) { /* no statements from an unfinished diff */
        for (size_t i = 0; i < out->n_sql; i++)
            free(out->sql[i]);
        free(out->sql);
        out->sql = NULL;
        out->n_sql = 0;
    } else if (c.rc == SP_ENOMEM)
        sp_error_set(err, SP_ENOMEM, "out of memory");
    return c.rc;
}
