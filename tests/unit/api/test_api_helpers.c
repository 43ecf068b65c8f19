/* tests/unit/api/test_api_helpers.c: the handler helpers of api/api.c: the SP -> HTTP status
 * mapping, {"error": ...} replies, api_query and api_body_object's content-type and JSON rules. */
#include "api/api.h"

#include "support/check.h"

static void test_status_mapping(void)
{
    CHECK_EQ_INT(api_status_from_err(SP_EINVAL), 400);
    CHECK_EQ_INT(api_status_from_err(SP_ENOTFOUND), 404);
    CHECK_EQ_INT(api_status_from_err(SP_ECONFLICT), 409);
    CHECK_EQ_INT(api_status_from_err(SP_ETOOBIG), 413);
    CHECK_EQ_INT(api_status_from_err(SP_EUNSUPPORTED), 415);
    CHECK_EQ_INT(api_status_from_err(SP_EUPSTREAM), 502);
    CHECK_EQ_INT(api_status_from_err(SP_EUNAVAILABLE), 503);
    CHECK_EQ_INT(api_status_from_err(SP_EBUSY), 503);
    CHECK_EQ_INT(api_status_from_err(SP_EDB), 500);
    CHECK_EQ_INT(api_status_from_err(SP_ENOMEM), 500);
    CHECK_EQ_INT(api_status_from_err(SP_EMETHOD), 405);
    CHECK_EQ_INT(api_status_from_err(SP_EINTERNAL), 500);
    CHECK_EQ_INT(api_status_from_err(-999), 500);
    CHECK_EQ_INT(api_status_from_err(SP_EIO), 503); /* issue 8: an operator can fix it */
    CHECK_EQ_INT(api_status_from_err(SP_ENOSPACE), 507);
}

/* issue 8: server-side failures never show paths, SQL or SQLite's words to the client */
static void test_server_errors_are_scrubbed(void)
{
    struct api_resp r = { .status = 0, .body = BUF_INIT(0), .body_is_json = true };
    api_fail(&r, SP_EDB, "executing SQL: no such table: nodes (SELECT * FROM nodes) in %s",
             "/srv/x/sprout.db");
    CHECK_EQ_INT(r.status, 500);
    CHECK(strstr(buf_cstr(&r.body), "/srv/x") == NULL &&
          strstr(buf_cstr(&r.body), "SELECT") == NULL);
    CHECK(strstr(buf_cstr(&r.body), "server log") != NULL);
    api_fail(&r, SP_EBUSY, "database: SQLITE_BUSY ... lock on %s", "/srv/x/sprout.db");
    CHECK_EQ_INT(r.status, 503);
    CHECK(strstr(buf_cstr(&r.body), "/srv/x") == NULL &&
          strstr(buf_cstr(&r.body), "locked") != NULL);
    api_fail(&r, SP_ENOSPACE, "write %s: No space left on device", "/srv/x/uploads/documents/a");
    CHECK_EQ_INT(r.status, 507);
    CHECK_STR_EQ(buf_cstr(&r.body),
                 "{\"error\":\"the disk is full: free some space and try again\"}");
    /* client errors keep their words */
    api_fail(&r, SP_ENOTFOUND, "Node %s not found", "/a/b");
    CHECK_STR_EQ(buf_cstr(&r.body), "{\"error\":\"Node /a/b not found\"}");
    buf_release(&r.body);
}

static void test_fail_bodies(void)
{
    struct api_resp r = { .body = BUF_INIT(0), .body_is_json = true };
    CHECK_EQ_INT(api_fail(&r, SP_ENOTFOUND, "Node %s", "not found"), SP_ENOTFOUND);
    CHECK_EQ_INT(r.status, 404);
    CHECK_STR_EQ(buf_cstr(&r.body), "{\"error\":\"Node not found\"}");
    /* a second failure replaces the first body; quotes and control characters are escaped */
    api_fail(&r, SP_EMETHOD, "a \"q\"\n");
    CHECK_EQ_INT(r.status, 405);
    CHECK_STR_EQ(buf_cstr(&r.body), "{\"error\":\"a \\\"q\\\"\\n\"}");
    buf_release(&r.body);
}

static void test_query(void)
{
    struct api_req q = { 0 };
    q.query[0] = (struct api_query_pair){ "userId", "u1" };
    q.query[1] = (struct api_query_pair){ "empty", "" };
    q.n_query = 2;
    CHECK_STR_EQ(api_query(&q, "userId"), "u1");
    CHECK_STR_EQ(api_query(&q, "empty"), "");
    CHECK(api_query(&q, "userid") == NULL);
    CHECK(api_query(&q, "other") == NULL);
}

static int body(const char *ctype, const char *text, int *status, char *msg, size_t msg_len)
{
    struct api_req q = { 0 };
    q.content_type = ctype;
    q.body = text;
    q.body_len = text ? strlen(text) : 0;
    struct api_resp r = { .body = BUF_INIT(0), .body_is_json = true };
    json_t *v = NULL;
    int rc = api_body_object(&q, &r, &v);
    *status = r.status;
    snprintf(msg, msg_len, "%s", buf_cstr(&r.body));
    if (rc == SP_OK && !json_is_object(v))
        rc = -100;
    json_decref(v);
    buf_release(&r.body);
    return rc;
}

static void test_body_object(void)
{
    int st;
    char m[512];
    CHECK_EQ_INT(body("application/json", "{\"a\":1}", &st, m, sizeof m), SP_OK);
    CHECK_EQ_INT(body("Application/JSON; charset=utf-8", "{}", &st, m, sizeof m), SP_OK);
    CHECK_EQ_INT(body("application/json", "", &st, m, sizeof m), SP_OK); /* empty = {} */
    CHECK_EQ_INT(body("application/json", "{\"a\":1,\"a\":2}", &st, m, sizeof m), SP_OK);
    CHECK_EQ_INT(body("application/json", "[1]", &st, m, sizeof m), SP_EINVAL);
    CHECK_EQ_INT(st, 400);
    CHECK(strstr(m, "must be a JSON object, not an array") != NULL);
    CHECK_EQ_INT(body("application/json", "null", &st, m, sizeof m), SP_EINVAL);
    CHECK(strstr(m, "not null") != NULL);
    CHECK_EQ_INT(body("application/json", "{\"a\":", &st, m, sizeof m), SP_EINVAL);
    CHECK(strncmp(m, "{\"error\":\"malformed JSON: ", 26) == 0);
    CHECK(strstr(m, " at line 1 column ") != NULL);
    CHECK_EQ_INT(body("application/json", "{\"a\":\"\xff\"}", &st, m, sizeof m), SP_EINVAL);
    CHECK_EQ_INT(st, 400);
    CHECK_EQ_INT(body("text/plain", "{}", &st, m, sizeof m), SP_EUNSUPPORTED);
    CHECK_EQ_INT(st, 415);
    CHECK_EQ_INT(body("application/jsonx", "{}", &st, m, sizeof m), SP_EUNSUPPORTED);
    CHECK_EQ_INT(body(NULL, "{}", &st, m, sizeof m), SP_EUNSUPPORTED);
    CHECK_EQ_INT(body(NULL, NULL, &st, m, sizeof m), SP_EINVAL);
    CHECK_EQ_INT(st, 400);
}

int main(void)
{
    RUN(test_status_mapping);
    RUN(test_fail_bodies);
    RUN(test_server_errors_are_scrubbed);
    RUN(test_query);
    RUN(test_body_object);
    return check_report("test_api_helpers");
}
