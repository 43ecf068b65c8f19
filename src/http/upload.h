/* http/upload.h: streaming a multipart/form-data body into a route's api_upload_ops with
 * libmicrohttpd's post processor, so files go to disk chunk by chunk, never whole in memory.
 *
 * http/server.c calls these for a route whose ->upload is set: start on the first call of
 * the access handler (after routing, before any body byte), feed for every body chunk, finish
 * when the body is complete, and free when the request ends (completed or not).
 * A missing or malformed boundary, a non-multipart content type, a parse error or a body that
 * ends before the closing boundary are reported through api_fail() with a clear 400.
 * Thread model: one struct http_upload per request, used by its connection's thread only.
 */
#ifndef SP_HTTP_UPLOAD_H
#define SP_HTTP_UPLOAD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

struct http_upload;

/* Runs ops->begin. On refusal resp is filled and the return value is the error code. */
int http_upload_start(struct MHD_Connection *conn, const struct api_upload_ops *ops,
                      struct api_req *req, struct api_resp *resp, struct http_upload **out);
/* One body chunk; SP_OK or an error with resp filled (the rest of the body is discarded). */
int http_upload_feed(struct http_upload *u, const char *data, size_t len);
/* The body is complete: checks the multipart ended properly, runs ops->finish. */
int http_upload_finish(struct http_upload *u);
/* Ends the upload; runs ops->abort unless finish succeeded. NULL-safe. */
void http_upload_free(struct http_upload *u);

#endif
