/* db/introspect.c: live database -> struct model_schema (see introspect.h).
 * Every query binds the table name; the CREATE text is only parsed, never executed.
 * Thread model: one connection, one caller.
 */
#include "db/introspect.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char SQL_TABLES[] =
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
    "AND name <> '__drizzle_migrations' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' "
    "AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' ORDER BY rowid";
static const char SQL_COUNT_COLS[] = "SELECT count(*), sum(pk > 0) FROM pragma_table_info(?1)";
static const char SQL_COLS[] =
    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid";
static const char SQL_PK_COLS[] = "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk";
static const char SQL_COUNT_IDX[] = "SELECT count(*) FROM pragma_index_list(?1) WHERE origin = 'c'";
static const char SQL_IDX[] =
    "SELECT m.name, m.sql, il.\"unique\" FROM sqlite_master AS m "
    "JOIN pragma_index_list(?1) AS il ON il.name = m.name "
    "WHERE m.type = 'index' AND il.origin = 'c' ORDER BY m.rowid";
static const char SQL_IDX_COLS[] = "SELECT cid, name FROM pragma_index_info(?1) ORDER BY seqno";
static const char SQL_COUNT_FK[] = "SELECT count(DISTINCT id) FROM pragma_foreign_key_list(?1)";
static const char SQL_FK[] =
    "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
    "FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq";

/* ---- text helpers ---- */

static char *lower_dup(struct arena *a, const char *s)
{
    char *p = arena_strdup(a, s ? s : "");
    for (char *q = p; q && *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

/* Skip a quoted token starting at p ('..', "..", `..`, [..]); returns the char after it. */
static const char *skip_quoted(const char *p)
{
    char close = *p == '[' ? ']' : *p;
    for (p++; *p; p++)
        if (*p == close) {
            if (close != ']' && p[1] == close) {
                p++;
                continue;
            }
            return p + 1;
        }
    return p;
}

static bool is_quote(char c)
{
    return c == '\'' || c == '"' || c == '`' || c == '[';
}

/* The '(' that opens the column list of CREATE INDEX ... ON tbl (...). */
static const char *index_list_open(const char *sql)
{
    for (const char *p = sql; *p;) {
        if (is_quote(*p)) {
            p = skip_quoted(p);
        } else if (*p == '(') {
            return p;
        } else {
            p++;
        }
    }
    return NULL;
}

/* Matching ')' for the '(' at open; NULL if unbalanced. */
static const char *matching_paren(const char *open)
{
    int depth = 0;
    for (const char *p = open; *p;) {
        if (is_quote(*p)) {
            p = skip_quoted(p);
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        p++;
    }
    return NULL;
}

static const char *trim_copy(struct arena *a, const char *s, const char *e)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == ';'))
        e--;
    return arena_strndup(a, s, (size_t)(e - s));
}

const char *introspect_index_where(struct arena *a, const char *sql)
{
    const char *open = sql ? index_list_open(sql) : NULL;
    const char *close = open ? matching_paren(open) : NULL;
    if (!close)
        return NULL;
    const char *p = close + 1;
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "WHERE", 5) != 0 || !(isspace((unsigned char)p[5]) || p[5] == '('))
        return NULL;
    return trim_copy(a, p + 5, p + strlen(p));
}

const char *introspect_index_entry(struct arena *a, const char *sql, size_t want, bool *is_expr)
{
    *is_expr = false;
    const char *open = sql ? index_list_open(sql) : NULL;
    const char *close = open ? matching_paren(open) : NULL;
    if (!close)
        return NULL;
    const char *start = open + 1;
    size_t i = 0;
    int depth = 0;
    for (const char *p = start; p <= close;) {
        if (p < close && is_quote(*p)) {
            p = skip_quoted(p);
            continue;
        }
        if (p < close && *p == '(')
            depth++;
        else if (p < close && *p == ')')
            depth--;
        if (p == close || (*p == ',' && depth == 0)) {
            if (i++ == want) {
                const char *e = trim_copy(a, start, p);
                size_t n = e ? strlen(e) : 0;
                if (n >= 2 && is_quote(e[0]) && skip_quoted(e) == e + n)
                    return arena_strndup(a, e + 1, n - 2);
                bool ident = n > 0;
                for (size_t k = 0; k < n; k++)
                    ident = ident && (isalnum((unsigned char)e[k]) || e[k] == '_');
                *is_expr = !ident;
                return e;
            }
            start = p + 1;
        }
        p++;
    }
    return NULL;
}

/* JavaScript's Number(x) printed back (shortest text that round-trips). */
static const char *js_number(struct arena *a, const char *s)
{
    double d = strtod(s, NULL);
    if (d == 0)
        return arena_strdup(a, "0");
    char tmp[40];
    if (fabs(d) < 1e21 && d == floor(d)) {
        snprintf(tmp, sizeof tmp, "%.0f", d);
        return arena_strdup(a, tmp);
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    return arena_strdup(a, tmp);
}

static bool looks_numeric(const char *s)
{
    /* drizzle-kit: /^-?[\d.]+(?:e-?\d+)?$/ */
    const char *p = s;
    if (*p == '-')
        p++;
    const char *digits = p;
    while (isdigit((unsigned char)*p) || *p == '.')
        p++;
    if (p == digits)
        return false;
    if (*p == 'e') {
        p++;
        if (*p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

const char *introspect_default(struct arena *a, const char *d, enum model_default *kind)
{
    if (!d) {
        *kind = MODEL_DEF_NONE;
        return NULL;
    }
    size_t n = strlen(d);
    if (looks_numeric(d)) {
        *kind = MODEL_DEF_NUMBER;
        return js_number(a, d);
    }
    *kind = MODEL_DEF_SQL;
    if (strcmp(d, "CURRENT_TIME") == 0 || strcmp(d, "CURRENT_DATE") == 0 ||
        strcmp(d, "CURRENT_TIMESTAMP") == 0)
        return arena_printf(a, "(%s)", d);
    if (strcmp(d, "true") == 0 || strcmp(d, "false") == 0) {
        *kind = MODEL_DEF_BOOL;
        return arena_strdup(a, d);
    }
    if (n >= 2 && d[0] == '\'' && d[n - 1] == '\'')
        return arena_strdup(a, d);
    return arena_printf(a, "(%s)", d);
}

/* ---- queries ---- */

static int prep(struct db *db, const char *sql, const char *table, sqlite3_stmt **st,
                struct sp_error *err)
{
    int rc = db_prepare(db, sql, st, err);
    if (rc == SP_OK && table)
        sqlite3_bind_text(*st, 1, table, -1, SQLITE_TRANSIENT);
    return rc;
}

static int count_of(struct db *db, const char *sql, const char *table, size_t *n, size_t *n2,
                    struct sp_error *err)
{
    sqlite3_stmt *st;
    int rc = prep(db, sql, table, &st, err);
    if (rc != SP_OK)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *n = (size_t)sqlite3_column_int64(st, 0);
        if (n2)
            *n2 = (size_t)sqlite3_column_int64(st, 1);
    } else {
        rc = db_error(db, src, err, "introspecting the database");
    }
    sqlite3_finalize(st);
    return rc;
}

static const char *col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_strdup(a, (const char *)t) : NULL;
}

static bool has_autoincrement(const char *sql)
{
    for (const char *p = sql; p && *p;) {
        if (is_quote(*p)) {
            p = skip_quoted(p);
            continue;
        }
        if (strncasecmp(p, "AUTOINCREMENT", 13) == 0)
            return true;
        p++;
    }
    return false;
}

static int read_columns(struct db *db, struct arena *a, struct model_table *t,
                        const char *create_sql, struct sp_error *err)
{
    size_t n = 0, n_pk = 0;
    int rc = count_of(db, SQL_COUNT_COLS, t->name, &n, &n_pk, err);
    if (rc != SP_OK)
        return rc;
    struct model_column *cols = arena_alloc(a, (n ? n : 1) * sizeof *cols);
    sqlite3_stmt *st;
    if (!cols || (rc = prep(db, SQL_COLS, t->name, &st, err)) != SP_OK)
        return cols ? rc : sp_error_set(err, SP_ENOMEM, "out of memory");
    size_t i = 0;
    int src;
    bool autoinc = has_autoincrement(create_sql);
    while (i < n && (src = sqlite3_step(st)) == SQLITE_ROW) {
        struct model_column *c = &cols[i++];
        c->name = col_text(a, st, 0);
        c->type = lower_dup(a, (const char *)sqlite3_column_text(st, 1));
        c->not_null = sqlite3_column_int(st, 2) != 0;
        c->def_sql = introspect_default(a, (const char *)sqlite3_column_text(st, 3), &c->def_kind);
        c->primary_key = n_pk == 1 && sqlite3_column_int(st, 4) > 0;
        c->autoincrement = c->primary_key && autoinc;
    }
    sqlite3_finalize(st);
    t->columns = cols;
    t->n_columns = i;
    if (n_pk > 1) {
        struct model_pk *pk = arena_alloc(a, sizeof *pk);
        const char **names = arena_alloc(a, n_pk * sizeof *names);
        if (!pk || !names || (rc = prep(db, SQL_PK_COLS, t->name, &st, err)) != SP_OK)
            return rc ? rc : sp_error_set(err, SP_ENOMEM, "out of memory");
        size_t k = 0;
        char *pkname = arena_strdup(a, t->name);
        while (k < n_pk && sqlite3_step(st) == SQLITE_ROW) {
            names[k] = col_text(a, st, 0);
            pkname = arena_printf(a, "%s_%s", pkname, names[k]);
            k++;
        }
        sqlite3_finalize(st);
        pk->name = arena_printf(a, "%s_pk", pkname);
        pk->columns = names;
        pk->n_columns = k;
        t->pks = pk;
        t->n_pks = 1;
    }
    return SP_OK;
}

static int read_indexes(struct db *db, struct arena *a, struct model_table *t, struct sp_error *err)
{
    size_t n = 0;
    int rc = count_of(db, SQL_COUNT_IDX, t->name, &n, NULL, err);
    if (rc != SP_OK || n == 0)
        return rc;
    struct model_index *idx = arena_alloc(a, n * sizeof *idx);
    sqlite3_stmt *st, *cs;
    if (!idx)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    if ((rc = prep(db, SQL_IDX, t->name, &st, err)) != SP_OK)
        return rc;
    size_t i = 0;
    while (rc == SP_OK && i < n && sqlite3_step(st) == SQLITE_ROW) {
        struct model_index *x = &idx[i++];
        x->name = col_text(a, st, 0);
        const char *sql = col_text(a, st, 1);
        x->unique = sqlite3_column_int(st, 2) != 0;
        x->where = introspect_index_where(a, sql);
        size_t nc = 0;
        if ((rc = count_of(db, "SELECT count(*) FROM pragma_index_info(?1)", x->name, &nc, NULL,
                           err)) != SP_OK)
            break;
        const char **names = arena_alloc(a, (nc ? nc : 1) * sizeof *names);
        bool *expr = arena_alloc(a, (nc ? nc : 1) * sizeof *expr);
        bool any_expr = false;
        if ((rc = prep(db, SQL_IDX_COLS, x->name, &cs, err)) != SP_OK)
            break;
        size_t k = 0;
        while (k < nc && sqlite3_step(cs) == SQLITE_ROW) {
            if (sqlite3_column_int(cs, 0) == -2 || sqlite3_column_type(cs, 1) == SQLITE_NULL) {
                names[k] = introspect_index_entry(a, sql, k, &expr[k]);
                expr[k] = true;
                any_expr = true;
            } else {
                names[k] = col_text(a, cs, 1);
            }
            k++;
        }
        sqlite3_finalize(cs);
        x->columns = names;
        x->n_columns = k;
        x->is_expr = any_expr ? expr : NULL;
    }
    sqlite3_finalize(st);
    t->indexes = idx;
    t->n_indexes = i;
    return rc;
}

static const char *parent_pk(struct db *db, struct arena *a, const char *table, size_t nth)
{
    sqlite3_stmt *st;
    if (prep(db, SQL_PK_COLS, table, &st, NULL) != SP_OK)
        return NULL;
    const char *name = NULL;
    for (size_t i = 0; i <= nth && sqlite3_step(st) == SQLITE_ROW; i++)
        if (i == nth)
            name = col_text(a, st, 0);
    sqlite3_finalize(st);
    return name;
}

static int read_fks(struct db *db, struct arena *a, struct model_table *t, struct sp_error *err)
{
    size_t n = 0;
    int rc = count_of(db, SQL_COUNT_FK, t->name, &n, NULL, err);
    if (rc != SP_OK || n == 0)
        return rc;
    struct model_fk *fks = arena_alloc(a, n * sizeof *fks);
    sqlite3_stmt *st;
    if (!fks)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    if ((rc = prep(db, SQL_FK, t->name, &st, err)) != SP_OK)
        return rc;
    /* rows grouped by id; at most as many columns per fk as the table has columns */
    size_t cap = t->n_columns ? t->n_columns : 1, i = 0;
    long long cur = -1;
    struct model_fk *f = NULL;
    const char **from = NULL, **to = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        if (!f || id != cur) {
            if (i == n)
                break;
            f = &fks[i++];
            cur = id;
            from = arena_alloc(a, cap * sizeof *from);
            to = arena_alloc(a, cap * sizeof *to);
            f->table_from = t->name;
            f->table_to = col_text(a, st, 1);
            f->on_update = lower_dup(a, (const char *)sqlite3_column_text(st, 4));
            f->on_delete = lower_dup(a, (const char *)sqlite3_column_text(st, 5));
            f->columns_from = from;
            f->columns_to = to;
        }
        if (f->n_from >= cap)
            continue;
        from[f->n_from] = col_text(a, st, 2);
        to[f->n_to] = sqlite3_column_type(st, 3) == SQLITE_NULL
                          ? parent_pk(db, a, f->table_to, f->n_to)
                          : col_text(a, st, 3);
        if (!to[f->n_to])
            to[f->n_to] = "";
        f->n_from++;
        f->n_to++;
    }
    sqlite3_finalize(st);
    for (size_t k = 0; k < i; k++) {
        struct model_fk *x = &fks[k];
        char *name = arena_strdup(a, x->table_from);
        for (size_t c = 0; c < x->n_from; c++)
            name = arena_printf(a, "%s_%s", name, x->columns_from[c]);
        name = arena_printf(a, "%s_%s", name, x->table_to);
        for (size_t c = 0; c < x->n_to; c++)
            name = arena_printf(a, "%s_%s", name, x->columns_to[c]);
        x->name = arena_printf(a, "%s_fk", name);
    }
    t->fks = fks;
    t->n_fks = i;
    return SP_OK;
}

/* Named CHECK constraints as drizzle writes them: CONSTRAINT "name" CHECK(<expr>). */
static void read_checks(struct arena *a, struct model_table *t, const char *sql)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct model_check *out = pass ? (struct model_check *)t->checks : NULL;
        size_t k = 0;
        for (const char *p = sql; p && *p;) {
            if (is_quote(*p)) {
                p = skip_quoted(p);
                continue;
            }
            if (strncasecmp(p, "CONSTRAINT", 10) != 0) {
                p++;
                continue;
            }
            const char *q = p + 10;
            while (isspace((unsigned char)*q))
                q++;
            const char *name = q, *name_end = is_quote(*q) ? skip_quoted(q) : q;
            while (!is_quote(*name) && *name_end && !isspace((unsigned char)*name_end))
                name_end++;
            q = name_end;
            while (isspace((unsigned char)*q))
                q++;
            if (strncasecmp(q, "CHECK", 5) == 0) {
                q += 5;
                while (isspace((unsigned char)*q))
                    q++;
                const char *close = *q == '(' ? matching_paren(q) : NULL;
                if (close) {
                    if (out) {
                        bool quoted = is_quote(*name);
                        out[k].name =
                            arena_strndup(a, name + quoted, (size_t)(name_end - name) - 2 * quoted);
                        out[k].value = trim_copy(a, q + 1, close);
                    }
                    k++;
                    p = close;
                    continue;
                }
            }
            p = q;
        }
        if (!pass) {
            n = k;
            if (!n)
                return;
            t->checks = arena_alloc(a, n * sizeof(struct model_check));
            if (!t->checks)
                return;
        } else {
            t->n_checks = k;
        }
    }
}

int introspect_schema(struct db *db, struct model_schema *out, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    struct arena *a = calloc(1, sizeof *a);
    if (!a)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    out->arena = a;
    size_t n = 0;
    int rc = count_of(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", NULL, &n, NULL,
                      err);
    struct model_table *tables = rc == SP_OK ? arena_alloc(a, (n ? n : 1) * sizeof *tables) : NULL;
    sqlite3_stmt *st = NULL;
    if (rc == SP_OK && !tables)
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    if (rc == SP_OK)
        rc = prep(db, SQL_TABLES, NULL, &st, err);
    size_t i = 0;
    int src = SQLITE_DONE;
    while (rc == SP_OK && i < n && (src = sqlite3_step(st)) == SQLITE_ROW) {
        struct model_table *t = &tables[i++];
        t->name = col_text(a, st, 0);
        const char *sql = col_text(a, st, 1);
        rc = read_columns(db, a, t, sql, err);
        if (rc == SP_OK)
            rc = read_indexes(db, a, t, err);
        if (rc == SP_OK)
            rc = read_fks(db, a, t, err);
        if (rc == SP_OK)
            read_checks(a, t, sql);
    }
    if (rc == SP_OK && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = db_error(db, src, err, "reading sqlite_master");
    sqlite3_finalize(st);
    if (rc != SP_OK) {
        model_schema_free(out);
        return rc;
    }
    out->tables = tables;
    out->n_tables = i;
    return SP_OK;
}
