/* http/static.c: the web page's files for GET/HEAD outside /api (see static.h).
 * Thread model: every call works on its own buffers; the embedded files' hashes are computed
 * once, on the first call (pthread_once), and only read after that.
 */
#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/embed.h"
#include "util/hash.h"

#define EMBED_ROOT "build/web"
#define MAX_FILE (16u << 20) /* a file in --web DIR larger than this is refused */
#define PATH_MAX_LEN 512

/* The page's policy: everything from this origin, no inline script or style, no plugins, no
 * framing. (Scripts set element.style through the CSSOM, which style-src does not restrict.) */
#define CSP                                                                                \
    "default-src 'self'; script-src 'self'; style-src 'self'; "                            \
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".json", "application/json; charset=utf-8" },
    { ".webmanifest", "application/manifest+json" },
    { ".txt", "text/plain; charset=utf-8" },
    { ".md", "text/markdown; charset=utf-8" },
    { ".woff2", "font/woff2" },
};

bool http_static_owns(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    if (strncasecmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/'))
        return false;
    return true;
}

static const char *content_type(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Map the request path to a file path below the web root ("/index.html", "/js/app.js"), or
 * return false for a path we never serve. */
static bool map_path(const char *path, char *out, size_t cap)
{
    size_t n = strlen(path);
    if (n == 0 || n >= cap - 16 || path[0] != '/')
        return false;
    if (strpbrk(path, "\\%") != NULL)
        return false;
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20)
            return false;
        if (p[0] == '/' && p[1] == '.')
            return false; /* "..", ".git", hidden files */
        if (p[0] == '/' && p[1] == '/')
            return false;
    }
    if (strcmp(path, "/") == 0) {
        snprintf(out, cap, "/index.html"); /* the page routes itself in the URL's hash */
        return true;
    }
    snprintf(out, cap, "%s", path);
    return true;
}

/* FNV-1a of each embedded file under EMBED_ROOT, by its index in embed_files (the bytes never
 * change, so they are hashed once); NULL when that table could not be allocated (then the
 * hash is computed per request). */
static uint64_t *embed_hashes;
static pthread_once_t embed_hashes_once = PTHREAD_ONCE_INIT;

static void embed_hashes_init(void)
{
    uint64_t *h = calloc(embed_n_files ? embed_n_files : 1, sizeof *h);
    if (!h)
        return;
    const size_t root = strlen(EMBED_ROOT "/");
    for (size_t i = 0; i < embed_n_files; i++)
        if (strncmp(embed_files[i].path, EMBED_ROOT "/", root) == 0)
            h[i] = hash_fnv1a(embed_files[i].data, embed_files[i].len, HASH_FNV1A_INIT);
    embed_hashes = h;
}

static uint64_t embed_hash(const struct embed_file *f)
{
    pthread_once(&embed_hashes_once, embed_hashes_init);
    return embed_hashes ? embed_hashes[f - embed_files]
                        : hash_fnv1a(f->data, f->len, HASH_FNV1A_INIT);
}

static bool accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    const char *p = strcasestr(ae, "gzip");
    if (!p)
        return false;
    /* "gzip;q=0" refuses it */
    const char *q = p + 4;
    while (*q == ' ')
        q++;
    if (*q == ';') {
        const char *v = strstr(q, "q=");
        if (v && strtod(v + 2, NULL) <= 0.0)
            return false;
    }
    return true;
}

static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    return strstr(inm, etag) != NULL;
}

/* Read DIR + rel into a malloc'd buffer. SP-style: 0 ok, -1 not there, -2 error. */
static int read_dir_file(const char *dir, const char *rel, unsigned char **data, size_t *len)
{
    char full[PATH_MAX_LEN * 2];
    if (snprintf(full, sizeof full, "%s%s", dir, rel) >= (int)sizeof full)
        return -1;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return -2;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

static struct MHD_Response *json_error(const char *msg, const char *path)
{
    char body[700];
    /* the path was checked to hold no control characters; quote and backslash are escaped */
    char esc[600];
    size_t j = 0;
    for (const char *p = path; *p && j + 2 < sizeof esc && j < 400; p++) {
        if (*p == '"' || *p == '\\')
            esc[j++] = '\\';
        esc[j++] = ((unsigned char)*p < 0x20) ? '?' : *p;
    }
    esc[j] = '\0';
    int n = snprintf(body, sizeof body, "{\"error\":\"%s %s\"}", msg, esc);
    if (n < 0 || n >= (int)sizeof body)
        n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (r)
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    return r;
}

static void add_common(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (strncmp(type, "text/html", 9) == 0) {
        MHD_add_response_header(r, "Content-Security-Policy", CSP);
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
}

int http_static_reply(const char *web_dir, const char *path, const char *accept_encoding,
                      const char *if_none_match, struct MHD_Response **out)
{
    *out = NULL;
    char rel[PATH_MAX_LEN];
    if (!map_path(path, rel, sizeof rel)) {
        *out = json_error("Cannot GET", path);
        return *out ? 404 : 0;
    }
    const char *type = content_type(rel);

    unsigned char *owned = NULL;
    const unsigned char *data = NULL;
    size_t len = 0;
    const struct embed_file *gz = NULL;
    uint64_t hash = 0;
    if (web_dir && web_dir[0]) {
        int rc = read_dir_file(web_dir, rel, &owned, &len);
        if (rc == -2)
            return 0;
        data = owned;
        /* the folder's files may change: hashed per request */
        if (data)
            hash = hash_fnv1a(data, len, HASH_FNV1A_INIT);
    }
    if (!data) {
        char key[PATH_MAX_LEN + 32];
        snprintf(key, sizeof key, EMBED_ROOT "%s", rel);
        const struct embed_file *f = embed_find(key);
        if (!f) {
            *out = json_error("Cannot GET", path);
            return *out ? 404 : 0;
        }
        data = f->data;
        len = f->len;
        hash = embed_hash(f);
        if (accepts_gzip(accept_encoding)) {
            snprintf(key, sizeof key, EMBED_ROOT "%s.gz", rel);
            gz = embed_find(key);
            if (gz && gz->len >= len)
                gz = NULL; /* not worth it */
        }
    }

    char etag[40];
    snprintf(etag, sizeof etag, "\"%016" PRIx64 "%s\"", hash, gz ? "-gz" : "");
    struct MHD_Response *r;
    int status;
    if (etag_matches(if_none_match, etag)) {
        free(owned);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else if (owned) {
        r = MHD_create_response_from_buffer(len, owned, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(owned);
        status = 200;
    } else if (gz) {
        r = MHD_create_response_from_buffer(gz->len, (void *)gz->data, MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, "Content-Encoding", "gzip");
        status = 200;
    } else {
        r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
        status = 200;
    }
    if (!r)
        return 0;
    add_common(r, type);
    MHD_add_response_header(r, "ETag", etag);
    *out = r;
    return status;
}
