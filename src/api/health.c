/* api/health.c: GET /api/health: {"status":"ok","timestamp":"<ISO now>"}; touches no database
 * (spec/api.md §3.1). When the database writer reports a fault (a WAL that cannot be
 * checkpointed, issue 8) the answer is {"status":"degraded","timestamp":...,"checks":{"wal":
 * "<what is wrong>"}} (still 200: the server answers). Thread model: stateless. */
#include "api/handlers.h"

#include "storage/store_writer.h"
#include "util/jsonw.h"
#include "util/timefmt.h"

int api_health(struct api_req *req, struct api_resp *resp)
{
    (void)req;
    char ts[TIME_ISO_SIZE];
    time_iso_now(ts);
    char wal[256];
    int rc;
    if (store_writer_wal_problem(wal, sizeof wal)) {
        rc = buf_printf(&resp->body,
                        "{\"status\":\"degraded\",\"timestamp\":\"%s\",\"checks\":{\"wal\":", ts);
        if (rc == SP_OK)
            rc = jsonw_cstring(&resp->body, wal);
        if (rc == SP_OK)
            rc = buf_puts(&resp->body, "}}");
    } else {
        rc = buf_printf(&resp->body, "{\"status\":\"ok\",\"timestamp\":\"%s\"}", ts);
    }
    if (rc != SP_OK)
        return api_fail(resp, rc, "out of memory");
    return api_reply(resp, 200);
}
