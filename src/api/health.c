/* api/health.c: GET /api/health: {"status":"ok","timestamp":"<ISO now>"}; touches no database
 * (spec/api.md §3.1). Thread model: stateless. */
#include "api/handlers.h"

#include "util/timefmt.h"

int api_health(struct api_req *req, struct api_resp *resp)
{
    (void)req;
    char ts[TIME_ISO_SIZE];
    time_iso_now(ts);
    int rc = buf_printf(&resp->body, "{\"status\":\"ok\",\"timestamp\":\"%s\"}", ts);
    if (rc != SP_OK)
        return api_fail(resp, rc, "out of memory");
    return api_reply(resp, 200);
}
