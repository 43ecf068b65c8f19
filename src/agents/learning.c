/* agents/learning.c: deterministic helpers of the concept agents (see learning.h).
 * Thread model: stateless.
 */
#include "agents/learning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "agents/tutor_text.h"
#include "util/ids.h"

double learning_round3(double x)
{
    return floor(x * 1000.0 + 0.5) / 1000.0;
}

bool learning_normalize(const json_t *raw, int is_correct, double *out)
{
    if (!raw || !json_is_number(raw)) {
        if (is_correct < 0)
            return false;
        *out = is_correct ? 1.0 : 0.0;
        return true;
    }
    double v = json_number_value(raw);
    if (v > 1)
        v /= 100.0;
    *out = v < 0 ? 0 : v > 1 ? 1 : v;
    return true;
}

const char *learning_trim(const char *s, size_t *len)
{
    size_t off;
    tutor_trim(s, strlen(s), &off, len);
    return s + off;
}

static char *trim_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n;
    const char *t = learning_trim(s, &n);
    return strndup(t, n);
}

char *learning_title_key(const char *s)
{
    if (!s)
        return NULL;
    struct buf b = BUF_INIT(0);
    char *k = graph_title_key(&b, s) == SP_OK ? strdup(buf_cstr(&b)) : NULL;
    buf_release(&b);
    return k;
}

json_t *learning_loads(const char *text)
{
    return json_loads(text ? text : "", JSON_DECODE_ANY, NULL);
}

const char *learning_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const char *title_of(const json_t *nodes, const char *id)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *nid = learning_str(n, "id");
        if (id && nid && strcmp(nid, id) == 0)
            return learning_str(n, "title");
    }
    return NULL;
}

void learning_level_json(const json_t *nodes, const json_t *edges, json_t **list, json_t **pairs)
{
    *list = json_array();
    *pairs = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(nodes, i, x)
        json_array_append_new(*list, json_pack("{s:O,s:O}", "title", json_object_get(x, "title"),
                                               "desc", json_object_get(x, "desc")));
    json_array_foreach(edges, i, x)
    {
        const char *s = title_of(nodes, learning_str(x, "sourceNodeId"));
        const char *t = title_of(nodes, learning_str(x, "targetNodeId"));
        if (s && t)
            json_array_append_new(*pairs, json_pack("{s:s,s:s}", "source", s, "target", t));
    }
}

json_t *learning_latest_answers(const json_t *answers)
{
    json_t *map = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
    {
        const char *q = learning_str(a, "questionId");
        if (!q || !map)
            continue;
        json_t *cur = json_object_get(map, q);
        const char *c1 = learning_str(cur, "createdAt"), *c2 = learning_str(a, "createdAt");
        if (!cur || !c1 || !c2 || strcmp(c2, c1) >= 0)
            json_object_set(map, q, a);
    }
    return map;
}

/* The answer's student answer (answerText when not null, else selectedOption), trimmed; a new
 * string, or NULL when blank or absent. */
static char *learning_student_answer(const json_t *answer)
{
    if (!answer)
        return NULL;
    const json_t *t = json_object_get(answer, "answerText");
    if (!t || json_is_null(t))
        t = json_object_get(answer, "selectedOption");
    const char *s = json_string_value(t);
    if (!s)
        return NULL;
    char *r = trim_dup(s);
    if (r && !*r) {
        free(r);
        return NULL;
    }
    return r;
}

size_t learning_answered_count(const json_t *questions, const json_t *latest)
{
    size_t i, n = 0;
    json_t *q;
    json_array_foreach(questions, i, q)
    {
        char *s = learning_student_answer(json_object_get(latest, learning_str(q, "id")));
        n += s != NULL;
        free(s);
    }
    return n;
}

int learning_diagnostic_counts(json_t *obj, const json_t *assessment, const json_t *questions,
                               const json_t *answers)
{
    json_t *latest = learning_latest_answers(answers);
    if (!latest)
        return SP_ENOMEM;
    size_t answered = learning_answered_count(questions, latest);
    size_t total = json_array_size(questions);
    json_decref(latest);
    const char *done = learning_str(assessment, "completedAt");
    bool complete = (done && *done) || (total > 0 && answered >= total);
    if (json_object_set_new(obj, "answeredCount", json_integer((json_int_t)answered)) ||
        json_object_set_new(obj, "requiredAnswers", json_integer((json_int_t)total)) ||
        json_object_set_new(obj, "isComplete", json_boolean(complete)))
        return SP_ENOMEM;
    return SP_OK;
}

static int bool_of(const json_t *v)
{
    return json_is_true(v) ? 1 : json_is_false(v) ? 0 : -1;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *learning_diagnostic_summary(const char *assessment_id, const json_t *questions,
                                    const json_t *latest)
{
    json_t *items = json_array(), *strengths = json_array(), *gaps = json_array();
    size_t i, answered = 0, n_scores = 0;
    double sum = 0;
    json_t *q;
    json_array_foreach(questions, i, q)
    {
        const json_t *a = json_object_get(latest, learning_str(q, "id"));
        char *student = learning_student_answer(a);
        int correct = bool_of(json_object_get(a, "isCorrect"));
        const char *sel = learning_str(a, "selectedOption");
        const char *right = learning_str(q, "correctAnswer");
        const char *fmt = learning_str(q, "format");
        if (a && correct < 0 && fmt && strcmp(fmt, "mcq") == 0 && sel && right)
            correct = strcmp(sel, right) == 0;
        double score = 0;
        bool has = a && learning_normalize(json_object_get(a, "score"), correct, &score);
        answered += student != NULL;
        if (has) {
            sum += score;
            n_scores++;
        }
        const char *prompt = learning_str(q, "prompt");
        if ((has ? score >= 0.7 : correct == 1) && json_array_size(strengths) < 8)
            json_array_append_new(strengths, str_or_null(prompt));
        if ((has ? score < 0.7 : correct == 0) && json_array_size(gaps) < 10)
            json_array_append_new(gaps, str_or_null(prompt));
        json_t *fb = a ? json_object_get(a, "feedback") : NULL;
        json_t *diff = json_object_get(q, "difficulty");
        json_array_append_new(items, json_pack("{s:O,s:o,s:o,s:O,s:o,s:o,s:o,s:o,s:O}",
                                               "questionId", json_object_get(q, "id"), "prompt",
                                               str_or_null(prompt), "format", str_or_null(fmt),
                                               "difficulty", diff ? diff : json_null(),
                                               "studentAnswer", str_or_null(student),
                                               "correctAnswer", str_or_null(right), "isCorrect",
                                               correct < 0 ? json_null() : json_boolean(correct),
                                               "score", has ? json_real(score) : json_null(),
                                               "feedback", fb ? fb : json_null()));
        free(student);
    }
    return json_pack("{s:s,s:I,s:I,s:o,s:o,s:o,s:o}", "assessmentId", assessment_id,
                     "answeredCount", (json_int_t)answered, "totalQuestions",
                     (json_int_t)json_array_size(questions), "overallScore",
                     n_scores ? json_real(learning_round3(sum / (double)n_scores)) : json_null(),
                     "strengths", strengths, "gaps", gaps, "items", items);
}

json_t *learning_gradable(const json_t *questions, const json_t *latest)
{
    json_t *out = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q)
    {
        const char *id = learning_str(q, "id");
        const char *right = learning_str(q, "correctAnswer");
        char *student = learning_student_answer(json_object_get(latest, id));
        if (student && right && *right)
            json_array_append_new(out, json_pack("{s:s,s:o,s:o,s:s,s:s}", "questionId", id,
                                                 "prompt", str_or_null(learning_str(q, "prompt")),
                                                 "format", str_or_null(learning_str(q, "format")),
                                                 "correctAnswer", right, "studentAnswer", student));
        free(student);
    }
    return out;
}

/* ---- graph helpers ---- */

static long index_of(const json_t *nodes, const char *id)
{
    size_t i;
    json_t *n;
    if (!id)
        return -1;
    json_array_foreach(nodes, i, n)
    {
        const char *nid = learning_str(n, "id");
        if (nid && strcmp(nid, id) == 0)
            return (long)i;
    }
    return -1;
}

static json_t *titles_where(const json_t *nodes, const char *flags, char want)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n) if (flags[i] == want)
        json_array_append_new(out, str_or_null(learning_str(n, "title")));
    return out;
}

static void join_titles(struct buf *b, const json_t *titles)
{
    size_t i;
    json_t *t;
    json_array_foreach(titles, i, t)
        buf_printf(b, "%s%s", i ? ", " : "", json_string_value(t) ? json_string_value(t) : "");
}

static void add_issue(json_t *issues, const char *prefix, const json_t *titles)
{
    struct buf b = BUF_INIT(0);
    buf_puts(&b, prefix);
    join_titles(&b, titles);
    json_array_append_new(issues, json_string(buf_cstr(&b)));
    buf_release(&b);
}

/* Breadth-first along edges (sourceNodeId -> targetNodeId) between nodes, from queue[0..tail)
 * (already marked in seen; queue has room for every node): each node reached is marked, and
 * its title (or null) appended to reached when that is not NULL, in visiting order. */
static void walk(const json_t *nodes, const json_t *edges, char *seen, long *queue, size_t tail,
                 json_t *reached)
{
    size_t head = 0, i;
    json_t *e;
    while (head < tail) {
        const char *from = learning_str(json_array_get(nodes, (size_t)queue[head++]), "id");
        json_array_foreach(edges, i, e)
        {
            const char *s = learning_str(e, "sourceNodeId");
            if (!s || !from || strcmp(s, from) != 0)
                continue;
            long t = index_of(nodes, learning_str(e, "targetNodeId"));
            if (t >= 0 && !seen[t]) {
                seen[t] = 1;
                queue[tail++] = t;
                const char *title = learning_str(json_array_get(nodes, (size_t)t), "title");
                if (reached)
                    json_array_append_new(reached, str_or_null(title));
            }
        }
    }
}

json_t *learning_validate_graph(const json_t *subconcepts, const json_t *edges)
{
    size_t n = json_array_size(subconcepts);
    if (n == 0)
        return json_pack("{s:b,s:[],s:s}", "valid", 1, "issues", "message",
                         "No subconcepts to validate.");
    char *touched = calloc(n + 1, 1), *incoming = calloc(n + 1, 1), *seen = calloc(n + 1, 1);
    long *queue = calloc(n + 1, sizeof *queue);
    json_t *issues = json_array(), *broken = json_array(), *out = NULL;
    size_t total_edges = 0, i;
    json_t *e;
    if (!touched || !incoming || !seen || !queue)
        goto done;
    json_array_foreach(edges, i, e)
    {
        long s = index_of(subconcepts, learning_str(e, "sourceNodeId"));
        long t = index_of(subconcepts, learning_str(e, "targetNodeId"));
        if (s < 0)
            continue;
        if (t < 0) {
            json_array_append_new(broken,
                                  json_string(learning_str(json_array_get(subconcepts, (size_t)s),
                                                           "title")));
            continue;
        }
        total_edges++;
        touched[s] = touched[t] = 1;
        incoming[t] = 1;
    }
    json_t *orphans = titles_where(subconcepts, touched, 0);
    json_t *roots = titles_where(subconcepts, incoming, 0);
    /* breadth-first from every root along internal edges */
    size_t tail = 0;
    for (size_t k = 0; k < n; k++)
        if (!incoming[k]) {
            seen[k] = 1;
            queue[tail++] = (long)k;
        }
    walk(subconcepts, edges, seen, queue, tail, NULL);
    json_t *unreachable = titles_where(subconcepts, seen, 0);
    if (n > 1 && json_array_size(orphans))
        add_issue(issues, "Orphan nodes (no connections): ", orphans);
    if (json_array_size(broken)) {
        struct buf b = BUF_INIT(0);
        buf_puts(&b, "Broken edges: ");
        json_t *t;
        json_array_foreach(broken, i, t)
            buf_printf(&b, "%s%s -> [missing node]", i ? ", " : "",
                       json_string_value(t) ? json_string_value(t) : "");
        json_array_append_new(issues, json_string(buf_cstr(&b)));
        buf_release(&b);
    }
    if (json_array_size(unreachable))
        add_issue(issues, "Unreachable nodes (not connected to any root): ", unreachable);
    out =
        json_pack("{s:b,s:O,s:o,s:o,s:I,s:I,s:o}", "valid", json_array_size(issues) == 0, "issues",
                  issues, "orphanNodes", orphans, "unreachableNodes", unreachable, "totalNodes",
                  (json_int_t)n, "totalEdges", (json_int_t)total_edges, "rootNodes", roots);
done:
    free(touched);
    free(incoming);
    free(seen);
    free(queue);
    json_decref(issues);
    json_decref(broken);
    return out;
}

json_t *learning_future_concepts(const char *concept_id, const json_t *siblings,
                                 const json_t *edges)
{
    json_t *out = json_array();
    size_t n = json_array_size(siblings);
    long start = index_of(siblings, concept_id);
    if (n <= 1 || start < 0)
        return json_pack("{s:o}", "futureConcepts", out);
    char *seen = calloc(n, 1);
    long *queue = calloc(n, sizeof *queue);
    if (!seen || !queue) {
        free(seen);
        free(queue);
        json_decref(out);
        return NULL;
    }
    seen[start] = 1;
    queue[0] = start;
    walk(siblings, edges, seen, queue, 1, out);
    free(seen);
    free(queue);
    return json_pack("{s:o}", "futureConcepts", out);
}

json_t *learning_history_summary(const json_t *history)
{
    size_t n = json_array_size(history), i, done = 0;
    if (n == 0)
        return json_pack("{s:[],s:s,s:i}", "completedConcepts", "overallLevel", "new_student",
                         "averageMastery", 0);
    json_t *completed = json_array();
    double sum = 0;
    json_t *h;
    json_array_foreach(history, i, h)
    {
        json_t *m = json_object_get(h, "masteryScore");
        sum += json_is_number(m) ? json_number_value(m) : 0;
        const char *at = learning_str(h, "completedAt");
        if (!at || !*at)
            continue;
        done++;
        const char *title = learning_str(h, "title");
        json_array_append_new(completed, json_pack("{s:s?,s:O}", "title",
                                                   title ? title : learning_str(h, "nodeId"),
                                                   "masteryScore", m ? m : json_null()));
    }
    double avg = learning_round3(sum / (double)n);
    const char *level = avg >= 0.8   ? "advanced"
                        : avg >= 0.5 ? "intermediate"
                        : done       ? "beginner"
                                     : "new_student";
    return json_pack("{s:o,s:s,s:f,s:I,s:I}", "completedConcepts", completed, "overallLevel", level,
                     "averageMastery", avg, "totalTrackedNodes", (json_int_t)n, "totalCompleted",
                     (json_int_t)done);
}

/* ---- the review's insertion plans ---- */

struct wnode { /* the working set: siblings, then inserted nodes */
    char *id;
    char *title;
    char *key;
};
struct work {
    struct wnode *v;
    size_t n, cap;
    struct learning_edges edges; /* the simulated edge set */
};

static int work_add(struct work *w, const char *id, const char *title)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct wnode *v = realloc(w->v, cap * sizeof *v);
        if (!v)
            return SP_ENOMEM;
        w->v = v;
        w->cap = cap;
    }
    struct wnode *x = &w->v[w->n];
    x->id = strdup(id);
    x->title = strdup(title ? title : "");
    x->key = learning_title_key(title ? title : "");
    if (!x->id || !x->title || !x->key) {
        free(x->id);
        free(x->title);
        free(x->key);
        return SP_ENOMEM;
    }
    w->n++;
    return SP_OK;
}

static void work_free(struct work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].id);
        free(w->v[i].title);
        free(w->v[i].key);
    }
    free(w->v);
    store_learning_edges_free(&w->edges);
}

static long work_by_key(const struct work *w, const char *key, size_t limit)
{
    for (size_t i = 0; key && i < limit && i < w->n; i++)
        if (strcmp(w->v[i].key, key) == 0)
            return (long)i;
    return -1;
}

static long work_by_id(const struct work *w, const char *id)
{
    for (size_t i = 0; id && i < w->n; i++)
        if (strcmp(w->v[i].id, id) == 0)
            return (long)i;
    return -1;
}

static long edge_find(const struct learning_edges *e, const char *s, const char *t)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->v[i].source, s) == 0 && strcmp(e->v[i].target, t) == 0)
            return (long)i;
    return -1;
}

static void edge_drop(struct learning_edges *e, size_t i)
{
    free(e->v[i].source);
    free(e->v[i].target);
    memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof e->v[0]);
    e->n--;
}

/* Create s -> t in the plan (and the simulation) when missing; record the title pair. */
static int plan_link(struct learning_plan *p, struct work *w, long s, long t)
{
    const char *sid = w->v[s].id, *tid = w->v[t].id;
    if (edge_find(&w->edges, sid, tid) < 0) {
        if (store_learning_edges_add(&w->edges, sid, tid) != SP_OK ||
            store_learning_edges_op(&p->ops, sid, tid, false) != SP_OK)
            return SP_ENOMEM;
    }
    return json_array_append_new(p->created_edges, json_pack("{s:s,s:s}", "source", w->v[s].title,
                                                             "target", w->v[t].title))
               ? SP_ENOMEM
               : SP_OK;
}

static int plan_unlink(struct learning_plan *p, struct work *w, const char *sid, const char *tid)
{
    long k = edge_find(&w->edges, sid, tid);
    if (k < 0)
        return SP_OK;
    if (store_learning_edges_op(&p->ops, sid, tid, true) != SP_OK)
        return SP_ENOMEM;
    edge_drop(&w->edges, (size_t)k);
    return SP_OK;
}

void learning_plan_free(struct learning_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_nodes; i++) {
        free((char *)p->nodes[i].id);
        free((char *)p->nodes[i].user_id);
        free((char *)p->nodes[i].type);
        free((char *)p->nodes[i].branch_id);
        free((char *)p->nodes[i].parent_id);
        free((char *)p->nodes[i].title);
        free((char *)p->nodes[i].desc);
    }
    free(p->nodes);
    store_learning_edges_free(&p->ops);
    json_decref(p->created_edges);
    json_decref(p->titles);
    *p = (struct learning_plan){ 0 };
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Add a node to the plan and the working set; *idx gets its working-set index. */
static int plan_node(struct learning_plan *p, struct work *w, const json_t *current,
                     const char *user_id, const char *title, const char *desc, long *idx)
{
    struct learning_node *v = realloc(p->nodes, (p->n_nodes + 1) * sizeof *v);
    if (!v)
        return SP_ENOMEM;
    p->nodes = v;
    char id[37];
    ids_uuid_v4(id);
    struct learning_node *n = &p->nodes[p->n_nodes++];
    *n = (struct learning_node){
        .id = strdup(id),
        .user_id = strdup(user_id),
        .type = dup_or_null(learning_str(current, "type")),
        .branch_id = dup_or_null(learning_str(current, "branchId")),
        .parent_id = dup_or_null(learning_str(current, "parentId")),
        .title = strdup(title),
        .desc = strdup(desc),
    };
    if (!n->id || !n->user_id || !n->title || !n->desc)
        return SP_ENOMEM;
    json_array_append_new(p->titles, json_string(title));
    *idx = (long)w->n;
    return work_add(w, id, title);
}

/* Cleaned candidates: [{title, desc, item}] without blanks and duplicates (§9.4). */
static json_t *clean_candidates(const json_t *additions, const struct work *w)
{
    json_t *out = json_array();
    json_t *keys = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(additions, i, a)
    {
        char *title = trim_dup(learning_str(a, "title"));
        char *desc = trim_dup(learning_str(a, "desc"));
        char *key = learning_title_key(title);
        if (title && desc && *title && *desc && work_by_key(w, key, w->n) < 0 &&
            !json_object_get(keys, key)) {
            json_object_set_new(keys, key, json_true());
            json_array_append_new(out, json_pack("{s:s,s:s,s:O}", "title", title, "desc", desc,
                                                 "item", a));
        }
        free(title);
        free(desc);
        free(key);
    }
    json_decref(keys);
    return out;
}

static int plan_begin(struct learning_plan *p, struct work *w, const json_t *siblings,
                      const json_t *edges)
{
    *p = (struct learning_plan){ .created_edges = json_array(), .titles = json_array() };
    if (!p->created_edges || !p->titles)
        return SP_ENOMEM;
    size_t i;
    json_t *x;
    json_array_foreach(siblings, i, x) if (learning_str(x, "id") &&
                                           work_add(w, learning_str(x, "id"),
                                                    learning_str(x, "title"))) return SP_ENOMEM;
    json_array_foreach(edges, i, x)
    {
        const char *s = learning_str(x, "sourceNodeId"), *t = learning_str(x, "targetNodeId");
        if (s && t && store_learning_edges_add(&w->edges, s, t) != SP_OK)
            return SP_ENOMEM;
    }
    return SP_OK;
}

int learning_plan_concepts(struct learning_plan *p, const json_t *current, const json_t *siblings,
                           const json_t *edges, const json_t *additions, const char *user_id,
                           struct sp_error *err)
{
    struct work w = { 0 };
    json_t *cands = NULL, *tails = json_object();
    int rc = plan_begin(p, &w, siblings, edges);
    if (rc != SP_OK || !learning_str(current, "parentId"))
        goto done;
    if (work_by_id(&w, learning_str(current, "id")) < 0 &&
        (rc = work_add(&w, learning_str(current, "id"), learning_str(current, "title"))) != SP_OK)
        goto done;
    size_t n_siblings = w.n;
    cands = clean_candidates(additions, &w);
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        char *after = learning_title_key(learning_str(json_object_get(c, "item"), "insert_after"));
        long req = after && *after ? work_by_key(&w, after, n_siblings) : -1;
        free(after);
        if (req < 0)
            req = work_by_id(&w, learning_str(current, "id"));
        const char *req_id = w.v[req].id;
        json_t *tail = json_object_get(tails, req_id);
        long anchor = tail ? work_by_id(&w, json_string_value(tail)) : req;
        char *req_copy = strdup(req_id);
        long nw;
        rc = req_copy ? plan_node(p, &w, current, user_id, learning_str(c, "title"),
                                  learning_str(c, "desc"), &nw)
                      : SP_ENOMEM;
        if (rc != SP_OK) {
            free(req_copy);
            goto done;
        }
        /* the anchor's edges into the working set (not the new node) move behind the new one */
        struct learning_edges moved = { 0 };
        for (size_t k = 0; rc == SP_OK && k < w.edges.n; k++) {
            const struct learning_edge *e = &w.edges.v[k];
            long t = work_by_id(&w, e->target);
            if (strcmp(e->source, w.v[anchor].id) == 0 && t >= 0 && t != nw)
                rc = store_learning_edges_add(&moved, e->source, e->target);
        }
        for (size_t k = 0; rc == SP_OK && k < moved.n; k++)
            rc = plan_unlink(p, &w, moved.v[k].source, moved.v[k].target);
        if (rc == SP_OK)
            rc = plan_link(p, &w, anchor, nw);
        for (size_t k = 0; rc == SP_OK && k < moved.n; k++)
            rc = plan_link(p, &w, nw, work_by_id(&w, moved.v[k].target));
        store_learning_edges_free(&moved);
        if (rc == SP_OK && json_object_set_new(tails, req_copy, json_string(w.v[nw].id)))
            rc = SP_ENOMEM;
        free(req_copy);
        if (rc != SP_OK)
            goto done;
    }
done:
    json_decref(cands);
    json_decref(tails);
    work_free(&w);
    if (rc != SP_OK) {
        learning_plan_free(p);
        return sp_error_set(err, rc, "planning the insertion: %s", sp_strerror(rc));
    }
    return SP_OK;
}

/* Working-set indices of the titles in list (by key; not self, not in exclude), no repeats. */
static int resolve_titles(const struct work *w, const json_t *list, long self, const long *exclude,
                          size_t n_exclude, long *out, size_t *n_out)
{
    size_t i;
    json_t *t;
    *n_out = 0;
    json_array_foreach(list, i, t)
    {
        char *key = learning_title_key(json_string_value(t));
        long k = key ? work_by_key(w, key, w->n) : -1;
        free(key);
        if (k < 0 || k == self)
            continue;
        bool dup = false;
        for (size_t j = 0; j < n_exclude; j++)
            dup |= exclude[j] == k;
        for (size_t j = 0; j < *n_out; j++)
            dup |= out[j] == k;
        if (!dup)
            out[(*n_out)++] = k;
    }
    return SP_OK;
}

int learning_plan_subconcepts(struct learning_plan *p, const json_t *current,
                              const json_t *siblings, const json_t *edges, const json_t *additions,
                              const char *user_id, struct sp_error *err)
{
    struct work w = { 0 };
    json_t *cands = NULL;
    long *deps = NULL, *unl = NULL;
    int rc = plan_begin(p, &w, siblings, edges);
    if (rc != SP_OK || !learning_str(current, "parentId"))
        goto done;
    if (work_by_id(&w, learning_str(current, "id")) < 0 &&
        (rc = work_add(&w, learning_str(current, "id"), learning_str(current, "title"))) != SP_OK)
        goto done;
    cands = clean_candidates(additions, &w);
    size_t max = w.n + json_array_size(cands) + 1;
    deps = calloc(max, sizeof *deps);
    unl = calloc(max, sizeof *unl);
    if (!deps || !unl) {
        rc = SP_ENOMEM;
        goto done;
    }
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        long nw;
        rc = plan_node(p, &w, current, user_id, learning_str(c, "title"), learning_str(c, "desc"),
                       &nw);
        if (rc != SP_OK)
            goto done;
        json_t *item = json_object_get(c, "item");
        json_t *d = json_object_get(item, "depends_on"), *u = json_object_get(item, "unlocks");
        size_t nd = 0, nu = 0;
        resolve_titles(&w, json_is_array(d) ? d : NULL, nw, NULL, 0, deps, &nd);
        resolve_titles(&w, json_is_array(u) ? u : NULL, nw, deps, nd, unl, &nu);
        if (nd == 0 && nu == 0)
            deps[nd++] = work_by_id(&w, learning_str(current, "id"));
        for (size_t k = 0; rc == SP_OK && k < nd; k++)
            rc = plan_link(p, &w, deps[k], nw);
        for (size_t k = 0; rc == SP_OK && k < nu; k++)
            rc = plan_link(p, &w, nw, unl[k]);
        for (size_t a = 0; rc == SP_OK && nu && a < nd; a++)
            for (size_t b = 0; rc == SP_OK && b < nu; b++)
                rc = plan_unlink(p, &w, w.v[deps[a]].id, w.v[unl[b]].id);
        if (rc != SP_OK)
            goto done;
    }
done:
    free(deps);
    free(unl);
    json_decref(cands);
    work_free(&w);
    if (rc != SP_OK) {
        learning_plan_free(p);
        return sp_error_set(err, rc, "planning the insertion: %s", sp_strerror(rc));
    }
    return SP_OK;
}
