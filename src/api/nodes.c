/* api/nodes.c: the node routes (spec/api.md §5; decisions in docs/API.md).
 * Parse and validate, call storage/store_nodes, reply. The LLM routes on this prefix are in
 * api/agents.c. Thread model: HTTP worker threads; the thread's own connection.
 */
#include "api/handlers.h"
#include "api/validate.h"
#include "db/schema.h"
#include "storage/store_nodes.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct val_field CREATE_FIELDS[] = {
    { "userId", VAL_REQUIRED },     { "type", VAL_REQUIRED },       { "title", VAL_REQUIRED },
    { "branchId", VAL_FALSY_NULL }, { "parentId", VAL_FALSY_NULL }, { "desc", VAL_FALSY_NULL },
};
static const struct val_field PATCH_FIELDS[] = {
    { "title", VAL_PATCH },
    { "desc", VAL_PATCH },
    { "accuracyScore", VAL_PATCH },
};

int api_nodes_list(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_nodes_list(db, validate_filter(req, "userId"), validate_filter(req, "type"),
                          validate_filter(req, "branchId"), validate_filter(req, "parentId"),
                          &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_nodes_get(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_nodes_get(db, req->params[0], &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_nodes_children(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_nodes_children(db, req->params[0], &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_nodes_edges(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc =
        store_nodes_edges(db, req->params[0], validate_filter(req, "childType"), &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_nodes_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_NODES), CREATE_FIELDS,
                           COUNT(CREATE_FIELDS), "userId, type, and title are required", NULL,
                           store_nodes_create);
}

int api_nodes_patch(struct api_req *req, struct api_resp *resp)
{
    return validate_patch(req, resp, schema_table(SCHEMA_NODES), PATCH_FIELDS, COUNT(PATCH_FIELDS),
                          store_nodes_patch);
}

int api_nodes_delete(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_nodes_delete(db, req->params[0], &err);
    return validate_reply(resp, rc, &err, 204);
}
