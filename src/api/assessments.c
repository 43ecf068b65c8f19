/* api/assessments.c: assessments, questions and answers (spec/api.md §8; docs/API.md).
 * Parse and validate, call storage/store_assessments, reply. Posting an answer may complete
 * its assessment (inside the same storage transaction). Thread model: HTTP worker threads.
 */
#include "api/handlers.h"
#include "storage/store_assessments.h"

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
static const struct api_body CREATE =
    API_BODY(SCHEMA_ASSESSMENTS, CREATE_FIELDS, "userId and targetNodeId are required");
static const struct api_body PATCH = API_BODY(SCHEMA_ASSESSMENTS, PATCH_FIELDS, NULL);
static const struct api_body QUESTION =
    API_BODY(SCHEMA_QUESTIONS, QUESTION_FIELDS, "format and prompt are required");
static const struct api_body ANSWER =
    API_BODY(SCHEMA_ANSWERS, ANSWER_FIELDS, "userId and questionId are required");

int api_assessments_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_assessments_list(db, api_filter(req, "userId"), api_filter(req, "targetNodeId"),
                                     &resp->body, &err));
}

int api_assessments_get(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_assessments_get(db, req->params[0], &resp->body, &err));
}

int api_assessments_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &CREATE, NULL, store_assessments_create);
}

int api_assessments_patch(struct api_req *req, struct api_resp *resp)
{
    return api_patch(req, resp, &PATCH, store_assessments_patch);
}

int api_questions_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_questions_list(db, req->params[0], &resp->body, &err));
}

int api_questions_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &QUESTION, "assessment_id", store_questions_create);
}

int api_answers_create(struct api_req *req, struct api_resp *resp)
{
    return api_create(req, resp, &ANSWER, "assessment_id", store_answers_create);
}

int api_answers_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200,
              store_answers_list(db, req->params[0], api_filter(req, "userId"), &resp->body, &err));
}
