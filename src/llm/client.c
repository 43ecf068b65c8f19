/* llm/client.c: the model client: configuration, the libcurl transport, the retry policy and
 * llm_call() (docs/AGENTS.md).
 *
 * Transport: one POST per attempt on its own easy handle, driven by a multi handle polled every
 * 100 ms so that a cancel flag aborts the transfer in flight within ~100 ms; the waits between
 * attempts sleep in 50 ms slices and wake up on cancel too. Connect and total timeouts per
 * attempt; the reply body is kept up to LLM_BODY_MAX bytes.
 * Retry policy (one combined policy; spec §2.2 has two stacked layers):
 *   - 429: up to rate_limit_attempts (4) attempts; the wait is retry-after-ms / retry-after
 *     (seconds or an HTTP date) when present, capped at 60 s, else 2 s, 4 s, 8 s (backoff x 4);
 *   - 408, 409, 5xx (529 overloaded included), connection errors, resets, timeouts and a 2xx
 *     whose body is cut off: up to max_attempts (3) attempts, 0.5 s doubling to 8 s with up to
 *     25 % downward jitter (retry-after honoured when present);
 *   - x-should-retry: true / false (as the SDK) forces / forbids a retry; other 4xx never retry.
 * Errors carry "<status> <body>" (spec §2.3); the key is scrubbed from every message and never
 * logged. One stderr line per call with the token usage when log_usage is set.
 * Thread model: a client is immutable after llm_client_new() and shared; every call has its
 * own curl handles. curl_global_init runs in llm_client_new (start-up, before threads).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm_internal.h"
#include "util/timefmt.h"

#define LLM_BODY_MAX (16u << 20)
#define LLM_ERRBODY_MAX 700
#define LLM_RETRY_AFTER_CAP_MS 60000L
#define LLM_BACKOFF_CAP_MS 8000L
#define LLM_DEFAULT_MODEL "claude-haiku-4-5-20251001"
#define LLM_ANTHROPIC_URL "https://api.anthropic.com"
#define LLM_OPENAI_URL "https://api.openai.com/v1"

/* ---- configuration ---- */

static char *dup_trimmed(const char *s)
{
    if (!s)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n)
        return NULL;
    return strndup(s, n);
}

/* A base URL whose host is this machine: a local model server, which needs no key. */
static bool url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool local = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        struct in_addr a4;
        struct in6_addr a6;
        size_t hl = strlen(host);
        if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') { /* [::1] */
            memmove(host, host + 1, hl - 2);
            host[hl - 2] = '\0';
        }
        if (inet_pton(AF_INET, host, &a4) == 1)
            local = (ntohl(a4.s_addr) >> 24) == 127;
        else if (inet_pton(AF_INET6, host, &a6) == 1)
            local = IN6_IS_ADDR_LOOPBACK(&a6);
        else
            local = strcasecmp(host, "localhost") == 0;
    }
    curl_free(host);
    curl_url_cleanup(u);
    return local;
}

void llm_client_free(struct llm_client *c)
{
    if (!c)
        return;
    free(c->base_url);
    free(c->url);
    free(c->api_key);
    free(c->auth_token);
    free(c->model);
    free(c->model_small);
    free(c);
    curl_global_cleanup();
}

int llm_client_new(const struct llm_config *cfg, struct llm_client **out, struct sp_error *err)
{
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sp_error_set(err, SP_EUNAVAILABLE, "libcurl could not be initialised");
    struct llm_client *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    c->provider = cfg->provider == LLM_OPENAI ? LLM_OPENAI : LLM_ANTHROPIC;
    bool openai = c->provider == LLM_OPENAI;
    c->base_url = dup_trimmed(cfg->base_url);
    if (!c->base_url)
        c->base_url = strdup(openai ? LLM_OPENAI_URL : LLM_ANTHROPIC_URL);
    c->api_key = dup_trimmed(cfg->api_key);
    c->auth_token = openai ? NULL : dup_trimmed(cfg->auth_token);
    c->model = dup_trimmed(cfg->model);
    if (!c->model)
        c->model = strdup(LLM_DEFAULT_MODEL);
    c->model_small = dup_trimmed(cfg->model_small);
    if (!c->model_small && c->model)
        c->model_small = strdup(c->model);
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 600000;
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 3;
    c->rate_limit_attempts = cfg->rate_limit_attempts > 0 ? cfg->rate_limit_attempts : 4;
    c->backoff_base_ms = cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : 500;
    c->log_usage = cfg->log_usage;
    if (!c->base_url || !c->model || !c->model_small) {
        llm_client_free(c);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    size_t bl = strlen(c->base_url);
    while (bl > 1 && c->base_url[bl - 1] == '/')
        c->base_url[--bl] = '\0';
    struct buf url = BUF_INIT(0);
    if (buf_printf(&url, "%s%s", c->base_url, openai ? "/chat/completions" : "/v1/messages")) {
        llm_client_free(c);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    c->url = buf_detach(&url);
    if (strncmp(c->base_url, "http://", 7) != 0 && strncmp(c->base_url, "https://", 8) != 0) {
        int rc = sp_error_set(err, SP_EINVAL, "%s is not an http(s) URL",
                              openai ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL");
        llm_client_free(c);
        return rc;
    }
    if (!c->api_key && !c->auth_token && !url_is_loopback(c->base_url)) {
        int rc = sp_error_set(err, SP_EUNAVAILABLE,
                              openai ? "no model configured (set OPENAI_API_KEY, or "
                                       "OPENAI_BASE_URL to a local model server)"
                                     : "no model configured (set ANTHROPIC_API_KEY or "
                                       "ANTHROPIC_AUTH_TOKEN, or LLM_PROVIDER=openai with "
                                       "OPENAI_API_KEY / a local OPENAI_BASE_URL)");
        llm_client_free(c);
        return rc;
    }
    *out = c;
    return SP_OK;
}

void llm_client_describe(const struct llm_client *c, struct buf *out)
{
    const char *auth = c->api_key ? "key" : c->auth_token ? "auth token" : "no key";
    if (strcmp(c->model, c->model_small) == 0)
        buf_printf(out, "model: %s %s (%s; %s)", c->provider == LLM_OPENAI ? "openai" : "anthropic",
                   c->base_url, c->model, auth);
    else
        buf_printf(out, "model: %s %s (%s, small %s; %s)",
                   c->provider == LLM_OPENAI ? "openai" : "anthropic", c->base_url, c->model,
                   c->model_small, auth);
}

const char *llm_model(const struct llm_client *c, bool small)
{
    return small ? c->model_small : c->model;
}

/* ---- usage ---- */

long llm_usage_field(json_t *u, const char *k)
{
    json_t *v = json_object_get(u, k);
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

void llm_usage_add(struct llm_usage *sum, const struct llm_usage *u)
{
    sum->input_tokens += u->input_tokens;
    sum->output_tokens += u->output_tokens;
    sum->cache_read_tokens += u->cache_read_tokens;
    sum->cache_write_tokens += u->cache_write_tokens;
    sum->calls += u->calls;
}

int llm_usage_json(struct buf *out, const struct llm_usage *u)
{
    return buf_printf(out,
                      "{\"inputTokens\":%ld,\"outputTokens\":%ld,\"cacheReadTokens\":%ld,"
                      "\"cacheWriteTokens\":%ld,\"calls\":%ld}",
                      u->input_tokens, u->output_tokens, u->cache_read_tokens,
                      u->cache_write_tokens, u->calls);
}

/* A tool's input_schema parsed (absent: {"type":"object"}) into *schema (new reference), or
 * SP_EINVAL "tool <name>: input_schema is not a JSON object". */
static int llm_tool_schema(const struct llm_tool *t, json_t **schema, struct sp_error *err)
{
    json_error_t je;
    *schema = json_loads(t->input_schema ? t->input_schema : "{\"type\":\"object\"}", 0, &je);
    if (json_is_object(*schema))
        return SP_OK;
    json_decref(*schema);
    *schema = NULL;
    return sp_error_set(err, SP_EINVAL, "tool %s: input_schema is not a JSON object", t->name);
}

int llm_tools_json(const struct llm_request *req,
                   json_t *(*def)(const struct llm_tool *t, json_t *schema), json_t **out,
                   struct sp_error *err)
{
    *out = json_array();
    if (!*out)
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    for (size_t i = 0; i < req->n_tools; i++) {
        json_t *schema;
        if (llm_tool_schema(&req->tools[i], &schema, err) != SP_OK) {
            json_decref(*out);
            *out = NULL;
            return SP_EINVAL;
        }
        if (json_array_append_new(*out, def(&req->tools[i], schema))) {
            json_decref(*out);
            *out = NULL;
            return sp_error_set(err, SP_ENOMEM, "out of memory");
        }
    }
    return SP_OK;
}

void llm_reply_clear(struct llm_reply *r)
{
    json_decref(r->content);
    free(r->stop_reason);
    memset(r, 0, sizeof *r);
}

/* ---- cancellation-aware waiting ---- */

static bool is_cancelled(const atomic_bool *cancel)
{
    return cancel && atomic_load(cancel);
}

/* Sleep ms in 50 ms slices; false when cancelled meanwhile. */
static bool sleep_ms(long ms, const atomic_bool *cancel)
{
    int64_t end = time_mono_us() + (int64_t)ms * 1000;
    for (;;) {
        if (is_cancelled(cancel))
            return false;
        int64_t left = end - time_mono_us();
        if (left <= 0)
            return true;
        if (left > 50000)
            left = 50000;
        struct timespec ts = { 0, (long)left * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* ---- one HTTP attempt ---- */

struct attempt {
    long status; /* 0: no HTTP reply */
    CURLcode cc;
    bool aborted; /* cancelled */
    struct buf body;
    long retry_after_ms; /* -1: none */
    int should_retry;    /* -1 unset, 0 false, 1 true */
    char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;
    if (buf_append(b, ptr, n) != SP_OK)
        return 0; /* too big: fail the transfer (CURLE_WRITE_ERROR) */
    return n;
}

static long parse_retry_after(const char *v, bool ms)
{
    while (isspace((unsigned char)*v))
        v++;
    char *end;
    double d = strtod(v, &end);
    if (end != v) {
        while (isspace((unsigned char)*end))
            end++;
        if (*end == '\0' && d >= 0)
            return ms ? (long)d : (long)(d * 1000.0);
    }
    if (ms)
        return -1;
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    double diff = difftime(when, time(NULL));
    return diff > 0 ? (long)(diff * 1000.0) : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct attempt *a = userdata;
    size_t n = size * nmemb;
    char line[256];
    if (n >= sizeof line)
        return n;
    memcpy(line, ptr, n);
    line[n] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return n;
    *colon = '\0';
    char *v = colon + 1;
    size_t vl = strlen(v);
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        v[--vl] = '\0';
    while (*v == ' ' || *v == '\t')
        v++;
    if (strcasecmp(line, "retry-after-ms") == 0) {
        long ms = parse_retry_after(v, true);
        if (ms >= 0)
            a->retry_after_ms = ms; /* wins over retry-after */
    } else if (strcasecmp(line, "retry-after") == 0) {
        if (a->retry_after_ms < 0)
            a->retry_after_ms = parse_retry_after(v, false);
    } else if (strcasecmp(line, "x-should-retry") == 0) {
        a->should_retry = strcasecmp(v, "true") == 0 ? 1 : strcasecmp(v, "false") == 0 ? 0 : -1;
    }
    return n;
}

static void attempt_post(const struct llm_client *c, struct curl_slist *headers, const char *body,
                         size_t len, struct attempt *a, const atomic_bool *cancel)
{
    a->status = 0;
    a->cc = CURLE_OK;
    a->aborted = false;
    a->retry_after_ms = -1;
    a->should_retry = -1;
    a->errbuf[0] = '\0';
    buf_reset(&a->body);
    CURL *h = curl_easy_init();
    CURLM *m = curl_multi_init();
    if (!h || !m) {
        a->cc = CURLE_OUT_OF_MEMORY;
        curl_easy_cleanup(h);
        curl_multi_cleanup(m);
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl can decode */
    /* libcurl honours https_proxy / http_proxy (users behind a proxy); never for this machine */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "localhost,127.0.0.0/8,::1");
    curl_multi_add_handle(m, h);
    int running = 1;
    CURLMcode mc = CURLM_OK;
    while (running) {
        mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK || !running)
            break;
        if (is_cancelled(cancel)) {
            a->aborted = true;
            break;
        }
        mc = curl_multi_poll(m, NULL, 0, 100, NULL);
        if (mc != CURLM_OK)
            break;
    }
    if (!a->aborted && is_cancelled(cancel))
        a->aborted = true;
    if (!a->aborted) {
        int left;
        CURLMsg *msg;
        a->cc = CURLE_RECV_ERROR;
        if (mc != CURLM_OK)
            snprintf(a->errbuf, sizeof a->errbuf, "%s", curl_multi_strerror(mc));
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
                a->cc = msg->data.result;
        if (a->cc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    }
    curl_multi_remove_handle(m, h);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
}

/* ---- errors without the key ---- */

static void scrub(char *msg, const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    size_t sl = strlen(secret);
    char *p;
    while ((p = strstr(msg, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + sl, strlen(p + sl) + 1);
    }
}

static void scrub_err(const struct llm_client *c, struct sp_error *err)
{
    if (!err)
        return;
    scrub(err->msg, c->api_key);
    scrub(err->msg, c->auth_token);
}

/* ---- the call ---- */

static struct curl_slist *make_headers(const struct llm_client *c)
{
    struct curl_slist *h = NULL, *t;
    struct buf line = BUF_INIT(0);
#define ADD(s)                         \
    do {                               \
        t = curl_slist_append(h, (s)); \
        if (!t)                        \
            goto fail;                 \
        h = t;                         \
    } while (0)
    ADD("content-type: application/json");
    ADD("accept: application/json");
    ADD("expect:"); /* no 100-continue round trip for large bodies */
    if (c->provider == LLM_ANTHROPIC) {
        ADD("anthropic-version: 2023-06-01");
        if (c->api_key) {
            if (buf_printf(&line, "x-api-key: %s", c->api_key))
                goto fail;
            ADD(line.data);
        } else if (c->auth_token) {
            if (buf_printf(&line, "authorization: Bearer %s", c->auth_token))
                goto fail;
            ADD(line.data);
        }
    } else if (c->api_key) {
        if (buf_printf(&line, "authorization: Bearer %s", c->api_key))
            goto fail;
        ADD(line.data);
    }
#undef ADD
    if (line.data)
        memset(line.data, 0, line.len);
    buf_release(&line);
    return h;
fail:
    if (line.data)
        memset(line.data, 0, line.len);
    buf_release(&line);
    curl_slist_free_all(h);
    return NULL;
}

static long backoff_ms(const struct llm_client *c, int retry_no, bool rate_limited)
{
    long base = c->backoff_base_ms * (rate_limited ? 4 : 1);
    long d = base;
    for (int i = 1; i < retry_no && d < LLM_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > LLM_BACKOFF_CAP_MS && base <= LLM_BACKOFF_CAP_MS)
        d = LLM_BACKOFF_CAP_MS;
    /* up to 25 % downward jitter */
    long jitter = (long)((uint64_t)time_mono_us() % 1000u) * (d / 4) / 1000;
    return d - jitter;
}

static bool status_retryable(long s)
{
    return s == 408 || s == 409 || s == 429 || s >= 500;
}

static void log_call(const struct llm_client *c, const char *model, long status, int attempts,
                     const struct llm_usage *u, int64_t t0, int rc)
{
    if (!c->log_usage)
        return;
    char line[512];
    double ms = (double)(time_mono_us() - t0) / 1000.0;
    int n;
    if (rc == SP_OK)
        n = snprintf(line, sizeof line,
                     "llm %s %.100s %ld in=%ld out=%ld cache_read=%ld cache_write=%ld "
                     "attempts=%d %.2fms\n",
                     c->provider == LLM_OPENAI ? "openai" : "anthropic", model, status,
                     u->input_tokens, u->output_tokens, u->cache_read_tokens, u->cache_write_tokens,
                     attempts, ms);
    else
        n = snprintf(line, sizeof line, "llm %s %.100s %ld %s attempts=%d %.2fms\n",
                     c->provider == LLM_OPENAI ? "openai" : "anthropic", model, status,
                     rc == SP_EABORT ? "cancelled" : "failed", attempts, ms);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

static void set_http_error(struct sp_error *err, long status, const struct buf *body)
{
    size_t n = body->len < LLM_ERRBODY_MAX ? body->len : LLM_ERRBODY_MAX;
    const char *b = body->len ? body->data : "";
    while (n && (b[n - 1] == '\n' || b[n - 1] == '\r'))
        n--;
    sp_error_set(err, SP_EUPSTREAM, "%ld %.*s%s", status, (int)n, b,
                 body->len > LLM_ERRBODY_MAX ? "..." : "");
}

int llm_call(const struct llm_client *c, const struct llm_request *req, struct llm_reply *out,
             const atomic_bool *cancel, struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return sp_error_set(err, SP_EUNAVAILABLE, "no model configured");
    const char *model = req->model ? req->model : c->model;
    struct llm_request r = *req;
    r.model = model;
    if (r.max_tokens <= 0)
        r.max_tokens = 4096;
    struct buf body = BUF_INIT(0);
    int rc = c->provider == LLM_OPENAI ? llm_openai_build(&r, &body, err)
                                       : llm_anthropic_build(&r, &body, err);
    if (rc != SP_OK) {
        buf_release(&body);
        return rc;
    }
    struct curl_slist *headers = make_headers(c);
    if (!headers) {
        buf_release(&body);
        return sp_error_set(err, SP_ENOMEM, "out of memory");
    }
    struct attempt a = { .body = BUF_INIT(LLM_BODY_MAX) };
    int64_t t0 = time_mono_us();
    int attempts = 0, retries_other = 0, retries_429 = 0;
    for (;;) {
        if (is_cancelled(cancel)) {
            rc = sp_error_set(err, SP_EABORT, "cancelled");
            break;
        }
        attempts++;
        attempt_post(c, headers, body.data, body.len, &a, cancel);
        if (a.aborted) {
            rc = sp_error_set(err, SP_EABORT, "cancelled");
            break;
        }
        bool retryable, rate = false;
        if (a.cc != CURLE_OK) {
            retryable = a.cc != CURLE_WRITE_ERROR; /* a reply over LLM_BODY_MAX: not again */
            rc = sp_error_set(err, SP_EUPSTREAM, "model request failed: %s",
                              a.errbuf[0] ? a.errbuf : curl_easy_strerror(a.cc));
            if (a.cc == CURLE_OPERATION_TIMEDOUT)
                rc = sp_error_set(err, SP_EUPSTREAM, "model request timed out after %ld ms",
                                  c->timeout_ms);
        } else if (a.status >= 200 && a.status < 300) {
            rc = c->provider == LLM_OPENAI ? llm_openai_parse(a.body.data, a.body.len, out, err)
                                           : llm_anthropic_parse(a.body.data, a.body.len, out, err);
            if (rc == SP_OK)
                break;
            retryable = false;
        } else {
            rate = a.status == 429;
            retryable = status_retryable(a.status);
            set_http_error(err, a.status, &a.body);
            rc = SP_EUPSTREAM;
        }
        if (a.should_retry == 1 && a.cc == CURLE_OK && a.status >= 300)
            retryable = true;
        else if (a.should_retry == 0)
            retryable = false;
        int used = rate ? ++retries_429 : ++retries_other;
        int limit = rate ? c->rate_limit_attempts : c->max_attempts;
        if (!retryable || used >= limit)
            break;
        long wait = a.retry_after_ms >= 0 && a.retry_after_ms <= LLM_RETRY_AFTER_CAP_MS
                        ? a.retry_after_ms
                    : a.retry_after_ms > LLM_RETRY_AFTER_CAP_MS ? LLM_RETRY_AFTER_CAP_MS
                                                                : backoff_ms(c, used, rate);
        if (!sleep_ms(wait, cancel)) {
            rc = sp_error_set(err, SP_EABORT, "cancelled");
            break;
        }
    }
    if (rc == SP_OK)
        out->usage.calls = 1;
    else
        scrub_err(c, err);
    log_call(c, model, a.status, attempts, &out->usage, t0, rc);
    buf_release(&a.body);
    curl_slist_free_all(headers);
    buf_release(&body);
    return rc;
}
