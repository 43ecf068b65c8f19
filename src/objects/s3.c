/* objects/s3.c: the S3 store: PutObject / DeleteObject with libcurl's built-in SigV4.
 *
 * URL: AWS_ENDPOINT_URL set -> path style <endpoint>/<bucket>/<key> (MinIO, s3rver, ...);
 * otherwise virtual-host style https://<bucket>.s3.<region>.amazonaws.com/<key>. Keys passed
 * objstore_key_is_safe() (only [A-Za-z0-9._-/]), so they need no escaping in a URL.
 * PUT streams the staged file (never loaded in memory) with x-amz-content-sha256 set to the
 * file's SHA-256 (libcrypto EVP), so the payload is signed and checked by S3.
 * Each call uses its own CURL easy handle, with connect and total timeouts, and up to
 * cfg.attempts tries with backoff on connection errors, timeouts, 5xx and 429. A 4xx is a
 * refusal: SP_EUPSTREAM with S3's <Code> and <Message>. DELETE of a missing key (404) is fine.
 * The crash-leftover sweep (s3_sweep) lists the bucket under "documents/" with ListObjectsV2
 * (GET /<bucket>?list-type=2..., replies read by objects/s3_list.c) and deletes the objects
 * no row names; bounded per call, continuing from a saved continuation token.
 * curl_global_init runs in objstore_s3_init (start-up, before threads); CURLOPT_NOSIGNAL is set.
 * Thread model: the config is immutable after init; calls run concurrently. The sweep's
 * continuation token is guarded by sweep_lock (one sweep at a time).
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "objects/backend.h"
#include "objects/s3_list.h"
#include "util/buf.h"

#define SHA256_HEX_SIZE 65 /* 64 hex digits and the NUL */

#define S3_BODY_MAX 16384
#define S3_LIST_BODY_MAX (8u << 20) /* a page of 1000 keys is about 300 KiB */
#define SWEEP_PREFIX "documents/"   /* every key Sprout writes starts with it */

struct s3_store {
    char *bucket, *region, *userpwd_user, *userpwd_pass, *token, *endpoint, *sigv4;
    long connect_timeout_ms, timeout_ms;
    int attempts;
    long sweep_page, sweep_max_keys;
    pthread_mutex_t sweep_lock; /* one sweep at a time; guards sweep_token */
    char *sweep_token;          /* where the next sweep continues the listing; NULL: the start */
};

static size_t collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;
    size_t room = b->limit > b->len ? b->limit - b->len : 0;
    buf_append(b, ptr, n < room ? n : room); /* keep the first bytes; the rest is dropped */
    return n;
}

static int sha256_file(FILE *f, char hex[SHA256_HEX_SIZE])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char chunk[65536];
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
        size_t n;
        ok = 1;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (EVP_DigestUpdate(ctx, chunk, n) != 1)
                ok = 0;
        if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
            ok = 0;
    }
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* "<Code>X</Code>" -> X (copied into out). */
static void xml_tag(const char *xml, const char *tag, char *out, size_t out_size)
{
    char open[32], close[32];
    out[0] = '\0';
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = xml ? strstr(xml, open) : NULL;
    if (!a)
        return;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b)
        return;
    snprintf(out, out_size, "%.*s", (int)(b - a), a);
}

/* key "" is the bucket itself (ListObjectsV2); query, when not NULL, follows a '?'. */
static int url_for(const struct s3_store *s3, const char *key, const char *query, struct buf *url)
{
    int rc;
    if (s3->endpoint)
        rc = key[0] ? buf_printf(url, "%s/%s/%s", s3->endpoint, s3->bucket, key)
                    : buf_printf(url, "%s/%s", s3->endpoint, s3->bucket);
    else
        rc = buf_printf(url, "https://%s.s3.%s.amazonaws.com/%s", s3->bucket, s3->region, key);
    if (rc == SP_OK && query)
        rc = buf_printf(url, "?%s", query);
    return rc;
}

static bool retryable_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR: return true;
    default: return false;
    }
}

static void backoff(int attempt)
{
    long ms = 200L << (attempt < 4 ? attempt : 4); /* 200, 400, 800 ... ms */
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One request with retries. file/size only for PUT. query and reply only for the listing
 * (GET of the bucket, key ""): a 2xx reply's body is left in reply (up to its limit; a body
 * that reaches the limit is an error). */
static int s3_request(const struct s3_store *s3, const char *method, const char *key,
                      const char *query, FILE *file, curl_off_t size, const char *content_type,
                      const char *sha_hex, struct buf *reply, struct sp_error *err)
{
    struct buf url = BUF_INIT(0), own_body = BUF_INIT(S3_BODY_MAX), hdr = BUF_INIT(0);
    struct buf *bodyp = reply ? reply : &own_body;
    const char *what = key[0] ? key : "listing";
    struct curl_slist *headers = NULL, *tmp;
    CURL *h = NULL;
    int rc = SP_ENOMEM;
    if (url_for(s3, key, query, &url) != SP_OK)
        goto done;
    if (content_type) {
        buf_printf(&hdr, "Content-Type: %s", content_type);
        if (!(tmp = curl_slist_append(headers, buf_cstr(&hdr))))
            goto done;
        headers = tmp;
    }
    buf_reset(&hdr);
    buf_printf(&hdr, "x-amz-content-sha256: %s",
               sha_hex ? sha_hex
                       : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    if (!(tmp = curl_slist_append(headers, buf_cstr(&hdr))))
        goto done;
    headers = tmp;
    if (s3->token) {
        buf_reset(&hdr);
        buf_printf(&hdr, "x-amz-security-token: %s", s3->token);
        if (!(tmp = curl_slist_append(headers, buf_cstr(&hdr))))
            goto done;
        headers = tmp;
    }
    if (!(tmp = curl_slist_append(headers, "Expect:")))
        goto done;
    headers = tmp;

    for (int attempt = 0; attempt < s3->attempts; attempt++) {
        char errbuf[CURL_ERROR_SIZE] = "";
        if (attempt > 0)
            backoff(attempt - 1);
        curl_easy_cleanup(h);
        if (!(h = curl_easy_init()))
            goto done;
        buf_reset(bodyp);
        curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url));
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s3->sigv4);
        curl_easy_setopt(h, CURLOPT_USERNAME, s3->userpwd_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s3->userpwd_pass);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s3->connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s3->timeout_ms);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, bodyp);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (file) {
            rewind(file);
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READDATA, file);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
        } else {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        }
        CURLcode cc = curl_easy_perform(h);
        if (cc != CURLE_OK) {
            rc = sp_error_set(err, SP_EUPSTREAM, "S3 %s %s: %s", method, what,
                              errbuf[0] ? errbuf : curl_easy_strerror(cc));
            if (retryable_curl(cc))
                continue;
            goto done;
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            rc = SP_OK;
            if (reply && reply->limit && reply->len >= reply->limit)
                rc = sp_error_set(err, SP_EUPSTREAM, "S3 %s %s: the reply exceeds %zu bytes",
                                  method, what, reply->limit);
            goto done;
        }
        if (status == 404 && strcmp(method, "DELETE") == 0) {
            rc = SP_OK; /* already gone */
            goto done;
        }
        char code[128], msg[512];
        xml_tag(buf_cstr(bodyp), "Code", code, sizeof code);
        xml_tag(buf_cstr(bodyp), "Message", msg, sizeof msg);
        rc = sp_error_set(err, SP_EUPSTREAM, "S3 %s %s: HTTP %ld%s%s%s%s", method, what, status,
                          code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
        if (status >= 500 || status == 429)
            continue;
        goto done;
    }
    if (s3->attempts > 1 && err)
        sp_error_prefix(err, rc, "after %d attempts", s3->attempts);
done:
    if (rc == SP_ENOMEM)
        sp_error_set(err, SP_ENOMEM, "out of memory preparing an S3 request");
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&own_body);
    buf_release(&hdr);
    return rc;
}

static int s3_put(void *impl, const char *key, const char *local_path, const char *content_type,
                  struct sp_error *err)
{
    const struct s3_store *s3 = impl;
    FILE *f = fopen(local_path, "rb");
    if (!f)
        return sp_error_set(err, SP_EIO, "open %s: %s", local_path, strerror(errno));
    struct stat st;
    char hex[SHA256_HEX_SIZE] = "";
    int rc;
    if (fstat(fileno(f), &st) != 0)
        rc = sp_error_set(err, SP_EIO, "stat %s: %s", local_path, strerror(errno));
    else if (sha256_file(f, hex) != 0)
        rc = sp_error_set(err, SP_EIO, "read %s for its SHA-256", local_path);
    else
        rc = s3_request(s3, "PUT", key, NULL, f, (curl_off_t)st.st_size, content_type, hex, NULL,
                        err);
    fclose(f);
    return rc;
}

static int s3_del(void *impl, const char *key, struct sp_error *err)
{
    return s3_request(impl, "DELETE", key, NULL, NULL, 0, NULL, NULL, NULL, err);
}

/* Crash leftovers in the bucket: list the keys under SWEEP_PREFIX (ListObjectsV2, pages of
 * sweep_page keys, at most sweep_max_keys keys per sweep: the next sweep continues from the
 * saved continuation token, and starts over once the listing is complete), then delete each
 * listed object older than grace_s (S3's LastModified) that keep() does not claim. The whole
 * listing of this sweep is read before anything is deleted: a listing error (refused,
 * unreachable, unreadable reply) deletes nothing and makes the next sweep start over. Only
 * keys of the shape Sprout writes are touched: "documents/<name>" (no deeper folder) that
 * objstore_key_is_safe accepts, as the local folder sweeps only the files of documents/. */
static int s3_sweep(void *impl, bool (*keep)(void *cls, const char *key), void *cls, long grace_s,
                    size_t *removed, struct sp_error *err)
{
    struct s3_store *s3 = impl;
    struct s3_list_page all = { 0 }; /* the candidates: old enough, under the prefix, safe */
    struct buf query = BUF_INIT(0), reply = BUF_INIT(S3_LIST_BODY_MAX);
    int rc = SP_OK;
    long listed = 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&s3->sweep_lock);
    char *token = s3->sweep_token;
    s3->sweep_token = NULL;
    for (;;) {
        long want = s3->sweep_max_keys - listed;
        if (want > s3->sweep_page)
            want = s3->sweep_page;
        buf_reset(&query);
        /* parameters in SigV4 canonical order, values URI-encoded */
        if (token) {
            char *esc = curl_easy_escape(NULL, token, 0);
            if (!esc) {
                rc = sp_error_set(err, SP_ENOMEM, "out of memory");
                break;
            }
            buf_printf(&query, "continuation-token=%s&", esc);
            curl_free(esc);
        }
        if (buf_printf(&query, "list-type=2&max-keys=%ld&prefix=documents%%2F", want) != SP_OK) {
            rc = sp_error_set(err, SP_ENOMEM, "out of memory");
            break;
        }
        rc = s3_request(s3, "GET", "", buf_cstr(&query), NULL, 0, NULL, NULL, &reply, err);
        struct s3_list_page page = { 0 };
        if (rc == SP_OK)
            rc = s3_list_parse(reply.data ? reply.data : "", reply.len, &page, err);
        if (rc != SP_OK) {
            s3_list_page_free(&page);
            break;
        }
        for (size_t i = 0; i < page.n && rc == SP_OK; i++) {
            struct s3_list_entry *e = &page.v[i];
            if (strncmp(e->key, SWEEP_PREFIX, strlen(SWEEP_PREFIX)) != 0 ||
                strchr(e->key + strlen(SWEEP_PREFIX), '/') || !objstore_key_is_safe(e->key) ||
                now - e->last_modified < grace_s)
                continue;
            if (all.n == all.cap) {
                size_t cap = all.cap ? all.cap * 2 : 64;
                struct s3_list_entry *v = realloc(all.v, cap * sizeof *v);
                if (!v) {
                    rc = sp_error_set(err, SP_ENOMEM, "out of memory");
                    break;
                }
                all.v = v;
                all.cap = cap;
            }
            all.v[all.n++] = *e;
            e->key = NULL; /* moved */
        }
        listed += page.n > 0 ? (long)page.n : 1; /* an empty page still counts: bounded */
        free(token);
        token = page.truncated ? page.next_token : NULL;
        page.next_token = NULL;
        s3_list_page_free(&page);
        if (rc != SP_OK || !token || listed >= s3->sweep_max_keys)
            break;
    }
    if (rc != SP_OK) {
        free(token); /* start over next time */
        sp_error_prefix(err, rc, "sweeping the S3 bucket (nothing deleted)");
    } else {
        s3->sweep_token = token;
        for (size_t i = 0; i < all.n; i++) {
            if (keep(cls, all.v[i].key))
                continue;
            rc = s3_request(s3, "DELETE", all.v[i].key, NULL, NULL, 0, NULL, NULL, NULL, err);
            if (rc != SP_OK)
                break;
            (*removed)++;
        }
    }
    pthread_mutex_unlock(&s3->sweep_lock);
    s3_list_page_free(&all);
    buf_release(&query);
    buf_release(&reply);
    return rc;
}

static void s3_close(void *impl)
{
    struct s3_store *s3 = impl;
    if (!s3)
        return;
    free(s3->bucket);
    free(s3->region);
    free(s3->userpwd_user);
    free(s3->userpwd_pass);
    free(s3->token);
    free(s3->endpoint);
    free(s3->sigv4);
    free(s3->sweep_token);
    pthread_mutex_destroy(&s3->sweep_lock);
    free(s3);
    curl_global_cleanup();
}

static const struct objstore_ops s3_ops = {
    .put_file = s3_put, .del = s3_del, .sweep = s3_sweep, .close = s3_close
};

static bool bucket_name_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

int objstore_s3_init(struct objstore *s, const struct objstore_s3_config *cfg, struct sp_error *err)
{
    if (!bucket_name_ok(cfg->bucket))
        return sp_error_set(err, SP_EINVAL,
                            "AWS_S3_BUCKET \"%s\" is not a valid bucket name "
                            "(3-63 characters: a-z, 0-9, '-', '.')",
                            cfg->bucket);
    for (const char *r = cfg->region; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return sp_error_set(err, SP_EINVAL, "AWS_REGION \"%s\" is not a region name",
                                cfg->region);
    if (cfg->endpoint && strncmp(cfg->endpoint, "http://", 7) != 0 &&
        strncmp(cfg->endpoint, "https://", 8) != 0)
        return sp_error_set(err, SP_EINVAL,
                            "AWS_ENDPOINT_URL \"%s\" must start with http:// or https://",
                            cfg->endpoint);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sp_error_set(err, SP_EUPSTREAM, "libcurl initialisation failed");
    struct s3_store *s3 = calloc(1, sizeof *s3);
    struct buf sig = BUF_INIT(0);
    if (!s3)
        goto oom;
    pthread_mutex_init(&s3->sweep_lock, NULL);
    s3->bucket = strdup(cfg->bucket);
    s3->region = strdup(cfg->region);
    s3->userpwd_user = strdup(cfg->access_key);
    s3->userpwd_pass = strdup(cfg->secret_key);
    s3->token = cfg->session_token ? strdup(cfg->session_token) : NULL;
    if (cfg->endpoint) {
        s3->endpoint = strdup(cfg->endpoint);
        if (s3->endpoint) {
            size_t n = strlen(s3->endpoint);
            while (n > 0 && s3->endpoint[n - 1] == '/')
                s3->endpoint[--n] = '\0';
        }
    }
    if (buf_printf(&sig, "aws:amz:%s:s3", cfg->region) != SP_OK)
        goto oom;
    s3->sigv4 = buf_detach(&sig);
    if (!s3->bucket || !s3->region || !s3->userpwd_user || !s3->userpwd_pass ||
        (cfg->session_token && !s3->token) || (cfg->endpoint && !s3->endpoint))
        goto oom;
    s3->connect_timeout_ms = cfg->connect_timeout_ms;
    s3->timeout_ms = cfg->timeout_ms;
    s3->attempts = cfg->attempts < 1 ? 1 : cfg->attempts;
    s3->sweep_page = cfg->sweep_page >= 1 && cfg->sweep_page <= 1000 ? cfg->sweep_page : 1000;
    s3->sweep_max_keys = cfg->sweep_max_keys >= 1 ? cfg->sweep_max_keys : 10000;
    s->ops = &s3_ops;
    s->impl = s3;
    s->remote = true;
    if (s3->endpoint)
        snprintf(s->describe, sizeof s->describe, "S3 bucket %s at %.300s (path style)", s3->bucket,
                 s3->endpoint);
    else
        snprintf(s->describe, sizeof s->describe, "S3 bucket %s in %s", s3->bucket, s3->region);
    return SP_OK;
oom:
    buf_release(&sig);
    s3_close(s3);
    if (!s3)
        curl_global_cleanup();
    return sp_error_set(err, SP_ENOMEM, "out of memory");
}
