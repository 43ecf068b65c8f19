/* objects/objstore.h: where document bytes live, behind one small interface.
 *
 * Two implementations: a local folder (objects/local.c; STORAGE_DIR, default ./uploads beside
 * the database; the embedded default) and S3 (objects/s3.c; when AWS_S3_BUCKET is set; SigV4
 * by libcurl, AWS_ENDPOINT_URL with path-style addressing for S3-compatible stores).
 * Keys are "documents/<uuid><ext>"; objstore_key_is_safe() refuses anything that could leave
 * the bucket or folder, and every implementation checks it.
 * Errors: SP_EUPSTREAM for a refusing/unreachable S3 (message says what happened), SP_EIO for
 * the local folder, SP_EINVAL for an unsafe key.
 * Thread model: a store is shared by all worker threads; implementations are thread-safe.
 */
#ifndef SP_OBJECTS_OBJSTORE_H
#define SP_OBJECTS_OBJSTORE_H

#include <stdbool.h>

#include "util/err.h"

struct objstore;

/* S3 settings (cli/ reads them from AWS_* and SPROUT_S3_*); zero / NULL fields take the
 * defaults named here. */
struct objstore_s3_config {
    const char *bucket;
    const char *region; /* default us-east-1 */
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* may be NULL */
    const char *endpoint;      /* NULL: AWS virtual-host style; else path style */
    long connect_timeout_ms;   /* default 5000 */
    long timeout_ms;           /* default 60000 */
    int attempts;              /* default 3 */
    long sweep_page;           /* keys per ListObjectsV2 page in a sweep, 1..1000, default 1000 */
    long sweep_max_keys;       /* keys listed per sweep (the next continues), default 10000 */
};

/* Which store, configured by the caller (no environment reads below cli/). */
struct objstore_config {
    const char *db_path;          /* the local folder defaults to "uploads" beside the database */
    const char *storage_dir;      /* the local folder (STORAGE_DIR), or NULL for the default */
    struct objstore_s3_config s3; /* used when s3.bucket is set (AWS_S3_BUCKET) */
};

/* Choose and configure the store: S3 when cfg->s3.bucket is set, else the local folder. */
int objstore_open(const struct objstore_config *cfg, struct objstore **out, struct sp_error *err);
void objstore_close(struct objstore *s); /* NULL-safe */
const char *
objstore_describe(const struct objstore *s); /* "local folder ./uploads" / "S3 bucket b" */
/* Store the file at local_path under key. */
int objstore_put_file(struct objstore *s, const char *key, const char *local_path,
                      const char *content_type, struct sp_error *err);
/* Remove key; a key that does not exist is not an error. */
int objstore_delete(struct objstore *s, const char *key, struct sp_error *err);
bool objstore_key_is_safe(const char *key);
/* true for a store reached over the network (S3): sweeping it makes requests. */
bool objstore_is_remote(const struct objstore *s);
/* Crash leftovers: remove every stored object older than grace_s seconds for which keep(cls,
 * key) says false, and the store's own temporary files older than grace_s; *removed counts
 * both. The local folder is read whole; S3 lists the keys under "documents/" (at most
 * sweep_max_keys per call, continuing where the last call stopped) and deletes nothing when
 * the listing fails. keep() is called from the calling thread only; once it has said true
 * for a failure (it cannot tell), it should say true for every later key. */
int objstore_sweep(struct objstore *s, bool (*keep)(void *cls, const char *key), void *cls,
                   long grace_s, size_t *removed, struct sp_error *err);

#endif
