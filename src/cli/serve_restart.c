/* cli/serve_restart.c: `sprout serve` re-executing itself in place after a truncated -shm (see
 * serve_restart.h and cmd_serve.c's header; docs/SERVER.md, "-shm faults").
 * Thread model: the main thread; exec_self() and serve_restart_from_main_fault() only make
 * async-signal-safe calls (the latter runs in the SIGBUS handler), on state prepared before any
 * other thread started.
 */
#include "cli/serve_restart.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/timefmt.h"

#define SERVE_REEXEC_ENV "SPROUT_REEXEC" /* internal: "fd=N at=MS n=K", set for the next image */
#define SERVE_REEXEC_MIN_MS 3000

/* The monotonic clock in ms (it runs on across exec); time_mono_us is async-signal-safe. */
static long long time_mono_ms(void)
{
    return time_mono_us() / 1000;
}

/* Read and remove SERVE_REEXEC_ENV (before any thread exists); a named descriptor that is not a
 * listening socket is ignored (the server binds as usual). */
struct serve_reexec serve_reexec_take(void)
{
    struct serve_reexec r = { 0 };
    const char *v = getenv(SERVE_REEXEC_ENV);
    if (!v)
        return r;
    int fd = -1, listening = 0;
    socklen_t len = sizeof listening;
    struct stat st;
    if (sscanf(v, "fd=%d at=%lld n=%u", &fd, &r.at_ms, &r.count) == 3 && fd > 2 &&
        fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
        r.listen_fd = fd;
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* as a socket the server binds itself */
    }
    unsetenv(SERVE_REEXEC_ENV);
    return r;
}

/* The re-exec, prepared at start-up (restart_prepare) so that it needs only async-signal-safe
 * calls: a fault in the main thread runs it from the SIGBUS handler (db/shm_guard.h). */
static struct {
    char **argv;     /* main()'s */
    char **envp;     /* the environment, SERVE_REEXEC_ENV last (var) */
    size_t var_slot; /* envp[var_slot] = var */
    char var[128];   /* SERVE_REEXEC_ENV "=fd=N at=MS n=K", written at exec time */
    sigset_t mask;   /* the new image starts with these blocked (the stop signals) */
    int max_fd;      /* descriptors to mark close-on-exec where close_range cannot */
    struct serve_reexec prev;
} restart;

bool serve_restart_prepare(char **argv, const struct serve_reexec *prev, const sigset_t *mask)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    restart.envp = calloc(n + 2, sizeof *restart.envp);
    if (!restart.envp)
        return false;
    memcpy(restart.envp, environ, n * sizeof *environ); /* SERVE_REEXEC_ENV is gone already */
    restart.var_slot = n;
    restart.argv = argv;
    restart.mask = *mask;
    restart.prev = *prev;
    struct rlimit rl;
    restart.max_fd =
        getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20) ? (int)rl.rlim_cur : 1 << 20;
    return true;
}

static size_t put_str(size_t at, const char *str)
{
    while (*str && at + 1 < sizeof restart.var)
        restart.var[at++] = *str++;
    restart.var[at] = '\0';
    return at;
}

static size_t put_num(size_t at, long long v)
{
    char digits[24];
    size_t k = 0;
    bool neg = v < 0;
    unsigned long long u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        digits[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < sizeof digits);
    if (neg)
        at = put_str(at, "-");
    char one[2] = { 0, 0 };
    while (k)
        one[0] = digits[--k], at = put_str(at, one);
    return at;
}

/* Re-execute this binary with main()'s arguments and the environment plus SERVE_REEXEC_ENV
 * (listen_fd, now, one more restart); every descriptor but the standard ones and listen_fd is
 * closed by the exec. Async-signal-safe; returns only when exec failed. */
static void exec_self(int listen_fd)
{
    size_t at = put_str(0, SERVE_REEXEC_ENV "=fd=");
    at = put_num(at, listen_fd);
    at = put_str(at, " at=");
    at = put_num(at, time_mono_ms());
    at = put_str(at, " n=");
    put_num(at, (long long)restart.prev.count + 1);
    restart.envp[restart.var_slot] = restart.var;
    sigprocmask(SIG_SETMASK, &restart.mask, NULL);     /* in the handler SIGBUS is blocked too */
    if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0) /* kernels before 5.11 */
        for (int fd = 3; fd < restart.max_fd; fd++)
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (listen_fd > 0)
        (void)fcntl(listen_fd, F_SETFD, 0);
    execve("/proc/self/exe", restart.argv, restart.envp);
}

/* When the next exec may happen: at most one per SERVE_REEXEC_MIN_MS. */
static long long restart_due(void)
{
    return restart.prev.count ? restart.prev.at_ms + SERVE_REEXEC_MIN_MS : 0;
}

/* The main thread faulted at start-up (a SIGBUS handler, db/shm_guard.h): a stop asked for
 * meanwhile ends the process; else wait out the rate limit and re-execute, keeping the
 * inherited listening socket. Async-signal-safe. */
void serve_restart_from_main_fault(void)
{
    sigset_t pending;
    if (sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1))
        _exit(CLI_EXIT_OK);
    long long wait = restart_due() - time_mono_ms();
    if (wait > 0) {
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    exec_self(restart.prev.listen_fd);
    static const char failed[] = "sprout: error: cannot restart (exec /proc/self/exe failed)\n";
    ssize_t r = write(STDERR_FILENO, failed, sizeof failed - 1);
    (void)r;
}

/* A SIGINT/SIGTERM while a thread is parked on a truncated -shm: the drain could never finish
 * (the parked thread's request stays in flight), so stop at once. */
_Noreturn void serve_stop_now(int sig)
{
    printf(
        "%s received while the database's -shm file is broken: stopping at once (every "
        "acknowledged write is in the WAL or the database)\n",
        sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    fflush(stderr);
    _exit(CLI_EXIT_OK);
}

/* A worker thread faulted on a truncated -shm (the main thread got SERVE_SHM_SIGNAL): wait out
 * the rate limit (SIGINT/SIGTERM meanwhile stop the process), then re-execute. Returns only
 * when the exec failed (the reason is printed). */
void serve_restart_after_shm_fault(struct http_server *srv)
{
    long long due = restart_due(), wait = due - time_mono_ms();
    if (wait > 0)
        fprintf(stderr,
                "database: the -shm file was truncated by another program: restarting the server "
                "(same process and port) in %lld ms (at most one restart per %d s)\n",
                wait, SERVE_REEXEC_MIN_MS / 1000);
    else
        fprintf(stderr,
                "database: the -shm file was truncated by another program: restarting "
                "the server (same process and port) now\n");
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGINT);
    sigaddset(&term, SIGTERM);
    while ((wait = due - time_mono_ms()) > 0) {
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
        int sig = sigtimedwait(&term, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            serve_stop_now(sig);
    }
    fflush(stdout);
    fflush(stderr);
    exec_self(srv ? http_server_listen_fd(srv) : restart.prev.listen_fd);
    fprintf(stderr, "sprout: error: cannot restart (exec /proc/self/exe: %s)\n", strerror(errno));
}
