/* api/contents.c: node contents and the generation log (spec/api.md §6; docs/API.md).
 * Parse and validate, call storage/store_contents, reply. Thread model: HTTP worker threads.
 */
#include "api/handlers.h"
#include "api/validate.h"
#include "db/schema.h"
#include "storage/store_contents.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

typedef int (*list_fn)(struct db *, const char *, struct buf *, struct sp_error *);

static int by_node(struct api_req *req, struct api_resp *resp, list_fn fn)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = fn(db, req->params[0], &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_contents_list(struct api_req *req, struct api_resp *resp)
{
    return by_node(req, resp, store_contents_list);
}

int api_contents_active(struct api_req *req, struct api_resp *resp)
{
    return by_node(req, resp, store_contents_active);
}

int api_contents_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_NODE_CONTENTS), CONTENT_FIELDS,
                           COUNT(CONTENT_FIELDS), "explanationMd is required", "node_id",
                           store_contents_create);
}

int api_generations_list(struct api_req *req, struct api_resp *resp)
{
    return by_node(req, resp, store_generations_list);
}

int api_generations_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_NODE_GENERATIONS), GENERATION_FIELDS,
                           COUNT(GENERATION_FIELDS), "trigger is required", "node_id",
                           store_generations_create);
}
