/* agents/graph_text.c: text helpers of the topic, bootstrap and legacy agents (see
 * graph_text.h). Thread model: stateless.
 */
#include "agents/graph_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/tutor_text.h"

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

static int append_trimmed(struct buf *out, const char *s, size_t n)
{
    while (n && is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && is_space((unsigned char)s[n - 1]))
        n--;
    return buf_append(out, s, n);
}

int graph_fill_split(const char *tmpl, const char *const *vars, size_t n_vars, struct buf *system,
                     struct buf *user)
{
    struct buf all = BUF_INIT(0);
    int rc = graph_fill(&all, tmpl, vars, n_vars);
    if (rc == SP_OK) {
        const char *s = buf_cstr(&all);
        const char *mark = strstr(s, GRAPH_USER_MARK);
        size_t n_sys = mark ? (size_t)(mark - s) : all.len;
        rc = append_trimmed(system, s, n_sys);
        if (rc == SP_OK && mark) {
            const char *u = mark + strlen(GRAPH_USER_MARK);
            rc = append_trimmed(user, u, strlen(u));
        }
        if (rc == SP_OK)
            rc = buf_puts(system, "") == SP_OK && buf_puts(user, "") == SP_OK ? SP_OK : SP_ENOMEM;
    }
    buf_release(&all);
    return rc;
}

int graph_title_key(struct buf *out, const char *title)
{
    buf_reset(out);
    int rc = buf_puts(out, ""); /* the key of "" is "", never NULL */
    bool pending_space = false;
    const unsigned char *s = (const unsigned char *)(title ? title : "");
    size_t n = strlen((const char *)s);
    while (n && rc == SP_OK) {
        size_t k = tutor_space_len((const char *)s, n);
        if (k) {
            pending_space = out->len > 0;
            s += k;
            n -= k;
            continue;
        }
        if (pending_space)
            rc = buf_putc(out, ' ');
        pending_space = false;
        if (rc == SP_OK)
            rc = buf_putc(out, (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
        s++;
        n--;
    }
    return rc;
}

const char *graph_title_lookup(json_t *map, const char *title)
{
    const char *hit = json_string_value(json_object_get(map, title));
    if (hit || !title)
        return hit;
    struct buf a = BUF_INIT(0), b = BUF_INIT(0);
    const char *k;
    json_t *v;
    graph_title_key(&a, title);
    json_object_foreach(map, k, v)
    {
        graph_title_key(&b, k);
        if (json_is_string(v) && strcmp(buf_cstr(&a), buf_cstr(&b)) == 0) {
            hit = json_string_value(v);
            break;
        }
    }
    buf_release(&a);
    buf_release(&b);
    return hit;
}

int graph_document_context(struct buf *out, json_t *docs)
{
    buf_reset(out);
    struct buf all = BUF_INIT(0);
    size_t i;
    json_t *doc;
    int rc = SP_OK;
    json_array_foreach(docs, i, doc)
    {
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
            rc = buf_printf(out,
                            "\n\n[The documents were cut here: only their first %d "
                            "characters are included.]",
                            GRAPH_DOC_CONTEXT_MAX);
    }
    buf_release(&all);
    return rc;
}

json_t *graph_trimmed(const char *s)
{
    if (!s)
        s = "";
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
    json_array_foreach(reply, i, it)
    {
        if (rc != SP_OK || json_array_size(items) >= GRAPH_LEGACY_MAX_SUBCONCEPTS)
            break;
        const char *title = json_string_value(json_object_get(it, "title"));
        if (!json_is_object(it) || !title)
            continue;
        json_t *t = graph_trimmed(title);
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
        json_array_foreach(json_object_get(it, "depends_on"), j, d)
        {
            if (!json_is_string(d))
                continue;
            json_t *dt = graph_trimmed(json_string_value(d));
            if (dt && json_string_length(dt))
                json_array_append(deps, dt);
            json_decref(dt);
        }
        json_array_append_new(items, json_pack("{s:o,s:o,s:o}", "title", t, "desc",
                                               desc ? graph_trimmed(desc) : json_string(""),
                                               "depends_on", deps));
    }
    /* dependencies -> canonical titles of returned subconcepts, no self, no duplicates */
    json_array_foreach(items, i, it)
    {
        json_t *canon = json_array();
        json_t *d;
        size_t j;
        const char *self = json_string_value(json_object_get(it, "title"));
        json_array_foreach(json_object_get(it, "depends_on"), j, d)
        {
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

/* Score normalisation (spec §9.1): score NULL -> 1/0 by is_correct (NULL when that is NULL too);
 * above 1 a percentage; clamped to [0, 1]. Returns a new value (JSON null or a number). */
static json_t *graph_normalize_score(json_t *score, json_t *is_correct)
{
    if (!json_is_number(score)) {
        if (json_is_boolean(is_correct))
            return json_integer(json_is_true(is_correct) ? 1 : 0);
        return json_null();
    }
    double x = json_number_value(score);
    if (x > 1)
        x /= 100;
    if (x < 0)
        x = 0;
    if (x > 1)
        x = 1;
    return json_real(x);
}

/* Round to 3 decimals then back to a number, as Number(x.toFixed(3)). */
static double round3(double x)
{
    char s[64];
    snprintf(s, sizeof s, "%.3f", x);
    return strtod(s, NULL);
}

int graph_legacy_diagnostic_summary(json_t *data, json_t **out)
{
    json_t *questions = json_object_get(data, "questions");
    json_t *answers = json_object_get(data, "answers");
    json_t *latest = json_object(); /* questionId -> answer row (oldest first: last wins) */
    json_t *items = json_array(), *strengths = json_array(), *gaps = json_array();
    size_t i;
    json_t *a, *q;
    json_array_foreach(answers, i, a)
    {
        const char *qid = json_string_value(json_object_get(a, "questionId"));
        if (qid)
            json_object_set(latest, qid, a);
    }
    long answered = 0, n_scores = 0;
    double sum = 0;
    json_array_foreach(questions, i, q)
    {
        const char *qid = json_string_value(json_object_get(q, "id"));
        json_t *ans = qid ? json_object_get(latest, qid) : NULL;
        json_t *text = json_object_get(ans, "answerText");
        json_t *sel = json_object_get(ans, "selectedOption");
        json_t *student = json_is_string(text) ? text : json_is_string(sel) ? sel : NULL;
        if (student && json_string_length(student) == 0)
            student = NULL;
        json_t *correct = json_object_get(q, "correctAnswer");
        json_t *is_correct = json_object_get(ans, "isCorrect");
        const char *format = json_string_value(json_object_get(q, "format"));
        json_t *ic;
        if (json_is_boolean(is_correct))
            ic = json_incref(is_correct);
        else if (ans && json_is_string(sel) && json_is_string(correct) && format &&
                 strcmp(format, "mcq") == 0)
            ic = json_boolean(json_equal(sel, correct));
        else
            ic = json_null();
        json_t *score = graph_normalize_score(json_object_get(ans, "score"), ic);
        if (student)
            answered++;
        if (json_is_number(score)) {
            n_scores++;
            sum += json_number_value(score);
        }
        bool strong = json_is_number(score) ? json_number_value(score) >= 0.7 : json_is_true(ic);
        bool weak = json_is_number(score) ? json_number_value(score) < 0.7 : json_is_false(ic);
        json_t *prompt = json_object_get(q, "prompt");
        if (strong && json_array_size(strengths) < GRAPH_LEGACY_MAX_STRENGTHS)
            json_array_append(strengths, prompt ? prompt : json_null());
        if (weak && json_array_size(gaps) < GRAPH_LEGACY_MAX_GAPS)
            json_array_append(gaps, prompt ? prompt : json_null());
        json_t *feedback = json_object_get(ans, "feedback");
        json_array_append_new(items,
                              json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:o,s:o,s:O?}",
                                        "questionId", json_object_get(q, "id"), "prompt", prompt,
                                        "format", json_object_get(q, "format"), "difficulty",
                                        json_object_get(q, "difficulty"), "studentAnswer", student,
                                        "correctAnswer", correct, "isCorrect", ic, "score", score,
                                        "feedback", feedback));
    }
    json_decref(latest);
    *out = json_pack("{s:O?,s:I,s:I,s:o,s:o,s:o,s:o}", "assessmentId",
                     json_object_get(data, "assessmentId"), "answeredCount", (json_int_t)answered,
                     "totalQuestions", (json_int_t)json_array_size(questions), "overallScore",
                     n_scores ? json_real(round3(sum / (double)n_scores)) : json_null(),
                     "strengths", strengths, "gaps", gaps, "items", items);
    return *out ? SP_OK : SP_ENOMEM;
}
