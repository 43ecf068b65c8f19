/* tests/drivers/llm_driver.c: a test-only program that drives the model client (src/llm/) for
 * tests/llm/test_llm_client.py, against the fake model server (tests/support/fake_model.py).
 *
 * Usage: llm_driver '<scenario JSON>'. The scenario:
 *   "env": true             configuration from the environment (cli/llm_config.c), else
 *   "config": {"provider","base_url","api_key","auth_token","model","model_small",
 *              "timeout_ms","connect_timeout_ms","max_attempts","rate_limit_attempts",
 *              "backoff_ms","log_usage"}
 *   "op": "new" | "call" | "json" | "loop"
 *   "model", "max_tokens", "system", "tools": [{"name","description","input_schema":{…}}],
 *   "messages": [...] (call, loop), "prompt" (json), "max_iterations" (loop),
 *   "fail_tools": [names whose executor fails with "boom: <name>"],
 *   "cancel_on_stdin": true  a line on stdin sets the cancel flag.
 * The executor of every other tool returns {"ok":true,"tool":name,"input":input}.
 * Prints one JSON object on stdout: {"rc","error","describe","reply","value","final_text",
 * "tool_calls","usage","events","messages"} (keys present when they apply).
 * Thread model: the main thread runs the call; one thread waits on stdin for the cancel line.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/llm_config.h"
#include "llm/llm.h"
#include "util/config.h"

static atomic_bool cancel_flag;

static void *watch_stdin(void *arg)
{
    (void)arg;
    char line[64];
    if (fgets(line, sizeof line, stdin))
        atomic_store(&cancel_flag, true);
    return NULL;
}

struct driver {
    json_t *events;
    json_t *fail_tools;
};

static void on_text(void *ctx, const char *text)
{
    struct driver *d = ctx;
    json_array_append_new(d->events, json_pack("[s,s]", "text", text));
}

static void on_tool_call(void *ctx, const char *name, json_t *input)
{
    struct driver *d = ctx;
    json_array_append_new(d->events, json_pack("[s,s,O]", "tool_call", name, input));
}

static void on_tool_result(void *ctx, const char *name, const char *result)
{
    struct driver *d = ctx;
    json_array_append_new(d->events, json_pack("[s,s,s]", "tool_result", name, result));
}

static int exec_tool(void *ctx, const char *name, json_t *input, struct buf *result,
                     struct sp_error *err)
{
    struct driver *d = ctx;
    size_t i;
    json_t *v;
    json_array_foreach(d->fail_tools, i, v) {
        if (strcmp(json_string_value(v) ? json_string_value(v) : "", name) == 0)
            return sp_error_set(err, SP_EINVAL, "boom: %s", name);
    }
    json_t *o = json_pack("{s:b, s:s, s:O}", "ok", 1, "tool", name, "input", input);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    int rc = buf_puts(result, s);
    free(s);
    return rc;
}

static json_t *usage_json(const struct llm_usage *u)
{
    struct buf b = BUF_INIT(0);
    llm_usage_json(&b, u);
    json_error_t je;
    json_t *v = json_loads(buf_cstr(&b), 0, &je);
    buf_release(&b);
    return v;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long num(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: llm_driver '<scenario JSON>'\n");
        return 2;
    }
    json_error_t je;
    json_t *sc = json_loads(argv[1], 0, &je);
    if (!json_is_object(sc)) {
        fprintf(stderr, "llm_driver: scenario is not a JSON object: %s\n", je.text);
        return 2;
    }
    json_t *out = json_object();
    struct sp_error err = { 0 };
    struct llm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = SP_OK;
    if (json_is_true(json_object_get(sc, "env"))) {
        rc = cli_llm_config(&cfg, true, &err);
    } else {
        json_t *c = json_object_get(sc, "config");
        const char *p = str(c, "provider");
        cfg.provider = p && strcmp(p, "openai") == 0 ? LLM_OPENAI : LLM_ANTHROPIC;
        cfg.base_url = str(c, "base_url");
        cfg.api_key = str(c, "api_key");
        cfg.auth_token = str(c, "auth_token");
        cfg.model = str(c, "model");
        cfg.model_small = str(c, "model_small");
        cfg.timeout_ms = num(c, "timeout_ms");
        cfg.connect_timeout_ms = num(c, "connect_timeout_ms");
        cfg.max_attempts = (int)num(c, "max_attempts");
        cfg.rate_limit_attempts = (int)num(c, "rate_limit_attempts");
        cfg.backoff_base_ms = num(c, "backoff_ms");
        cfg.log_usage = json_is_true(json_object_get(c, "log_usage"));
    }
    struct llm_client *client = NULL;
    if (rc == SP_OK)
        rc = llm_client_new(&cfg, &client, &err);
    if (rc == SP_OK) {
        struct buf d = BUF_INIT(0);
        llm_client_describe(client, &d);
        json_object_set_new(out, "describe", json_string(buf_cstr(&d)));
        json_object_set_new(out, "model_small", json_string(llm_model(client, true)));
        json_object_set_new(out, "model_main", json_string(llm_model(client, false)));
        buf_release(&d);
    }
    if (json_is_true(json_object_get(sc, "cancel_on_stdin"))) {
        pthread_t t;
        pthread_create(&t, NULL, watch_stdin, NULL);
        pthread_detach(t);
    }

    /* tools */
    json_t *tools_j = json_object_get(sc, "tools");
    size_t n_tools = json_array_size(tools_j);
    struct llm_tool *tools = calloc(n_tools ? n_tools : 1, sizeof *tools);
    char **schemas = calloc(n_tools ? n_tools : 1, sizeof *schemas);
    for (size_t i = 0; i < n_tools; i++) {
        json_t *t = json_array_get(tools_j, i);
        tools[i].name = str(t, "name");
        tools[i].description = str(t, "description");
        schemas[i] = json_dumps(json_object_get(t, "input_schema"), JSON_COMPACT);
        tools[i].input_schema = schemas[i];
    }
    json_t *messages = json_deep_copy(json_object_get(sc, "messages"));
    if (!messages)
        messages = json_array();
    const char *op = str(sc, "op") ? str(sc, "op") : "new";
    const char *model = str(sc, "model");
    int max_tokens = (int)num(sc, "max_tokens");
    struct driver d = { .events = json_array(), .fail_tools = json_object_get(sc, "fail_tools") };

    if (rc == SP_OK && strcmp(op, "call") == 0) {
        struct llm_request req = { .model = model, .max_tokens = max_tokens,
                                   .system = str(sc, "system"), .tools = tools,
                                   .n_tools = n_tools, .messages = messages };
        struct llm_reply reply;
        rc = llm_call(client, &req, &reply, &cancel_flag, &err);
        if (rc == SP_OK) {
            json_object_set_new(out, "reply", json_pack("{s:O, s:s, s:o}", "content", reply.content,
                                                         "stop_reason", reply.stop_reason, "usage",
                                                         usage_json(&reply.usage)));
            llm_reply_clear(&reply);
        }
    } else if (rc == SP_OK && strcmp(op, "json") == 0) {
        json_t *value = NULL;
        struct llm_usage usage = { 0 };
        rc = llm_call_json(client, model, max_tokens, str(sc, "prompt"), &value, &usage,
                           &cancel_flag, &err);
        if (rc == SP_OK)
            json_object_set_new(out, "value", value);
        json_object_set_new(out, "usage", usage_json(&usage));
    } else if (rc == SP_OK && strcmp(op, "loop") == 0) {
        struct llm_loop loop = { .model = model, .max_tokens = max_tokens,
                                 .system = str(sc, "system"), .tools = tools, .n_tools = n_tools,
                                 .max_iterations = (int)num(sc, "max_iterations"),
                                 .messages = messages };
        struct llm_loop_hooks hooks = { .ctx = &d, .exec = exec_tool, .on_text = on_text,
                                        .on_tool_call = on_tool_call,
                                        .on_tool_result = on_tool_result };
        struct llm_loop_result res;
        rc = llm_run_loop(client, &loop, &hooks, &res, &cancel_flag, &err);
        if (rc == SP_OK) {
            json_object_set_new(out, "final_text", json_string(res.final_text));
            json_object_set(out, "tool_calls", res.tool_calls);
        }
        json_object_set_new(out, "usage", usage_json(&res.usage));
        llm_loop_result_clear(&res);
    }
    json_object_set_new(out, "rc", json_integer(rc));
    if (rc != SP_OK)
        json_object_set_new(out, "error", json_string(sp_error_text(&err, rc)));
    json_object_set_new(out, "events", d.events);
    json_object_set_new(out, "messages", messages);
    char *s = json_dumps(out, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(out);
    for (size_t i = 0; i < n_tools; i++)
        free(schemas[i]);
    free(schemas);
    free(tools);
    llm_client_free(client);
    json_decref(sc);
    return 0;
}
