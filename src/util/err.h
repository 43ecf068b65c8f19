/* util/err.h: the one error convention of the project.
 *
 * A function that can fail returns int: SP_OK (0) on success or a negative SP_E* code.
 * Where a human-readable reason helps, the last parameter is a struct sp_error * (may be NULL)
 * that receives the code and a message. Exactly one place maps a code to an HTTP status
 * (api/api.c: api_status_from_err) and one to a CLI exit code (cli/cli.c: cli_exit_code).
 * Thread model: no shared state; a struct sp_error belongs to its caller.
 */
#ifndef SP_UTIL_ERR_H
#define SP_UTIL_ERR_H

#include <stddef.h>

enum sp_err {
    SP_OK = 0,
    SP_ENOMEM = -1,        /* out of memory */
    SP_EINVAL = -2,        /* bad input: malformed JSON, wrong type, missing field, bad flag */
    SP_ENOTFOUND = -3,     /* a named thing does not exist (row, file, migration) */
    SP_ECONFLICT = -4,     /* the write conflicts with existing state (unique, FK in use) */
    SP_ETOOBIG = -5,       /* a limit was exceeded */
    SP_EDB = -6,           /* SQLite failed */
    SP_EUPSTREAM = -7,     /* a remote service (S3, LLM) failed or refused */
    SP_EIO = -8,           /* file system error */
    SP_EBUSY = -9,         /* the database stayed locked */
    SP_EUNSUPPORTED = -10, /* valid request we do not serve (e.g. media type) */
    SP_EUNAVAILABLE = -11, /* feature not available (e.g. agents) */
    SP_EDRIFT = -12,       /* schema differs from what it should be (check) */
    SP_EABORT = -13,       /* the user declined or a question has no answer */
    SP_EMETHOD = -14,      /* the resource exists, but not with this method (HTTP 405) */
    SP_EINTERNAL = -15,    /* a broken invariant: a bug, never the caller's fault (HTTP 500) */
    SP_ENOSPACE = -16,     /* the disk (or a quota) is full (HTTP 507) */
};

#define SP_ERR_MSG_MAX 1024

struct sp_error {
    int code;
    char msg[SP_ERR_MSG_MAX];
};

/* A short name for a code ("not found", ...); never NULL. */
const char *sp_strerror(int code);

/* Set err (if not NULL) to code and a printf-style message; returns code, so that
 * `return sp_error_set(err, SP_EINVAL, "...")` works. */
int sp_error_set(struct sp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix err's message with context ("context: old message") for a failure with code, and set
 * err->code to code. Returns code, also when err is NULL, so that `return sp_error_prefix(err,
 * rc, ...)` can never turn a failure into success. */
int sp_error_prefix(struct sp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The code for a failed system call's errno: SP_ENOSPACE for ENOSPC/EDQUOT, SP_ENOMEM for
 * ENOMEM, else SP_EIO. */
int sp_errno_code(int errnum);

/* The message, or sp_strerror(code) when none was set. */
const char *sp_error_text(const struct sp_error *err, int code);

#endif
