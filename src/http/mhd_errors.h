/* http/mhd_errors.h: libmicrohttpd's own error replies (400, 413, 414, 431, 500, 505 for
 * requests it refuses before our access handler runs) made JSON, like every other error of the
 * server, by interposing MHD_queue_response (the why and the how: mhd_errors.c).
 *
 * Every reply the server itself sends must be queued with http_queue_response(), never by
 * calling MHD_queue_response by name: inside this executable that name is the interposer
 * (scripts/check-source.sh enforces it).
 * Thread model: http_queue_response and the interposer run on the connection's MHD thread;
 * register/unregister from the thread that starts/stops the daemon (a mutex guards the list).
 */
#ifndef SP_HTTP_MHD_ERRORS_H
#define SP_HTTP_MHD_ERRORS_H

#include <microhttpd.h>
#include <stdbool.h>

#include "http/guard.h"

/* The library's real MHD_queue_response (resolved once). */
enum MHD_Result http_queue_response(struct MHD_Connection *c, unsigned status,
                                    struct MHD_Response *resp);

/* The CORS policy of a daemon's error replies (after MHD_start_daemon; without it they carry
 * no CORS header); cors must outlive the registration. Unregister before MHD_stop_daemon
 * (the listening socket identifies the daemon) and before freeing cors. */
void http_mhd_errors_register(struct MHD_Daemon *d, const struct http_cors *cors);
void http_mhd_errors_unregister(struct MHD_Daemon *d);

/* Whether the library's internal calls reach the interposer (the executable exports
 * MHD_queue_response: the Makefile's -Wl,--export-dynamic-symbol). */
bool http_mhd_errors_active(void);

/* The {"error": ...} body of the JSON reply for a status the library chose. */
const char *http_mhd_error_body(unsigned status);

#endif
