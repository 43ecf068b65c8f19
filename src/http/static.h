/* http/static.h: the learner's web page (web/) for GET/HEAD requests outside /api.
 *
 * Files come from the binary (util/embed.h: the build stages web/ plus the vendored libraries
 * under build/web/, each with a gzip twin "X.gz" made at build time), or, with `--web DIR`,
 * from DIR first (development: edit and reload; a file missing from DIR falls back to the
 * embedded one, so the vendored libraries stay available).
 * URL → file: "/" → "/index.html" (the page routes itself in the URL's hash, so no other path
 * needs the page, and an unknown path stays a JSON 404 "Cannot GET /x" as before); other paths
 * map 1:1; "..", "//", "%", "\", control characters and hidden segments are refused (404).
 * Replies: the Content-Type of the extension, an ETag (FNV-1a 64 of the bytes; If-None-Match →
 * 304), "Cache-Control: no-cache" (always revalidated: the names carry no version), the gzip twin
 * with "Content-Encoding: gzip" when the client accepts it, and for HTML a strict
 * Content-Security-Policy (script-src 'self', no inline script, connect-src 'self') plus
 * nosniff / no-referrer / frame-ancestors 'none'.
 * The embedded files' hashes are computed once (on the first request); a --web DIR file is
 * read and hashed on every request, so an edit shows at once.
 * Thread model: the embedded table is read-only, its hashes computed once (pthread_once) and
 * then only read; the folder is read per request.
 */
#ifndef SP_HTTP_STATIC_H
#define SP_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Response;

/* Is `path` (raw request path, no query) one that static files answer (anything not under
 * /api)? */
bool http_static_owns(const char *path);

/* Build the reply for path. web_dir: NULL = embedded only. accept_encoding / if_none_match:
 * the request headers or NULL. Returns the HTTP status (200, 304, 404, 500) and sets *out (never
 * NULL unless the status is 0, which means out of memory). */
int http_static_reply(const char *web_dir, const char *path, const char *accept_encoding,
                      const char *if_none_match, struct MHD_Response **out);

#endif
