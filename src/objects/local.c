/* objects/local.c: the local-folder store (the embedded default): <root>/<key>.
 *
 * put: copy the staged file to a hidden temporary file in the key's folder, fsync it, rename
 * it over the final name (atomic: a reader sees the whole file or nothing), fsync the folder.
 * delete: unlink; a missing file is fine. Keys were checked by objstore_key_is_safe(), so the
 * path cannot leave root. Folders under root are created on demand (mode 0700 for root).
 * Thread model: stateless apart from the immutable root; safe from any thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objects/backend.h"

struct local_store {
    char root[PATH_MAX];
};

static int mkdir_p(char *path, mode_t mode)
{
    /* path is modified temporarily; every prefix ending at a '/' is created. */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, mode);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int full_path(const struct local_store *ls, const char *key, char out[PATH_MAX],
                     struct sp_error *err)
{
    if (snprintf(out, PATH_MAX, "%s/%s", ls->root, key) >= PATH_MAX)
        return sp_error_set(err, SP_EINVAL, "object path too long for key %s", key);
    return SP_OK;
}

static int copy_fd(int in, int out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            off += w;
        }
    }
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int local_put(void *impl, const char *key, const char *local_path, const char *content_type,
                     struct sp_error *err)
{
    (void)content_type; /* a folder has no place for it; the row keeps the MIME type */
    struct local_store *ls = impl;
    char final[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX];
    int rc = full_path(ls, key, final, err);
    if (rc != SP_OK)
        return rc;
    snprintf(dir, sizeof dir, "%s", final);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    if (mkdir_p(dir, 0700) != 0)
        return sp_error_set(err, sp_errno_code(errno), "create folder %s: %s", dir,
                            strerror(errno));
    if (snprintf(tmp, sizeof tmp, "%s/.put-XXXXXX", dir) >= (int)sizeof tmp)
        return sp_error_set(err, SP_EINVAL, "object path too long for key %s", key);

    int in = -1, out = -1;
    in = open(local_path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return sp_error_set(err, sp_errno_code(errno), "open %s: %s", local_path, strerror(errno));
    out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0) {
        rc = sp_error_set(err, sp_errno_code(errno), "create a file in %s: %s", dir,
                          strerror(errno));
        close(in);
        return rc;
    }
    if (copy_fd(in, out) != 0)
        rc = sp_error_set(err, sp_errno_code(errno), "write %s: %s", tmp, strerror(errno));
    else if (fsync(out) != 0)
        rc = sp_error_set(err, sp_errno_code(errno), "fsync %s: %s", tmp, strerror(errno));
    close(in);
    if (close(out) != 0 && rc == SP_OK)
        rc = sp_error_set(err, sp_errno_code(errno), "close %s: %s", tmp, strerror(errno));
    if (rc == SP_OK && rename(tmp, final) != 0)
        rc = sp_error_set(err, sp_errno_code(errno), "rename to %s: %s", final, strerror(errno));
    if (rc != SP_OK) {
        unlink(tmp);
        return rc;
    }
    fsync_dir(dir);
    return SP_OK;
}

static int local_del(void *impl, const char *key, struct sp_error *err)
{
    struct local_store *ls = impl;
    char path[PATH_MAX];
    int rc = full_path(ls, key, path, err);
    if (rc != SP_OK)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return sp_error_set(err, sp_errno_code(errno), "delete %s: %s", path, strerror(errno));
    return SP_OK;
}

static void local_close(void *impl)
{
    free(impl);
}


/* Files of <root>/documents older than grace_s: ".put-*" (a put cut off by a crash) always,
 * others when no row names their key. */
static int local_sweep(void *impl, bool (*keep)(void *cls, const char *key), void *cls,
                       long grace_s, size_t *removed, struct sp_error *err)
{
    struct local_store *ls = impl;
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/documents", ls->root) >= (int)sizeof dir)
        return sp_error_set(err, SP_EINVAL, "storage folder path too long");
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT
                   ? SP_OK
                   : sp_error_set(err, sp_errno_code(errno), "open %s: %s", dir, strerror(errno));
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && strncmp(e->d_name, ".put-", 5) != 0)
            continue;
        char path[PATH_MAX], key[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || now - st.st_mtime < grace_s)
            continue;
        snprintf(key, sizeof key, "documents/%s", e->d_name);
        if (strncmp(e->d_name, ".put-", 5) != 0 && keep(cls, key))
            continue;
        if (unlink(path) == 0)
            (*removed)++;
    }
    closedir(d);
    return SP_OK;
}

static const struct objstore_ops local_ops = {
    .put_file = local_put, .del = local_del, .sweep = local_sweep, .close = local_close
};

int objstore_local_init(struct objstore *s, const char *root, struct sp_error *err)
{
    if (!root || !*root)
        return sp_error_set(err, SP_EINVAL, "STORAGE_DIR is empty");
    struct local_store *ls = calloc(1, sizeof *ls);
    if (!ls)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--; /* "uploads/" -> "uploads" */
    if (n >= sizeof ls->root) {
        free(ls);
        return sp_error_set(err, SP_EINVAL, "STORAGE_DIR is too long");
    }
    memcpy(ls->root, root, n);
    ls->root[n] = '\0';
    if (mkdir_p(ls->root, 0700) != 0) {
        int e = errno;
        free(ls);
        return sp_error_set(err, SP_EIO, "create storage folder %s: %s", root, strerror(e));
    }
    s->ops = &local_ops;
    s->impl = ls;
    snprintf(s->describe, sizeof s->describe, "local folder %.480s", ls->root);
    return SP_OK;
}
