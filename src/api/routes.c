/* api/routes.c: the route table: method, path pattern, handler. Order matters only where
 * patterns overlap; the router matches literal segments case-insensitively, tolerates one
 * trailing slash, and a :param matches exactly one non-empty segment. */
#include "api/handlers.h"

#include <stddef.h>

const struct api_route api_routes[] = {
    { "GET", "/api/health", api_health, NULL },

    { "GET", "/api/branches", api_branches_list, NULL },
    { "POST", "/api/branches", api_branches_create, NULL },
    { "GET", "/api/branches/:id", api_branches_get, NULL },
    { "PATCH", "/api/branches/:id", api_branches_patch, NULL },
    { "DELETE", "/api/branches/:id", api_branches_delete, NULL },

    { "GET", "/api/nodes", api_nodes_list, NULL },
    { "POST", "/api/nodes", api_nodes_create, NULL },
    { "GET", "/api/nodes/:id", api_nodes_get, NULL },
    { "PATCH", "/api/nodes/:id", api_nodes_patch, NULL },
    { "DELETE", "/api/nodes/:id", api_nodes_delete, NULL },
    { "GET", "/api/nodes/:id/children", api_nodes_children, NULL },
    { "GET", "/api/nodes/:id/dependency-edges", api_nodes_edges, NULL },
    { "POST", "/api/nodes/:id/generate-subconcepts", api_nodes_generate_subconcepts, NULL },
    { "POST", "/api/nodes/:id/generate-concepts", api_nodes_generate_concepts, NULL },

    { "GET", "/api/nodes/:nodeId/contents", api_contents_list, NULL },
    { "GET", "/api/nodes/:nodeId/contents/active", api_contents_active, NULL },
    { "POST", "/api/nodes/:nodeId/contents", api_contents_create, NULL },
    { "GET", "/api/nodes/:nodeId/generations", api_generations_list, NULL },
    { "POST", "/api/nodes/:nodeId/generations", api_generations_create, NULL },

    { "POST", "/api/nodes/:nodeId/documents", NULL, &api_documents_upload },
    { "GET", "/api/nodes/:nodeId/documents", api_documents_list, NULL },
    { "DELETE", "/api/nodes/:nodeId/documents/:documentId", api_documents_delete, NULL },

    { "GET", "/api/assessments", api_assessments_list, NULL },
    { "POST", "/api/assessments", api_assessments_create, NULL },
    { "GET", "/api/assessments/:id", api_assessments_get, NULL },
    { "PATCH", "/api/assessments/:id", api_assessments_patch, NULL },
    { "GET", "/api/assessments/:id/questions", api_questions_list, NULL },
    { "POST", "/api/assessments/:id/questions", api_questions_create, NULL },
    { "POST", "/api/assessments/:assessmentId/answers", api_answers_create, NULL },
    { "GET", "/api/assessments/:assessmentId/answers", api_answers_list, NULL },

    { "GET", "/api/progress", api_progress_list, NULL },
    { "POST", "/api/progress", api_progress_create, NULL },
    { "PATCH", "/api/progress/:id", api_progress_patch, NULL },

    { "GET", "/api/chat/sessions", api_sessions_list, NULL },
    { "POST", "/api/chat/sessions", api_sessions_create, NULL },
    { "PATCH", "/api/chat/sessions/:id", api_sessions_patch, NULL },
    { "GET", "/api/chat/sessions/:sessionId/messages", api_messages_list, NULL },
    { "POST", "/api/chat/sessions/:sessionId/messages", api_messages_create, NULL },
    { "POST", "/api/chat/sessions/:sessionId/tutor", api_chat_tutor, NULL },
    { "POST", "/api/chat/hints", api_hints_create, NULL },
    { "GET", "/api/chat/hints", api_hints_list, NULL },

    { "POST", "/api/agents/topics/:topicNodeId/run", api_agents_topic_run, NULL },
    { "GET", "/api/agents/concepts/:conceptNodeId/diagnostic", api_agents_concept_diagnostic,
      NULL },
    { "POST", "/api/agents/concepts/:conceptNodeId/run", api_agents_concept_run, NULL },
    { "POST", "/api/agents/nodes/:nodeId/review", api_agents_node_review, NULL },
};

const size_t api_n_routes = SP_COUNT(api_routes);

/* Routes whose JSON body may exceed API_MAX_BODY: the tutor turn carries a drawing of up to
 * 7,000,000 base64 characters (spec/agents.md §7.5, bug B2). A table beside api_routes[]
 * rather than a field of struct api_route, so the route lines stay as they are. */
static const struct {
    api_handler_fn handler;
    size_t max_body;
} body_limits[] = {
    { api_chat_tutor, API_TUTOR_MAX_BODY },
};

size_t api_route_max_body(const struct api_route *route)
{
    for (size_t i = 0; route && i < SP_COUNT(body_limits); i++)
        if (route->handler == body_limits[i].handler)
            return body_limits[i].max_body;
    return API_MAX_BODY;
}
