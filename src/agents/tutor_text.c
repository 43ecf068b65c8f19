/* agents/tutor_text.c: the tutor's reply post-processing (see tutor_text.h for the rules and
 * the JavaScript semantics kept).
 *
 * Matching is done with a small cursor over a slice that can skip the emphasis characters, so
 * "comparable(line) matches X" is decided without building the comparable string. Whole-text
 * functions copy the text once (CRLF -> LF) and split it into line slices.
 * Thread model: stateless, thread-safe.
 */
#include "agents/tutor_text.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/countof.h"
#include "util/err.h"

const char *tutor_qtype_name(enum tutor_qtype t)
{
    switch (t) {
    case TUTOR_QTYPE_TEXT: return "text";
    case TUTOR_QTYPE_CODE: return "code";
    case TUTOR_QTYPE_DRAW: return "draw";
    default: return NULL;
    }
}

/* ---- UTF-8 ---- */

/* Decode the character at s[0..n) (n > 0); *adv gets its byte length. An invalid or truncated
 * sequence is one byte, returned as U+FFFD (never a space). */
static uint32_t decode(const unsigned char *s, size_t n, size_t *adv)
{
    unsigned c = s[0];
    *adv = 1;
    if (c < 0x80)
        return c;
    size_t len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0xFFFD;
    }
    if (n < len)
        return 0xFFFD;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *adv = len;
    return cp;
}

bool tutor_is_space(uint32_t cp)
{
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Byte length of the whitespace character ending at s[end) (end > 0), or 0 if none. */
static size_t space_before(const char *s, size_t end)
{
    size_t start = end - 1;
    /* back up over continuation bytes, at most 3 */
    while (start > 0 && end - start < 4 && ((unsigned char)s[start] & 0xC0) == 0x80)
        start--;
    size_t adv;
    uint32_t cp = decode((const unsigned char *)s + start, end - start, &adv);
    if (start + adv != end) {
        /* not one whole character: only the last byte counts, and it is not a space */
        return 0;
    }
    return tutor_is_space(cp) ? adv : 0;
}

size_t tutor_space_len(const char *s, size_t n)
{
    size_t adv;
    return n && tutor_is_space(decode((const unsigned char *)s, n, &adv)) ? adv : 0;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
    while (i < n) {
        size_t adv;
        if (!tutor_is_space(decode((const unsigned char *)s + i, n - i, &adv)))
            break;
        i += adv;
    }
    return i;
}

void tutor_trim(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t a = skip_spaces(s, n, 0), b = n;
    while (b > a) {
        size_t k = space_before(s, b);
        if (!k)
            break;
        b -= k;
    }
    *off = a;
    *len = b - a;
}

size_t tutor_cp_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        size_t adv;
        decode((const unsigned char *)s + i, n - i, &adv);
        i += adv;
    }
    return count;
}

static bool is_emph(char c)
{
    return c == '*' || c == '_' || c == '`' || c == '~';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ---- a cursor over s[0..n), optionally skipping emphasis characters ---- */

struct cur {
    const char *s;
    size_t n, i;
    bool skip_emph;
};

static void cur_settle(struct cur *c)
{
    if (c->skip_emph)
        while (c->i < c->n && is_emph(c->s[c->i]))
            c->i++;
}

static struct cur cur_make(const char *s, size_t n, bool skip_emph)
{
    struct cur c = { s, n, 0, skip_emph };
    cur_settle(&c);
    return c;
}

static bool cur_end(struct cur *c)
{
    return c->i >= c->n;
}

/* Skip whitespace; returns how many characters were skipped. */
static size_t cur_spaces(struct cur *c)
{
    size_t k = 0;
    while (!cur_end(c)) {
        size_t adv;
        if (!tutor_is_space(decode((const unsigned char *)c->s + c->i, c->n - c->i, &adv)))
            break;
        c->i += adv;
        k++;
        cur_settle(c);
    }
    return k;
}

/* Consume the ASCII word w case-insensitively. On failure the cursor is unchanged. */
static bool cur_word(struct cur *c, const char *w)
{
    struct cur save = *c;
    for (; *w; w++) {
        if (cur_end(c) || lower(c->s[c->i]) != *w) {
            *c = save;
            return false;
        }
        c->i++;
        cur_settle(c);
    }
    return true;
}

static bool cur_char(struct cur *c, char ch)
{
    if (cur_end(c) || c->s[c->i] != ch)
        return false;
    c->i++;
    cur_settle(c);
    return true;
}

/* Label = checkpoint\s+question | new\s+question | question (the three start differently, so
 * no backtracking between them is needed). */
static bool cur_label(struct cur *c)
{
    struct cur save = *c;
    if (cur_word(c, "checkpoint") || cur_word(c, "new")) {
        if (cur_spaces(c) > 0 && cur_word(c, "question"))
            return true;
        *c = save;
        return false;
    }
    return cur_word(c, "question");
}

/* ---- §10.1 line helpers ---- */

void tutor_strip_prefix(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t i = skip_spaces(s, n, 0), k = 0;
    while (k < 6 && i + k < n && s[i + k] == '#')
        k++;
    size_t start = k ? skip_spaces(s, n, i + k) : 0;
    /* list or quote marker */
    size_t j = skip_spaces(s, n, start), m = j;
    if (m < n && (s[m] == '-' || s[m] == '*' || s[m] == '>')) {
        m++;
    } else {
        while (m < n && s[m] >= '0' && s[m] <= '9')
            m++;
        m = (m > j && m < n && (s[m] == '.' || s[m] == ')')) ? m + 1 : j;
    }
    if (m > j) {
        size_t after = skip_spaces(s, n, m);
        if (after > m)
            start = after;
    }
    size_t o, l;
    tutor_trim(s + start, n - start, &o, &l);
    *off = start + o;
    *len = l;
}

void tutor_normalize_line(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t o, l;
    tutor_strip_prefix(s, n, &o, &l);
    struct cur c = cur_make(s + o, l, false);
    if (cur_label(&c)) {
        cur_spaces(&c);
        if (cur_char(&c, ':')) {
            size_t o2, l2;
            tutor_trim(s + o + c.i, l - c.i, &o2, &l2);
            *off = o + c.i + o2;
            *len = l2;
            return;
        }
    }
    *off = o;
    *len = l;
}

size_t tutor_comparable(const char *s, size_t n, char *out)
{
    size_t o, l, k = 0;
    tutor_strip_prefix(s, n, &o, &l);
    for (size_t i = o; i < o + l; i++)
        if (!is_emph(s[i]))
            out[k++] = s[i];
    size_t o2, l2;
    tutor_trim(out, k, &o2, &l2);
    memmove(out, out + o2, l2);
    out[l2] = '\0';
    return l2;
}

/* A cursor over comparable(line), positioned after its leading whitespace. */
static struct cur comparable_cur(const char *s, size_t n)
{
    size_t o, l;
    tutor_strip_prefix(s, n, &o, &l);
    struct cur c = cur_make(s + o, l, true);
    cur_spaces(&c);
    return c;
}

bool tutor_marker_only(const char *s, size_t n)
{
    struct cur c = comparable_cur(s, n);
    if (!cur_label(&c))
        return false;
    cur_spaces(&c);
    cur_char(&c, ':');
    cur_spaces(&c);
    return cur_end(&c);
}

bool tutor_has_inline(const char *s, size_t n)
{
    struct cur c = comparable_cur(s, n);
    if (!cur_label(&c))
        return false;
    cur_spaces(&c);
    if (!cur_char(&c, ':'))
        return false;
    cur_spaces(&c);
    return !cur_end(&c);
}

/* comparable(line) starts with Label + spaces + ':'. */
static bool label_colon(const char *s, size_t n)
{
    struct cur c = comparable_cur(s, n);
    if (!cur_label(&c))
        return false;
    cur_spaces(&c);
    return cur_char(&c, ':');
}

/* lower-case comparable(line) starts with "question type:" or "question-type:". */
static bool type_line_prefix(const char *s, size_t n)
{
    struct cur c = comparable_cur(s, n), d = c;
    return cur_word(&c, "question type:") || cur_word(&d, "question-type:");
}

bool tutor_inline_question(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t o, l;
    tutor_strip_prefix(s, n, &o, &l);
    const char *p = s + o;
    const char *colon = memchr(p, ':', l);
    if (!colon)
        return false;
    size_t before = (size_t)(colon - p);
    struct cur c = cur_make(p, before, true);
    cur_spaces(&c);
    if (!cur_label(&c))
        return false;
    cur_spaces(&c);
    if (!cur_end(&c))
        return false;
    /* after the colon: leading spaces, emphasis, spaces removed; trimmed; normalised */
    size_t a = before + 1;
    a = skip_spaces(p, l, a);
    while (a < l && is_emph(p[a]))
        a++;
    a = skip_spaces(p, l, a);
    size_t o2, l2;
    tutor_trim(p + a, l - a, &o2, &l2);
    size_t o3, l3;
    tutor_normalize_line(p + a + o2, l2, &o3, &l3);
    if (!l3)
        return false;
    *off = o + a + o2 + o3;
    *len = l3;
    return true;
}

enum tutor_qtype tutor_question_type(const char *s, size_t n)
{
    size_t o, l;
    tutor_strip_prefix(s, n, &o, &l);
    struct cur c = cur_make(s + o, l, false);
    if (!cur_word(&c, "question"))
        return TUTOR_QTYPE_NONE;
    cur_spaces(&c);
    if (cur_char(&c, '-'))
        cur_spaces(&c);
    if (!cur_word(&c, "type"))
        return TUTOR_QTYPE_NONE;
    cur_spaces(&c);
    const char *p = s + o;
    if (cur_char(&c, ':') || cur_char(&c, '-')) {
        /* one separator consumed */
    } else if (l - c.i >= 3 && memcmp(p + c.i, "\xE2\x80\x93", 3) == 0) { /* en dash */
        c.i += 3;
    } else if (l - c.i >= 3 && memcmp(p + c.i, "\xE2\x80\x94", 3) == 0) { /* em dash */
        c.i += 3;
    } else {
        return TUTOR_QTYPE_NONE;
    }
    cur_spaces(&c);
    size_t vo, vl;
    tutor_trim(p + c.i, l - c.i, &vo, &vl);
    if (!vl || vl > 64)
        return TUTOR_QTYPE_NONE; /* longer than any recognised value */
    /* lower-case, runs of '_'/'-' -> one space, whitespace runs -> one space */
    char v[72];
    size_t k = 0;
    const char *q = p + c.i + vo;
    for (size_t i = 0; i < vl;) {
        size_t adv;
        uint32_t cp = decode((const unsigned char *)q + i, vl - i, &adv);
        if (q[i] == '_' || q[i] == '-' || tutor_is_space(cp)) {
            if (k == 0 || v[k - 1] != ' ')
                v[k++] = ' ';
        } else if (cp < 0x80) {
            v[k++] = lower(q[i]);
        } else {
            return TUTOR_QTYPE_NONE; /* no recognised value has a non-ASCII character */
        }
        i += adv;
    }
    v[k] = '\0'; /* a leading or trailing '_'/'-' leaves a space: no match, as the original */
    static const struct {
        const char *value;
        enum tutor_qtype type;
    } map[] = {
        { "text", TUTOR_QTYPE_TEXT },
        { "code", TUTOR_QTYPE_CODE },
        { "draw", TUTOR_QTYPE_DRAW },
        { "drawing", TUTOR_QTYPE_DRAW },
        { "mcp", TUTOR_QTYPE_TEXT },
        { "mcq", TUTOR_QTYPE_TEXT },
        { "multiple choice", TUTOR_QTYPE_TEXT },
        { "multiple choices", TUTOR_QTYPE_TEXT },
        { "multiple choice question", TUTOR_QTYPE_TEXT },
    };
    for (size_t i = 0; i < SP_COUNT(map); i++)
        if (strcmp(v, map[i].value) == 0)
            return map[i].type;
    return TUTOR_QTYPE_NONE;
}

/* ---- whole texts ---- */

struct span {
    size_t off, len;
};

struct text {
    char *s; /* CRLF-normalised copy, trimmed slice [off, off + len) used */
    size_t off, len;
    struct span *lines; /* absolute offsets into s */
    size_t n_lines;
};

static void text_free(struct text *t)
{
    free(t->s);
    free(t->lines);
}

/* Copy content with CRLF -> LF, trim it, split it on LF. trim_lines: trim every line and drop
 * the empty ones (§10.2); otherwise keep the lines as they are. */
static int text_load(const char *content, bool trim_lines, struct text *t)
{
    memset(t, 0, sizeof *t);
    size_t n = strlen(content), k = 0;
    t->s = malloc(n + 1);
    if (!t->s)
        return SP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(content[i] == '\r' && i + 1 < n && content[i + 1] == '\n'))
            t->s[k++] = content[i];
    t->s[k] = '\0';
    tutor_trim(t->s, k, &t->off, &t->len);
    size_t max = 1;
    for (size_t i = t->off; i < t->off + t->len; i++)
        max += t->s[i] == '\n';
    t->lines = calloc(max, sizeof *t->lines);
    if (!t->lines) {
        text_free(t);
        return SP_ENOMEM;
    }
    if (!t->len)
        return SP_OK;
    size_t start = t->off, end = t->off + t->len;
    for (size_t i = start; i <= end; i++) {
        if (i < end && t->s[i] != '\n')
            continue;
        struct span sp = { start, i - start };
        if (trim_lines) {
            size_t o, l;
            tutor_trim(t->s + start, i - start, &o, &l);
            sp.off = start + o;
            sp.len = l;
        }
        if (!trim_lines || sp.len)
            t->lines[t->n_lines++] = sp;
        start = i + 1;
    }
    return SP_OK;
}

#define LINE(t, i) ((t)->s + (t)->lines[i].off), ((t)->lines[i].len)

static bool boundary(const struct text *t, size_t i)
{
    return tutor_marker_only(LINE(t, i)) || tutor_has_inline(LINE(t, i));
}

static int append_word(struct buf *b, const char *p, size_t n)
{
    if (!n)
        return SP_OK;
    if (b->len && buf_putc(b, ' ') != SP_OK)
        return SP_ENOMEM;
    return buf_append(b, p, n) == SP_OK ? SP_OK : SP_ENOMEM;
}

int tutor_extract_question(const char *content, char **out)
{
    *out = NULL;
    struct text t;
    if (text_load(content, true, &t) != SP_OK)
        return SP_ENOMEM;
    struct buf b = BUF_INIT(0);
    int rc = SP_OK;
    bool found = false;
    /* 1. a marker-only line and the lines after it, up to the next marker */
    for (size_t i = 0; i < t.n_lines && !found && rc == SP_OK; i++) {
        if (!tutor_marker_only(LINE(&t, i)))
            continue;
        buf_reset(&b);
        for (size_t j = i + 1; j < t.n_lines && !boundary(&t, j) && rc == SP_OK; j++) {
            size_t o, l;
            tutor_normalize_line(LINE(&t, j), &o, &l);
            rc = append_word(&b, t.s + t.lines[j].off + o, l);
        }
        found = b.len > 0;
    }
    /* 2. the first inline "Question: ..." and its continuation lines */
    for (size_t i = 0; i < t.n_lines && !found && rc == SP_OK; i++) {
        size_t o, l;
        if (!tutor_inline_question(LINE(&t, i), &o, &l))
            continue;
        buf_reset(&b);
        rc = append_word(&b, t.s + t.lines[i].off + o, l);
        for (size_t j = i + 1; j < t.n_lines && !boundary(&t, j) && rc == SP_OK; j++)
            if (tutor_question_type(LINE(&t, j)) == TUTOR_QTYPE_NONE)
                rc = append_word(&b, LINE(&t, j));
        found = true;
    }
    /* 3. the last line that ends with a question mark */
    for (size_t i = t.n_lines; i-- > 0 && !found && rc == SP_OK;) {
        size_t o, l;
        tutor_normalize_line(LINE(&t, i), &o, &l);
        if (l && t.s[t.lines[i].off + o + l - 1] == '?') {
            buf_reset(&b);
            rc = append_word(&b, t.s + t.lines[i].off + o, l);
            found = true;
        }
    }
    if (rc == SP_OK && found && b.len)
        *out = buf_detach(&b);
    buf_release(&b);
    text_free(&t);
    return rc;
}

enum tutor_qtype tutor_extract_question_type(const char *content)
{
    /* Works on the raw lines (no copy needed): a CR before LF is whitespace, which the line
     * helpers trim. */
    const char *p = content;
    size_t o, l;
    tutor_trim(content, strlen(content), &o, &l);
    if (!l)
        return TUTOR_QTYPE_NONE;
    p = content + o;
    const char *end = p + l;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        enum tutor_qtype qt = tutor_question_type(p, (size_t)(e - p));
        if (qt != TUTOR_QTYPE_NONE)
            return qt;
        if (!nl)
            break;
        p = nl + 1;
    }
    return TUTOR_QTYPE_NONE;
}

int tutor_strip_question(const char *content, char **out)
{
    *out = NULL;
    struct text t;
    if (text_load(content, false, &t) != SP_OK)
        return SP_ENOMEM;
    struct buf b = BUF_INIT(0);
    int rc = SP_OK;
    bool first = true;
    for (size_t i = 0; i < t.n_lines && rc == SP_OK; i++) {
        if (type_line_prefix(LINE(&t, i)))
            continue;
        if (tutor_marker_only(LINE(&t, i)))
            break;
        if (label_colon(LINE(&t, i)))
            continue;
        if (!first)
            rc = buf_putc(&b, '\n');
        if (rc == SP_OK)
            rc = buf_append(&b, LINE(&t, i));
        first = false;
    }
    if (rc == SP_OK) {
        size_t o, l;
        tutor_trim(buf_cstr(&b), b.len, &o, &l);
        *out = malloc(l + 1);
        if (*out) {
            memcpy(*out, buf_cstr(&b) + o, l);
            (*out)[l] = '\0';
        } else {
            rc = SP_ENOMEM;
        }
    }
    buf_release(&b);
    text_free(&t);
    return rc == SP_OK ? SP_OK : SP_ENOMEM;
}

bool tutor_question_usable(const char *q)
{
    if (!q)
        return false;
    size_t o, l;
    tutor_trim(q, strlen(q), &o, &l);
    if (!l || tutor_cp_len(q + o, l) < 12)
        return false;
    char last = q[o + l - 1];
    return last != ':' && last != '-';
}

static char *trimmed_copy(const char *s)
{
    size_t o, l;
    tutor_trim(s, strlen(s), &o, &l);
    char *r = malloc(l + 1);
    if (r) {
        memcpy(r, s + o, l);
        r[l] = '\0';
    }
    return r;
}

static const char *default_question(enum tutor_qtype t)
{
    switch (t) {
    case TUTOR_QTYPE_CODE:
        return "Write working code (or pseudocode) for this checkpoint and explain briefly how "
               "it works.";
    case TUTOR_QTYPE_DRAW:
        return "Sketch the solution step by step, then justify the result in one sentence.";
    default: return "In your own words, what is the main idea of this part?";
    }
}

int tutor_ensure_question(const char *content, const char *fallback_q,
                          enum tutor_qtype fallback_type, bool complete, char **out)
{
    *out = NULL;
    char *c = trimmed_copy(content);
    if (!c)
        return SP_ENOMEM;
    if (complete) {
        *out = c;
        return SP_OK;
    }
    char *q = NULL, *base = NULL;
    struct buf b = BUF_INIT(0);
    int rc = tutor_extract_question(c, &q);
    bool usable = rc == SP_OK && tutor_question_usable(q);
    if (rc == SP_OK) {
        if (q && !usable)
            rc = tutor_strip_question(c, &base);
        else
            base = c, c = NULL;
    }
    if (rc != SP_OK)
        goto done;
    const char *type = tutor_qtype_name(fallback_type ? fallback_type : TUTOR_QTYPE_TEXT);
    if (usable && tutor_extract_question_type(base) != TUTOR_QTYPE_NONE) {
        *out = base;
        base = NULL;
        goto done;
    }
    if (base[0] && buf_printf(&b, "%s\n\n", base) != SP_OK)
        goto oom;
    if (buf_printf(&b, "Question Type: %s", type) != SP_OK)
        goto oom;
    if (!usable) {
        char *fq = NULL;
        if (tutor_question_usable(fallback_q) && !(fq = trimmed_copy(fallback_q)))
            goto oom;
        const char *question = fq ? fq : default_question(fallback_type);
        int r = buf_printf(&b, "\n\nQuestion:\n%s", question);
        free(fq);
        if (r != SP_OK)
            goto oom;
    }
    *out = buf_detach(&b);
    goto done;
oom:
    rc = SP_ENOMEM;
done:
    buf_release(&b);
    free(q);
    free(base);
    free(c);
    return rc;
}

/* ---- markers ---- */

static const char *const MARKERS[] = { "[complete]", "[advance_chunk]", "[same_chunk]" };

/* Length of the marker starting at p, or 0; *which gets its index. */
static size_t marker_at(const char *p, size_t n, int *which)
{
    for (int m = 0; m < 3; m++) {
        size_t k = strlen(MARKERS[m]);
        if (n < k)
            continue;
        size_t i = 0;
        while (i < k && lower(p[i]) == MARKERS[m][i])
            i++;
        if (i == k) {
            *which = m;
            return k;
        }
    }
    return 0;
}

int tutor_parse_markers(const char *raw, struct tutor_markers *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(raw);
    char *s = calloc(n + 1, 1);
    if (!s)
        return SP_ENOMEM;
    bool seen[3] = { false, false, false };
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        int which;
        size_t m = raw[i] == '[' ? marker_at(raw + i, n - i, &which) : 0;
        if (m) {
            seen[which] = true;
            i += m;
        } else {
            s[k++] = raw[i++];
        }
    }
    size_t o, l;
    tutor_trim(s, k, &o, &l);
    memmove(s, s + o, l);
    s[l] = '\0';
    out->content = s;
    out->complete = seen[0];
    out->chunk = seen[1] ? TUTOR_CHUNK_ADVANCE : seen[2] ? TUTOR_CHUNK_SAME : TUTOR_CHUNK_NONE;
    return SP_OK;
}

void tutor_markers_clear(struct tutor_markers *m)
{
    free(m->content);
    m->content = NULL;
}
