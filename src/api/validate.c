/* api/validate.c: schema-driven validation of request bodies (see validate.h).
 * Thread model: stateless.
 */
#include "api/validate.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonw.h"

static int column_of(const struct model_table *t, const char *key)
{
    assert(t->n_columns <= STORE_MAX_COLS); /* storage/store.c asserts it for the schema */
    for (size_t k = 0; k < t->n_columns; k++)
        if (t->columns[k].json_key && strcmp(t->columns[k].json_key, key) == 0)
            return (int)k;
    return -1;
}

static int set_text(struct store_value *out, struct arena *a, const char *s, size_t n)
{
    char *p = arena_strndup(a, s, n);
    if (!p)
        return SP_ENOMEM;
    *out = (struct store_value){ .kind = STORE_V_TEXT, .text = p, .len = n };
    return SP_OK;
}

/* The schema default of c as a value ('text' literal, number or boolean). */
static int set_default(struct store_value *out, const struct model_column *c, struct arena *a)
{
    const char *d = c->def_sql;
    switch (c->def_kind) {
    case MODEL_DEF_SQL: {
        size_t n = strlen(d);
        if (n >= 2 && d[0] == '\'' && d[n - 1] == '\'')
            return set_text(out, a, d + 1, n - 2);
        break; /* an SQL expression: leave it to SQLite */
    }
    case MODEL_DEF_NUMBER: {
        double x = strtod(d, NULL);
        if (x == floor(x) && fabs(x) < 9007199254740992.0)
            *out = (struct store_value){ .kind = STORE_V_INT, .i = (int64_t)x };
        else
            *out = (struct store_value){ .kind = STORE_V_REAL, .d = x };
        return SP_OK;
    }
    case MODEL_DEF_BOOL:
        *out = (struct store_value){ .kind = STORE_V_INT, .i = strcmp(d, "true") == 0 };
        return SP_OK;
    default: break;
    }
    *out = (struct store_value){ .kind = STORE_V_ABSENT };
    return SP_OK;
}

static int enum_error(const char *key, const char *const *values, struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    for (size_t i = 0; values[i]; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", values[i]);
    sp_error_set(err, SP_EINVAL, "%s must be one of: %s", key, buf_cstr(&b));
    buf_release(&b);
    return SP_EINVAL;
}

/* A present, non-coerced JSON value -> the column's value. */
static int convert(const json_t *v, const char *key, const struct model_column *c, struct arena *a,
                   struct store_value *out, struct sp_error *err)
{
    if (c->json_kind == MODEL_JSON_TEXT) {
        struct buf b = BUF_INIT(API_MAX_BODY * 2);
        int rc = jsonw_dump(&b, v, 0);
        if (rc == SP_OK)
            rc = set_text(out, a, b.data ? b.data : "", b.len);
        buf_release(&b);
        return rc == SP_OK ? SP_OK : sp_error_set(err, rc, "%s could not be serialised", key);
    }
    if (c->json_kind == MODEL_JSON_BOOL) {
        if (json_is_boolean(v)) {
            *out = (struct store_value){ .kind = STORE_V_INT, .i = json_is_true(v) };
            return SP_OK;
        }
        if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
            *out = (struct store_value){ .kind = STORE_V_INT, .i = json_integer_value(v) };
            return SP_OK;
        }
        return sp_error_set(err, SP_EINVAL, "%s must be a boolean", key);
    }
    if (strcmp(c->type, "real") == 0) {
        if (!json_is_number(v))
            return sp_error_set(err, SP_EINVAL, "%s must be a number", key);
        *out = (struct store_value){ .kind = STORE_V_REAL, .d = json_number_value(v) };
        return SP_OK;
    }
    if (strcmp(c->type, "integer") == 0) {
        if (json_is_integer(v)) {
            *out = (struct store_value){ .kind = STORE_V_INT, .i = json_integer_value(v) };
            return SP_OK;
        }
        double x = json_is_real(v) ? json_real_value(v) : 0.5;
        if (x != floor(x) || fabs(x) >= 9007199254740992.0)
            return sp_error_set(err, SP_EINVAL, "%s must be an integer", key);
        *out = (struct store_value){ .kind = STORE_V_INT, .i = (int64_t)x };
        return SP_OK;
    }
    /* text */
    if (!json_is_string(v))
        return sp_error_set(err, SP_EINVAL, "%s must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (c->enum_values) {
        bool ok = false;
        for (size_t i = 0; c->enum_values[i] && !ok; i++)
            ok = strlen(c->enum_values[i]) == n && memcmp(c->enum_values[i], s, n) == 0;
        if (!ok)
            return enum_error(key, c->enum_values, err);
    }
    return set_text(out, a, s, n) == SP_OK ? SP_OK : sp_error_set(err, SP_ENOMEM, "out of memory");
}

int validate_fields(const json_t *body, const struct model_table *t, const struct val_field *fields,
                    size_t n, const char *required_msg, struct arena *a, struct store_row *row,
                    struct sp_error *err)
{
    /* the original checks its required fields before anything else */
    for (size_t f = 0; f < n; f++)
        if ((fields[f].flags & VAL_REQUIRED) && !jsonw_truthy(json_object_get(body, fields[f].key)))
            return sp_error_set(err, SP_EINVAL, "%s", required_msg);
    for (size_t f = 0; f < n; f++) {
        const char *key = fields[f].key;
        unsigned fl = fields[f].flags;
        int k = column_of(t, key);
        if (k < 0) { /* a route lists a field its table does not have: a bug, not bad input */
            assert(!"val_field key is not a json_key of the table");
            return sp_error_set(err, SP_EINTERNAL, "%s has no column for %s", t->name, key);
        }
        const struct model_column *c = &t->columns[k];
        struct store_value *out = &row->v[k];
        const json_t *v = json_object_get(body, key);
        if ((fl & VAL_FALSY_DEFAULT) && !jsonw_truthy(v)) {
            int rc = set_default(out, c, a);
            if (rc != SP_OK)
                return sp_error_set(err, rc, "out of memory");
            continue;
        }
        if (!v) {
            *out = (struct store_value){ .kind = (fl & VAL_PATCH) ? STORE_V_ABSENT : STORE_V_NULL };
            continue;
        }
        if (((fl & VAL_FALSY_NULL) && !jsonw_truthy(v)) ||
            ((fl & VAL_NULLISH_NULL) && json_is_null(v))) {
            *out = (struct store_value){ .kind = STORE_V_NULL };
            continue;
        }
        if (json_is_null(v)) {
            if (c->not_null)
                return sp_error_set(err, SP_EINVAL, "%s must not be null", key);
            *out = (struct store_value){ .kind = STORE_V_NULL };
            continue;
        }
        int rc = convert(v, key, c, a, out, err);
        if (rc != SP_OK)
            return rc;
    }
    return SP_OK;
}

int validate_request(struct api_req *req, struct api_resp *resp, const struct model_table *t,
                     const struct val_field *fields, size_t n, const char *required_msg,
                     struct store_row *row)
{
    json_t *body = NULL;
    int rc = api_body_object(req, resp, &body);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = validate_fields(body, t, fields, n, required_msg, req->arena, row, &err);
    json_decref(body);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    return SP_OK;
}
