/* util/err.c: error codes to names and formatted error messages (see err.h). */
#include "util/err.h"

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sp_strerror(int code)
{
    switch (code) {
    case SP_OK: return "ok";
    case SP_ENOMEM: return "out of memory";
    case SP_EINVAL: return "invalid input";
    case SP_ENOTFOUND: return "not found";
    case SP_ECONFLICT: return "conflict";
    case SP_ETOOBIG: return "too large";
    case SP_EDB: return "database error";
    case SP_EUPSTREAM: return "upstream service failed";
    case SP_EIO: return "i/o error";
    case SP_EBUSY: return "database is locked";
    case SP_EUNSUPPORTED: return "unsupported";
    case SP_EUNAVAILABLE: return "not available";
    case SP_EDRIFT: return "schema out of sync";
    case SP_EABORT: return "aborted";
    case SP_EMETHOD: return "method not allowed";
    case SP_EINTERNAL: return "internal error";
    case SP_ENOSPACE: return "no space left on the disk";
    default: return "unknown error";
    }
}

int sp_error_set(struct sp_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int sp_error_prefix(struct sp_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    char pre[SP_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t pl = strlen(pre), ol = strlen(err->msg);
    if (pl + 2 + ol >= sizeof err->msg)
        ol = sizeof err->msg - 1 > pl + 2 ? sizeof err->msg - 1 - pl - 2 : 0;
    if (pl + 2 >= sizeof err->msg)
        return code;
    memmove(err->msg + pl + 2, err->msg, ol);
    memcpy(err->msg, pre, pl);
    memcpy(err->msg + pl, ": ", 2);
    err->msg[pl + 2 + ol] = '\0';
    return code;
}

const char *sp_error_text(const struct sp_error *err, int code)
{
    if (err && err->msg[0])
        return err->msg;
    return sp_strerror(code);
}

int sp_errno_code(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT: return SP_ENOSPACE;
    case ENOMEM: return SP_ENOMEM;
    default: return SP_EIO;
    }
}
