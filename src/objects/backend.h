/* objects/backend.h: private to objects/: the table of operations each store implements and
 * the two constructors objstore.c chooses between. Not included outside objects/.
 * Ownership: a backend's impl pointer belongs to its struct objstore and is released by ->close.
 * Thread model: put/del are called from many threads at once; impl is read-only after open.
 */
#ifndef SP_OBJECTS_BACKEND_H
#define SP_OBJECTS_BACKEND_H

#include "objects/objstore.h"

struct objstore_ops {
    int (*put_file)(void *impl, const char *key, const char *local_path, const char *content_type,
                    struct sp_error *err);
    int (*del)(void *impl, const char *key, struct sp_error *err);
    /* May be NULL (the store cannot list its objects): see objstore_sweep(). */
    int (*sweep)(void *impl, bool (*keep)(void *cls, const char *key), void *cls, long grace_s,
                 size_t *removed, struct sp_error *err);
    void (*close)(void *impl);
};

struct objstore {
    const struct objstore_ops *ops;
    void *impl;
    char describe[512];
    bool remote; /* reached over the network (S3) */
};

/* Fill s (ops, impl, describe). The local folder is created if missing. */
int objstore_local_init(struct objstore *s, const char *root, struct sp_error *err);
int objstore_s3_init(struct objstore *s, const struct objstore_s3_config *cfg,
                     struct sp_error *err);

#endif
