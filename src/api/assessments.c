/* api/assessments.c: assessments, questions and answers (spec/api.md §8; docs/API.md).
 * Parse and validate, call storage/store_assessments, reply. Posting an answer may complete
 * its assessment (inside the same storage transaction). Thread model: HTTP worker threads.
 */
#include "api/handlers.h"
#include "api/validate.h"
#include "db/schema.h"
#include "storage/store_assessments.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct val_field CREATE_FIELDS[] = {
    { "userId", VAL_REQUIRED },
    { "targetNodeId", VAL_REQUIRED },
    { "type", VAL_FALSY_DEFAULT },
    { "title", VAL_FALSY_NULL },
};
static const struct val_field PATCH_FIELDS[] = {
    { "completedAt", VAL_PATCH },
    { "title", VAL_PATCH },
};
static const struct val_field QUESTION_FIELDS[] = {
    { "format", VAL_REQUIRED },          { "prompt", VAL_REQUIRED },
    { "nodeId", VAL_FALSY_NULL },        { "options", VAL_FALSY_NULL },
    { "correctAnswer", VAL_FALSY_NULL }, { "gradingRubric", VAL_FALSY_NULL },
    { "difficulty", VAL_FALSY_DEFAULT },
};
static const struct val_field ANSWER_FIELDS[] = {
    { "userId", VAL_REQUIRED },        { "questionId", VAL_REQUIRED },
    { "answerText", VAL_FALSY_NULL },  { "selectedOption", VAL_FALSY_NULL },
    { "isCorrect", VAL_NULLISH_NULL }, { "score", VAL_NULLISH_NULL },
    { "feedback", VAL_FALSY_NULL },
};

int api_assessments_list(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_assessments_list(db, validate_filter(req, "userId"),
                                validate_filter(req, "targetNodeId"), &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_assessments_get(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_assessments_get(db, req->params[0], &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_assessments_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_ASSESSMENTS), CREATE_FIELDS,
                           COUNT(CREATE_FIELDS), "userId and targetNodeId are required", NULL,
                           store_assessments_create);
}

int api_assessments_patch(struct api_req *req, struct api_resp *resp)
{
    return validate_patch(req, resp, schema_table(SCHEMA_ASSESSMENTS), PATCH_FIELDS,
                          COUNT(PATCH_FIELDS), store_assessments_patch);
}

int api_questions_list(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_questions_list(db, req->params[0], &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}

int api_questions_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_QUESTIONS), QUESTION_FIELDS,
                           COUNT(QUESTION_FIELDS), "format and prompt are required",
                           "assessment_id", store_questions_create);
}

int api_answers_create(struct api_req *req, struct api_resp *resp)
{
    return validate_create(req, resp, schema_table(SCHEMA_ANSWERS), ANSWER_FIELDS,
                           COUNT(ANSWER_FIELDS), "userId and questionId are required",
                           "assessment_id", store_answers_create);
}

int api_answers_list(struct api_req *req, struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    rc = store_answers_list(db, req->params[0], validate_filter(req, "userId"), &resp->body, &err);
    return validate_reply(resp, rc, &err, 200);
}
