/* db/walvfs.h: SQLite VFSes that write a transaction's WAL frames with one write() instead of
 * two per frame (a shim over the stock "unix" and "unix-excl" VFSes; docs/SERVER.md,
 * "WAL writes").
 *
 * SQLite appends each WAL frame as two writes (its 24-byte header, then the page). The shim keeps
 * the appends to a WAL file in a buffer and writes them out together when the transaction's
 * commit frame has been written, before SQLite publishes the commit in the WAL index, so no
 * other connection can look for a frame that is not in the file yet; what SQLite writes again
 * in place (after the commit frame too) goes out at once. It also
 * writes them out before anything else touches that WAL file (a read, a sync, a truncation, its
 * size, a write elsewhere in it, a file-control, its close). An error writing them out is the
 * error of the write that triggered it, so SQLite rolls that transaction back as it would have.
 * Everything else passes straight to the stock VFS.
 * Thread model: registered once per process (pthread_once); a file object is used by its
 * connection's thread only, as every SQLite file.
 */
#ifndef SP_DB_WALVFS_H
#define SP_DB_WALVFS_H

#include <stdbool.h>

/* The name of the registered shim over "unix-excl" (exclusive) or "unix", for
 * sqlite3_open_v2(); NULL when it could not be registered (then the stock VFS is used). */
const char *walvfs_name(bool exclusive);

#endif
