/* agents/tutor.h: the tutor agent (spec/agents.md §7.5, §8.4, §10): one turn of a lesson
 * chat — store the learner's message, rebuild the conversation (with the tool exchanges of
 * earlier turns), run the tool loop (6 tools, 5 iterations), post-process the reply, and store
 * the reply, the lesson cards and the session's end in one transaction.
 *
 * Runs as a job of runs/ on a pool thread with env's connection; env->run is NULL (a JSON
 * route emits no events), env->cancel is the run's cancel flag: once it is set no further
 * model request is made and nothing more is written.
 * Errors: SP_OK with the reply JSON appended to reply; otherwise the code with err filled
 * (SP_EUPSTREAM "<status> <body>" for a failed model call, SP_EABORT when cancelled,
 * SP_ENOTFOUND when the session's node vanished, SP_EDB ...).
 * Thread model: one turn on one thread; nothing shared.
 */
#ifndef SP_AGENTS_TUTOR_H
#define SP_AGENTS_TUTOR_H

#include "agents/agent.h"
#include "util/buf.h"
#include "util/err.h"

#define TUTOR_MAX_ITERATIONS 5
#define TUTOR_MAX_DRAWING_CHARS 7000000 /* base64 characters of a drawing (spec §7.5) */

struct tutor_request {
    const char *session_id;
    const char *user_id;
    const char *node_id;          /* the session's node (the subconcept) */
    const char *content;          /* trimmed learner message; "" = start or continue */
    const char *image_media_type; /* "image/png" | "image/jpeg"; NULL: no drawing */
    const char *image_data;       /* base64, when image_media_type is set */
};

/* One turn; on SP_OK reply gets {"message","isComplete","toolsUsed","reasoning"}. */
int tutor_turn(struct agent_env *env, const struct tutor_request *req, struct buf *reply,
               struct sp_error *err);

/* The drawing of an answer turn (spec §7.5 step 2): data:(image/png|image/jpeg);base64,<data>
 * with a case-insensitive prefix and at most TUTOR_MAX_DRAWING_CHARS base64 characters.
 * On a match *media_type is "image/png" or "image/jpeg" (static) and *data points into url. */
bool tutor_parse_drawing(const char *url, const char **media_type, const char **data);

#endif
