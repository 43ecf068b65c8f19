/* db/diff.c: the diff engine (see db/diff.h). Placeholder until the engine lands. */
#include "db/diff.h"

#include <stdlib.h>

int diff_schemas(const struct model_schema *old_s, const struct model_schema *new_s,
                 const struct diff_options *opt, struct diff_result *out, struct sp_error *err)
{
    (void)old_s; (void)new_s; (void)opt;
    if (out) {
        struct diff_result z = {0};
        *out = z;
    }
    return sp_error_set(err, SP_EUNSUPPORTED, "diff engine not implemented yet");
}

void diff_result_free(struct diff_result *r)
{
    (void)r;
}
