/* tests/unit/llm/test_llm_wire.c: the model client's pure parts: JSON extraction (spec §2.4),
 * reply parsing of both wire formats including what local servers send (no call ids, ""
 * arguments, content parts, tool calls with finish_reason "stop"), request building, usage
 * JSON, and client configuration (defaults, trimming, key requirement). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_internal.h"
#include "support/check.h"

static char *dump(json_t *v)
{
    static char out[4096];
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    snprintf(out, sizeof out, "%s", s ? s : "(null)");
    free(s);
    return out;
}

static void test_extract_json(void)
{
    struct sp_error err = { 0 };
    json_t *v = NULL;
    CHECK_EQ_INT(llm_extract_json("  {\"a\":1}\n", &v, &err), SP_OK);
    CHECK_STR_EQ(dump(v), "{\"a\":1}");
    json_decref(v);
    CHECK_EQ_INT(llm_extract_json("x ```json\n[1,2]\n``` y ```[3]```", &v, &err), SP_OK);
    CHECK_STR_EQ(dump(v), "[1,2]");
    json_decref(v);
    CHECK_EQ_INT(llm_extract_json("```\n\"s\"\n```", &v, &err), SP_OK);
    CHECK_STR_EQ(dump(v), "\"s\"");
    json_decref(v);
    /* an unclosed fence is not unwrapped: the whole text is parsed and fails */
    CHECK_EQ_INT(llm_extract_json("```json\n{}", &v, &err), SP_EUPSTREAM);
    CHECK(v == NULL);
    CHECK(strncmp(err.msg, "Claude reply is not JSON", 24) == 0);
    CHECK_EQ_INT(llm_extract_json("", &v, &err), SP_EUPSTREAM);
    CHECK_EQ_INT(llm_extract_json(NULL, &v, &err), SP_EUPSTREAM);
}

static void test_openai_parse_local_server_quirks(void)
{
    const char *body =
        "{\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"text\",\"text\":\"part\"}],"
        "\"tool_calls\":[{\"function\":{\"name\":\"noargs\",\"arguments\":\"\"}},"
        "{\"id\":\"\",\"function\":{\"name\":\"obj\",\"arguments\":{\"k\":true}}},"
        "{\"id\":\"c3\",\"function\":{\"name\":\"bad\",\"arguments\":\"{oops\"}}]}}],"
        "\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":4,"
        "\"prompt_tokens_details\":{\"cached_tokens\":30}}}";
    struct llm_reply r;
    memset(&r, 0, sizeof r);
    struct sp_error err = { 0 };
    CHECK_EQ_INT(llm_openai_parse(body, strlen(body), &r, &err), SP_OK);
    CHECK_STR_EQ(r.stop_reason, "tool_use"); /* tool calls win over finish_reason "stop" */
    CHECK_STR_EQ(dump(r.content),
                 "[{\"text\":\"part\",\"type\":\"text\"},"
                 "{\"id\":\"call_0\",\"input\":{},\"name\":\"noargs\",\"type\":\"tool_use\"},"
                 "{\"id\":\"call_1\",\"input\":{\"k\":true},\"name\":\"obj\",\"type\":\"tool_use\"},"
                 "{\"id\":\"c3\",\"input\":\"{oops\",\"name\":\"bad\",\"type\":\"tool_use\"}]");
    CHECK_EQ_INT(r.usage.input_tokens, 20);
    CHECK_EQ_INT(r.usage.cache_read_tokens, 30);
    CHECK_EQ_INT(r.usage.output_tokens, 4);
    llm_reply_clear(&r);

    const char *len =
        "{\"choices\":[{\"finish_reason\":\"length\",\"message\":{\"content\":null}}]}";
    CHECK_EQ_INT(llm_openai_parse(len, strlen(len), &r, &err), SP_OK);
    CHECK_STR_EQ(r.stop_reason, "max_tokens");
    CHECK_EQ_INT((long)json_array_size(r.content), 0);
    llm_reply_clear(&r);

    const char *none = "{\"error\":{\"message\":\"model not loaded\"}}";
    CHECK_EQ_INT(llm_openai_parse(none, strlen(none), &r, &err), SP_EUPSTREAM);
    CHECK(strstr(err.msg, "model not loaded") != NULL);
    CHECK(r.content == NULL && r.stop_reason == NULL);
}

static void test_anthropic_parse(void)
{
    const char *body =
        "{\"content\":[{\"type\":\"text\",\"text\":\"hi\",\"citations\":null}],"
        "\"stop_reason\":null,\"usage\":{\"input_tokens\":3,\"output_tokens\":2,"
        "\"cache_creation_input_tokens\":9,\"cache_read_input_tokens\":8}}";
    struct llm_reply r;
    memset(&r, 0, sizeof r);
    struct sp_error err = { 0 };
    CHECK_EQ_INT(llm_anthropic_parse(body, strlen(body), &r, &err), SP_OK);
    CHECK_STR_EQ(r.stop_reason, "");
    CHECK_STR_EQ(dump(r.content), "[{\"citations\":null,\"text\":\"hi\",\"type\":\"text\"}]");
    CHECK_EQ_INT(r.usage.cache_write_tokens, 9);
    CHECK_EQ_INT(r.usage.cache_read_tokens, 8);
    llm_reply_clear(&r);
    const char *bad[] = { "", "[]", "{\"content\":\"x\"}", "{\"content\":[1]}",
                          "{\"content\":[{\"text\":\"no type\"}]}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ_INT(llm_anthropic_parse(bad[i], strlen(bad[i]), &r, &err), SP_EUPSTREAM);
        CHECK(r.content == NULL);
    }
}

static void test_build_uses_defaults_and_schema(void)
{
    json_error_t je;
    json_t *msgs = json_loads("[{\"role\":\"user\",\"content\":\"q\"}]", 0, &je);
    struct llm_tool tools[] = { { "t", NULL, NULL }, { "u", "d", "[1]" } };
    struct llm_request req = { .model = "m",
                               .max_tokens = 10,
                               .tools = tools,
                               .n_tools = 1,
                               .messages = msgs };
    struct buf b = BUF_INIT(0);
    struct sp_error err = { 0 };
    CHECK_EQ_INT(llm_anthropic_build(&req, &b, &err), SP_OK);
    CHECK(strstr(b.data, "\"input_schema\":{\"type\":\"object\"}") != NULL);
    buf_reset(&b);
    req.n_tools = 2; /* the second tool's schema is not an object */
    CHECK_EQ_INT(llm_openai_build(&req, &b, &err), SP_EINVAL);
    CHECK_STR_EQ(err.msg, "tool u: input_schema is not a JSON object");
    CHECK_EQ_INT(llm_anthropic_build(&req, &b, &err), SP_EINVAL);
    buf_release(&b);
    json_decref(msgs);
}

static void test_usage_json_and_sum(void)
{
    struct llm_usage a = { 1, 2, 3, 4, 1 }, b = { 10, 20, 30, 40, 1 };
    llm_usage_add(&a, &b);
    struct buf out = BUF_INIT(0);
    llm_usage_json(&out, &a);
    CHECK_STR_EQ(out.data,
                 "{\"inputTokens\":11,\"outputTokens\":22,\"cacheReadTokens\":33,"
                 "\"cacheWriteTokens\":44,\"calls\":2}");
    buf_release(&out);
}

static void test_client_config(void)
{
    struct llm_client *c = NULL;
    struct sp_error err = { 0 };
    struct llm_config cfg = { .api_key = "  ", .model = "" };
    CHECK_EQ_INT(llm_client_new(&cfg, &c, &err), SP_EUNAVAILABLE); /* blank key = no key */
    CHECK(c == NULL);
    cfg = (struct llm_config){ .api_key = "k", .model = " big ", .base_url = "https://x.test/" };
    CHECK_EQ_INT(llm_client_new(&cfg, &c, &err), SP_OK);
    CHECK_STR_EQ(llm_model(c, false), "big");
    CHECK_STR_EQ(llm_model(c, true), "big");
    CHECK_STR_EQ(c->url, "https://x.test/v1/messages");
    CHECK_EQ_INT(c->max_attempts, 3);
    CHECK_EQ_INT(c->rate_limit_attempts, 4);
    CHECK_EQ_INT(c->timeout_ms, 600000);
    llm_client_free(c);
    cfg = (struct llm_config){ .provider = LLM_OPENAI, .base_url = "http://[::1]:8080/v1" };
    CHECK_EQ_INT(llm_client_new(&cfg, &c, &err), SP_OK); /* loopback: no key needed */
    CHECK_STR_EQ(c->url, "http://[::1]:8080/v1/chat/completions");
    CHECK_STR_EQ(llm_model(c, false), "claude-haiku-4-5-20251001");
    llm_client_free(c);
    cfg = (struct llm_config){ .provider = LLM_OPENAI, .base_url = "http://127.evil.test/v1" };
    CHECK_EQ_INT(llm_client_new(&cfg, &c, &err), SP_EUNAVAILABLE);
    cfg = (struct llm_config){ .api_key = "k", .base_url = "ftp://x" };
    CHECK_EQ_INT(llm_client_new(&cfg, &c, &err), SP_EINVAL);
    CHECK(strstr(err.msg, "ANTHROPIC_BASE_URL") != NULL);
}

int main(void)
{
    RUN(test_extract_json);
    RUN(test_openai_parse_local_server_quirks);
    RUN(test_anthropic_parse);
    RUN(test_build_uses_defaults_and_schema);
    RUN(test_usage_json_and_sum);
    RUN(test_client_config);
    return check_report("test_llm_wire");
}
