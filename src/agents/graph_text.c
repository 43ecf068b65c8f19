/* agents/graph_text.c: text helpers of the topic, bootstrap and legacy agents (see
 * graph_text.h). Thread model: stateless.
 */
#include "agents/graph_text.h"

#include <stdbool.h>
#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray continuation bytes). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

int graph_utf8_prefix(struct buf *out, const char *s, size_t max, int *cut)
{
    size_t i = 0, chars = 0, n = strlen(s);
    while (i < n && chars < max) {
        size_t l = utf8_len((unsigned char)s[i]);
        if (i + l > n)
            l = n - i;
        i += l;
        chars++;
    }
    if (cut)
        *cut = i < n;
    return buf_append(out, s, i);
}

static const char *lookup(const char *name, size_t len, const char *const *vars, size_t n_vars,
                          bool *known)
{
    for (size_t k = 0; k < n_vars; k++) {
        const char *v = vars[2 * k];
        if (strlen(v) == len && memcmp(v, name, len) == 0) {
            *known = true;
            return vars[2 * k + 1] ? vars[2 * k + 1] : "";
        }
    }
    *known = false;
    return NULL;
}

int graph_fill(struct buf *out, const char *tmpl, const char *const *vars, size_t n_vars)
{
    const char *p = tmpl;
    int rc = SP_OK;
    while (rc == SP_OK && *p) {
        const char *open = strstr(p, "{{");
        if (!open)
            return buf_puts(out, p);
        rc = buf_append(out, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (rc != SP_OK || !close) {
            if (rc == SP_OK)
                rc = buf_puts(out, open);
            return rc;
        }
        const char *name = open + 2;
        size_t len = (size_t)(close - name);
        bool known = false;
        if (len > 3 && memcmp(name, "if ", 3) == 0) {
            const char *value = lookup(name + 3, len - 3, vars, n_vars, &known);
            const char *end = strstr(close + 2, "{{end}}");
            if (known && end) {
                p = close + 2;
                if (*value) {
                    /* keep the inside: it is filled by the loop; drop the {{end}} later */
                    struct buf inner = BUF_INIT(0);
                    rc = buf_append(&inner, p, (size_t)(end - p));
                    if (rc == SP_OK)
                        rc = graph_fill(out, buf_cstr(&inner), vars, n_vars);
                    buf_release(&inner);
                }
                p = end + 7;
                continue;
            }
        } else {
            const char *value = lookup(name, len, vars, n_vars, &known);
            if (known) {
                rc = buf_puts(out, value);
                p = close + 2;
                continue;
            }
        }
        rc = buf_append(out, open, (size_t)(close + 2 - open));
        p = close + 2;
    }
    return rc;
}

int graph_title_key(struct buf *out, const char *title)
{
    buf_reset(out);
    int rc = buf_puts(out, ""); /* the key of "" is "", never NULL */
    bool pending_space = false;
    for (const unsigned char *s = (const unsigned char *)(title ? title : ""); *s && rc == SP_OK;
         s++) {
        if (is_space(*s)) {
            pending_space = out->len > 0;
            continue;
        }
        if (pending_space)
            rc = buf_putc(out, ' ');
        pending_space = false;
        if (rc == SP_OK)
            rc = buf_putc(out, (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
    }
    return rc;
}

int graph_document_context(struct buf *out, json_t *docs)
{
    buf_reset(out);
    struct buf all = BUF_INIT(0);
    size_t i;
    json_t *doc;
    int rc = SP_OK;
    json_array_foreach(docs, i, doc) {
        const char *name = json_string_value(json_object_get(doc, "originalFilename"));
        const char *text = json_string_value(json_object_get(doc, "extractedText"));
        if (!text)
            continue;
        if (all.len)
            rc = buf_puts(&all, "\n\n");
        if (rc == SP_OK)
            rc = buf_printf(&all, "=== Document: %s ===\n%s", name ? name : "document", text);
        if (rc != SP_OK)
            break;
    }
    if (rc == SP_OK && all.len) {
        int cut = 0;
        rc = graph_utf8_prefix(out, all.data, GRAPH_DOC_CONTEXT_MAX, &cut);
        if (rc == SP_OK && cut)
            rc = buf_printf(out, "\n\n[The documents were cut here: only their first %d "
                            "characters are included.]", GRAPH_DOC_CONTEXT_MAX);
    }
    buf_release(&all);
    return rc;
}

/* A new string: s trimmed of ASCII white space. */
static json_t *trimmed(const char *s)
{
    size_t a = 0, b = strlen(s);
    while (a < b && is_space((unsigned char)s[a]))
        a++;
    while (b > a && is_space((unsigned char)s[b - 1]))
        b--;
    return json_stringn(s + a, b - a);
}

int graph_legacy_subconcepts(json_t *reply, json_t **out, struct sp_error *err)
{
    *out = NULL;
    if (!json_is_array(reply))
        return sp_error_set(err, SP_EINVAL, "Claude did not return a JSON array");
    json_t *items = json_array(), *keys = json_object(); /* key -> canonical title */
    struct buf key = BUF_INIT(0);
    size_t i;
    json_t *it;
    int rc = items && keys ? SP_OK : SP_ENOMEM;
    json_array_foreach(reply, i, it) {
        if (rc != SP_OK || json_array_size(items) >= GRAPH_LEGACY_MAX_SUBCONCEPTS)
            break;
        const char *title = json_string_value(json_object_get(it, "title"));
        if (!json_is_object(it) || !title)
            continue;
        json_t *t = trimmed(title);
        if (!t || !json_string_length(t) || graph_title_key(&key, json_string_value(t)) ||
            json_object_get(keys, buf_cstr(&key))) {
            json_decref(t);
            continue;
        }
        json_object_set(keys, buf_cstr(&key), t);
        const char *desc = json_string_value(json_object_get(it, "desc"));
        json_t *deps = json_array();
        json_t *d;
        size_t j;
        json_array_foreach(json_object_get(it, "depends_on"), j, d) {
            if (!json_is_string(d))
                continue;
            json_t *dt = trimmed(json_string_value(d));
            if (dt && json_string_length(dt))
                json_array_append(deps, dt);
            json_decref(dt);
        }
        json_array_append_new(items, json_pack("{s:o,s:o,s:o}", "title", t, "desc",
                                               desc ? trimmed(desc) : json_string(""),
                                               "depends_on", deps));
    }
    /* dependencies -> canonical titles of returned subconcepts, no self, no duplicates */
    json_array_foreach(items, i, it) {
        json_t *canon = json_array();
        json_t *d;
        size_t j;
        const char *self = json_string_value(json_object_get(it, "title"));
        json_array_foreach(json_object_get(it, "depends_on"), j, d) {
            if (graph_title_key(&key, json_string_value(d)) != SP_OK)
                continue;
            json_t *c = json_object_get(keys, buf_cstr(&key));
            if (!c || strcmp(json_string_value(c), self) == 0)
                continue;
            bool dup = false;
            json_t *e;
            size_t k;
            json_array_foreach(canon, k, e) dup = dup || json_equal(e, c);
            if (!dup)
                json_array_append(canon, c);
        }
        json_object_set_new(it, "depends_on", canon);
    }
    buf_release(&key);
    json_decref(keys);
    if (rc != SP_OK) {
        json_decref(items);
        return sp_error_set(err, rc, "out of memory");
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        return sp_error_set(err, SP_EINVAL, "Claude returned no valid subconcepts");
    }
    *out = items;
    return SP_OK;
}
