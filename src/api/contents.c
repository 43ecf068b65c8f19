/* api/contents.c: node contents and the generation log (spec/api.md §6; docs/API.md).
 * Parse and validate, call storage/store_contents, reply. Thread model: HTTP worker threads.
 */
#include "api/handlers.h"
#include "storage/store_contents.h"

static const struct val_field CONTENT_FIELDS[] = {
    { "explanationMd", VAL_REQUIRED },          { "visualizationKind", VAL_FALSY_NULL },
    { "visualizationPayload", VAL_FALSY_NULL }, { "generatedByModel", VAL_FALSY_NULL },
    { "generationPromptHash", VAL_FALSY_NULL }, { "status", VAL_FALSY_DEFAULT },
};
static const struct val_field GENERATION_FIELDS[] = {
    { "trigger", VAL_REQUIRED },
    { "model", VAL_FALSY_NULL },
    { "prompt", VAL_FALSY_NULL },
    { "responseMeta", VAL_FALSY_NULL },
};

static const struct api_body CONTENT =
    API_BODY(SCHEMA_NODE_CONTENTS, CONTENT_FIELDS, "explanationMd is required");
static const struct api_body GENERATION =
    API_BODY(SCHEMA_NODE_GENERATIONS, GENERATION_FIELDS, "trigger is required");

int api_contents_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_contents_list(db, req->params[0], &resp->body, &err));
}

int api_contents_active(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_contents_active(db, req->params[0], &resp->body, &err));
}

int api_contents_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &CONTENT, "node_id", store_contents_create);
}

int api_generations_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_generations_list(db, req->params[0], &resp->body, &err));
}

int api_generations_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &GENERATION, "node_id", store_generations_create);
}
