/* runs/run.h: long-running work (agent runs, model calls) off the HTTP worker threads.
 *
 * A run executes a job on a bounded pool of threads (SPROUT_AGENT_WORKERS, set by cli/). What
 * the job produces goes into the run's log, which one or more readers (HTTP connections)
 * consume:
 *   - either a single JSON answer (run_reply_json), e.g. the tutor's reply or an error found
 *     before streaming started;
 *   - or a Server-Sent-Events stream: the first run_event() makes the run a stream (status 200,
 *     text/event-stream), every event is appended as "event: <name>\ndata: <json>\n\n", and
 *     the stream ends (EOF) when the job returns. A comment line ": keep-alive\n\n" is appended
 *     to every open stream that has been quiet for 15 s.
 * Joins: a run started with a key (e.g. "topic-run:<nodeId>:<userId>") while another run with
 * the same key is still active does not start a second job: the new reader joins the existing
 * run and gets its whole log from the beginning (replay), then the live events. A run that
 * has replied JSON, returned or been cancelled is no longer joined.
 * Cancellation: when the last reader detaches before the job is done, the run's cancel flag is
 * set. Jobs check it (run_cancelled) between steps and pass run_cancel_flag() to the model
 * client, which aborts the request in flight. A job that is cancelled writes nothing more.
 * Readers are woken through a callback (the HTTP layer resumes its suspended connection), so
 * no thread waits for a run.
 * Ownership: a run is reference-counted by its job and its readers; all memory is freed when
 * the job has returned and the last reader detached.
 * Thread model: every function is thread-safe; the job runs on one pool thread.
 */
#ifndef SP_RUNS_RUN_H
#define SP_RUNS_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

struct run;
struct run_reader;

typedef void (*run_job_fn)(struct run *run, void *arg);

#define RUNS_DEFAULT_WORKERS 4u
#define RUNS_DEFAULT_QUEUE 64u
#define RUNS_KEEPALIVE_MS 15000u
#define RUN_KEEPALIVE_LINE ": keep-alive\n\n"

/* Start the pool (workers threads, 1..64; at most queue_max runs waiting, 1..100000) and the
 * keep-alive timer thread. SP_EINVAL for out-of-range values, SP_ECONFLICT when already up. */
int runs_init(unsigned workers, unsigned queue_max, struct sp_error *err);
/* Cancel every run, wait for the jobs to return (up to wait_ms), stop the threads. From then
 * on run_start fails with SP_EUNAVAILABLE until the next runs_init. Open readers stay valid:
 * their streams end (EOF) once their jobs returned. Returns how many jobs were still running
 * when it gave up waiting (their threads are left behind, detached). */
unsigned runs_shutdown(unsigned wait_ms);
/* Keep-alive interval (default RUNS_KEEPALIVE_MS; 0 = the default); for tests. */
void runs_set_keepalive_ms(unsigned ms);

/* Start job(arg) on the pool, or join the active run with the same key (key may be NULL: never
 * joined). arg_free(arg) runs after the job returned (also when the run was joined instead:
 * then job is never called and arg is freed at once; and when run_start fails). *reader is
 * the caller's reader. SP_ETOOBIG when the queue is full ("too many agent runs at once"),
 * SP_EUNAVAILABLE when the pool is not running (not started, or shutting down).
 * A job that is cancelled before a thread picked it up is never called (its readers get a
 * 503 JSON reply). A job that returns without replying or emitting gives a 500 JSON reply. */
int run_start(const char *key, run_job_fn job, void *arg, void (*arg_free)(void *),
              struct run_reader **reader, struct sp_error *err);

/* A run without a pool job, the general "deferred response": the caller hands *run to a
 * thread of its own (e.g. a group commit), which answers with run_reply_json() or events and
 * then calls run_finish(run) exactly once. The reader goes to resp->run as for run_start.
 * Works whether or not the pool is running. */
int run_create(struct run **run, struct run_reader **reader, struct sp_error *err);
/* The producer is done (EOF); drops the producer's reference: run must not be used after. */
void run_finish(struct run *run);

/* ---- inside the job ---- */
/* Finish the run as one JSON answer (only before any event; later calls are ignored). From
 * then on the run is no longer joined: a new start with its key runs a new job. */
void run_reply_json(struct run *run, int status, const char *json, size_t len);
/* Append one SSE event (json: one compact JSON object). Dropped once cancelled. */
void run_event(struct run *run, const char *event, const char *json, size_t len);
bool run_cancelled(const struct run *run);
const atomic_bool *run_cancel_flag(const struct run *run);

/* ---- the reader side (http/) ---- */
enum run_state { RUN_PENDING = 0, RUN_JSON, RUN_STREAM };
/* PENDING until the job replied or sent its first event. For RUN_JSON, *status is set. */
enum run_state run_reader_state(struct run_reader *r, int *status);
/* Copy up to max bytes of what this reader has not read yet (the JSON body, or the stream).
 * Returns the byte count, 0 when nothing is available now (the wake-up callback will fire),
 * or -1 at the end (job returned and everything was read). */
ssize_t run_reader_read(struct run_reader *r, char *buf, size_t max);
/* fn(arg) is called, from any thread, whenever the state changes or bytes arrive; also once at
 * once if something is already available. Set before the first read. */
void run_reader_set_wakeup(struct run_reader *r, void (*fn)(void *arg), void *arg);
/* Detach and free the reader (the last one before the job is done cancels the run). Waits
 * for a wake-up call in progress for this reader to return, so after it returns the callback
 * is never called again: never call it from inside the wake-up callback. NULL is ignored. */
void run_reader_close(struct run_reader *r);
/* Whether the run of this reader was cancelled (for logs and tests). */
bool run_reader_cancelled(struct run_reader *r);

#endif
