/* api/validate.h: request bodies -> validated column values, driven by the schema.
 *
 * A route lists the body fields it reads (struct val_field: the JSON key, which is a column's
 * json_key in db/schema.c, plus the original's coercion rule for that field, spec/api.md §1.8).
 * The column decides the JSON types accepted: text -> string (checked against enum_values when
 * the schema lists them); real -> number; integer -> integral number; boolean-mode -> true,
 * false, 0 or 1; JSON-in-text -> any JSON value, serialised exactly as JSON.stringify would.
 * Required fields keep the original's truthiness rule and its exact message; every other
 * problem is a 400 naming the field and what it must be. Unknown fields are ignored.
 * Ownership: text values are copied into the request arena (the JSON body can be released).
 * Thread model: stateless.
 */
#ifndef SP_API_VALIDATE_H
#define SP_API_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "api/api.h"
#include "db/model.h"
#include "storage/store.h"
#include "util/arena.h"
#include "util/err.h"

enum val_flag {
    VAL_REQUIRED = 1u << 0,      /* must be truthy, else the route's required message */
    VAL_FALSY_NULL = 1u << 1,    /* missing, null, "", 0, false -> NULL */
    VAL_NULLISH_NULL = 1u << 2,  /* missing, null -> NULL; 0, false, "" kept */
    VAL_FALSY_DEFAULT = 1u << 3, /* falsy -> the column's schema default */
    VAL_PATCH = 1u << 4,         /* written only when the key is present; null only if nullable */
};

struct val_field {
    const char *key;
    unsigned flags;
};

/* Fill row->v[column] for every field. SP_EINVAL with err's message on bad input. */
int validate_fields(const json_t *body, const struct model_table *t, const struct val_field *fields,
                    size_t n, const char *required_msg, struct arena *a, struct store_row *row,
                    struct sp_error *err);

/* Parse the request's JSON body (api_body_object) and validate it; on failure resp is
 * filled (400) and the code returned. */
int validate_request(struct api_req *req, struct api_resp *resp, const struct model_table *t,
                     const struct val_field *fields, size_t n, const char *required_msg,
                     struct store_row *row);

#endif
