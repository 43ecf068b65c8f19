/* api/handler.c: the scaffolding the route handlers share (see api/handlers.h): the reply after
 * a storage call, and the whole of a create or a PATCH route.
 * Thread model: HTTP worker threads; stateless.
 */
#include "api/handlers.h"

#include <string.h>

#include "util/ids.h"

/* Set while api_create_prepare runs a handler: api_create then only validates. */
static _Thread_local struct store_row *prepare_row;
static _Thread_local char *prepare_id;

int api_finish(struct api_resp *resp, int rc, const struct sp_error *err, int status)
{
    if (rc == SP_OK)
        return api_reply(resp, status);
    return api_fail(resp, rc, "%s", sp_error_text(err, rc));
}

const char *api_filter(const struct api_req *req, const char *key)
{
    const char *v = api_query(req, key);
    return v && *v ? v : NULL;
}

const char *api_required_query(const struct api_req *req, struct api_resp *resp, const char *key,
                               const char *msg)
{
    const char *v = api_filter(req, key);
    if (!v)
        api_fail(resp, SP_EINVAL, "%s", msg);
    return v;
}

int api_create(struct api_req *req, struct api_resp *resp, const struct api_body *body,
               const char *path_col, api_create_fn fn)
{
    const struct model_table *t = schema_table(body->table);
    struct store_row row = { 0 };
    if (prepare_row) { /* api_create_prepare: validation only, no database */
        memset(prepare_row, 0, sizeof *prepare_row);
        int rc = validate_request(req, resp, t, body->fields, body->n_fields, body->required_msg,
                                  prepare_row);
        if (rc != SP_OK)
            return rc;
        if (path_col)
            store_row_set_text(t, prepare_row, path_col, req->params[0]);
        ids_uuid_v4(prepare_id); /* column 0 is every table's id (storage/store.c inserts) */
        prepare_row->v[0] =
            (struct store_value){ .kind = STORE_V_TEXT, .text = prepare_id, .len = IDS_UUID_LEN };
        return SP_OK;
    }
    if (req->prepared) {
        row = *req->prepared;
    } else {
        int rc =
            validate_request(req, resp, t, body->fields, body->n_fields, body->required_msg, &row);
        if (rc != SP_OK)
            return rc;
        if (path_col)
            store_row_set_text(t, &row, path_col, req->params[0]);
    }
    API_STORE(req, resp, 201, fn(db, &row, &resp->body, &err));
}

int api_create_prepare(api_handler_fn handler, struct api_req *req, struct api_resp *resp,
                       struct store_row *row, char id[IDS_UUID_SIZE])
{
    prepare_row = row;
    prepare_id = id;
    int rc = handler(req, resp);
    prepare_row = NULL;
    prepare_id = NULL;
    return rc;
}

int api_patch(struct api_req *req, struct api_resp *resp, const struct api_body *body,
              api_patch_fn fn)
{
    struct store_row row = { 0 };
    int rc = validate_request(req, resp, schema_table(body->table), body->fields, body->n_fields,
                              "", &row);
    if (rc != SP_OK)
        return rc;
    API_STORE(req, resp, 200, fn(db, req->params[0], &row, &resp->body, &err));
}
