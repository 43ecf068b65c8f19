/* objects/objstore.c: choosing the store from the caller's configuration, key safety, dispatch
 * (see objstore.h). A bucket -> S3; otherwise the local folder storage_dir, default "uploads"
 * beside the database file.
 * Thread model: objstore_open/close at start-up and shutdown; the rest from any thread.
 */
#include "objects/objstore.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/backend.h"

#define KEY_MAX 512

bool objstore_key_is_safe(const char *key)
{
    if (!key || !*key || key[0] == '/')
        return false;
    size_t n = strlen(key);
    if (n > KEY_MAX)
        return false;
    const char *seg = key;
    for (size_t i = 0; i <= n; i++) {
        char c = key[i];
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(key + i - seg);
            if (len == 0)
                return false; /* "a//b", trailing "/" */
            if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return false; /* "." and ".." segments */
            seg = key + i + 1;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

static int open_s3(struct objstore *s, const struct objstore_s3_config *given, struct sp_error *err)
{
    struct objstore_s3_config cfg = *given;
    if (!cfg.region)
        cfg.region = "us-east-1";
    if (cfg.connect_timeout_ms <= 0)
        cfg.connect_timeout_ms = 5000;
    if (cfg.timeout_ms <= 0)
        cfg.timeout_ms = 60000;
    if (cfg.attempts <= 0)
        cfg.attempts = 3;
    if (!cfg.access_key || !cfg.secret_key)
        return sp_error_set(err, SP_EINVAL,
                            "AWS_S3_BUCKET is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY "
                            "is missing (unset AWS_S3_BUCKET to store documents in a local folder)");
    return objstore_s3_init(s, &cfg, err);
}

static int open_local(struct objstore *s, const char *db_path, const char *dir,
                      struct sp_error *err)
{
    char root[PATH_MAX];
    if (dir) {
        if (snprintf(root, sizeof root, "%s", dir) >= (int)sizeof root)
            return sp_error_set(err, SP_EINVAL, "STORAGE_DIR is too long");
    } else {
        const char *slash = db_path ? strrchr(db_path, '/') : NULL;
        int w = slash ? snprintf(root, sizeof root, "%.*s/uploads", (int)(slash - db_path), db_path)
                      : snprintf(root, sizeof root, "uploads");
        if (w >= (int)sizeof root)
            return sp_error_set(err, SP_EINVAL, "database path is too long");
    }
    return objstore_local_init(s, root, err);
}

int objstore_open(const struct objstore_config *cfg, struct objstore **out, struct sp_error *err)
{
    *out = NULL;
    struct objstore *s = calloc(1, sizeof *s);
    if (!s)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    int rc = cfg->s3.bucket ? open_s3(s, &cfg->s3, err)
                            : open_local(s, cfg->db_path, cfg->storage_dir, err);
    if (rc != SP_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return SP_OK;
}

void objstore_close(struct objstore *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s->impl);
    free(s);
}

const char *objstore_describe(const struct objstore *s)
{
    return s ? s->describe : "no store";
}

int objstore_put_file(struct objstore *s, const char *key, const char *local_path,
                      const char *content_type, struct sp_error *err)
{
    if (!s)
        return sp_error_set(err, SP_EUNAVAILABLE, "no document store configured");
    if (!objstore_key_is_safe(key))
        return sp_error_set(err, SP_EINTERNAL, "unsafe object key \"%s\"", key ? key : "(null)");
    return s->ops->put_file(s->impl, key, local_path,
                            content_type ? content_type : "application/octet-stream", err);
}

int objstore_delete(struct objstore *s, const char *key, struct sp_error *err)
{
    if (!s)
        return sp_error_set(err, SP_EUNAVAILABLE, "no document store configured");
    if (!objstore_key_is_safe(key))
        return sp_error_set(err, SP_EINTERNAL, "unsafe object key \"%s\"", key ? key : "(null)");
    return s->ops->del(s->impl, key, err);
}

bool objstore_is_remote(const struct objstore *s)
{
    return s && s->remote;
}

int objstore_sweep(struct objstore *s, bool (*keep)(void *cls, const char *key), void *cls,
                   long grace_s, size_t *removed, struct sp_error *err)
{
    *removed = 0;
    if (!s || !s->ops->sweep)
        return SP_OK;
    return s->ops->sweep(s->impl, keep, cls, grace_s, removed, err);
}
