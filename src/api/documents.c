/* api/documents.c: POST/GET/DELETE /api/nodes/:nodeId/documents (spec/api.md §7, with the
 * decisions of docs/DOCUMENTS.md).
 *
 * Upload (api_documents_upload, driven by http/upload.c while the body streams in):
 *   begin      checks the node exists (404 "Node not found") before any body byte is read;
 *   part_begin checks field name ("files"), count (5), MIME type, and opens a staging file
 *              (mkstemp under $TMPDIR) for the part;
 *   part_data  appends to the staging file, 413 as soon as a file reaches 10 MiB;
 *   finish     hands the upload to a job on the runs pool (runs/run.h), which extracts text,
 *              stores every file (objstore), inserts every row in one transaction and replies;
 *              any failure removes what this batch stored: all or nothing;
 *   abort      removes the staging files.
 * Delete: the handler hands a job to the runs pool, which looks the row up, deletes the bytes,
 * then the row (a store failure keeps the row).
 * Why a pool: storing (a slow S3) and the row's write (the database write lock, held by an
 * outside program for up to the busy timeout) can wait for seconds; on the pool no HTTP worker
 * thread waits (the connection is suspended, http/defer.c). At most DOC_MAX_JOBS document jobs
 * are queued or running at once, so they never take the whole run queue from the agents; past
 * that, or when the run queue is full, the request gets 503 JSON naming the cause.
 * Ownership: struct doc_upload is heap memory owned by the upload until finish, then by the
 * job (freed by its arg_free, also when the job never runs); abort frees it when finish was
 * not reached or failed before the hand-over.
 * Thread model: begin..finish on the request's HTTP worker thread; the jobs on a pool thread,
 * with that thread's database connection; the store is shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/handlers.h"
#include "extract/extract.h"
#include "extract/text.h"
#include "objects/objstore.h"
#include "storage/store_documents.h"
#include "util/ids.h"
#include "util/jsonw.h"
#include "util/timefmt.h"

#define DOC_MAX_FILES 5
#define DOC_MAX_BYTES 10485759LL /* a file must be smaller than 10 MiB */
#define DOC_NAME_MAX 1024        /* bytes of a file name */
#define DOC_EXT_MAX 16           /* bytes of a key's extension, dot included */
#define DOC_MIME_MAX 128
#define DOC_MAX_JOBS 16 /* upload and delete jobs queued or running on the runs pool */

struct doc_file {
    char *name; /* sanitised original name (UTF-8) */
    char mime[DOC_MIME_MAX];
    char staged[PATH_MAX]; /* "" when no staging file exists */
    int fd;                /* open while the part streams, else -1 */
    long long size;
    char id[IDS_UUID_SIZE];
    char key[64];
    bool stored;
    struct extract_result ex;
};

struct doc_upload {
    char node_id[256];
    struct doc_file files[DOC_MAX_FILES];
    size_t n;                  /* files begun (including the open one) */
    bool in_file;              /* the current part is files[n-1] */
    const char *tmp_dir;       /* where parts are staged (api_ctx.tmp_dir) */
    const struct api_ctx *ctx; /* process-wide; outlives every job */
};

/* ---- helpers ---- */

static void file_release(struct doc_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->staged[0])
        unlink(f->staged);
    f->staged[0] = '\0';
    free(f->name);
    f->name = NULL;
    extract_result_clear(&f->ex);
}

static void upload_free(struct doc_upload *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++)
        file_release(&u->files[i]);
    free(u);
}

/* "Text/Plain; charset=utf-8" -> "text/plain"; NULL or empty -> "text/plain". */
static void reduce_mime(const char *ct, char out[DOC_MIME_MAX])
{
    size_t n = 0;
    if (ct) {
        while (*ct == ' ' || *ct == '\t')
            ct++;
        for (; ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && n < DOC_MIME_MAX - 1;
             n++) {
            char c = ct[n];
            out[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, DOC_MIME_MAX, "text/plain");
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Browsers send application/octet-stream for a file type the OS does not know (often .md):
 * take the type from the extension then. Returns false when the type stays unsupported. */
static bool resolve_mime(char mime[DOC_MIME_MAX], const char *name)
{
    if (strcmp(mime, "application/octet-stream") == 0) {
        if (ends_with_ci(name, ".md") || ends_with_ci(name, ".markdown"))
            snprintf(mime, DOC_MIME_MAX, "text/markdown");
        else if (ends_with_ci(name, ".txt"))
            snprintf(mime, DOC_MIME_MAX, "text/plain");
        else if (ends_with_ci(name, ".pdf"))
            snprintf(mime, DOC_MIME_MAX, "application/pdf");
    }
    return extract_mime_supported(mime);
}

/* The basename after the last '/' or '\', decoded as UTF-8 (invalid bytes -> U+FFFD), control
 * characters replaced by '_'. New string (free()), or NULL when out of memory. */
static char *sanitize_name(const char *raw)
{
    const char *base = raw;
    for (const char *p = raw; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    char *out = NULL;
    size_t len = 0;
    if (text_decode_utf8(base, strlen(base), &out, &len) != SP_OK)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F)
            out[i] = '_';
    if (len == 0) {
        free(out);
        out = strdup("unnamed");
    }
    return out;
}

/* Node's path.extname(name), kept only when it is short and plain ASCII; else ".bin". */
static void key_extension(const char *name, char out[DOC_EXT_MAX + 1])
{
    const char *dot = strrchr(name, '.');
    snprintf(out, DOC_EXT_MAX + 1, ".bin");
    if (!dot || dot == name || strcmp(name, "..") == 0)
        return;
    size_t n = strlen(dot);
    if (n > DOC_EXT_MAX)
        return;
    for (size_t i = 1; i < n; i++) {
        char c = dot[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return;
    }
    memcpy(out, dot, n + 1);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Remove from the store every object this batch stored. */
static void unstore_all(const struct api_req *req, struct doc_upload *u)
{
    for (size_t i = 0; i < u->n; i++) {
        struct doc_file *f = &u->files[i];
        if (!f->stored)
            continue;
        struct sp_error e = { 0 };
        if (objstore_delete(req->ctx->store, f->key, &e) != SP_OK)
            fprintf(stderr, "documents: could not remove %s after a failed upload: %s\n", f->key,
                    sp_error_text(&e, e.code));
        f->stored = false;
    }
}

/* ---- upload callbacks ---- */

static int up_begin(struct api_req *req, struct api_resp *resp, void **state)
{
    *state = NULL;
    const char *node_id = req->n_params > 0 ? req->params[0] : NULL;
    if (!req->ctx || !req->ctx->store)
        return api_fail(resp, SP_EUNAVAILABLE, "document storage is not configured");
    if (!node_id || strlen(node_id) >= sizeof((struct doc_upload *)0)->node_id)
        return api_fail(resp, SP_ENOTFOUND, "Node not found");
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    bool exists = false;
    rc = store_documents_node_exists(db, node_id, &exists, &err);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    if (!exists)
        return api_fail(resp, SP_ENOTFOUND, "Node not found");
    struct doc_upload *u = calloc(1, sizeof *u);
    if (!u)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    snprintf(u->node_id, sizeof u->node_id, "%s", node_id);
    u->tmp_dir = req->ctx->tmp_dir ? req->ctx->tmp_dir : "/tmp";
    u->ctx = req->ctx;
    for (size_t i = 0; i < DOC_MAX_FILES; i++)
        u->files[i].fd = -1;
    *state = u;
    return SP_OK;
}

static int close_current(struct doc_upload *u, struct api_resp *resp)
{
    if (!u->in_file)
        return SP_OK;
    u->in_file = false;
    struct doc_file *f = &u->files[u->n - 1];
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0)
        return api_fail(resp, sp_errno_code(errno), "could not stage the upload: %s",
                        strerror(errno));
    return SP_OK;
}

static int up_part_begin(void *state, struct api_resp *resp, const char *field,
                         const char *filename, const char *content_type)
{
    struct doc_upload *u = state;
    int rc = close_current(u, resp);
    if (rc != SP_OK)
        return rc;
    if (!filename || !*filename)
        return SP_OK; /* a text field or an empty file input: ignored, as the original */
    if (!field || strcmp(field, "files") != 0)
        return api_fail(resp, SP_EINVAL,
                        "Unexpected field \"%.100s\": files must be sent in the field \"files\"",
                        field ? field : "");
    if (u->n >= DOC_MAX_FILES)
        return api_fail(resp, SP_EINVAL, "Too many files (limit %d)", DOC_MAX_FILES);
    if (strlen(filename) > DOC_NAME_MAX)
        return api_fail(resp, SP_EINVAL, "File name too long (limit %d bytes)", DOC_NAME_MAX);

    struct doc_file *f = &u->files[u->n];
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->name = sanitize_name(filename);
    if (!f->name)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    u->n++; /* from here on, upload_free() releases f */
    reduce_mime(content_type, f->mime);
    if (!resolve_mime(f->mime, f->name))
        return api_fail(resp, SP_EUNSUPPORTED, "Unsupported file type: %s", f->mime);

    if (snprintf(f->staged, sizeof f->staged, "%s/sprout-upload-XXXXXX", u->tmp_dir) >=
        (int)sizeof f->staged) {
        f->staged[0] = '\0';
        return api_fail(resp, SP_EIO, "TMPDIR is too long");
    }
    f->fd = mkostemp(f->staged, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        f->staged[0] = '\0';
        return api_fail(resp, SP_EIO, "could not stage the upload in %s: %s", u->tmp_dir,
                        strerror(e));
    }
    u->in_file = true;
    return SP_OK;
}

static int up_part_data(void *state, struct api_resp *resp, const char *data, size_t len)
{
    struct doc_upload *u = state;
    if (!u->in_file || len == 0)
        return SP_OK; /* an ignored part */
    struct doc_file *f = &u->files[u->n - 1];
    if ((long long)len > DOC_MAX_BYTES - f->size)
        return api_fail(resp, SP_ETOOBIG, "File too large: %s (limit %lld bytes)", f->name,
                        DOC_MAX_BYTES);
    if (write_all(f->fd, data, len) != 0)
        return api_fail(resp, sp_errno_code(errno), "could not stage the upload: %s",
                        strerror(errno));
    f->size += (long long)len;
    return SP_OK;
}

static int up_part_end(void *state, struct api_resp *resp)
{
    return close_current(state, resp);
}

static int reply_uploaded(const struct doc_upload *u, struct api_resp *resp)
{
    struct buf *b = &resp->body;
    int rc = buf_puts(b, "{\"uploaded\":[");
    for (size_t i = 0; i < u->n && rc == SP_OK; i++) {
        const struct doc_file *f = &u->files[i];
        char now[TIME_ISO_SIZE];
        time_iso_now(now);
        rc = buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        if (rc == SP_OK)
            rc = jsonw_cstring(b, f->id);
        if (rc == SP_OK)
            rc = buf_puts(b, ",\"nodeId\":");
        if (rc == SP_OK)
            rc = jsonw_cstring(b, u->node_id);
        if (rc == SP_OK)
            rc = buf_puts(b, ",\"originalFilename\":");
        if (rc == SP_OK)
            rc = jsonw_cstring(b, f->name);
        if (rc == SP_OK)
            rc = buf_puts(b, ",\"mimeType\":");
        if (rc == SP_OK)
            rc = jsonw_cstring(b, f->mime);
        if (rc == SP_OK)
            rc = buf_printf(b,
                            ",\"fileSizeBytes\":%lld,\"extractionStatus\":\"%s\","
                            "\"extractedTextLength\":%zu,\"createdAt\":\"%s\"}",
                            f->size, f->ex.failed ? "failed" : "completed",
                            f->ex.failed ? (size_t)0 : f->ex.utf16_len, now);
    }
    if (rc == SP_OK)
        rc = buf_puts(b, "]}");
    if (rc != SP_OK)
        return api_fail(resp, rc, "could not build the reply");
    return api_reply(resp, 201);
}

/* ---- jobs on the runs pool ---- */

static atomic_uint doc_jobs; /* queued or running */

/* Admit one more document job, or fill resp with 503 and return false. */
static bool jobs_admit(struct api_resp *resp)
{
    unsigned n = atomic_fetch_add(&doc_jobs, 1);
    if (n < DOC_MAX_JOBS)
        return true;
    atomic_fetch_sub(&doc_jobs, 1);
    api_fail(resp, SP_EUNAVAILABLE,
             "too many uploads and document deletes at once (limit %d); try again", DOC_MAX_JOBS);
    return false;
}

static void jobs_release(void)
{
    atomic_fetch_sub(&doc_jobs, 1);
}

/* Start job on the runs pool (resp->run set), or a 503 reply naming why it could not start;
 * arg_free(arg) has run then. */
static int jobs_start(struct api_resp *resp, run_job_fn job, void *arg, void (*arg_free)(void *))
{
    struct sp_error err = { 0 };
    struct run_reader *reader = NULL;
    int rc = run_start(NULL, job, arg, arg_free, &reader, &err);
    if (rc == SP_OK) {
        resp->run = reader;
        return SP_OK;
    }
    if (rc == SP_ETOOBIG) /* the run queue is full (agent runs and document jobs share it) */
        return api_fail(resp, SP_EUNAVAILABLE,
                        "too many uploads, document deletes and agent runs at once; try again");
    return api_fail(resp, SP_EUNAVAILABLE, "%s", sp_error_text(&err, rc));
}

/* What the job produced in resp becomes the run's one JSON reply. The job is done with the
 * database: its connection goes back first (PostgreSQL's pool; the pool thread serves other
 * runs next), as api_start_run's jobs do. */
static void job_reply(struct run *run, struct api_resp *resp, int rc)
{
    api_db_release();
    if (rc != SP_OK && (resp->status < 400 || resp->status > 599))
        api_fail(resp, rc, "%s", sp_strerror(rc));
    if (resp->status < 100 || resp->status > 599)
        api_fail(resp, SP_EINTERNAL, "the document job produced no response");
    run_reply_json(run, resp->status, resp->body.data ? resp->body.data : "", resp->body.len);
    buf_release(&resp->body);
}

/* Extract, store the bytes, insert the rows (on a pool thread). */
static int store_upload(struct api_req *req, struct doc_upload *u, struct api_resp *resp)
{
    struct sp_error err = { 0 };
    int rc;
    /* 1. text extraction (a PDF that does not parse is "failed", not an error) */
    for (size_t i = 0; i < u->n; i++) {
        struct doc_file *f = &u->files[i];
        rc = extract_file(f->staged, f->mime, &f->ex, &err);
        if (rc != SP_OK)
            return api_fail(resp, rc, "extracting %s: %s", f->name, sp_error_text(&err, rc));
        char ext[DOC_EXT_MAX + 1];
        ids_uuid_v4(f->id);
        key_extension(f->name, ext);
        snprintf(f->key, sizeof f->key, "documents/%s%s", f->id, ext);
    }

    /* 2. the bytes: all stored, or none */
    for (size_t i = 0; i < u->n; i++) {
        struct doc_file *f = &u->files[i];
        rc = objstore_put_file(req->ctx->store, f->key, f->staged, f->mime, &err);
        if (rc != SP_OK) {
            /* A failed put leaves no object (S3 PUT is atomic; the local store renames a
             * complete file), so only the earlier files of this batch are removed. */
            unstore_all(req, u);
            return api_fail(resp, rc, "storage failed: %s", sp_error_text(&err, rc));
        }
        f->stored = true;
    }

    /* 3. the rows, in one transaction; on failure the bytes go again */
    struct store_document docs[DOC_MAX_FILES];
    for (size_t i = 0; i < u->n; i++) {
        const struct doc_file *f = &u->files[i];
        docs[i] = (struct store_document){
            .id = f->id,
            .node_id = u->node_id,
            .original_filename = f->name,
            .s3_key = f->key,
            .mime_type = f->mime,
            .file_size_bytes = f->size,
            .extracted_text = f->ex.failed ? NULL : f->ex.text,
            .extracted_text_len = f->ex.failed ? 0 : f->ex.text_len,
            .extraction_status = f->ex.failed ? "failed" : "completed",
            .extraction_error = f->ex.failed ? f->ex.error : NULL,
        };
    }
    struct db *db;
    rc = api_db(req, resp, &db);
    if (rc != SP_OK) {
        unstore_all(req, u);
        return rc;
    }
    rc = store_documents_insert_all(db, docs, u->n, &err);
    if (rc != SP_OK) {
        unstore_all(req, u);
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    }

    return reply_uploaded(u, resp);
}

static void upload_job(struct run *run, void *arg)
{
    struct doc_upload *u = arg;
    struct api_req req = { .ctx = u->ctx };
    struct api_resp resp = { .body = BUF_INIT(0), .body_is_json = true };
    int rc = store_upload(&req, u, &resp);
    job_reply(run, &resp, rc);
}

static void upload_job_free(void *arg)
{
    upload_free(arg);
    jobs_release();
}

static int up_finish(void *state, struct api_req *req, struct api_resp *resp)
{
    (void)req;
    struct doc_upload *u = state;
    int rc = close_current(u, resp);
    if (rc != SP_OK)
        return rc;
    if (u->n == 0)
        return api_fail(resp, SP_EINVAL, "No files provided");
    if (!jobs_admit(resp))
        return SP_EUNAVAILABLE; /* abort frees u */
    /* From here on the job owns u (upload_job_free also runs when it cannot start), so finish
     * reports success to http/upload.c (abort must not run again) whatever the reply is. */
    jobs_start(resp, upload_job, u, upload_job_free);
    return SP_OK;
}


static void up_abort(void *state)
{
    upload_free(state);
}

const struct api_upload_ops api_documents_upload = {
    .begin = up_begin,
    .part_begin = up_part_begin,
    .part_data = up_part_data,
    .part_end = up_part_end,
    .finish = up_finish,
    .abort = up_abort,
};

/* ---- GET and DELETE ---- */

int api_documents_list(struct api_req *req, struct api_resp *resp)
{
    API_STORE(req, resp, 200, store_documents_list_json(db, req->params[0], &resp->body, &err));
}

struct doc_delete {
    const struct api_ctx *ctx;
    char *node_id, *doc_id;
};

static void delete_free(void *arg)
{
    struct doc_delete *d = arg;
    free(d->node_id);
    free(d->doc_id);
    free(d);
    jobs_release();
}

/* Look the row up, delete the bytes, then the row (on a pool thread). */
static int delete_document(struct api_req *req, const char *node_id, const char *doc_id,
                           struct api_resp *resp)
{
    struct db *db;
    int rc = api_db(req, resp, &db);
    if (rc != SP_OK)
        return rc;
    struct sp_error err = { 0 };
    char *key = NULL;
    rc = store_documents_find_key(db, node_id, doc_id, &key, &err);
    if (rc == SP_ENOTFOUND)
        return api_fail(resp, rc, "Document not found");
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    if (!req->ctx || !req->ctx->store) {
        rc = sp_error_set(&err, SP_EUNAVAILABLE, "document storage is not configured");
    } else if (!objstore_key_is_safe(key)) {
        /* Only rows written by the original can hold such a key; we never stored it. */
        fprintf(stderr,
                "documents: row %s has a key the store refuses (%s); row deleted, "
                "object left alone\n",
                doc_id, key);
    } else {
        rc = objstore_delete(req->ctx->store, key, &err);
    }
    free(key);
    if (rc != SP_OK)
        return api_fail(resp, rc, "storage failed: %s", sp_error_text(&err, rc));
    bool deleted = false;
    rc = store_documents_delete(db, node_id, doc_id, &deleted, &err);
    if (rc != SP_OK)
        return api_fail(resp, rc, "%s", sp_error_text(&err, rc));
    if (!deleted) /* a concurrent delete got there first */
        return api_fail(resp, SP_ENOTFOUND, "Document not found");
    return api_reply(resp, 204);
}

static void delete_job(struct run *run, void *arg)
{
    struct doc_delete *d = arg;
    struct api_req req = { .ctx = d->ctx };
    struct api_resp resp = { .body = BUF_INIT(0), .body_is_json = true };
    int rc = delete_document(&req, d->node_id, d->doc_id, &resp);
    job_reply(run, &resp, rc);
}

int api_documents_delete(struct api_req *req, struct api_resp *resp)
{
    if (!jobs_admit(resp))
        return SP_EUNAVAILABLE;
    struct doc_delete *d = calloc(1, sizeof *d);
    if (d) {
        d->ctx = req->ctx;
        d->node_id = strdup(req->params[0]);
        d->doc_id = strdup(req->params[1]);
    }
    if (!d || !d->node_id || !d->doc_id) {
        if (d) {
            delete_free(d);
        } else {
            jobs_release();
        }
        return api_fail(resp, SP_ENOMEM, "out of memory");
    }
    return jobs_start(resp, delete_job, d, delete_free);
}
