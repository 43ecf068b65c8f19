/* http/upload.c: multipart/form-data bodies streamed into a route's api_upload_ops through
 * libmicrohttpd's post processor (see upload.h). File parts (a Content-Disposition with a
 * non-empty filename) become part_begin / part_data... / part_end calls; other form fields are
 * ignored. Nothing of a file is held here beyond MHD's small parse buffer.
 * Ownership: struct http_upload owns the post processor and the ops state until finish
 * succeeded or http_upload_free() ran ops->abort.
 * Thread model: one upload per request, on its connection's thread.
 */
#include "http/upload.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UPLOAD_PP_BUFFER (64 * 1024)

struct http_upload {
    const struct api_upload_ops *ops;
    struct api_req *req;
    struct api_resp *resp;
    void *state;
    struct MHD_PostProcessor *pp;
    bool begun;    /* ops->begin succeeded: abort() or finish() owes the state */
    bool finished; /* finish succeeded: nothing to abort */
    bool failed;   /* a callback failed (resp is filled) or the body was malformed */
    bool in_part;
};

static int end_part(struct http_upload *u)
{
    if (!u->in_part)
        return SP_OK;
    u->in_part = false;
    return u->ops->part_end ? u->ops->part_end(u->state, u->resp) : SP_OK;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    (void)kind;
    (void)transfer_encoding;
    struct http_upload *u = cls;
    if (u->failed)
        return MHD_NO;
    if (!filename || !filename[0])
        return MHD_YES; /* a plain form field, or an empty file input: ignored */
    /* MHD (0.9.75) calls once per chunk with off = bytes of this part delivered before it; an
     * empty part is one call with off 0 and size 0. So offset 0 always starts a new part, even
     * one with the same field and file name as the previous. */
    bool new_part = !u->in_part || off == 0;
    if (new_part) {
        if (end_part(u) != SP_OK)
            goto fail;
        u->in_part = true;
        if (u->ops->part_begin &&
            u->ops->part_begin(u->state, u->resp, key ? key : "", filename, content_type) != SP_OK)
            goto fail;
    }
    if (size) {
        if (u->ops->part_data && u->ops->part_data(u->state, u->resp, data, size) != SP_OK)
            goto fail;
    }
    return MHD_YES;
fail:
    if (u->resp->status < 400)
        api_fail(u->resp, SP_EINTERNAL, "an upload step failed without a reply");
    u->failed = true;
    return MHD_NO;
}

/* Content-Type is multipart/form-data with a boundary parameter? Message on failure. */
static const char *check_type(const char *ct)
{
    static const char mp[] = "multipart/form-data";
    if (!ct)
        return "expected a multipart/form-data body (no Content-Type given): No files provided";
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, mp, sizeof mp - 1) != 0 ||
        (ct[sizeof mp - 1] != '\0' && ct[sizeof mp - 1] != ';' && ct[sizeof mp - 1] != ' '))
        return "expected a multipart/form-data body: No files provided";
    const char *b = strcasestr(ct, "boundary=");
    if (!b || b[9] == '\0' || b[9] == ';')
        return "Multipart: Boundary not found";
    return NULL;
}

int http_upload_start(struct MHD_Connection *conn, const struct api_upload_ops *ops,
                      struct api_req *req, struct api_resp *resp, struct http_upload **out)
{
    *out = NULL;
    struct http_upload *u = calloc(1, sizeof *u);
    if (!u)
        return api_fail(resp, SP_ENOMEM, "out of memory");
    u->ops = ops;
    u->req = req;
    u->resp = resp;
    int rc = ops->begin ? ops->begin(req, resp, &u->state) : SP_OK;
    if (rc != SP_OK) {
        if (resp->status < 400)
            api_fail(resp, rc, "upload refused");
        free(u);
        return rc;
    }
    u->begun = true;
    const char *why = check_type(req->content_type);
    if (why) {
        rc = api_fail(resp, SP_EINVAL, "%s", why);
        http_upload_free(u);
        return rc;
    }
    u->pp = MHD_create_post_processor(conn, UPLOAD_PP_BUFFER, on_field, u);
    if (!u->pp) {
        rc = api_fail(resp, SP_EINVAL,
                      "malformed multipart/form-data Content-Type (boundary missing or too long)");
        http_upload_free(u);
        return rc;
    }
    *out = u;
    return SP_OK;
}

int http_upload_feed(struct http_upload *u, const char *data, size_t len)
{
    if (u->failed)
        return SP_EINVAL;
    if (MHD_post_process(u->pp, data, len) != MHD_YES) {
        if (!u->failed || u->resp->status < 400)
            api_fail(u->resp, SP_EINVAL, "malformed multipart/form-data body");
        u->failed = true;
        return SP_EINVAL;
    }
    return SP_OK;
}

int http_upload_finish(struct http_upload *u)
{
    if (u->failed)
        return SP_EINVAL;
    struct MHD_PostProcessor *pp = u->pp;
    u->pp = NULL;
    enum MHD_Result done = MHD_destroy_post_processor(pp); /* may deliver the last chunk */
    if (u->failed)
        return SP_EINVAL;
    if (done != MHD_YES) {
        u->failed = true;
        return api_fail(u->resp, SP_EINVAL,
                        "Unexpected end of form: the multipart body ended before its closing boundary");
    }
    if (end_part(u) != SP_OK) {
        u->failed = true;
        if (u->resp->status < 400)
            api_fail(u->resp, SP_EINTERNAL, "an upload step failed without a reply");
        return SP_EINVAL;
    }
    int rc = u->ops->finish ? u->ops->finish(u->state, u->req, u->resp) : SP_OK;
    if (rc != SP_OK) {
        u->failed = true;
        if (u->resp->status < 400)
            api_fail(u->resp, rc, "upload failed");
        return rc;
    }
    u->finished = true;
    return SP_OK;
}

void http_upload_free(struct http_upload *u)
{
    if (!u)
        return;
    if (u->pp) {
        if (!u->finished)
            u->failed = true; /* no more callbacks into ops while tearing down */
        MHD_destroy_post_processor(u->pp);
    }
    if (u->begun && !u->finished && u->ops->abort)
        u->ops->abort(u->state);
    free(u);
}
