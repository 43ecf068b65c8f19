/* api/branches.c: the branch routes (spec/api.md §4; decisions in docs/API.md).
 * Parse and validate, call storage/store_branches, reply. Deleting a branch also removes the
 * stored bytes of its documents, after the database commit (a failure there is logged only).
 * Thread model: HTTP worker threads; the thread's own connection.
 */
#include <stdio.h>

#include "api/handlers.h"
#include "objects/objstore.h"
#include "storage/store_branches.h"

static const struct val_field CREATE_FIELDS[] = {
    { "title", VAL_REQUIRED },
    { "userId", VAL_REQUIRED },
};
static const struct val_field PATCH_FIELDS[] = {
    { "title", VAL_PATCH },
};
static const struct api_body CREATE =
    API_BODY(SCHEMA_BRANCHES, CREATE_FIELDS, "title and userId are required");
static const struct api_body PATCH = API_BODY(SCHEMA_BRANCHES, PATCH_FIELDS, NULL);

int api_branches_list(struct api_req *req, struct api_resp *resp)
{
    const char *user = api_required_query(req, resp, "userId", "userId query param required");
    if (!user)
        return SP_EINVAL;
    API_STORE(req, resp, 200, store_branches_list(db, user, &resp->body, &err));
}

int api_branches_get(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_branches_get(db, req->params[0], &resp->body, &err));
}

int api_branches_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &CREATE, NULL, store_branches_create);
}

int api_branches_patch(struct api_req *req, struct api_resp *resp)
{
    return api_patch(req, resp, &PATCH, store_branches_patch);
}

int api_branches_delete(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    const char **keys = NULL;
    size_t n_keys = 0;
    rc = store_branches_delete(db, req->params[0], req->arena, &keys, &n_keys, &err);
    if (rc != SP_OK)
        return api_finish(resp, rc, &err, 204);
    for (size_t i = 0; i < n_keys; i++) {
        struct sp_error oerr = { 0 };
        if (req->ctx->store && objstore_delete(req->ctx->store, keys[i], &oerr) != SP_OK)
            fprintf(stderr,
                    "warning: branch %s deleted, but its document %s was not removed "
                    "from storage: %s\n",
                    req->params[0], keys[i], sp_error_text(&oerr, oerr.code));
    }
    buf_reset(&resp->body);
    return api_reply(resp, 204);
}
