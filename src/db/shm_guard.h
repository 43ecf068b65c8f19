/* db/shm_guard.h: `sprout serve`'s guard against the SIGBUS of a truncated -shm (issue 8).
 *
 * In WAL mode SQLite maps the database's -shm file (the WAL index) into the process; when
 * another program truncates that file, the next access to a page of the mapping raises
 * SIGBUS. The thread that touched it must never go on (it would read the WAL index as zeros
 * and could write frames derived from stale pages: real corruption), so the guard's handler
 * (SA_SIGINFO, installed over whatever handler was there, e.g. AddressSanitizer's):
 *   - looks up the faulting address in /proc/self/maps (open/read only: async-signal-safe); a
 *     SIGBUS anywhere else (or one sent with kill) goes to the previous action, restored, so a
 *     genuine bug still crashes with its core or sanitizer report;
 *   - in a -shm mapping: sets the "tripped" flag, writes one line to stderr, sends notify_sig
 *     to the process (the main thread holds it blocked and waits for it in sigwait, then
 *     re-executes the server: cli/cmd_serve.c), and parks the thread for good (it never
 *     returns into SQLite);
 *   - a fault in the main thread itself (nobody else can restart the server): one line to
 *     stderr, then main_fault() (serve's start-up: the re-exec, from the handler); if that
 *     returns (or there is none), _exit(1);
 *   - once shm_guard_exit_on_fault() was called (shutdown: nobody waits for notify_sig any
 *     more, and the final close of the main thread may fault): one line, then _exit(code).
 * While the flag is set db_thread() refuses every connection with SP_EUNAVAILABLE and
 * SHM_GUARD_MESSAGE (503 for a request).
 * Thread model: install once from the main thread, before any other thread exists; the flag
 * and the exit code are atomics read by every thread and by the handler.
 */
#ifndef SP_DB_SHM_GUARD_H
#define SP_DB_SHM_GUARD_H

#include <stdbool.h>

#include "util/err.h"

#define SHM_GUARD_MESSAGE                                                                     \
    "the database's -shm file was truncated by another program; the server is restarting to " \
    "rebuild it from the WAL: try again in a few seconds"

/* Install the SIGBUS handler; notify_sig is what a worker thread's fault sends the main
 * thread; main_fault (may be NULL) runs in the handler when the main thread itself faults: only
 * async-signal-safe calls, and it should not return. SP_EIO when the handler cannot be
 * installed or /proc/self/maps cannot be read. */
int shm_guard_install(int notify_sig, void (*main_fault)(void), struct sp_error *err);
/* A thread faulted in a -shm mapping (the process must be re-executed). */
bool shm_guard_tripped(void);
/* From now on a -shm fault in any thread ends the process with _exit(code) (shutdown). */
void shm_guard_exit_on_fault(int code);
/* Is addr inside a mapping of a file whose name ends in "-shm" (or "-shm (deleted)")? Reads
 * /proc/self/maps with open/read into a static buffer: async-signal-safe; false when it cannot
 * be read. Exposed for the unit test. */
bool shm_guard_addr_in_shm(const void *addr);

#endif
