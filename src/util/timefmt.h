/* util/timefmt.h: the two timestamp formats the original API exposes (spec/api.md §1.9):
 * JavaScript toISOString() "YYYY-MM-DDTHH:MM:SS.mmmZ" for values written by code, and SQLite
 * datetime('now') "YYYY-MM-DD HH:MM:SS" (column defaults; SQLite writes those itself); and the
 * monotonic clock's readings the server's timers use.
 * Thread model: stateless, thread-safe.
 */
#ifndef SP_UTIL_TIMEFMT_H
#define SP_UTIL_TIMEFMT_H

#include <stdint.h>
#include <time.h>

#define TIME_ISO_LEN 24                  /* without the NUL */
#define TIME_ISO_SIZE (TIME_ISO_LEN + 1) /* a buffer for one timestamp */

/* Current UTC time as "2026-11-25T18:42:58.954Z" into out. */
void time_iso_now(char out[TIME_ISO_SIZE]);
/* Monotonic microseconds, for durations. */
int64_t time_mono_us(void);
/* CLOCK_MONOTONIC ms from now, for pthread_cond_timedwait on a condition variable whose clock
 * attribute is CLOCK_MONOTONIC. */
void time_deadline_after(struct timespec *ts, unsigned ms);

#endif
