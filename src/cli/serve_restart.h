/* cli/serve_restart.h: `sprout serve` re-executes itself in place when a thread faulted on a
 * truncated -shm (db/shm_guard.h): same PID, the listening socket handed across the exec in
 * SPROUT_REEXEC (internal: "fd=N at=MS n=K"), at most one re-exec per 3 s.
 * Thread model: the main thread, before any other thread for take/prepare.
 */
#ifndef SP_CLI_SERVE_RESTART_H
#define SP_CLI_SERVE_RESTART_H

#include <signal.h>
#include <stdbool.h>

#include "http/server.h"

/* What the image before this one handed over across its re-exec (none on a fresh start). */
struct serve_reexec {
    int listen_fd;   /* the listening socket to serve, 0 = bind */
    long long at_ms; /* CLOCK_MONOTONIC of that exec (the clock runs on across exec) */
    unsigned count;  /* re-execs of this process so far */
};

/* Read and remove SPROUT_REEXEC (before any thread exists); a fresh start gives all zeros. */
struct serve_reexec serve_reexec_take(void);
/* Keep what the re-exec needs (main()'s argv, the environment, the signals the new image starts
 * with blocked), so that it can run from a signal handler; false when out of memory. */
bool serve_restart_prepare(char **argv, const struct serve_reexec *prev, const sigset_t *mask);
/* The main thread faulted (run by the SIGBUS handler): stop if a stop is pending, else wait out
 * the rate limit and re-execute. Async-signal-safe; returns only when exec failed. */
void serve_restart_from_main_fault(void);
/* A worker thread faulted: wait out the rate limit (SIGINT/SIGTERM meanwhile stop the process),
 * then re-execute with srv's listening socket. Returns only when exec failed (said why). */
void serve_restart_after_shm_fault(struct http_server *srv);
/* SIGINT/SIGTERM while a thread is parked on a truncated -shm: exit at once (the drain could
 * never finish). */
_Noreturn void serve_stop_now(int sig);

#endif
