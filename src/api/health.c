/* api/health.c: GET /api/health: {"status":"ok","timestamp":"<ISO now>"}; touches no database
 * (spec/api.md §3.1). When the database writer reports a fault (a WAL that cannot be
 * checkpointed, issue 8) the answer is {"status":"degraded","timestamp":...,"checks":{"wal":
 * "<what is wrong>"}} (still 200: the server answers); a -shm truncated under the server (it is
 * restarting, storage/store.h store_db_fault) is named as "shm" in the same object.
 * Thread model: stateless. */
#include "api/handlers.h"

#include "storage/store.h"
#include "storage/store_writer.h"
#include "util/jsonw.h"
#include "util/timefmt.h"

int api_health(struct api_req *req, struct api_resp *resp)
{
    (void)req;
    char ts[TIME_ISO_SIZE];
    time_iso_now(ts);
    char wal[256];
    bool wal_bad = store_writer_wal_problem(wal, sizeof wal);
    const char *shm = store_db_fault();
    int rc;
    if (wal_bad || shm) {
        rc = buf_printf(&resp->body, "{\"status\":\"degraded\",\"timestamp\":\"%s\",\"checks\":{",
                        ts);
        if (rc == SP_OK && shm && (rc = buf_puts(&resp->body, "\"shm\":")) == SP_OK)
            rc = jsonw_cstring(&resp->body, shm);
        if (rc == SP_OK && wal_bad &&
            (rc = buf_puts(&resp->body, shm ? ",\"wal\":" : "\"wal\":")) == SP_OK)
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
