/* db/pgintrospect.c: live PostgreSQL schema -> snapshot body, and the server-side
 * canonicalisation of a wanted body (see db/pgintrospect.h).
 * Thread model: one connection, one caller.
 */
#include "db/pgintrospect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pgdiff.h"
#include "db/pgsnap.h"
#include "util/buf.h"

#define SEP "\x1f"

static const char SQL_TABLES[] =
    "select c.oid::text, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
    "where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'drizzle') "
    "and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%' order by n.nspname, c.relname";

static const char SQL_COLUMNS[] =
    "select a.attnum::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, "
    "coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text, "
    "(exists (select 1 from pg_depend dep join pg_class s on s.oid = dep.objid where dep.refobjid = a.attrelid "
    "and dep.refobjsubid = a.attnum and dep.deptype = 'a' and dep.classid = 'pg_class'::regclass "
    "and s.relkind = 'S'))::text, "
    "coalesce((select s.relname || chr(31) || sn.nspname || chr(31) || q.seqincrement || chr(31) || q.seqstart "
    "|| chr(31) || q.seqmin || chr(31) || q.seqmax || chr(31) || q.seqcache || chr(31) || q.seqcycle::text "
    "from pg_depend dep join pg_class s on s.oid = dep.objid join pg_namespace sn on sn.oid = s.relnamespace "
    "join pg_sequence q on q.seqrelid = s.oid where dep.refobjid = a.attrelid and dep.refobjsubid = a.attnum "
    "and dep.deptype = 'i' limit 1), '') "
    "from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
    "where a.attrelid = $1::oid and a.attnum > 0 and not a.attisdropped order by a.attnum";

static const char SQL_CONSTRAINTS[] =
    "select con.conname, con.contype::text, "
    "array_to_string(array(select ra.attname from unnest(con.conkey) with ordinality k(n, i) "
    "join pg_attribute ra on ra.attrelid = con.conrelid and ra.attnum = k.n order by k.i), chr(31)), "
    "array_to_string(array(select ra.attname from unnest(con.confkey) with ordinality k(n, i) "
    "join pg_attribute ra on ra.attrelid = con.confrelid and ra.attnum = k.n order by k.i), chr(31)), "
    "coalesce(fc.relname, ''), coalesce(fn.nspname, ''), con.confdeltype::text, con.confupdtype::text, "
    "pg_get_constraintdef(con.oid), "
    "coalesce((select (to_jsonb(i) ->> 'indnullsnotdistinct') from pg_index i where i.indexrelid = con.conindid), "
    "'false') "
    "from pg_constraint con left join pg_class fc on fc.oid = con.confrelid "
    "left join pg_namespace fn on fn.oid = fc.relnamespace where con.conrelid = $1::oid order by con.conname";

static const char SQL_INDEXES[] =
    "select ic.relname, i.indisunique::text, am.amname, coalesce(pg_get_expr(i.indpred, i.indrelid), ''), "
    "array_to_string(array(select pg_get_indexdef(i.indexrelid, k, true) from generate_series(1, i.indnkeyatts) k "
    "order by k), chr(31)), i.indkey::text, i.indoption::text "
    "from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam "
    "where i.indrelid = $1::oid and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid) "
    "order by ic.relname";

static const char SQL_ENUMS[] =
    "select n.nspname, t.typname, array_to_string(array_agg(e.enumlabel order by e.enumsortorder), chr(31)) "
    "from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace "
    "where n.nspname not in ('pg_catalog', 'information_schema', 'drizzle') and n.nspname not like 'pg\\_temp%' "
    "group by n.nspname, t.typname order by n.nspname, t.typname";

static const char SQL_SCHEMAS[] =
    "select nspname from pg_namespace where nspname not in ('public', 'drizzle', 'information_schema') "
    "and nspname not like 'pg\\_%' order by nspname";

static json_t *split(const char *s)
{
    json_t *a = json_array();
    if (!s[0])
        return a;
    for (;;) {
        const char *e = strchr(s, SEP[0]);
        size_t n = e ? (size_t)(e - s) : strlen(s);
        json_array_append_new(a, json_stringn(s, n));
        if (!e)
            return a;
        s = e + 1;
    }
}

static const char *action(const char *c)
{
    switch (c[0]) {
    case 'r': return "restrict";
    case 'c': return "cascade";
    case 'n': return "set null";
    case 'd': return "set default";
    default: return "no action";
    }
}

static const char *serial_name(const char *type)
{
    if (strcmp(type, "integer") == 0)
        return "serial";
    if (strcmp(type, "bigint") == 0)
        return "bigserial";
    if (strcmp(type, "smallint") == 0)
        return "smallserial";
    return NULL;
}

/* Columns of relation oid into an object name -> column (snapshot keys). */
static int read_columns(struct pg *pg, const char *oid, json_t **out, struct sp_error *err)
{
    PGresult *r;
    const char *p[] = { oid };
    int rc = pg_query(pg, SQL_COLUMNS, 1, p, &r, err, "reading columns");
    if (rc)
        return rc;
    json_t *cols = json_object();
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 1), *type = PQgetvalue(r, i, 2),
                   *def = PQgetvalue(r, i, 4), *ident = PQgetvalue(r, i, 5),
                   *seq = PQgetvalue(r, i, 7);
        bool serial = strcmp(PQgetvalue(r, i, 6), "true") == 0 &&
                      strncmp(def, "nextval(", 8) == 0 && serial_name(type);
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(name));
        json_object_set_new(c, "type", json_string(serial ? serial_name(type) : type));
        json_object_set_new(c, "primaryKey", json_false());
        json_object_set_new(c, "notNull", json_boolean(strcmp(PQgetvalue(r, i, 3), "true") == 0));
        if (def[0] && !serial)
            json_object_set_new(c, "default", json_string(def));
        if ((ident[0] == 'a' || ident[0] == 'd') && seq[0]) {
            json_t *parts = split(seq);
            json_t *id = json_object();
            const char *keys[] = { "name",     "schema",   "increment", "startWith",
                                   "minValue", "maxValue", "cache" };
            json_object_set_new(id, "type", json_string(ident[0] == 'a' ? "always" : "byDefault"));
            for (size_t k = 0; k < 7; k++)
                json_object_set(id, keys[k], json_array_get(parts, k));
            json_object_set_new(id, "cycle",
                                json_boolean(strcmp(json_string_value(json_array_get(parts, 7)),
                                                    "true") == 0));
            json_object_set_new(c, "identity", id);
            json_decref(parts);
        }
        json_object_set_new(cols, name, c);
    }
    PQclear(r);
    *out = cols;
    return SP_OK;
}

static int read_table(struct pg *pg, const char *oid, const char *schema, const char *name,
                      json_t **out, struct sp_error *err)
{
    json_t *t = pgsnap_table_shell(name, strcmp(schema, "public") == 0 ? "" : schema), *cols = NULL;
    int rc = read_columns(pg, oid, &cols, err);
    if (rc) {
        json_decref(t);
        return rc;
    }
    json_object_set_new(t, "columns", cols);
    PGresult *r = NULL;
    const char *p[] = { oid };
    rc = pg_query(pg, SQL_CONSTRAINTS, 1, p, &r, err, "reading constraints");
    for (int i = 0; rc == SP_OK && i < PQntuples(r); i++) {
        const char *cname = PQgetvalue(r, i, 0), *type = PQgetvalue(r, i, 1);
        json_t *keys = split(PQgetvalue(r, i, 2));
        if (type[0] == 'p' && json_array_size(keys) == 1) {
            json_t *c = json_object_get(cols, json_string_value(json_array_get(keys, 0)));
            if (c)
                json_object_set_new(c, "primaryKey", json_true());
        } else if (type[0] == 'p') {
            json_t *pk = json_object();
            json_object_set_new(pk, "name", json_string(cname));
            json_object_set(pk, "columns", keys);
            json_object_set_new(json_object_get(t, "compositePrimaryKeys"), cname, pk);
        } else if (type[0] == 'u') {
            json_t *u = json_object();
            json_object_set_new(u, "name", json_string(cname));
            json_object_set_new(u, "nullsNotDistinct",
                                json_boolean(strcmp(PQgetvalue(r, i, 9), "true") == 0));
            json_object_set(u, "columns", keys);
            json_object_set_new(json_object_get(t, "uniqueConstraints"), cname, u);
        } else if (type[0] == 'f') {
            json_t *f = json_object();
            const char *to_schema = PQgetvalue(r, i, 5);
            json_object_set_new(f, "name", json_string(cname));
            json_object_set_new(f, "tableFrom", json_string(name));
            json_object_set_new(f, "tableTo", json_string(PQgetvalue(r, i, 4)));
            if (strcmp(to_schema, "public") != 0)
                json_object_set_new(f, "schemaTo", json_string(to_schema));
            json_object_set(f, "columnsFrom", keys);
            json_object_set_new(f, "columnsTo", split(PQgetvalue(r, i, 3)));
            json_object_set_new(f, "onDelete", json_string(action(PQgetvalue(r, i, 6))));
            json_object_set_new(f, "onUpdate", json_string(action(PQgetvalue(r, i, 7))));
            json_object_set_new(json_object_get(t, "foreignKeys"), cname, f);
        } else if (type[0] == 'c') {
            const char *def = PQgetvalue(r, i, 8);
            size_t n = strlen(def);
            json_t *ch = json_object();
            json_object_set_new(ch, "name", json_string(cname));
            if (strncmp(def, "CHECK (", 7) == 0 && n > 8 && def[n - 1] == ')')
                json_object_set_new(ch, "value", json_stringn(def + 7, n - 8));
            else
                json_object_set_new(ch, "value", json_string(def));
            json_object_set_new(json_object_get(t, "checkConstraints"), cname, ch);
        }
        json_decref(keys);
    }
    PQclear(r);
    r = NULL;
    if (rc == SP_OK)
        rc = pg_query(pg, SQL_INDEXES, 1, p, &r, err, "reading indexes");
    for (int i = 0; rc == SP_OK && i < PQntuples(r); i++) {
        json_t *defs = split(PQgetvalue(r, i, 4)), *keys = split(""), *opts = split("");
        /* indkey / indoption are space separated */
        char *k = strdup(PQgetvalue(r, i, 5)), *o = strdup(PQgetvalue(r, i, 6));
        json_t *cl = json_array();
        char *ks = k, *os = o;
        for (size_t m = 0; m < json_array_size(defs); m++) {
            long kv = ks ? strtol(ks, &ks, 10) : 0, ov = os ? strtol(os, &os, 10) : 0;
            const char *e = json_string_value(json_array_get(defs, m));
            json_t *c = json_object();
            size_t el = strlen(e);
            if (kv != 0 && el >= 2 && e[0] == '"' && e[el - 1] == '"')
                json_object_set_new(c, "expression", json_stringn(e + 1, el - 2));
            else
                json_object_set_new(c, "expression", json_string(e));
            json_object_set_new(c, "isExpression", json_boolean(kv == 0));
            json_object_set_new(c, "asc", json_boolean(!(ov & 1)));
            json_object_set_new(c, "nulls", json_string((ov & 2) ? "first" : "last"));
            json_array_append_new(cl, c);
        }
        free(k);
        free(o);
        json_t *x = json_object();
        const char *iname = PQgetvalue(r, i, 0), *where = PQgetvalue(r, i, 3);
        json_object_set_new(x, "name", json_string(iname));
        json_object_set_new(x, "columns", cl);
        json_object_set_new(x, "isUnique", json_boolean(strcmp(PQgetvalue(r, i, 1), "true") == 0));
        if (where[0])
            json_object_set_new(x, "where", json_string(where));
        json_object_set_new(x, "concurrently", json_false());
        json_object_set_new(x, "method", json_string(PQgetvalue(r, i, 2)));
        json_object_set_new(x, "with", json_object());
        json_object_set_new(json_object_get(t, "indexes"), iname, x);
        json_decref(defs);
        json_decref(keys);
        json_decref(opts);
    }
    PQclear(r);
    if (rc) {
        json_decref(t);
        return rc;
    }
    *out = t;
    return SP_OK;
}

int pgintrospect_body(struct pg *pg, json_t **out, struct sp_error *err)
{
    *out = NULL;
    json_t *body = json_object(), *tables = json_object(), *enums = json_object(),
           *schemas = json_object();
    json_object_set_new(body, "tables", tables);
    json_object_set_new(body, "enums", enums);
    json_object_set_new(body, "schemas", schemas);
    const char *rest[] = { "sequences", "roles", "policies", "views" };
    for (size_t i = 0; i < 4; i++)
        json_object_set_new(body, rest[i], json_object());
    PGresult *r = NULL;
    int rc = pg_query(pg, SQL_TABLES, 0, NULL, &r, err, "listing tables");
    for (int i = 0; rc == SP_OK && i < PQntuples(r); i++) {
        json_t *t;
        const char *schema = PQgetvalue(r, i, 1), *name = PQgetvalue(r, i, 2);
        rc = read_table(pg, PQgetvalue(r, i, 0), schema, name, &t, err);
        if (rc == SP_OK) {
            char key[600];
            snprintf(key, sizeof key, "%s.%s", schema, name);
            json_object_set_new(tables, key, t);
        }
    }
    PQclear(r);
    r = NULL;
    if (rc == SP_OK)
        rc = pg_query(pg, SQL_ENUMS, 0, NULL, &r, err, "listing enums");
    for (int i = 0; rc == SP_OK && i < PQntuples(r); i++) {
        json_t *e = json_object();
        char key[600];
        snprintf(key, sizeof key, "%s.%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        json_object_set_new(e, "name", json_string(PQgetvalue(r, i, 1)));
        json_object_set_new(e, "schema", json_string(PQgetvalue(r, i, 0)));
        json_object_set_new(e, "values", split(PQgetvalue(r, i, 2)));
        json_object_set_new(enums, key, e);
    }
    PQclear(r);
    r = NULL;
    if (rc == SP_OK)
        rc = pg_query(pg, SQL_SCHEMAS, 0, NULL, &r, err, "listing schemas");
    for (int i = 0; rc == SP_OK && i < PQntuples(r); i++)
        json_object_set_new(schemas, PQgetvalue(r, i, 0), json_string(PQgetvalue(r, i, 0)));
    PQclear(r);
    if (rc) {
        json_decref(body);
        return rc;
    }
    *out = body;
    return SP_OK;
}

/* lower case, without quotes, parentheses, blanks, `table.` qualifiers and ::casts */
static char *loose(const char *s, const char *table)
{
    struct buf b = BUF_INIT(0);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '(' || *p == ')' || isspace((unsigned char)*p))
            continue;
        buf_putc(&b, (char)tolower((unsigned char)*p));
    }
    char *t = buf_detach(&b), *w = t;
    size_t tl = strlen(table);
    for (char *p = t; *p;) {
        if (strncmp(p, table, tl) == 0 && p[tl] == '.' &&
            (p == t || !isalnum((unsigned char)p[-1]))) {
            p += tl + 1;
            continue;
        }
        if (p[0] == ':' && p[1] == ':') {
            p += 2;
            while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.')) /* ::audit.op */
                p++;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    return t;
}

static bool loosely_equal(const char *a, const char *b, const char *table)
{
    char *x = loose(a, table), *y = loose(b, table);
    bool eq = strcmp(x, y) == 0;
    free(x);
    free(y);
    return eq;
}

int pgintrospect_canonical(struct pg *pg, const json_t *want, const json_t *live, json_t **out,
                           struct sp_error *err)
{
    *out = NULL;
    json_t *w = json_deep_copy(want);
    if (!w)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int rc = pg_begin(pg, err);
    const char *k;
    json_t *v;
    /* what the temp tables need: the schemas and enums the database lacks (rolled back) */
    json_object_foreach(json_object_get(w, "schemas"), k, v)
    {
        if (rc == SP_OK && !json_object_get(json_object_get(live, "schemas"), k)) {
            struct buf b = BUF_INIT(0);
            buf_printf(&b, "CREATE SCHEMA \"%s\"", k);
            rc = pg_exec(pg, buf_cstr(&b), err, "canonicalising the schema");
            buf_release(&b);
        }
    }
    json_object_foreach(json_object_get(w, "enums"), k, v)
    {
        if (rc == SP_OK && !json_object_get(json_object_get(live, "enums"), k)) {
            struct buf b = BUF_INIT(0);
            buf_printf(&b, "CREATE TYPE \"%s\".\"%s\" AS ENUM(",
                       json_string_value(json_object_get(v, "schema")),
                       json_string_value(json_object_get(v, "name")));
            size_t i;
            json_t *x;
            json_array_foreach(json_object_get(v, "values"), i, x)
            {
                buf_printf(&b, "%s'%s'", i ? ", " : "", json_string_value(x));
            }
            buf_puts(&b, ")");
            rc = pg_exec(pg, buf_cstr(&b), err, "canonicalising the schema");
            buf_release(&b);
        }
    }
    int n = 0;
    json_object_foreach(json_object_get(w, "tables"), k, v)
    {
        if (rc)
            break;
        json_t *cols = json_object_get(v, "columns");
        struct buf b = BUF_INIT(0);
        buf_printf(&b, "CREATE TEMP TABLE \"sprout_canon_%d\" (", n);
        const char *ck;
        json_t *c;
        bool first = true;
        json_object_foreach(cols, ck, c)
        {
            char *ty = pgdiff_type_text(c);
            buf_printf(&b, "%s\"%s\" %s", first ? "" : ", ", ck, ty);
            free(ty);
            json_t *d = json_object_get(c, "default");
            if (d) {
                char *dt = pgdiff_default_text(d);
                buf_printf(&b, " DEFAULT %s", dt);
                free(dt);
            }
            first = false;
        }
        buf_puts(&b, ")");
        rc = pg_exec(pg, buf_cstr(&b), err, "canonicalising the schema");
        buf_reset(&b);
        PGresult *r = NULL;
        buf_printf(&b, "pg_temp.sprout_canon_%d", n++);
        const char *p[] = { buf_cstr(&b) };
        if (rc == SP_OK)
            rc = pg_query(pg, "select $1::regclass::oid::text", 1, p, &r, err,
                          "canonicalising the schema");
        json_t *canon = NULL;
        if (rc == SP_OK)
            rc = read_columns(pg, PQgetvalue(r, 0, 0), &canon, err);
        PQclear(r);
        buf_release(&b);
        json_object_foreach(cols, ck, c)
        {
            json_t *cc = json_object_get(canon, ck);
            if (!cc)
                continue;
            json_object_set(c, "type", json_object_get(cc, "type"));
            json_object_del(c, "typeSchema");
            if (json_object_get(cc, "default"))
                json_object_set(c, "default", json_object_get(cc, "default"));
            else
                json_object_del(c, "default");
        }
        json_decref(canon);
        /* not compared: opclasses, storage options, CONCURRENTLY */
        const char *ik;
        json_t *x;
        json_t *lt = json_object_get(json_object_get(live, "tables"), k);
        const char *tn = json_string_value(json_object_get(v, "name"));
        json_object_foreach(json_object_get(v, "indexes"), ik, x)
        {
            json_object_set_new(x, "with", json_object());
            json_object_set_new(x, "concurrently", json_false());
            size_t i;
            json_t *ic;
            json_array_foreach(json_object_get(x, "columns"), i, ic) json_object_del(ic, "opclass");
            json_t *lx = json_object_get(json_object_get(lt, "indexes"), ik);
            const char *a = json_string_value(json_object_get(x, "where")),
                       *b2 = json_string_value(json_object_get(lx, "where"));
            if (a && b2 && loosely_equal(a, b2, tn))
                json_object_set_new(x, "where", json_string(b2));
        }
        json_object_foreach(json_object_get(v, "checkConstraints"), ik, x)
        {
            json_t *lx = json_object_get(json_object_get(lt, "checkConstraints"), ik);
            const char *a = json_string_value(json_object_get(x, "value")),
                       *b2 = json_string_value(json_object_get(lx, "value"));
            if (a && b2 && loosely_equal(a, b2, tn))
                json_object_set_new(x, "value", json_string(b2));
        }
    }
    pg_rollback(pg);
    if (rc) {
        json_decref(w);
        return rc;
    }
    *out = w;
    return SP_OK;
}
