/* db/migsrc.c: reading a migrations source, a folder or the built-in set (see migsrc.h).
 * Thread model: read-only, any thread.
 */
#include "db/migsrc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/journal.h"
#include "db/snapshot.h"
#include "util/embed.h"

#define MIGSRC_PATH_MAX PATH_MAX

const char *migsrc_name(const struct migsrc *s)
{
    if (migsrc_is_builtin(s))
        return "built-in";
    return strncmp(s->dir, "./", 2) == 0 && s->dir[2] ? s->dir + 2 : s->dir;
}

const char *migsrc_file_name(const struct migsrc *s, const char *rel, char *buf, size_t size)
{
    if (migsrc_is_builtin(s))
        snprintf(buf, size, "built-in:%s", rel);
    else
        snprintf(buf, size, "%s/%s", migsrc_name(s), rel);
    return buf;
}

bool migsrc_builtin_available(void)
{
    return embed_find(MIGSRC_EMBED_PREFIX "meta/_journal.json") != NULL;
}

bool migsrc_builtin_pg_available(void)
{
    return embed_find(MIGSRC_EMBED_PREFIX_PG "meta/_journal.json") != NULL;
}

static const char *prefix(const struct migsrc *s)
{
    return s->pg ? MIGSRC_EMBED_PREFIX_PG : MIGSRC_EMBED_PREFIX;
}

int migsrc_read(const struct migsrc *s, const char *rel, char **out, size_t *len,
                struct sp_error *err)
{
    *out = NULL;
    char path[MIGSRC_PATH_MAX];
    if (!migsrc_is_builtin(s)) {
        if (snprintf(path, sizeof path, "%s/%s", s->dir, rel) >= (int)sizeof path)
            return sp_error_set(err, SP_EINVAL, "the migrations folder path is too long: %s",
                                s->dir); /* refused, never truncated to another file's name */
        return file_read_all(path, out, len, err);
    }
    snprintf(path, sizeof path, "%s%s", prefix(s), rel);
    const struct embed_file *f = embed_find(path);
    if (!f)
        return sp_error_set(err, SP_ENOTFOUND,
                            "cannot read built-in:%s: not built into this binary", rel);
    char *p = malloc(f->len + 1);
    if (!p)
        return sp_error_set(err, SP_ENOMEM, "out of memory reading built-in:%s", rel);
    memcpy(p, f->data, f->len);
    p[f->len] = '\0';
    *out = p;
    if (len)
        *len = f->len;
    return SP_OK;
}

/* The built-in set: the embedded table is sorted by path, so the last match is the newest. */
static int latest_builtin(const struct migsrc *s, char **rel, struct sp_error *err)
{
    char meta[64];
    snprintf(meta, sizeof meta, "%smeta/", prefix(s));
    size_t ml = strlen(meta);
    const char *best = NULL;
    for (size_t i = 0; i < embed_n_files; i++) {
        const char *p = embed_files[i].path;
        if (strncmp(p, meta, ml) != 0)
            continue;
        const char *name = p + ml;
        if (name[0] == '_' || name[0] == '.' || strchr(name, '/'))
            continue;
        best = p;
    }
    if (best && !(*rel = strdup(best + strlen(prefix(s)))))
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    return SP_OK;
}

int migsrc_latest_snapshot(const struct migsrc *s, char **rel, struct sp_error *err)
{
    *rel = NULL;
    if (migsrc_is_builtin(s))
        return latest_builtin(s, rel, err);
    char *path = NULL;
    int rc = snapshot_latest_path(s->dir, &path, err);
    if (rc != SP_OK || !path)
        return rc;
    /* snapshot_latest_path gives "<dir>/meta/NAME" */
    const char *m = path + strlen(s->dir) + 1;
    *rel = strdup(m);
    free(path);
    if (!*rel)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    return SP_OK;
}
