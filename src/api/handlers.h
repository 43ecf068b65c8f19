/* api/handlers.h: every route handler, one group per file under api/ (the table is api/routes.c). */
#ifndef SP_API_HANDLERS_H
#define SP_API_HANDLERS_H

#include "api/api.h"

#define API_HANDLER(name) int name(struct api_req *req, struct api_resp *resp)

/* api/health.c */
API_HANDLER(api_health);
/* api/branches.c */
API_HANDLER(api_branches_list);
API_HANDLER(api_branches_get);
API_HANDLER(api_branches_create);
API_HANDLER(api_branches_patch);
API_HANDLER(api_branches_delete);
/* api/nodes.c */
API_HANDLER(api_nodes_list);
API_HANDLER(api_nodes_get);
API_HANDLER(api_nodes_children);
API_HANDLER(api_nodes_edges);
API_HANDLER(api_nodes_create);
API_HANDLER(api_nodes_patch);
API_HANDLER(api_nodes_delete);
/* api/contents.c */
API_HANDLER(api_contents_list);
API_HANDLER(api_contents_active);
API_HANDLER(api_contents_create);
API_HANDLER(api_generations_list);
API_HANDLER(api_generations_create);
/* api/documents.c */
extern const struct api_upload_ops api_documents_upload;
API_HANDLER(api_documents_list);
API_HANDLER(api_documents_delete);
/* api/assessments.c */
API_HANDLER(api_assessments_list);
API_HANDLER(api_assessments_get);
API_HANDLER(api_assessments_create);
API_HANDLER(api_assessments_patch);
API_HANDLER(api_questions_list);
API_HANDLER(api_questions_create);
API_HANDLER(api_answers_create);
API_HANDLER(api_answers_list);
/* api/progress.c */
API_HANDLER(api_progress_list);
API_HANDLER(api_progress_create);
API_HANDLER(api_progress_patch);
/* api/chat.c */
API_HANDLER(api_sessions_list);
API_HANDLER(api_sessions_create);
API_HANDLER(api_sessions_patch);
API_HANDLER(api_messages_list);
API_HANDLER(api_messages_create);
API_HANDLER(api_hints_create);
API_HANDLER(api_hints_list);
/* api/agents.c: the LLM routes, 503 until the agents exist */
API_HANDLER(api_agents_unavailable);
/* 503 JSON naming the variables to set when no model is configured; SP_OK when one is. */
API_HANDLER(api_agents_need_model);

#endif
