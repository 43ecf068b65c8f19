/* http/defer.h: deferred answers: requests whose handler handed its work to another thread
 * (api_resp.run, a run_reader of runs/run.h) and whose connection must not hold an HTTP
 * worker thread while it waits.
 *
 * The connection is suspended (MHD_suspend_connection, MHD_ALLOW_SUSPEND_RESUME) while nothing
 * is available and resumed from the run's wake-up callback. The answer is then either the
 * run's JSON reply or a Server-Sent-Events stream, sent through a callback response whose
 * content reader suspends the connection again whenever the run's log has nothing new.
 * A suspended connection does not see its client go away (MHD does not poll it), so every
 * deferred connection's socket is also watched for a hang-up (EPOLLRDHUP) by one watcher
 * thread per server; a hang-up resumes the connection, which is then closed, which closes the
 * reader, which cancels the run when it was its last reader.
 * The same mechanism serves any producer: runs on the agent pool, or a run_create() run that
 * another subsystem finishes (e.g. a group commit).
 *
 * Thread model: http_defer_poll/stream callbacks run on the connection's MHD thread; the
 * wake-up comes from the producer's thread, the watcher thread or http_defer_set_abort_all.
 * Each deferred request has a mutex held across "look at the run, suspend"; the wake-up takes
 * it too and resumes only a connection that really is suspended, so no wake-up is lost and
 * MHD_resume_connection is never called on a connection that is not suspended.
 * Lock order: set mutex, then a request's mutex, then the run's (inside runs/).
 */
#ifndef SP_HTTP_DEFER_H
#define SP_HTTP_DEFER_H

#include <microhttpd.h>

#include "runs/run.h"
#include "util/buf.h"
#include "util/err.h"

struct http_defer_set;
struct http_defer;

/* Per server: the list of deferred requests and the hang-up watcher thread. */
int http_defer_set_new(struct http_defer_set **out, struct sp_error *err);
/* Stops the watcher; every deferred request must have been freed before. */
void http_defer_set_free(struct http_defer_set *s);
/* Shutdown: every deferred request ends now (pending ones answer 503, streams end) and is
 * resumed. Returns how many there were. */
unsigned http_defer_set_abort_all(struct http_defer_set *s);

/* Take over reader (always: on failure it is closed) for the request on connection c. */
int http_defer_new(struct http_defer_set *s, struct MHD_Connection *c, struct run_reader *reader,
                   struct http_defer **out, struct sp_error *err);

enum http_defer_step {
    HTTP_DEFER_WAIT = 0, /* nothing yet: the connection was suspended; return MHD_YES */
    HTTP_DEFER_JSON,     /* *status and body are filled: send them as a JSON reply */
    HTTP_DEFER_STREAM,   /* queue http_defer_stream_response() with status 200 */
    HTTP_DEFER_GONE,     /* the client went away: return MHD_NO */
};
/* Called from the access handler when the request is complete and after each resume. */
enum http_defer_step http_defer_poll(struct http_defer *d, int *status, struct buf *body);
/* The SSE response (spec/agents.md §4.1 headers; CORS is added by the caller). */
struct MHD_Response *http_defer_stream_response(struct http_defer *d);
/* From the completion callback: closes the reader (the run is cancelled when this was its
 * last reader), stops watching the socket, frees d. NULL is ignored. */
void http_defer_free(struct http_defer *d);

#endif
