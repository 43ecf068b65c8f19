/* api/nodes.c: the node routes (spec/api.md §5; decisions in docs/API.md).
 * Parse and validate, call storage/store_nodes, reply. The LLM routes on this prefix are in
 * api/agents.c. Thread model: HTTP worker threads; the thread's own connection.
 */
#include "api/handlers.h"
#include "storage/store_nodes.h"

static const struct val_field CREATE_FIELDS[] = {
    { "userId", VAL_REQUIRED },     { "type", VAL_REQUIRED },       { "title", VAL_REQUIRED },
    { "branchId", VAL_FALSY_NULL }, { "parentId", VAL_FALSY_NULL }, { "desc", VAL_FALSY_NULL },
};
static const struct val_field PATCH_FIELDS[] = {
    { "title", VAL_PATCH },
    { "desc", VAL_PATCH },
    { "accuracyScore", VAL_PATCH },
};
static const struct api_body CREATE =
    API_BODY(SCHEMA_NODES, CREATE_FIELDS, "userId, type, and title are required");
static const struct api_body PATCH = API_BODY(SCHEMA_NODES, PATCH_FIELDS, NULL);

int api_nodes_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_nodes_list(db, api_filter(req, "userId"), api_filter(req, "type"),
                               api_filter(req, "branchId"), api_filter(req, "parentId"),
                               &resp->body, &err));
}

int api_nodes_get(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_nodes_get(db, req->params[0], &resp->body, &err));
}

int api_nodes_children(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_nodes_children(db, req->params[0], &resp->body, &err));
}

int api_nodes_edges(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_nodes_edges(db, req->params[0], api_filter(req, "childType"), &resp->body,
                                &err));
}

int api_nodes_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &CREATE, NULL, store_nodes_create);
}

int api_nodes_patch(struct api_req *req, struct api_resp *resp)
{
    return api_patch(req, resp, &PATCH, store_nodes_patch);
}

int api_nodes_delete(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 204, store_nodes_delete(db, req->params[0], &err));
}
