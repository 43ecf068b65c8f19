/* tests/unit/api/test_route_limits.c: per-route body limits (api_route_max_body): the tutor turn
 * takes a drawing of 7,000,000 base64 characters, every other route keeps API_MAX_BODY. */
#include <string.h>

#include "api/api.h"
#include "support/check.h"

static void test_tutor_route_has_the_large_limit(void)
{
    int found = 0;
    for (size_t i = 0; i < api_n_routes; i++) {
        const struct api_route *r = &api_routes[i];
        size_t limit = api_route_max_body(r);
        if (strcmp(r->method, "POST") == 0 &&
            strcmp(r->pattern, "/api/chat/sessions/:sessionId/tutor") == 0) {
            found++;
            CHECK_EQ_INT(limit, API_TUTOR_MAX_BODY);
            CHECK(limit > 7000000 + 1024); /* the drawing plus the rest of the body */
        } else {
            CHECK_EQ_INT(limit, API_MAX_BODY);
        }
    }
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(api_route_max_body(NULL), API_MAX_BODY);
}

int main(void)
{
    RUN(test_tutor_route_has_the_large_limit);
    return check_report("test_route_limits");
}
