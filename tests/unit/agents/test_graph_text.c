/* tests/unit/agents/test_graph_text.c: the topic/bootstrap/legacy agents' text helpers: prompt
 * templates, title keys, the documents' context (UTF-8 cut at 80,000 characters) and the legacy
 * subconcept reply normalisation. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/graph_text.h"
#include "support/check.h"
#include "util/buf.h"

static void test_fill_replaces_names_and_conditionals(void)
{
    struct buf b = BUF_INIT(0);
    const char *vars[] = { "title", "Graphs", "desc", "", "docs", "the text" };
    CHECK_EQ_INT(
        graph_fill(&b,
                   "T={{title}}{{if desc}} D={{desc}}{{end}}{{if docs}} [{{docs}}]{{end}} {{other}}",
                   vars, 3),
        SP_OK);
    CHECK_STR_EQ(buf_cstr(&b), "T=Graphs [the text] {{other}}");
    buf_reset(&b);
    const char *none[] = { "x", NULL };
    CHECK_EQ_INT(graph_fill(&b, "a{{x}}b{{unclosed", none, 1), SP_OK);
    CHECK_STR_EQ(buf_cstr(&b), "ab{{unclosed");
    buf_release(&b);
}

static void test_title_key_trims_lowers_and_collapses(void)
{
    struct buf b = BUF_INIT(0);
    graph_title_key(&b, "  Linear \t  Algebra\n");
    CHECK_STR_EQ(buf_cstr(&b), "linear algebra");
    graph_title_key(&b, "Ünïcode  ÉTÉ");
    CHECK_STR_EQ(buf_cstr(&b), "Ünïcode ÉtÉ");
    graph_title_key(&b, "   ");
    CHECK_STR_EQ(buf_cstr(&b), "");
    /* JavaScript white space (U+00A0, U+202F, U+3000) trims and collapses like ASCII */
    graph_title_key(&b, "\xc2\xa0 Graph\xe2\x80\xaf\t Theory\xe3\x80\x80");
    CHECK_STR_EQ(buf_cstr(&b), "graph theory");
    /* a multi-byte letter ending in 0x80 is not a space */
    graph_title_key(&b, "\xe2\x82\xac 5");
    CHECK_STR_EQ(buf_cstr(&b), "\xe2\x82\xac 5");
    graph_title_key(&b, NULL);
    CHECK_STR_EQ(buf_cstr(&b), "");
    buf_release(&b);
}

static void test_title_lookup_exact_then_key(void)
{
    json_t *m = json_pack("{s:s,s:s,s:i,s:s}", "Graph Theory", "exact", "graph  theory", "key",
                          "Sets", 1, "sets", "by key");
    CHECK_STR_EQ(graph_title_lookup(m, "Graph Theory"), "exact");
    CHECK_STR_EQ(graph_title_lookup(m, "graph  theory"), "key");
    CHECK_STR_EQ(graph_title_lookup(m, " GRAPH theory "), "exact"); /* the first key in order */
    CHECK_STR_EQ(graph_title_lookup(m, "Sets"), "by key");          /* non-string values skipped */
    CHECK(graph_title_lookup(m, "Algebra") == NULL);
    CHECK(graph_title_lookup(m, NULL) == NULL);
    json_decref(m);
}

static void test_utf8_prefix_never_cuts_a_sequence(void)
{
    struct buf b = BUF_INIT(0);
    int cut = 0;
    graph_utf8_prefix(&b, "héllo", 2, &cut);
    CHECK_STR_EQ(buf_cstr(&b), "hé");
    CHECK(cut);
    buf_reset(&b);
    graph_utf8_prefix(&b, "€€", 5, &cut);
    CHECK_STR_EQ(buf_cstr(&b), "€€");
    CHECK(!cut);
    buf_release(&b);
}

static void test_document_context_headers_and_cut(void)
{
    struct buf b = BUF_INIT(0);
    json_t *docs = json_loads(
        "[{\"originalFilename\":\"a.txt\",\"extractedText\":\"alpha\"},"
        "{\"originalFilename\":\"skip.pdf\",\"extractedText\":null},"
        "{\"originalFilename\":\"b.md\",\"extractedText\":\"beta\"}]",
        0, NULL);
    CHECK_EQ_INT(graph_document_context(&b, docs), SP_OK);
    CHECK_STR_EQ(buf_cstr(&b), "=== Document: a.txt ===\nalpha\n\n=== Document: b.md ===\nbeta");
    json_decref(docs);

    docs = json_loads("[]", 0, NULL);
    graph_document_context(&b, docs);
    CHECK_EQ_INT(b.len, 0);
    json_decref(docs);

    /* 80,000 characters exactly: kept whole; one more (a 2-byte one): cut with a notice */
    const char *header = "=== Document: x ===\n";
    size_t body = GRAPH_DOC_CONTEXT_MAX - strlen(header);
    char *text = malloc(2 * body + 3);
    memset(text, 'a', body);
    text[body] = '\0';
    docs = json_pack("[{s:s,s:s}]", "originalFilename", "x", "extractedText", text);
    graph_document_context(&b, docs);
    CHECK_EQ_INT(b.len, GRAPH_DOC_CONTEXT_MAX);
    json_decref(docs);
    memcpy(text + body - 1, "éé", 5);
    docs = json_pack("[{s:s,s:s}]", "originalFilename", "x", "extractedText", text);
    graph_document_context(&b, docs);
    const char *notice = strstr(buf_cstr(&b), "\n\n[The documents were cut here");
    CHECK(notice != NULL);
    CHECK(notice && notice[-2] == (char)0xC3 && notice[-1] == (char)0xA9); /* one é kept whole */
    json_decref(docs);
    free(text);
    buf_release(&b);
}

static void test_legacy_subconcepts_normalised(void)
{
    json_t *reply = json_loads(
        "[{\"title\":\"  Basics \",\"desc\":\" d1 \",\"depends_on\":[]},"
        "\"not an object\",{\"title\":\"   \"},{\"desc\":\"no title\"},"
        "{\"title\":\"basics\",\"desc\":\"duplicate\"},"
        "{\"title\":\"Loops\",\"depends_on\":[\" BASICS \",\"loops\",\"unknown\",\"Basics\",7]}]",
        0, NULL);
    json_t *out = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(graph_legacy_subconcepts(reply, &out, &err), SP_OK);
    char *s = json_dumps(out, JSON_COMPACT);
    CHECK_STR_EQ(s,
                 "[{\"title\":\"Basics\",\"desc\":\"d1\",\"depends_on\":[]},"
                 "{\"title\":\"Loops\",\"desc\":\"\",\"depends_on\":[\"Basics\"]}]");
    free(s);
    json_decref(out);
    json_decref(reply);

    reply = json_loads("[{\"title\":\"\"}]", 0, NULL);
    CHECK_EQ_INT(graph_legacy_subconcepts(reply, &out, &err), SP_EINVAL);
    CHECK_STR_EQ(err.msg, "Claude returned no valid subconcepts");
    json_decref(reply);
    reply = json_loads("{\"title\":\"x\"}", 0, NULL);
    CHECK_EQ_INT(graph_legacy_subconcepts(reply, &out, &err), SP_EINVAL);
    CHECK_STR_EQ(err.msg, "Claude did not return a JSON array");
    json_decref(reply);

    /* at most 10 kept */
    reply = json_array();
    char t[16];
    for (int i = 0; i < 12; i++) {
        snprintf(t, sizeof t, "T%d", i);
        json_array_append_new(reply, json_pack("{s:s}", "title", t));
    }
    CHECK_EQ_INT(graph_legacy_subconcepts(reply, &out, &err), SP_OK);
    CHECK_EQ_INT(json_array_size(out), GRAPH_LEGACY_MAX_SUBCONCEPTS);
    json_decref(out);
    json_decref(reply);
}

static void test_legacy_diagnostic_summary(void)
{
    json_t *data = json_loads(
        "{\"assessmentId\":\"A\",\"questions\":["
        "{\"id\":\"q1\",\"prompt\":\"P1\",\"format\":\"mcq\",\"difficulty\":1,\"correctAnswer\":\"b\"},"
        "{\"id\":\"q2\",\"prompt\":\"P2\",\"format\":\"open_ended\",\"difficulty\":3,\"correctAnswer\":\"x\"},"
        "{\"id\":\"q3\",\"prompt\":\"P3\",\"format\":\"open_ended\",\"difficulty\":5,\"correctAnswer\":null}],"
        "\"answers\":["
        "{\"questionId\":\"q1\",\"answerText\":null,\"selectedOption\":\"a\",\"isCorrect\":null,\"score\":null,\"feedback\":null},"
        "{\"questionId\":\"q1\",\"answerText\":null,\"selectedOption\":\"b\",\"isCorrect\":null,\"score\":null,\"feedback\":null},"
        "{\"questionId\":\"q2\",\"answerText\":\" so so \",\"selectedOption\":null,\"isCorrect\":false,\"score\":50,\"feedback\":\"half\"}]}",
        0, NULL);
    json_t *out = NULL;
    CHECK_EQ_INT(graph_legacy_diagnostic_summary(data, &out), SP_OK);
    char *s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(17));
    CHECK_STR_EQ(
        s,
        "{\"assessmentId\":\"A\",\"answeredCount\":2,\"totalQuestions\":3,"
        "\"overallScore\":0.75,\"strengths\":[\"P1\"],\"gaps\":[\"P2\"],\"items\":["
        "{\"questionId\":\"q1\",\"prompt\":\"P1\",\"format\":\"mcq\",\"difficulty\":1,"
        "\"studentAnswer\":\"b\",\"correctAnswer\":\"b\",\"isCorrect\":true,\"score\":1,\"feedback\":null},"
        "{\"questionId\":\"q2\",\"prompt\":\"P2\",\"format\":\"open_ended\",\"difficulty\":3,"
        "\"studentAnswer\":\" so so \",\"correctAnswer\":\"x\",\"isCorrect\":false,\"score\":0.5,\"feedback\":\"half\"},"
        "{\"questionId\":\"q3\",\"prompt\":\"P3\",\"format\":\"open_ended\",\"difficulty\":5,"
        "\"studentAnswer\":null,\"correctAnswer\":null,\"isCorrect\":null,\"score\":null,\"feedback\":null}]}");
    free(s);
    json_decref(out);
    json_decref(data);
}

int main(void)
{
    RUN(test_legacy_diagnostic_summary);
    RUN(test_fill_replaces_names_and_conditionals);
    RUN(test_title_key_trims_lowers_and_collapses);
    RUN(test_title_lookup_exact_then_key);
    RUN(test_utf8_prefix_never_cuts_a_sequence);
    RUN(test_document_context_headers_and_cut);
    RUN(test_legacy_subconcepts_normalised);
    return check_report("test_graph_text");
}
