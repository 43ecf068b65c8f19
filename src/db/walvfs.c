/* db/walvfs.c: the WAL-write-coalescing VFS shims (see walvfs.h).
 *
 * A shim VFS is a copy of the stock one with its own name, a larger file object and its own
 * xOpen. xOpen opens every file but a WAL straight through the stock VFS (the file object is then
 * the stock one, untouched); a WAL file gets struct wal_file, which holds the stock file object
 * after it and forwards every method to it, buffering writes:
 * - only appends are buffered: a write that continues the buffered run (next offset, room left)
 *   is copied into the buffer, another append first writes the run out; a write before the
 *   end of what was written (a page written again within its transaction, the checksums SQLite
 *   rewrites after the commit frame for such pages, a new WAL header at a restart) writes the
 *   run out, then itself, at once, so nothing of a commit is left in the buffer when SQLite
 *   publishes it;
 * - SQLite writes a frame as its 24-byte header, then its page; a header whose "database size
 *   after commit" field is not 0 is a commit frame, and once its page is buffered the run is
 *   written out (sqlite3WalFrames publishes the commit in the WAL index only after that);
 * - every other method writes the run out first.
 * Thread model: see walvfs.h.
 */
#include "db/walvfs.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum {
    WAL_FRAME_HEADER = 24,     /* SQLite's WAL frame header */
    WAL_BUF_MAX = 1024 * 1024, /* a longer run is written out before it grows past this */
    /* The unix VFS writes at most 0x1ffff bytes per call (it masks the length to 17 bits:
     * SQLite itself never writes more than a 64 KiB page at once), so a run is written out in
     * parts of this size. */
    WAL_WRITE_MAX = 120 * 1024,
};

struct wal_file {
    sqlite3_file base;
    sqlite3_file *real; /* the stock VFS's file object, after this struct */
    unsigned char *buf; /* the buffered run: [start, start + len) of the file */
    size_t len, cap;
    sqlite3_int64 start;
    sqlite3_int64 end;     /* where the writes so far ended: the next append goes there */
    bool commit_page_next; /* the last write was a commit frame's header */
};

/* Where the stock file object starts, after ours (aligned as malloc would be). */
#define WAL_FILE_HEAD ((sizeof(struct wal_file) + 15) & ~(size_t)15)

static int flush(struct wal_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += WAL_WRITE_MAX) {
        size_t n = f->len - done < WAL_WRITE_MAX ? f->len - done : WAL_WRITE_MAX;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
                                       f->start + (sqlite3_int64)done);
    }
    f->len = 0;
    return rc;
}

static int write_through(struct wal_file *f, const void *data, int amt, sqlite3_int64 off)
{
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amt, off);
}

static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
    struct wal_file *f = (struct wal_file *)file;
    size_t n = (size_t)amt;
    bool commit_page = f->commit_page_next;
    const unsigned char *d = data;
    f->commit_page_next = amt == WAL_FRAME_HEADER && (d[4] | d[5] | d[6] | d[7]) != 0;
    if (off == 0) { /* the WAL's header: a new WAL (a restart) appends from here on */
        f->end = amt;
        return write_through(f, data, amt, off);
    }
    if (off < f->end) /* written again in place (a page, a rewritten checksum): not buffered */
        return write_through(f, data, amt, off);
    f->end = off + amt;
    if (f->len > 0 && (off != f->start + (sqlite3_int64)f->len || f->len + n > WAL_BUF_MAX)) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 64 * 1024;
        while (cap < f->len + n)
            cap *= 2;
        unsigned char *buf = realloc(f->buf, cap);
        if (!buf) /* no buffer: write through, as the stock VFS does */
            return write_through(f, data, amt, off);
        f->buf = buf;
        f->cap = cap;
    }
    if (f->len == 0)
        f->start = off;
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return commit_page ? flush(f) : SQLITE_OK;
}

static int wal_close(sqlite3_file *file)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

/* The methods that only pass through, once the buffered run is written out. */
#define REAL(file) (((struct wal_file *)(file))->real)
#define FLUSHED(file)                                \
    do {                                             \
        int frc_ = flush((struct wal_file *)(file)); \
        if (frc_ != SQLITE_OK)                       \
            return frc_;                             \
    } while (0)

static int wal_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
    FLUSHED(file);
    return REAL(file)->pMethods->xRead(REAL(file), data, amt, off);
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    FLUSHED(file);
    struct wal_file *f = (struct wal_file *)file;
    if (f->end > size)
        f->end = size;
    return REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
    FLUSHED(file);
    return REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    FLUSHED(file);
    return REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int wal_lock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xLock(REAL(file), level);
}

static int wal_unlock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

static int wal_check_reserved(sqlite3_file *file, int *out)
{
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
    FLUSHED(file);
    return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int wal_sector_size(sqlite3_file *file)
{
    return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int wal_device_characteristics(sqlite3_file *file)
{
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

/* SQLite maps no WAL file and takes no shm lock on one; these keep the table version-3 complete
 * and do what the stock file would. */
static int wal_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz, extend, pp);
}

static int wal_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void wal_shm_barrier(sqlite3_file *file)
{
    REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int wal_shm_unmap(sqlite3_file *file, int delete_flag)
{
    return REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag);
}

static int wal_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
    FLUSHED(file);
    return REAL(file)->pMethods->xFetch(REAL(file), off, amt, pp);
}

static int wal_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods WAL_METHODS = {
    .iVersion = 3,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
    .xShmMap = wal_shm_map,
    .xShmLock = wal_shm_lock,
    .xShmBarrier = wal_shm_barrier,
    .xShmUnmap = wal_shm_unmap,
    .xFetch = wal_fetch,
    .xUnfetch = wal_unfetch,
};

/* [0] over "unix", [1] over "unix-excl". */
static const char *const BASE_NAMES[2] = { "unix", "unix-excl" };
static const char *const SHIM_NAMES[2] = { "sprout-unix", "sprout-unix-excl" };
static sqlite3_vfs *bases[2];
static sqlite3_vfs shims[2];
static bool registered[2];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                     int *out_flags)
{
    sqlite3_vfs *base = bases[vfs == &shims[1]];
    if (!(flags & SQLITE_OPEN_WAL)) /* the stock file object, in place */
        return base->xOpen(base, name, file, flags, out_flags);
    struct wal_file *f = (struct wal_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)file + WAL_FILE_HEAD);
    int rc = base->xOpen(base, name, f->real, flags, out_flags);
    if (rc == SQLITE_OK) /* else the stock VFS has closed what it opened */
        f->base.pMethods = &WAL_METHODS;
    return rc;
}

static void register_shims(void)
{
    for (int i = 0; i < 2; i++) {
        sqlite3_vfs *base = sqlite3_vfs_find(BASE_NAMES[i]);
        if (!base)
            continue;
        bases[i] = base;
        shims[i] = *base; /* its other methods work on the copy: same pAppData, mxPathname */
        shims[i].pNext = NULL;
        shims[i].zName = SHIM_NAMES[i];
        shims[i].szOsFile = (int)WAL_FILE_HEAD + base->szOsFile;
        shims[i].xOpen = shim_open;
        registered[i] = sqlite3_vfs_register(&shims[i], 0) == SQLITE_OK;
    }
}

const char *walvfs_name(bool exclusive)
{
    pthread_once(&once, register_shims);
    return registered[exclusive] ? SHIM_NAMES[exclusive] : NULL;
}
