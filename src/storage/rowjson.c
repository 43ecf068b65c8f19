/* storage/rowjson.c: result rows -> the client's JSON objects, driven by the schema (rowjson.h).
 *
 * No per-table code: a column's json_key and json_kind (db/model.h) decide everything.
 * INTEGER/REAL -> JavaScript numbers through util/jsonw (better-sqlite3 hands JavaScript
 * doubles to JSON.stringify, so integers print as doubles would: 75, not 75.0); TEXT -> string
 * (JSON-in-text columns too: never parsed, as the original); NULL -> null; boolean-mode
 * columns -> drizzle's Number(v) === 1; BLOB -> what JSON.stringify prints for a Node Buffer.
 * Result columns are matched to schema columns by name once per call (rowjson.h).
 * Values are read through db/dbi.h, so rows from either database print the same.
 * Ownership: appends to the caller's buffer; the statement stays the caller's.
 * Thread model: stateless.
 */
#include "storage/rowjson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/jsonw.h"

#define RJ_TRY(expr)      \
    do {                  \
        int rc_ = (expr); \
        if (rc_ != SP_OK) \
            return rc_;   \
    } while (0)

/* drizzle's boolean mode: Number(value) === 1. */
static bool is_true(const struct dbi_value *v)
{
    switch (v->type) {
    case DBI_INTEGER: return v->i == 1;
    case DBI_FLOAT: return v->d == 1.0;
    case DBI_TEXT: {
        const char *s = v->p;
        if (!s)
            return false;
        char *end = NULL;
        double d = strtod(s, &end);
        if (end == s)
            return false;
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
            end++;
        return *end == '\0' && d == 1.0;
    }
    default: return false;
    }
}

static int put_blob(struct buf *out, const struct dbi_value *v)
{
    const unsigned char *p = v->p;
    RJ_TRY(buf_puts(out, "{\"type\":\"Buffer\",\"data\":["));
    for (size_t k = 0; k < v->n; k++)
        RJ_TRY(buf_printf(out, k ? ",%u" : "%u", (unsigned)p[k]));
    return buf_puts(out, "]}");
}

/* Integers below 2^53 print the same as JavaScript's String(x); others go through jsonw. */
static int put_int(struct buf *out, int64_t x)
{
    if (x > 9007199254740991LL || x < -9007199254740991LL)
        return jsonw_number(out, (double)x);
    char tmp[24];
    size_t n = 0;
    uint64_t u = x < 0 ? (uint64_t)(-x) : (uint64_t)x;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        tmp[n++] = '-';
    RJ_TRY(buf_reserve(out, n));
    for (size_t k = 0; k < n; k++)
        out->data[out->len + k] = tmp[n - 1 - k];
    out->len += n;
    out->data[out->len] = '\0';
    return SP_OK;
}

static int put_double(struct buf *out, double d)
{
    if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d)
        return put_int(out, (int64_t)d); /* -0 prints "0", as String(-0) */
    return jsonw_number(out, d);
}

/* Each column is read once (dbi_column_read): one backend call per value. */
static int put_value(struct buf *out, struct dbi_stmt *st, int i, const struct model_column *c)
{
    struct dbi_value v;
    dbi_column_read(st, i, &v);
    if (v.type == DBI_NULL)
        return buf_puts(out, "null");
    if (c->json_kind == MODEL_JSON_BOOL)
        return buf_puts(out, is_true(&v) ? "true" : "false");
    switch (v.type) {
    case DBI_INTEGER: return put_int(out, v.i);
    case DBI_FLOAT: return put_double(out, v.d);
    case DBI_TEXT: return jsonw_string(out, v.p ? v.p : "", v.p ? v.n : 0);
    default: return put_blob(out, &v);
    }
}

/* What result column k prints: its schema column (NULL: none, the result name is the key) and
 * the key with its length (measured once per call, not per row). */
struct colmap {
    int n;
    const struct model_column *col[ROWJSON_MAX_COLS];
    const char *key[ROWJSON_MAX_COLS];
    size_t key_len[ROWJSON_MAX_COLS];
};

/* ,"key": (keys are schema identifiers: never escaped). */
static int put_key(struct buf *out, const char *key, size_t n, bool first)
{
    RJ_TRY(buf_reserve(out, n + 4));
    char *d = out->data + out->len;
    size_t k = 0;
    if (!first)
        d[k++] = ',';
    d[k++] = '"';
    memcpy(d + k, key, n);
    k += n;
    d[k++] = '"';
    d[k++] = ':';
    out->len += k;
    out->data[out->len] = '\0';
    return SP_OK;
}

static int map_columns(struct colmap *m, struct dbi_stmt *st, const struct model_table *t)
{
    m->n = dbi_column_count(st);
    if (m->n > ROWJSON_MAX_COLS)
        return SP_ETOOBIG;
    for (int k = 0; k < m->n; k++) {
        const char *name = dbi_column_name(st, k);
        if (!name)
            return SP_ENOMEM;
        if (strncmp(name, ROWJSON_EXTRA_PREFIX, sizeof ROWJSON_EXTRA_PREFIX - 1) == 0) {
            m->n = k; /* this one and the rest are not the row's */
            break;
        }
        const struct model_column *c = NULL;
        if ((size_t)k < t->n_columns && strcmp(t->columns[k].name, name) == 0)
            c = &t->columns[k]; /* the usual case: all columns in schema order */
        else
            c = model_column_find(t, name);
        m->col[k] = c;
        m->key[k] = c && c->json_key ? c->json_key : name;
        m->key_len[k] = strlen(m->key[k]);
    }
    return SP_OK;
}

static int put_row(struct buf *out, struct dbi_stmt *st, const struct colmap *m)
{
    static const struct model_column plain = { .name = "", .json_kind = MODEL_JSON_AUTO };
    RJ_TRY(buf_putc(out, '{'));
    for (int k = 0; k < m->n; k++) {
        RJ_TRY(put_key(out, m->key[k], m->key_len[k], k == 0));
        RJ_TRY(put_value(out, st, k, m->col[k] ? m->col[k] : &plain));
    }
    return buf_putc(out, '}');
}

int rowjson_object(struct buf *out, struct dbi_stmt *st, const struct model_table *t)
{
    struct colmap m;
    RJ_TRY(map_columns(&m, st, t));
    return put_row(out, st, &m);
}

int rowjson_array(struct buf *out, struct dbi_stmt *st, const struct model_table *t, size_t *n_rows,
                  int *step_rc)
{
    struct colmap m;
    RJ_TRY(map_columns(&m, st, t));
    size_t rows = 0;
    int rc;
    RJ_TRY(buf_reserve(out, 16384)); /* most lists: no regrowth */
    RJ_TRY(buf_putc(out, '['));
    while ((rc = dbi_step(st)) == DBI_ROW) {
        if (rows++)
            RJ_TRY(buf_putc(out, ','));
        RJ_TRY(put_row(out, st, &m));
    }
    if (n_rows)
        *n_rows = rows;
    if (rc != DBI_DONE) {
        if (step_rc)
            *step_rc = rc;
        return SP_EDB;
    }
    return buf_putc(out, ']');
}
