/* db/journal.c: reading meta/_journal.json and migration files (see journal.h). */
#include "db/journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"

int file_read_all(const char *path, char **out, size_t *len, struct sp_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sp_error_set(err, errno == ENOENT ? SP_ENOTFOUND : SP_EIO, "cannot read %s: %s",
                            path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    while (p) {
        size_t r = fread(p + n, 1, cap - n - 1, f);
        n += r;
        if (n + 1 < cap)
            break;
        cap *= 2;
        char *q = realloc(p, cap);
        if (!q) {
            free(p);
            p = NULL;
        }
        p = q;
    }
    int bad = ferror(f);
    fclose(f);
    if (!p)
        return sp_error_set(err, SP_ENOMEM, "out of memory reading %s", path);
    if (bad) {
        free(p);
        return sp_error_set(err, SP_EIO, "error reading %s", path);
    }
    p[n] = '\0';
    *out = p;
    if (len)
        *len = n;
    return SP_OK;
}

static bool tag_is_safe(const char *tag)
{
    return *tag && !strchr(tag, '/') && !strchr(tag, '\\') && !strstr(tag, "..");
}

int journal_load(const char *dir, bool allow_missing, struct journal *out, struct sp_error *err)
{
    struct migsrc src = migsrc_folder(dir);
    return journal_load_src(&src, allow_missing, out, err);
}

int journal_load_src(const struct migsrc *src, bool allow_missing, struct journal *out,
                     struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    migsrc_file_name(src, "meta/_journal.json", path, sizeof path);
    char *text = NULL;
    size_t len = 0;
    struct sp_error rerr = { 0 };
    int rc = migsrc_read(src, "meta/_journal.json", &text, &len, &rerr);
    if (rc == SP_ENOTFOUND && allow_missing) {
        out->missing = true;
        return SP_OK;
    }
    if (rc == SP_ENOTFOUND)
        return sp_error_set(err, SP_ENOTFOUND, "Can't find meta/_journal.json file in %s (%s)",
                            migsrc_name(src), rerr.msg);
    if (rc != SP_OK)
        return sp_error_set(err, rc, "%s", rerr.msg);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root)
        return sp_error_set(err, SP_EINVAL, "%s is not valid JSON: %s (line %d, column %d)", path,
                            jerr.text, jerr.line, jerr.column);
    json_t *entries = json_object_get(root, "entries");
    if (!json_is_object(root) || !json_is_array(entries)) {
        json_decref(root);
        return sp_error_set(err, SP_EINVAL,
                            "%s is malformed: expected an object with an \"entries\" array", path);
    }
    size_t n = json_array_size(entries);
    out->entries = calloc(n ? n : 1, sizeof *out->entries);
    if (!out->entries) {
        json_decref(root);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    out->raw = root;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(entries, i);
        json_t *when = json_object_get(e, "when"), *tag = json_object_get(e, "tag");
        json_t *idx = json_object_get(e, "idx"), *ver = json_object_get(e, "version");
        json_t *bp = json_object_get(e, "breakpoints");
        if (!json_is_object(e) || !json_is_integer(when) || !json_is_string(tag) ||
            !tag_is_safe(json_string_value(tag))) {
            journal_free(out);
            return sp_error_set(
                err, SP_EINVAL,
                "%s is malformed: entry %zu needs an integer \"when\" and a \"tag\" naming a file in the folder",
                path, i);
        }
        struct journal_entry *je = &out->entries[i];
        je->idx = json_is_integer(idx) ? json_integer_value(idx) : (long long)i;
        je->version = json_is_string(ver) ? json_string_value(ver) : "6";
        je->when = json_integer_value(when);
        je->tag = json_string_value(tag);
        je->breakpoints = bp ? json_is_true(bp) : true;
    }
    out->n = n;
    return SP_OK;
}

void journal_free(struct journal *j)
{
    if (!j)
        return;
    free(j->entries);
    json_decref(j->raw);
    memset(j, 0, sizeof *j);
}

int journal_read_sql(const struct migsrc *src, const char *tag, char **out, size_t *len,
                     struct sp_error *err)
{
    char rel[1024], name[4200];
    snprintf(rel, sizeof rel, "%s.sql", tag);
    int rc = migsrc_read(src, rel, out, len, err);
    if (rc == SP_ENOTFOUND)
        sp_error_set(err, rc, "No file %s found in %s folder",
                     migsrc_file_name(src, rel, name, sizeof name), migsrc_name(src));
    return rc;
}

long long journal_next_idx(const struct journal *j)
{
    return j->n ? j->entries[j->n - 1].idx + 1 : 0;
}

int journal_render_append(struct journal *j, long long when, const char *tag, bool breakpoints,
                          struct buf *out)
{
    return journal_render_append_dialect(j, when, tag, breakpoints, "sqlite", out);
}

int journal_render_append_dialect(struct journal *j, long long when, const char *tag,
                                  bool breakpoints, const char *dialect, struct buf *out)
{
    bool pg = strcmp(dialect, "postgresql") == 0;
    if (!j->raw) {
        j->raw = json_object();
        if (!j->raw)
            return SP_ENOMEM;
        json_object_set_new(j->raw, "version", json_string("7"));
        json_object_set_new(j->raw, "dialect", json_string(dialect));
        json_object_set_new(j->raw, "entries", json_array());
    }
    json_t *entries = json_object_get(j->raw, "entries");
    json_t *e = json_object();
    if (!json_is_array(entries) || !e) {
        json_decref(e);
        return SP_EINVAL;
    }
    json_object_set_new(e, "idx", json_integer(journal_next_idx(j)));
    json_object_set_new(e, "version", json_string(pg ? "7" : "6")); /* the snapshot version */
    json_object_set_new(e, "when", json_integer(when));
    json_object_set_new(e, "tag", json_string(tag));
    json_object_set_new(e, "breakpoints", json_boolean(breakpoints));
    if (json_array_append_new(entries, e))
        return SP_ENOMEM;
    return jsonw_dump(out, j->raw, 2);
}
