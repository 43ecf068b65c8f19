/* storage/rowjson.c: result rows -> the client's JSON objects, driven by the schema (rowjson.h).
 *
 * No per-table code: a column's json_key and json_kind (db/model.h) decide everything.
 * INTEGER/REAL -> JavaScript numbers through util/jsonw (better-sqlite3 hands JavaScript
 * doubles to JSON.stringify, so integers print as doubles would: 75, not 75.0); TEXT -> string
 * (JSON-in-text columns too: never parsed, as the original); NULL -> null; boolean-mode
 * columns -> drizzle's Number(v) === 1; BLOB -> what JSON.stringify prints for a Node Buffer.
 * In debug builds every result column name is checked against the schema column it is
 * mapped to, so a SELECT list that drifts from schema order fails the tests loudly.
 * Ownership: appends to the caller's buffer; the statement stays the caller's.
 * Thread model: stateless except the select-list cache, built once under pthread_once.
 */
#include "storage/rowjson.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/schema.h"
#include "util/err.h"
#include "util/jsonw.h"

#define RJ_TRY(expr) do { int rc_ = (expr); if (rc_ != SP_OK) return rc_; } while (0)

/* drizzle's boolean mode: Number(value) === 1. */
static bool is_true(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return sqlite3_column_int64(st, i) == 1;
    case SQLITE_FLOAT: return sqlite3_column_double(st, i) == 1.0;
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_column_text(st, i);
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

static int put_blob(struct buf *out, sqlite3_stmt *st, int i)
{
    const unsigned char *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    RJ_TRY(buf_puts(out, "{\"type\":\"Buffer\",\"data\":["));
    for (int k = 0; k < n; k++)
        RJ_TRY(buf_printf(out, k ? ",%u" : "%u", (unsigned)p[k]));
    return buf_puts(out, "]}");
}

/* Bytes JSON.stringify escapes: control characters, '"' and '\\'. */
static bool needs_escape(const unsigned char *p, size_t n)
{
    /* eight bytes at a time: a byte < 0x20, == '"' or == '\\' sets its high bit in m */
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t m = ((x - ones * 0x20) | (q - ones) | (b - ones)) & ~x & highs;
        if (m)
            return true;
    }
    for (; i < n; i++)
        if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
            return true;
    return false;
}

/* Fast path for the common case (nothing to escape): one reserve, one copy. */
static int put_string(struct buf *out, const char *s, size_t n)
{
    if (needs_escape((const unsigned char *)s, n))
        return jsonw_string(out, s, n);
    RJ_TRY(buf_reserve(out, n + 2));
    char *d = out->data + out->len;
    d[0] = '"';
    memcpy(d + 1, s, n);
    d[n + 1] = '"';
    out->len += n + 2;
    out->data[out->len] = '\0';
    return SP_OK;
}

/* ,"key": (keys are schema identifiers: never escaped). */
static int put_key(struct buf *out, const char *key, bool first)
{
    size_t n = strlen(key);
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

static int put_value(struct buf *out, sqlite3_stmt *st, int i, const struct model_column *c)
{
    int type = sqlite3_column_type(st, i);
    if (type == SQLITE_NULL)
        return buf_puts(out, "null");
    if (c->json_kind == MODEL_JSON_BOOL)
        return buf_puts(out, is_true(st, i) ? "true" : "false");
    switch (type) {
    case SQLITE_INTEGER: return jsonw_number(out, (double)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return jsonw_number(out, sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_column_text(st, i);
        return put_string(out, s ? s : "", (size_t)sqlite3_column_bytes(st, i));
    }
    default: return put_blob(out, st, i);
    }
}

int rowjson_object(struct buf *out, sqlite3_stmt *st, const struct model_table *t,
                   const int *cols, size_t n_cols)
{
    size_t n = cols ? n_cols : t->n_columns;
    assert((int)n <= sqlite3_column_count(st));
    RJ_TRY(buf_putc(out, '{'));
    for (size_t k = 0; k < n; k++) {
        const struct model_column *c = &t->columns[cols ? (size_t)cols[k] : k];
        assert(strcmp(sqlite3_column_name(st, (int)k), c->name) == 0);
        RJ_TRY(put_key(out, c->json_key ? c->json_key : c->name, k == 0));
        RJ_TRY(put_value(out, st, (int)k, c));
    }
    return buf_putc(out, '}');
}

int rowjson_array(struct buf *out, sqlite3_stmt *st, const struct model_table *t,
                  const int *cols, size_t n_cols, size_t *n_rows)
{
    size_t rows = 0;
    int rc;
    RJ_TRY(buf_putc(out, '['));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rows++)
            RJ_TRY(buf_putc(out, ','));
        RJ_TRY(rowjson_object(out, st, t, cols, n_cols));
    }
    if (n_rows)
        *n_rows = rows;
    if (rc != SQLITE_DONE)
        return SP_EDB;
    return buf_putc(out, ']');
}

/* ---- select lists, built once for every table of the compiled-in schema ---- */
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;
static char *lists[SCHEMA_N_TABLES];

static void build_lists(void)
{
    for (size_t i = 0; i < SCHEMA_N_TABLES; i++) {
        const struct model_table *t = schema_table((enum schema_table_id)i);
        struct buf b = BUF_INIT(0);
        for (size_t k = 0; k < t->n_columns; k++)
            buf_printf(&b, "%s\"%s\"", k ? ", " : "", t->columns[k].name);
        lists[i] = buf_detach(&b);
    }
}

const char *rowjson_select_list(const struct model_table *t)
{
    pthread_once(&lists_once, build_lists);
    for (size_t i = 0; i < SCHEMA_N_TABLES; i++)
        if (schema_table((enum schema_table_id)i) == t)
            return lists[i];
    /* a table outside the compiled-in schema: built per call would leak; refuse */
    return "";
}
