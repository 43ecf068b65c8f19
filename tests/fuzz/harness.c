/* tests/fuzz/harness.c: the shared set-up of the fuzz targets (see harness.h). */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "db/conn.h"
#include "db/migrate.h"
#include "db/migsrc.h"
#include "db/seed.h"
#include "http/server.h"
#include "objects/objstore.h"

static char dir[256];
static char scratch_db[300];
static unsigned port;
static struct http_server *srv;
static struct objstore *the_store;

/* At exit (before LeakSanitizer's check): stop the in-process server as `sprout serve` does,
 * so that requests still open then are completed and freed, and a leak report means a leak. */
static void stop_server(void)
{
    if (srv)
        http_server_stop(srv, 2000);
    srv = NULL;
    db_thread_close_all();
    objstore_close(the_store);
    the_store = NULL;
}

static void die(const char *what, const struct sp_error *err)
{
    fprintf(stderr, "fuzz setup: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

const char *fuzz_db_path(void)
{
    return scratch_db;
}

const char *fuzz_setup(int with_server)
{
    if (dir[0])
        return dir;
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "%s/sprout-fuzz-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(scratch_db, sizeof scratch_db, "%s/fuzz.db", dir);
    struct sp_error err = { 0 };
    struct db *db = NULL;
    size_t applied = 0;
    bool inserted = false;
    if (db_open(scratch_db, DB_OPEN_CREATE, &db, &err) != SP_OK)
        die("open", &err);
    struct migsrc mig = migsrc_builtin();
    if (migrate_apply(db, &mig, NULL, &applied, &err) != SP_OK)
        die("migrate", &err);
    if (seed_default_user(db, &inserted, &err) != SP_OK)
        die("seed", &err);
    if (db_exec(db,
                "INSERT INTO branches (id, title, user_id) VALUES ('" FUZZ_BRANCH "', 'b', '" FUZZ_USER "');"
                "INSERT INTO nodes (id, user_id, type, branch_id, title) VALUES ('" FUZZ_NODE "', '"
                FUZZ_USER "', 'root', '" FUZZ_BRANCH "', 'n');",
                &err) != SP_OK)
        die("rows", &err);
    db_close(db);
    if (!with_server)
        return dir;

    static struct objstore *store;
    struct objstore_config ocfg = { .db_path = scratch_db };
    if (objstore_open(&ocfg, &store, &err) != SP_OK)
        die("objstore", &err);
    static struct api_ctx ctx;
    ctx.db_path = scratch_db;
    ctx.store = store;
    ctx.tmp_dir = dir;
    struct http_server_config cfg = { .host = "127.0.0.1", .port = 0, .threads = 2, .quiet = true,
                                      .ctx = &ctx, .cors_origins = NULL };
    if (http_server_start(&cfg, &srv, &err) != SP_OK)
        die("server", &err);
    port = http_server_port(srv);
    the_store = store;
    atexit(stop_server);
    return dir;
}

size_t fuzz_http(const uint8_t *data, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct linger lg = { 1, 0 };   /* RST on close: no TIME_WAIT pile-up over a million runs */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return 0;
    }
    size_t off = 0;
    while (off < size) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t total = 0;
    char buf[65536];
    struct pollfd p = { fd, POLLIN, 0 };
    /* libmicrohttpd keeps a half-closed keep-alive connection open after answering (and now
     * and then one with an incomplete request): give up after 50 ms without an answer, or at
     * the first 20 ms of silence once one has started; the close is a reset. */
    while (poll(&p, 1, total ? 20 : 50) > 0) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    close(fd);
    return total;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    for (char *p = path + strlen(dir) + 1; p <= slash; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        die(path, NULL);
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            die("write", NULL);
        off += (size_t)n;
    }
    close(fd);
    return path;
}
