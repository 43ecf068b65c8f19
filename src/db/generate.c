/* db/generate.c: the generate algorithm on a migrations folder (see db/generate.h). */
#include "db/generate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "db/journal.h"
#include "db/pgdiff.h"
#include "db/pgsnap.h"
#include "db/snapshot.h"
#include "util/buf.h"
#include "util/countof.h"
#include "util/ids.h"

/* Our own tag word lists, same shape as drizzle-kit's (lowercase; heroes may contain '_'). */
static const char *const adjectives[] = {
    "able",     "agile",  "amber",  "ancient",  "brave",  "bright", "brisk",  "calm",   "clever",
    "cold",     "cosmic", "crisp",  "curious",  "daring", "dark",   "deep",   "eager",  "early",
    "electric", "fancy",  "fast",   "fearless", "fierce", "flat",   "fluffy", "gentle", "giant",
    "glossy",   "golden", "grand",  "happy",    "hidden", "humble", "icy",    "jolly",  "keen",
    "kind",     "large",  "lazy",   "light",    "little", "lively", "loud",   "lucky",  "mellow",
    "mighty",   "misty",  "modern", "narrow",   "neat",   "nimble", "noble",  "odd",    "old",
    "orange",   "pale",   "plain",  "polite",   "proud",  "purple", "quick",  "quiet",  "rapid",
    "rare",     "red",    "rich",   "rough",    "round",  "rusty",  "shiny",  "silent", "silly",
    "simple",   "sleepy", "slim",   "smooth",   "soft",   "solid",  "spicy",  "steady", "stormy",
    "sturdy",   "sunny",  "swift",  "tall",     "tame",   "tidy",   "tiny",   "tough",  "true",
    "vast",     "violet", "warm",   "wild",     "wise",   "witty",  "young",  "zany",   "zealous",
    "zesty",
};
static const char *const heroes[] = {
    "ant_man",        "black_cat",      "black_panther", "black_widow",    "blade",
    "captain_marvel", "cyclops",        "daredevil",     "doctor_strange", "domino",
    "falcon",         "gambit",         "gamora",        "ghost_rider",    "groot",
    "hawkeye",        "hulk",           "human_torch",   "iceman",         "iron_fist",
    "iron_man",       "jean_grey",      "jubilee",       "kitty_pryde",    "loki",
    "luke_cage",      "magneto",        "mantis",        "medusa",         "mister_fantastic",
    "moon_knight",    "mystique",       "namor",         "nebula",         "nightcrawler",
    "nova",           "okoye",          "phoenix",       "psylocke",       "punisher",
    "quicksilver",    "rocket_raccoon", "rogue",         "sabretooth",     "scarlet_witch",
    "shang_chi",      "she_hulk",       "silver_surfer", "spider_man",     "squirrel_girl",
    "star_lord",      "storm",          "thing",         "thor",           "valkyrie",
    "venom",          "vision",         "wasp",          "wolverine",      "wong",
};

bool generate_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static unsigned pick(size_t n)
{
    unsigned char b[4];
    char u[IDS_UUID_SIZE];
    ids_uuid_v4(u); /* libuuid's random source; no seeding to manage */
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)strtoul((char[]){ u[2 * i], u[2 * i + 1], 0 }, NULL, 16);
    return (unsigned)(((unsigned)b[0] << 24 | (unsigned)b[1] << 16 | (unsigned)b[2] << 8 | b[3]) %
                      n);
}

static char *join_sql(char **v, size_t n)
{
    struct buf b = BUF_INIT(0);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            rc |= buf_puts(&b, "--> statement-breakpoint\n");
        rc |= buf_puts(&b, v[i]);
    }
    if (rc) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* down SQL for either dialect: model schemas (from, to) or PostgreSQL bodies (pfrom, pto) */
static int down_sql(const struct model_schema *from, const struct model_schema *to,
                    const json_t *pfrom, const json_t *pto, const struct diff_rename *renames,
                    size_t n_renames, char **out, struct sp_error *err)
{
    *out = NULL;
    struct diff_answer *ans = calloc(n_renames + 1, sizeof *ans);
    char **owned = calloc(2 * n_renames + 1, sizeof *owned);
    int rc = ans && owned ? SP_OK : SP_ENOMEM;
    /* reverse: the old name is "added" in the down diff, the new one "deleted" */
    for (size_t i = 0; rc == SP_OK && i < n_renames; i++) {
        const struct diff_rename *r = &renames[i];
        struct buf k = BUF_INIT(0), v = BUF_INIT(0);
        if (r->kind) {
            buf_printf(&k, "%s:%s", r->kind, r->from); /* PostgreSQL: enum:, schema: */
        } else if (r->table) {
            /* the table's name in `from` (undo a table rename done in the same step) */
            const char *t = r->table;
            for (size_t j = 0; j < n_renames; j++)
                if (!renames[j].table && !renames[j].kind && strcmp(renames[j].to, r->table) == 0)
                    t = renames[j].from;
            buf_printf(&k, "column:%s.%s", t, r->from);
        } else {
            buf_printf(&k, "table:%s", r->from);
        }
        buf_printf(&v, "rename:%s", r->to);
        owned[2 * i] = buf_detach(&k);
        owned[2 * i + 1] = buf_detach(&v);
        ans[i].key = owned[2 * i];
        ans[i].value = owned[2 * i + 1];
    }
    struct diff_options o = { .answers = ans,
                              .n_answers = n_renames,
                              .default_create = true,
                              .drops_children_first = true };
    struct diff_result r;
    if (rc == SP_OK) {
        rc = pto ? pgdiff_bodies(pto, pfrom, &o, &r, err) : diff_schemas(to, from, &o, &r, err);
        if (rc == SP_OK) {
            *out = join_sql(r.sql, r.n_sql);
            if (!*out)
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        }
        diff_result_free(&r);
    } else {
        sp_error_set(err, rc, "out of memory");
    }
    for (size_t i = 0; owned && i < 2 * n_renames; i++)
        free(owned[i]);
    free(owned);
    free(ans);
    return rc;
}

/* Write data to <path>.tmp-<pid>; the temp path is returned in *tmp (new string). */
static int write_temp(const char *path, const char *data, size_t len, char **tmp,
                      struct sp_error *err)
{
    struct buf b = BUF_INIT(0);
    if (buf_printf(&b, "%s.tmp-%ld", path, (long)getpid())) {
        buf_release(&b);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    *tmp = buf_detach(&b);
    FILE *f = fopen(*tmp, "wb");
    if (!f)
        return sp_error_set(err, SP_EIO, "cannot write %s: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int bad = w != len || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(*tmp);
        return sp_error_set(err, SP_EIO, "cannot write %s: %s", path, strerror(e));
    }
    return SP_OK;
}

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int copy_strv(char ***dst, size_t *dn, char **src, size_t n)
{
    *dst = calloc(n + 1, sizeof **dst);
    if (!*dst)
        return SP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!((*dst)[i] = strdup(src[i])))
            return SP_ENOMEM;
    *dn = n;
    return SP_OK;
}

int generate_run(const struct generate_options *opt, struct generate_result *res,
                 struct sp_error *err)
{
    memset(res, 0, sizeof *res);
    if (opt->name && !generate_name_valid(opt->name))
        return sp_error_set(err, SP_EINVAL,
                            "invalid --name '%s': use lowercase letters, digits and '_'",
                            opt->name);
    const bool pg = opt->pg_schema != NULL;
    int rc = pg ? pgsnap_validate_dir(opt->dir, err) : snapshot_validate_dir(opt->dir, err);
    if (rc)
        return rc;
    struct journal j;
    rc = journal_load(opt->dir, true, &j, err);
    if (rc)
        return rc;
    struct model_schema prev = { 0 };
    json_t *pg_prev = NULL;
    struct snapshot_meta meta = { .id = SNAPSHOT_ORIGIN_ID };
    char *latest = NULL, *sql = NULL, *down = NULL, *tmp[4] = { 0 };
    const char *final[4] = { 0 };
    struct buf snap = BUF_INIT(0), jtext = BUF_INIT(0), path = BUF_INIT(0);
    struct diff_result d = { 0 };
    rc = snapshot_latest_path(opt->dir, &latest, err);
    if (rc == SP_OK && latest)
        rc = pg ? pgsnap_load_file(latest, &pg_prev, &meta, err)
                : snapshot_load_file(latest, &prev, &meta, err);
    if (rc == SP_OK && pg && !pg_prev && !(pg_prev = json_object()))
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
    if (rc)
        goto out;
    struct diff_options dopt = { .answers = opt->answers,
                                 .n_answers = opt->n_answers,
                                 .ask = opt->ask,
                                 .ask_ud = opt->ask_ud,
                                 .old_label = "previous snapshot",
                                 .new_label = "schema" };
    rc = pg ? pgdiff_bodies(pg_prev, opt->pg_schema, &dopt, &d, err)
            : diff_schemas(&prev, opt->schema, &dopt, &d, err);
    if (rc == SP_EABORT && d.n_questions)
        copy_strv(&res->questions, &res->n_questions, d.questions, d.n_questions);
    if (rc)
        goto out;
    if (copy_strv(&res->changes, &res->n_changes, d.changes, d.n_changes)) {
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        goto out;
    }
    if (d.n_sql == 0) {
        res->no_changes = true;
        goto out;
    }
    sql = join_sql(d.sql, d.n_sql);
    if (!sql) {
        rc = sp_error_set(err, SP_ENOMEM, "out of memory");
        goto out;
    }
    rc = down_sql(&prev, opt->schema, pg_prev, opt->pg_schema, d.renames, d.n_renames, &down, err);
    if (rc)
        goto out;

    long long idx = journal_next_idx(&j);
    struct buf tag = BUF_INIT(0);
    if (opt->name)
        buf_printf(&tag, "%04lld_%s", idx, opt->name);
    else
        buf_printf(&tag, "%04lld_%s_%s", idx, adjectives[pick(SP_COUNT(adjectives))],
                   heroes[pick(SP_COUNT(heroes))]);
    res->tag = buf_detach(&tag);
    res->when = opt->now_ms ? opt->now_ms : now_ms();
    if (j.n && res->when <= j.entries[j.n - 1].when) {
        res->when = j.entries[j.n - 1].when + 1;
        res->when_bumped = true;
    }
    char id[IDS_UUID_SIZE];
    ids_uuid_v4(id);
    rc = pg ? pgsnap_write(&snap, opt->pg_schema, id, meta.id)
            : snapshot_write(&snap, opt->schema, id, meta.id, d.renames, d.n_renames);
    if (rc == SP_OK)
        rc = journal_render_append_dialect(&j, res->when, res->tag, true,
                                           pg ? "postgresql" : "sqlite", &jtext);
    if (rc) {
        sp_error_set(err, rc, "cannot serialise the snapshot or journal");
        goto out;
    }
    /* the folder itself too, as drizzle-kit does (generate in a folder without ./drizzle) */
    if (mkdir(opt->dir, 0777) != 0 && errno != EEXIST) {
        rc = sp_error_set(err, SP_EIO, "cannot create %s: %s", opt->dir, strerror(errno));
        goto out;
    }
    buf_printf(&path, "%s/meta", opt->dir);
    if (mkdir(buf_cstr(&path), 0777) != 0 && errno != EEXIST) {
        rc = sp_error_set(err, SP_EIO, "cannot create %s: %s", buf_cstr(&path), strerror(errno));
        goto out;
    }
    buf_reset(&path);
    buf_printf(&path, "%s/%s.sql", opt->dir, res->tag);
    res->sql_path = buf_detach(&path);
    buf_printf(&path, "%s/%s.down.sql", opt->dir, res->tag);
    res->down_path = buf_detach(&path);
    buf_printf(&path, "%s/meta/%04lld_snapshot.json", opt->dir, idx);
    res->snapshot_path = buf_detach(&path);
    buf_printf(&path, "%s/meta/_journal.json", opt->dir);
    char *jpath = buf_detach(&path);
    final[0] = res->sql_path;
    final[1] = res->down_path;
    final[2] = res->snapshot_path;
    final[3] = jpath;
    const char *data[4] = { sql, down, buf_cstr(&snap), buf_cstr(&jtext) };
    for (int i = 0; i < 4 && rc == SP_OK; i++)
        rc = write_temp(final[i], data[i], strlen(data[i]), &tmp[i], err);
    int renamed = 0;
    for (; rc == SP_OK && renamed < 4; renamed++) {
        if (rename(tmp[renamed], final[renamed]) != 0)
            rc = sp_error_set(err, SP_EIO, "cannot write %s: %s", final[renamed], strerror(errno));
    }
    if (rc) {
        for (int i = 0; i < 4; i++)
            if (tmp[i])
                unlink(tmp[i]);
        for (int i = 0; i < renamed - 1 && i < 3; i++)
            unlink(final[i]); /* the journal was not replaced: nothing points at these */
    }
    free(jpath);
    final[3] = NULL;
out:
    for (int i = 0; i < 4; i++)
        free(tmp[i]);
    free(sql);
    free(down);
    free(latest);
    buf_release(&snap);
    buf_release(&jtext);
    buf_release(&path);
    diff_result_free(&d);
    model_schema_free(&prev);
    json_decref(pg_prev);
    journal_free(&j);
    return rc;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void generate_result_free(struct generate_result *res)
{
    if (!res)
        return;
    free(res->tag);
    free(res->sql_path);
    free(res->down_path);
    free(res->snapshot_path);
    strv_free(res->questions, res->n_questions);
    strv_free(res->changes, res->n_changes);
    memset(res, 0, sizeof *res);
}
