/* api/progress.c: a user's progress on nodes (spec/api.md §9; docs/API.md).
 * Parse and validate, call storage/store_progress, reply (a visit: 201 created, 200 updated).
 * Thread model: HTTP worker threads; the thread's own connection.
 */
#include <stdbool.h>

#include "api/handlers.h"
#include "storage/store_progress.h"

static const struct val_field VISIT_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "nodeId", VAL_REQUIRED },
};
static const struct val_field PATCH_FIELDS[] = {
    { "masteryScore", VAL_PATCH },
    { "completedAt", VAL_PATCH },
    { "hasGeneratedSubnodes", VAL_PATCH },
};
static const struct api_body PATCH = API_BODY(SCHEMA_USER_NODE_PROGRESS, PATCH_FIELDS, NULL);

int api_progress_list(struct api_req *req, struct api_resp *resp)
{
    const char *user = api_required_query(req, resp, "userId", "userId query param required");
    if (!user)
        return SP_EINVAL;
    API_STORE(req, resp, 200,
              store_progress_list(db, user, api_filter(req, "nodeId"), &resp->body, &err));
}

int api_progress_create(struct api_req *req, struct api_resp *resp)
{
    struct store_row row = { 0 };
    int rc = validate_request(req, resp, schema_table(SCHEMA_USER_NODE_PROGRESS), VISIT_FIELDS,
                              SP_COUNT(VISIT_FIELDS), "userId and nodeId are required", &row);
    if (rc != SP_OK)
        return rc;
    bool created = false; /* a first visit creates the row: 201, later ones 200 */
    API_STORE(req, resp, created ? 201 : 200,
              store_progress_visit(db, &row, &created, &resp->body, &err));
}

int api_progress_patch(struct api_req *req, struct api_resp *resp)
{
    return api_patch(req, resp, &PATCH, store_progress_patch);
}
