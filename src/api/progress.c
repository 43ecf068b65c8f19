/* api/progress.c: a user's progress on nodes (spec/api.md §9; docs/API.md).
 * Parse and validate, call storage/store_progress, reply (a visit: 201 created, 200 updated).
 * Thread model: HTTP worker threads; the thread's own connection.
 */
#include <stdbool.h>

#include "api/handlers.h"
#include "api/validate.h"
#include "db/schema.h"
#include "storage/store_progress.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct val_field VISIT_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "nodeId", VAL_REQUIRED },
};
static const struct val_field PATCH_FIELDS[] = {
    { "masteryScore", VAL_PATCH },
    { "completedAt", VAL_PATCH },
    { "hasGeneratedSubnodes", VAL_PATCH },
};

int api_progress_list(struct api_req *req, struct api_resp *resp)
{
    const char *user = validate_filter(req, "userId");
    if (!user)
        return api_fail(resp, SP_EINVAL, "userId query param required");
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_progress_list(db, user, validate_filter(req, "nodeId"), &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_progress_create(struct api_req *req, struct api_resp *resp)
{
    struct store_row row = { 0 };
    int rc = validate_request(req, resp, schema_table(SCHEMA_USER_NODE_PROGRESS), VISIT_FIELDS,
                              COUNT(VISIT_FIELDS), "userId and nodeId are required", &row);
    if (rc != SP_OK)
        return rc;
    struct db *db;
    if ((rc = api_db(req, resp, &db)) != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    bool created = false;
    rc = store_progress_visit(db, &row, &created, &resp->body, &err);
    return validate_reply(resp, rc, &err, created ? 201 : 200);
}

int api_progress_patch(struct api_req *req, struct api_resp *resp)
{
    return validate_patch(req, resp, schema_table(SCHEMA_USER_NODE_PROGRESS), PATCH_FIELDS,
                          COUNT(PATCH_FIELDS), store_progress_patch);
}
