/* tests/unit/agents/test_tutor_text.c: the tutor's reply post-processing (spec/agents.md §8.4,
 * §10): every line helper, question extraction, strip/ensure question and the markers, with
 * JavaScript whitespace and UTF-8 edge cases. */
#include <stdlib.h>
#include <string.h>

#include "agents/tutor_text.h"
#include "support/check.h"

/* ---- helpers returning new strings for compact checks ---- */

static char *slice_dup(const char *s, size_t off, size_t len)
{
    char *r = malloc(len + 1);
    memcpy(r, s + off, len);
    r[len] = '\0';
    return r;
}

static char *trim(const char *s)
{
    size_t o, l;
    tutor_trim(s, strlen(s), &o, &l);
    return slice_dup(s, o, l);
}

static char *strip_prefix(const char *s)
{
    size_t o, l;
    tutor_strip_prefix(s, strlen(s), &o, &l);
    return slice_dup(s, o, l);
}

static char *normalize(const char *s)
{
    size_t o, l;
    tutor_normalize_line(s, strlen(s), &o, &l);
    return slice_dup(s, o, l);
}

static char *comparable(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    tutor_comparable(s, strlen(s), out);
    return out;
}

static char *inline_q(const char *s)
{
    size_t o, l;
    if (!tutor_inline_question(s, strlen(s), &o, &l))
        return NULL;
    return slice_dup(s, o, l);
}

static char *extract(const char *s)
{
    char *q = NULL;
    CHECK_EQ_INT(tutor_extract_question(s, &q), 0);
    return q;
}

static char *strip_q(const char *s)
{
    char *q = NULL;
    CHECK_EQ_INT(tutor_strip_question(s, &q), 0);
    return q;
}

static char *ensure(const char *s, const char *fq, enum tutor_qtype ft, bool complete)
{
    char *q = NULL;
    CHECK_EQ_INT(tutor_ensure_question(s, fq, ft, complete, &q), 0);
    return q;
}

#define EXPECT_STR(call, expected)    \
    do {                              \
        char *got_ = (call);          \
        CHECK_STR_EQ(got_, expected); \
        free(got_);                   \
    } while (0)
#define EXPECT_NULL(call)                            \
    do {                                             \
        char *got_ = (call);                         \
        CHECK(got_ == NULL);                         \
        if (got_) {                                  \
            fprintf(stderr, "  got \"%s\"\n", got_); \
        }                                            \
        free(got_);                                  \
    } while (0)

static bool marker_only(const char *s)
{
    return tutor_marker_only(s, strlen(s));
}

static bool has_inline(const char *s)
{
    return tutor_has_inline(s, strlen(s));
}

static enum tutor_qtype qtype(const char *s)
{
    return tutor_question_type(s, strlen(s));
}

/* ---- JavaScript whitespace, trim, lengths ---- */

static void test_trim_js_whitespace(void)
{
    EXPECT_STR(trim("  a b \t\n"), "a b");
    EXPECT_STR(trim("\xC2\xA0x\xE3\x80\x80"), "x"); /* NBSP, ideographic space */
    EXPECT_STR(trim("\xEF\xBB\xBF\xE2\x80\xA8x\xE2\x80\xA9\xE2\x80\xAF"),
               "x"); /* BOM, LS, PS, NNBSP */
    EXPECT_STR(trim("\xE2\x80\x80\xE2\x80\x8Ax\xE2\x81\x9F\xE1\x9A\x80"),
               "x"); /* U+2000..200A, U+205F, U+1680 */
    EXPECT_STR(trim("\v\f\rx\r"), "x");
    /* not whitespace in JavaScript: U+200B zero width space, U+180E, U+0085 */
    EXPECT_STR(trim("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");
    EXPECT_STR(trim("x\xE1\xA0\x8E"), "x\xE1\xA0\x8E");
    EXPECT_STR(trim("x\xC2\x85"), "x\xC2\x85");
    EXPECT_STR(trim(""), "");
    EXPECT_STR(trim(" \t "), "");
    /* an invalid byte is a character, never whitespace, and never split */
    EXPECT_STR(trim(" \xA0 "), "\xA0");
    EXPECT_STR(trim("x\xE3\x80"), "x\xE3\x80");
    CHECK(tutor_is_space(0x3000));
    CHECK(!tutor_is_space(0x200B));
}

static void test_space_len(void)
{
    CHECK_EQ_INT((int)tutor_space_len(" x", 2), 1);
    CHECK_EQ_INT((int)tutor_space_len("\xc2\xa0x", 3), 2);    /* U+00A0 */
    CHECK_EQ_INT((int)tutor_space_len("\xe2\x80\xaf", 3), 3); /* U+202F */
    CHECK_EQ_INT((int)tutor_space_len("\xe2\x80\xaf", 2), 0); /* cut short */
    CHECK_EQ_INT((int)tutor_space_len("\xe2\x82\xac", 3), 0); /* U+20AC is a letter */
    CHECK_EQ_INT((int)tutor_space_len("x", 1), 0);
    CHECK_EQ_INT((int)tutor_space_len("", 0), 0);
}

static void test_code_point_length(void)
{
    CHECK_EQ_INT(tutor_cp_len("abc", 3), 3);
    CHECK_EQ_INT(tutor_cp_len("\xC3\xA9t\xC3\xA9", 5), 3); /* été */
    CHECK_EQ_INT(tutor_cp_len("\xF0\x9F\x98\x80", 4), 1);  /* one emoji */
    CHECK_EQ_INT(tutor_cp_len("\xFF\xFE", 2), 2);          /* two invalid bytes */
}

/* ---- §10.1 line helpers ---- */

static void test_strip_prefix(void)
{
    EXPECT_STR(strip_prefix("## Question: x"), "Question: x");
    EXPECT_STR(strip_prefix("  ###### Title "), "Title");
    EXPECT_STR(strip_prefix("####### seven"), "# seven"); /* at most six marks */
    EXPECT_STR(strip_prefix("- item"), "item");
    EXPECT_STR(strip_prefix("* item"), "item");
    EXPECT_STR(strip_prefix("> quoted"), "quoted");
    EXPECT_STR(strip_prefix("12. twelve"), "twelve");
    EXPECT_STR(strip_prefix("3) three"), "three");
    EXPECT_STR(strip_prefix("# - both"), "both");               /* heading, then list marker */
    EXPECT_STR(strip_prefix("- - twice"), "- twice");           /* one list marker only */
    EXPECT_STR(strip_prefix("**Question:**"), "**Question:**"); /* '*' needs a space after */
    EXPECT_STR(strip_prefix("-no space"), "-no space");
    EXPECT_STR(strip_prefix("1.5 is a number"), "1.5 is a number");
    EXPECT_STR(strip_prefix(".5"), ".5");
    EXPECT_STR(strip_prefix("-\xC2\xA0nbsp"), "nbsp"); /* JS \s includes NBSP */
    EXPECT_STR(strip_prefix("#"), "");
}

static void test_normalize_line(void)
{
    EXPECT_STR(normalize("Question: What is 2+2?"), "What is 2+2?");
    EXPECT_STR(normalize("- checkpoint   QUESTION : Why?"), "Why?");
    EXPECT_STR(normalize("New\tQuestion:Why?"), "Why?");
    EXPECT_STR(normalize("Question"), "Question");                     /* no colon: unchanged */
    EXPECT_STR(normalize("**Question:** Why?"), "**Question:** Why?"); /* emphasis not removed */
    EXPECT_STR(normalize("Questions: many"), "Questions: many");
    EXPECT_STR(normalize("newquestion: x"), "newquestion: x"); /* the words need a space */
}

static void test_comparable(void)
{
    EXPECT_STR(comparable("  **Question:**  "), "Question:");
    EXPECT_STR(comparable("- _~`x`~_ "), "x");
    EXPECT_STR(comparable("### *New* __question__"), "New question");
}

static void test_marker_only(void)
{
    CHECK(marker_only("Question:"));
    CHECK(marker_only("**Question:**"));
    CHECK(marker_only("## Checkpoint Question"));
    CHECK(marker_only("new question :"));
    CHECK(marker_only("- *Question* :"));
    CHECK(marker_only("QUESTION"));
    CHECK(!marker_only("Question: why?"));
    CHECK(!marker_only("Question Type: text"));
    CHECK(!marker_only("Questions:"));
    CHECK(!marker_only("The question:"));
    CHECK(!marker_only("Question::"));
}

static void test_has_inline(void)
{
    CHECK(has_inline("Question: why?"));
    CHECK(has_inline("**Question:** why?"));
    CHECK(has_inline("checkpoint question:x"));
    CHECK(!has_inline("Question:"));
    CHECK(!has_inline("Question: **")); /* only emphasis after the colon */
    CHECK(!has_inline("Question Type: text"));
    CHECK(!has_inline("A question: here"));
}

static void test_inline_question(void)
{
    EXPECT_STR(inline_q("Question: What is a loop?"), "What is a loop?");
    EXPECT_STR(inline_q("**Question:** What is a loop?"), "What is a loop?");
    EXPECT_STR(inline_q("1. *New Question*: _What_ is it?"), "What_ is it?");
    EXPECT_STR(inline_q("Question: Question: nested"), "nested"); /* normalize-line'd again */
    EXPECT_STR(inline_q("Question: ratio 3:4?"), "ratio 3:4?");   /* split at the first colon */
    EXPECT_NULL(inline_q("Question:"));
    EXPECT_NULL(inline_q("Question: ** "));
    EXPECT_NULL(inline_q("Question without colon"));
    EXPECT_NULL(inline_q("Note: Question: x"));
    EXPECT_NULL(inline_q("Question Type: text"));
}

static void test_question_type(void)
{
    CHECK_EQ_INT(qtype("Question Type: text"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("question type:CODE"), TUTOR_QTYPE_CODE);
    CHECK_EQ_INT(qtype("- QuestionType - draw"), TUTOR_QTYPE_DRAW);
    CHECK_EQ_INT(qtype("Question-Type \xE2\x80\x93 drawing"), TUTOR_QTYPE_DRAW); /* en dash */
    CHECK_EQ_INT(qtype("Question type \xE2\x80\x94 MCQ"), TUTOR_QTYPE_TEXT);     /* em dash */
    CHECK_EQ_INT(qtype("Question Type: mcp"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("Question Type: Multiple-Choice"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("Question Type: multiple__choices"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("Question Type: multiple  choice \t question"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("Question Type:\xC2\xA0text\xC2\xA0"), TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(qtype("### Question Type: code"), TUTOR_QTYPE_CODE);
    /* not recognised */
    CHECK_EQ_INT(qtype("**Question Type:** code"), TUTOR_QTYPE_NONE); /* emphasis kept */
    CHECK_EQ_INT(qtype("Question Type: essay"), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Question Type: text."), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Question Type: _text"), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Question Type:"), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Question Type text"), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Type: text"), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(qtype("Question Type: t\xC3\xA9xt"), TUTOR_QTYPE_NONE);
    CHECK_STR_EQ(tutor_qtype_name(TUTOR_QTYPE_DRAW), "draw");
    CHECK(tutor_qtype_name(TUTOR_QTYPE_NONE) == NULL);
}

/* ---- §10.2 extract-question ---- */

static void test_extract_marker_block(void)
{
    EXPECT_STR(extract("Loops repeat work.\n\nQuestion Type: text\n\nQuestion:\nWhat does a\n"
                       "  loop do?\n"),
               "What does a loop do?");
    /* CRLF, emphasis marker, list prefixes normalised away */
    EXPECT_STR(extract("Intro\r\n**Question:**\r\n- Why is the sky blue?\r\n"),
               "Why is the sky blue?");
    /* gathering stops at the next marker-only or inline line */
    EXPECT_STR(extract("Question:\nFirst part\nQuestion: second\n"), "First part");
    /* an empty marker block does not win; the next one does */
    EXPECT_STR(extract("Question:\n\nQuestion:\nReal one here?\n"), "Real one here?");
    /* lines after the marker keep a following Question Type line (as the original) */
    EXPECT_STR(extract("Question:\nWhat is it?\nQuestion Type: text"),
               "What is it? Question Type: text");
}

static void test_extract_inline(void)
{
    EXPECT_STR(extract("Text.\n**Question:** Name a prime\nnumber above 10.\nQuestion Type: text\n"
                       "More words"),
               "Name a prime number above 10. More words");
    EXPECT_STR(extract("Question: one\nQuestion: two"), "one");
    EXPECT_STR(extract("Question: a\nQuestion:\nb"), "b"); /* the marker block comes first */
}

static void test_extract_last_question_mark(void)
{
    EXPECT_STR(extract("Is this first?\nSome text.\n- Is this the last?\nEnd."),
               "Is this the last?");
    EXPECT_STR(extract("Why? Because.\n> Question : really?"), "really?");
    EXPECT_NULL(extract("No question here.\n**Bold?**"));
    EXPECT_NULL(extract(""));
    EXPECT_NULL(extract(" \n\t\n"));
}

static void test_extract_question_type(void)
{
    CHECK_EQ_INT(tutor_extract_question_type("a\nQuestion Type: code\nQuestion Type: draw"),
                 TUTOR_QTYPE_CODE);
    CHECK_EQ_INT(tutor_extract_question_type("a\r\nQuestion Type: draw\r\n"), TUTOR_QTYPE_DRAW);
    CHECK_EQ_INT(tutor_extract_question_type("Question Type: essay\nQuestion Type: text"),
                 TUTOR_QTYPE_TEXT);
    CHECK_EQ_INT(tutor_extract_question_type("  "), TUTOR_QTYPE_NONE);
    CHECK_EQ_INT(tutor_extract_question_type("nothing"), TUTOR_QTYPE_NONE);
}

/* ---- §10.4 strip-question ---- */

static void test_strip_question(void)
{
    EXPECT_STR(strip_q("  Loops repeat.\n\nQuestion Type: text\n\nQuestion:\nWhat is a loop?\n"),
               "Loops repeat.");
    EXPECT_STR(strip_q("Explain.\n**Question-Type:** code\nMore.\nQuestion: Why?\nAfter."),
               "Explain.\nMore.\nAfter.");
    EXPECT_STR(strip_q("Keep\r\n## Checkpoint Question\r\nGone\r\nGone too"), "Keep");
    EXPECT_STR(strip_q("Question: only"), "");
    EXPECT_STR(strip_q(""), "");
    /* "Question Type :" is neither a type line nor a label line here: kept */
    EXPECT_STR(strip_q("A\nQuestion Type : text"), "A\nQuestion Type : text");
    /* lines are kept as written (inner indentation, Unicode) */
    EXPECT_STR(strip_q("\xC3\xA9t\xC3\xA9\n    code()\nQuestion:\nx"),
               "\xC3\xA9t\xC3\xA9\n    code()");
}

/* ---- §10.5 ensure-question ---- */

static void test_ensure_complete_untouched(void)
{
    EXPECT_STR(ensure("  Well done, all finished.  ", NULL, TUTOR_QTYPE_NONE, true),
               "Well done, all finished.");
}

static void test_ensure_keeps_full_turn(void)
{
    const char *turn =
        "Explanation.\n\nQuestion Type: code\n\nQuestion:\nWrite a loop that sums 1..10.";
    EXPECT_STR(ensure(turn, NULL, TUTOR_QTYPE_NONE, false), turn);
}

static void test_ensure_adds_type_line(void)
{
    EXPECT_STR(ensure("Explanation.\nQuestion: What is an integer type?", NULL, TUTOR_QTYPE_DRAW,
                      false),
               "Explanation.\nQuestion: What is an integer type?\n\nQuestion Type: draw");
    EXPECT_STR(ensure("What does a compiler do exactly?", NULL, TUTOR_QTYPE_NONE, false),
               "What does a compiler do exactly?\n\nQuestion Type: text");
}

static void test_ensure_unusable_question(void)
{
    /* too short (11 characters): stripped, replaced by the fallback */
    EXPECT_STR(ensure("Intro.\nQuestion: Why is it?", "How do loops terminate?", TUTOR_QTYPE_CODE,
                      false),
               "Intro.\n\nQuestion Type: code\n\nQuestion:\nHow do loops terminate?");
    /* 12 code points (with accents, 15 bytes) is usable */
    EXPECT_STR(ensure("Question: \xC3\xA9\xC3\xA9\xC3\xA9 is it ok?", NULL, TUTOR_QTYPE_NONE,
                      false),
               "Question: \xC3\xA9\xC3\xA9\xC3\xA9 is it ok?\n\nQuestion Type: text");
    /* ends with ':' -> unusable; no usable fallback -> the default question for the type */
    char *r = ensure("Look at this.\nQuestion: Complete the following:", "short?", TUTOR_QTYPE_DRAW,
                     false);
    CHECK(r && strncmp(r, "Look at this.\n\nQuestion Type: draw\n\nQuestion:\n", 45) == 0);
    CHECK(r && tutor_question_usable(r + 45));
    free(r);
}

static void test_ensure_no_question(void)
{
    char *r = ensure("Just an explanation.", NULL, TUTOR_QTYPE_NONE, false);
    CHECK(r && strncmp(r, "Just an explanation.\n\nQuestion Type: text\n\nQuestion:\n", 52) == 0);
    free(r);
    r = ensure("", NULL, TUTOR_QTYPE_CODE, false);
    CHECK(r && strncmp(r, "Question Type: code\n\nQuestion:\n", 31) == 0);
    free(r);
    EXPECT_STR(ensure("Text only.", "  Fallback question here?  ", TUTOR_QTYPE_NONE, false),
               "Text only.\n\nQuestion Type: text\n\nQuestion:\nFallback question here?");
}

static void test_question_usable(void)
{
    CHECK(!tutor_question_usable(NULL));
    CHECK(!tutor_question_usable("   "));
    CHECK(!tutor_question_usable("Eleven char"));
    CHECK(tutor_question_usable("Twelve chars"));
    CHECK(!tutor_question_usable("What follows -"));
    CHECK(!tutor_question_usable("  Finish this sentence:  "));
    CHECK(
        !tutor_question_usable("\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80 abc de")); /* 10 */
}

/* ---- §8.4 markers ---- */

static void test_markers(void)
{
    struct tutor_markers m;
    CHECK_EQ_INT(tutor_parse_markers("Great! [ADVANCE_CHUNK]\nNext part.", &m), 0);
    CHECK(!m.complete);
    CHECK_EQ_INT(m.chunk, TUTOR_CHUNK_ADVANCE);
    CHECK_STR_EQ(m.content, "Great! \nNext part.");
    tutor_markers_clear(&m);

    /* every occurrence removed, any case; advance wins over same */
    CHECK_EQ_INT(tutor_parse_markers("[same_chunk] Try again [SAME_CHUNK] [Advance_Chunk]", &m), 0);
    CHECK_EQ_INT(m.chunk, TUTOR_CHUNK_ADVANCE);
    CHECK_STR_EQ(m.content, "Try again");
    tutor_markers_clear(&m);

    CHECK_EQ_INT(tutor_parse_markers("  Summary.\n\n[COMPLETE]\n[COMPLETE] ", &m), 0);
    CHECK(m.complete);
    CHECK_EQ_INT(m.chunk, TUTOR_CHUNK_NONE);
    CHECK_STR_EQ(m.content, "Summary.");
    tutor_markers_clear(&m);

    CHECK_EQ_INT(tutor_parse_markers("[COMPLETE", &m), 0); /* unterminated: not a marker */
    CHECK(!m.complete);
    CHECK_STR_EQ(m.content, "[COMPLETE");
    tutor_markers_clear(&m);

    CHECK_EQ_INT(tutor_parse_markers("[SAME_CHUNK]\xC3\xA9", &m), 0);
    CHECK_EQ_INT(m.chunk, TUTOR_CHUNK_SAME);
    CHECK_STR_EQ(m.content, "\xC3\xA9");
    tutor_markers_clear(&m);
}

/* Random text from pieces that matter (labels, markers, emphasis, Unicode spaces, broken UTF-8):
 * nothing crashes (the sanitizers watch), trimming is idempotent, every normal turn comes out
 * with a type line and a usable question, and the result never holds a marker. */
static void test_random_texts(void)
{
    static const char *const pieces[] = {
        "Question",
        "question type",
        ":",
        " ",
        "\n",
        "\r\n",
        "**",
        "_",
        "`",
        "~",
        "#",
        "- ",
        "1. ",
        "> ",
        "?",
        "Checkpoint  Question",
        "New question",
        "text",
        "code",
        "draw",
        "-",
        "\xE2\x80\x93",
        "\xC2\xA0",
        "\xE3\x80\x80",
        "\xE2\x80\xA8",
        "\xF0\x9F\x98\x80",
        "\xC3",
        "\x80",
        "\xFF",
        "[COMPLETE]",
        "[same_chunk]",
        "[ADVANCE_CHUNK]",
        "word",
        "What is it",
        "\t",
    };
    unsigned seed = 12345;
    char s[512];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0;
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24;
        for (int i = 0; i < k; i++) {
            const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) %
                                   (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            if (n + l >= sizeof s)
                break;
            memcpy(s + n, p, l);
            n += l;
        }
        s[n] = '\0';
        size_t o, l, o2, l2;
        tutor_trim(s, n, &o, &l);
        tutor_trim(s + o, l, &o2, &l2);
        CHECK(o2 == 0 && l2 == l);
        char *q = extract(s);
        free(q);
        (void)tutor_extract_question_type(s);
        free(strip_q(s));
        struct tutor_markers m;
        CHECK_EQ_INT(tutor_parse_markers(s, &m), 0);
        CHECK(!strstr(m.content, "[COMPLETE]") && !strstr(m.content, "[same_chunk]"));
        char *e = ensure(m.content, "What is the main idea here?", TUTOR_QTYPE_NONE, false);
        CHECK(e && tutor_extract_question_type(e) != TUTOR_QTYPE_NONE);
        char *eq = e ? extract(e) : NULL;
        CHECK(tutor_question_usable(eq));
        if (!tutor_question_usable(eq))
            fprintf(stderr, "  input \"%s\" -> \"%s\"\n", s, e ? e : "(null)");
        free(eq);
        free(e);
        tutor_markers_clear(&m);
    }
}

int main(void)
{
    RUN(test_trim_js_whitespace);
    RUN(test_space_len);
    RUN(test_code_point_length);
    RUN(test_strip_prefix);
    RUN(test_normalize_line);
    RUN(test_comparable);
    RUN(test_marker_only);
    RUN(test_has_inline);
    RUN(test_inline_question);
    RUN(test_question_type);
    RUN(test_extract_marker_block);
    RUN(test_extract_inline);
    RUN(test_extract_last_question_mark);
    RUN(test_extract_question_type);
    RUN(test_strip_question);
    RUN(test_ensure_complete_untouched);
    RUN(test_ensure_keeps_full_turn);
    RUN(test_ensure_adds_type_line);
    RUN(test_ensure_unusable_question);
    RUN(test_ensure_no_question);
    RUN(test_question_usable);
    RUN(test_markers);
    RUN(test_random_texts);
    return check_report("test_tutor_text");
}
