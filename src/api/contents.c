/* api/contents.c: node contents and the generation log (spec/api.md §6; docs/API.md).
 * Parse and validate, call storage/store_contents, reply. Thread model: HTTP worker threads.
 */
#include "api/handlers.h"
#include "api/validate.h"
#include "db/schema.h"
#include "storage/store_contents.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct val_field CONTENT_FIELDS[] = {
    { "explanationMd", VAL_REQUIRED },
    { "visualizationKind", VAL_FALSY_NULL },
    { "visualizationPayload", VAL_FALSY_NULL },
    { "generatedByModel", VAL_FALSY_NULL },
    { "generationPromptHash", VAL_FALSY_NULL },
    { "status", VAL_FALSY_DEFAULT },
};
static const struct val_field GENERATION_FIELDS[] = {
    { "trigger", VAL_REQUIRED },
    { "model", VAL_FALSY_NULL },
    { "prompt", VAL_FALSY_NULL },
    { "responseMeta", VAL_FALSY_NULL },
};

typedef int (*list_fn)(struct db *, const char *, struct buf *, struct sp_error *);
typedef int (*create_fn)(struct db *, struct store_row *, struct buf *, struct sp_error *);

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

static int create(struct api_req *req, struct api_resp *resp, enum schema_table_id tid,
                  const struct val_field *fields, size_t n, const char *msg, create_fn fn)
{
    const struct model_table *t = schema_table(tid);
    struct store_row row = { 0 };
    int rc = validate_request(req, resp, t, fields, n, msg, &row);
    if (rc != SP_OK)
        return rc;
    validate_set_text(t, &row, "node_id", req->params[0]);
    struct db *db;
    if ((rc = api_db(req, resp, &db)) != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = fn(db, &row, &resp->body, &err);
    return validate_reply(resp, rc, &err, 201);
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
    return create(req, resp, SCHEMA_NODE_CONTENTS, CONTENT_FIELDS, COUNT(CONTENT_FIELDS),
                  "explanationMd is required", store_contents_create);
}

int api_generations_list(struct api_req *req, struct api_resp *resp)
{
    return by_node(req, resp, store_generations_list);
}

int api_generations_create(struct api_req *req, struct api_resp *resp)
{
    return create(req, resp, SCHEMA_NODE_GENERATIONS, GENERATION_FIELDS,
                  COUNT(GENERATION_FIELDS), "trigger is required", store_generations_create);
}
