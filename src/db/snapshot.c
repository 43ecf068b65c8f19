/* db/snapshot.c: drizzle-kit snapshot files (see db/snapshot.h). Placeholder. */
#include "db/snapshot.h"

#include <stdlib.h>

int snapshot_load_file(const char *path, struct model_schema *out, struct snapshot_meta *meta,
                       struct sp_error *err)
{
    (void)out; (void)meta;
    return sp_error_set(err, SP_EUNSUPPORTED, "%s: snapshots not implemented yet", path);
}

int snapshot_load_case(const char *path, struct model_schema *out, struct sp_error *err)
{
    (void)out;
    return sp_error_set(err, SP_EUNSUPPORTED, "%s: cases not implemented yet", path);
}

int snapshot_write(struct buf *out, const struct model_schema *s, const char *id, const char *prev_id,
                   const struct diff_rename *renames, size_t n_renames)
{
    (void)out; (void)s; (void)id; (void)prev_id; (void)renames; (void)n_renames;
    return SP_EUNSUPPORTED;
}

int snapshot_latest_path(const char *dir, char **path, struct sp_error *err)
{
    (void)dir;
    *path = NULL;
    return sp_error_set(err, SP_EUNSUPPORTED, "not implemented yet");
}

char *snapshot_path_for_tag(const char *dir, const char *tag)
{
    (void)dir; (void)tag;
    return NULL;
}
