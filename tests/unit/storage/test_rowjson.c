/* tests/unit/storage/test_rowjson.c: rows -> client JSON through the schema (storage/rowjson.c):
 * booleans, JavaScript numbers, nulls, JSON-in-text columns, key order, columns matched by name, the generated column lists (without PostgreSQL's hidden rowid). Uses an
 * in-memory SQLite database (through db/dbi.h) with hand-written tables shaped like the real ones.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db/conn.h"
#include "db/dbi.h"
#include "db/schema.h"
#include "storage/columns.h"
#include "storage/rowjson.h"
#include "support/check.h"
#include "util/buf.h"
#include "util/err.h"

static struct db *open_mem(const char *ddl)
{
    struct db *h = NULL;
    CHECK(db_open(":memory:", DB_OPEN_CREATE, &h, NULL) == SP_OK);
    CHECK(db_exec(h, ddl, NULL) == SP_OK);
    return h;
}

/* Run sql and return the rows as rowjson_array text (static buffer of the test). */
static const char *rows(struct db *h, const char *sql, enum schema_table_id t)
{
    static struct buf out = BUF_INIT(0);
    buf_reset(&out);
    struct dbi_stmt *st = NULL;
    CHECK(dbi_prepare_once(h, sql, &st, NULL) == SP_OK);
    size_t n_rows = 0;
    CHECK(rowjson_array(&out, st, schema_table(t), &n_rows, NULL) == SP_OK);
    dbi_finalize(st);
    return buf_cstr(&out);
}

static const char ANSWERS_DDL[] =
    "CREATE TABLE answers (id TEXT PRIMARY KEY, user_id TEXT, assessment_id TEXT, question_id TEXT,"
    " answer_text TEXT, selected_option TEXT, is_correct INTEGER, score REAL, feedback TEXT,"
    " created_at TEXT);"
    "INSERT INTO answers VALUES ('a1','u','as','q',NULL,'4',1,1.0,NULL,'2026-11-25 18:45:03');"
    "INSERT INTO answers VALUES ('a2','u','as','q','x\"y\n',NULL,0,0.75,'',"
    " '2026-11-25T18:45:03.123Z');"
    "INSERT INTO answers VALUES ('a3','u','as','q',NULL,NULL,2,75,NULL,'t');"
    "INSERT INTO answers VALUES ('a4','u','as','q',NULL,NULL,NULL,NULL,NULL,'t');"
    "INSERT INTO answers VALUES ('a5','u','as','q',NULL,NULL,'1',-0.5,NULL,'t');";
#define ANSWERS_SELECT                                              \
    "SELECT id, user_id, assessment_id, question_id, answer_text, " \
    "selected_option, is_correct, score, feedback, created_at FROM answers ORDER BY rowid"

static void test_booleans_numbers_and_nulls(void)
{
    struct db *h = open_mem(ANSWERS_DDL);
    CHECK_STR_EQ(rows(h, ANSWERS_SELECT, SCHEMA_ANSWERS),
                 "[{\"id\":\"a1\",\"userId\":\"u\",\"assessmentId\":\"as\",\"questionId\":\"q\","
                 "\"answerText\":null,\"selectedOption\":\"4\",\"isCorrect\":true,\"score\":1,"
                 "\"feedback\":null,\"createdAt\":\"2026-11-25 18:45:03\"},"
                 "{\"id\":\"a2\",\"userId\":\"u\",\"assessmentId\":\"as\",\"questionId\":\"q\","
                 "\"answerText\":\"x\\\"y\\n\",\"selectedOption\":null,\"isCorrect\":false,\"score\":0.75,"
                 "\"feedback\":\"\",\"createdAt\":\"2026-11-25T18:45:03.123Z\"},"
                 "{\"id\":\"a3\",\"userId\":\"u\",\"assessmentId\":\"as\",\"questionId\":\"q\","
                 "\"answerText\":null,\"selectedOption\":null,\"isCorrect\":false,\"score\":75,"
                 "\"feedback\":null,\"createdAt\":\"t\"},"
                 "{\"id\":\"a4\",\"userId\":\"u\",\"assessmentId\":\"as\",\"questionId\":\"q\","
                 "\"answerText\":null,\"selectedOption\":null,\"isCorrect\":null,\"score\":null,"
                 "\"feedback\":null,\"createdAt\":\"t\"},"
                 "{\"id\":\"a5\",\"userId\":\"u\",\"assessmentId\":\"as\",\"questionId\":\"q\","
                 "\"answerText\":null,\"selectedOption\":null,\"isCorrect\":true,\"score\":-0.5,"
                 "\"feedback\":null,\"createdAt\":\"t\"}]");
    db_close(h);
}

static void test_json_in_text_stays_a_string(void)
{
    struct db *h = open_mem(
        "CREATE TABLE questions (id TEXT, assessment_id TEXT, node_id TEXT, format TEXT,"
        " prompt TEXT, options TEXT, correct_answer TEXT, grading_rubric TEXT, difficulty INTEGER,"
        " created_at TEXT);"
        "INSERT INTO questions VALUES ('q1','a',NULL,'mcq','2+2?','[\"3\",\"4\"]','4',"
        " '{\"k\":1}',1,'t');"
        "INSERT INTO questions VALUES ('q2','a',NULL,'mcq','p','\"abc\"',NULL,NULL,3,'t');");
    CHECK_STR_EQ(rows(h, "SELECT * FROM questions ORDER BY rowid", SCHEMA_QUESTIONS),
                 "[{\"id\":\"q1\",\"assessmentId\":\"a\",\"nodeId\":null,\"format\":\"mcq\","
                 "\"prompt\":\"2+2?\",\"options\":\"[\\\"3\\\",\\\"4\\\"]\",\"correctAnswer\":\"4\","
                 "\"gradingRubric\":\"{\\\"k\\\":1}\",\"difficulty\":1,\"createdAt\":\"t\"},"
                 "{\"id\":\"q2\",\"assessmentId\":\"a\",\"nodeId\":null,\"format\":\"mcq\","
                 "\"prompt\":\"p\",\"options\":\"\\\"abc\\\"\",\"correctAnswer\":null,"
                 "\"gradingRubric\":null,\"difficulty\":3,\"createdAt\":\"t\"}]");
    db_close(h);
}

/* drizzle-migrated databases have cards as the last physical column; selected by name it
 * comes out in schema order, in the middle. */
static void test_cards_in_schema_position(void)
{
    struct db *h = open_mem(
        "CREATE TABLE node_contents (id TEXT, node_id TEXT, explanation_md TEXT,"
        " visualization_kind TEXT, visualization_payload TEXT, generated_by_model TEXT,"
        " generation_prompt_hash TEXT, status TEXT, created_at TEXT, cards TEXT);"
        "INSERT INTO node_contents VALUES ('c','n','# Hi',NULL,NULL,NULL,NULL,'active','t','[]');");
    CHECK_STR_EQ(rows(h, "SELECT " STORE_COLS_NODE_CONTENTS " FROM node_contents",
                      SCHEMA_NODE_CONTENTS),
                 "[{\"id\":\"c\",\"nodeId\":\"n\",\"explanationMd\":\"# Hi\",\"visualizationKind\":null,"
                 "\"visualizationPayload\":null,\"cards\":\"[]\",\"generatedByModel\":null,"
                 "\"generationPromptHash\":null,\"status\":\"active\",\"createdAt\":\"t\"}]");
    db_close(h);
}

static void test_column_subset_and_empty(void)
{
    struct db *h = open_mem(ANSWERS_DDL);
    CHECK_STR_EQ(rows(h, "SELECT id, is_correct FROM answers WHERE id IN ('a1','a4') ORDER BY id",
                      SCHEMA_ANSWERS),
                 "[{\"id\":\"a1\",\"isCorrect\":true},{\"id\":\"a4\",\"isCorrect\":null}]");
    /* named columns in any order keep their schema keys and kinds; an expression keeps its name */
    CHECK_STR_EQ(rows(h,
                      "SELECT is_correct, id, count(*) OVER () AS \"n\" FROM answers "
                      "WHERE id = 'a1'",
                      SCHEMA_ANSWERS),
                 "[{\"isCorrect\":true,\"id\":\"a1\",\"n\":1}]");
    CHECK_STR_EQ(rows(h, ANSWERS_SELECT " LIMIT 0", SCHEMA_ANSWERS), "[]");
    /* the columns from the first ROWJSON_EXTRA_PREFIX one on are the caller's, not the row's */
    CHECK_STR_EQ(rows(h,
                      "SELECT id, 1 AS " ROWJSON_EXTRA_PREFIX "open, 'x' AS later FROM answers "
                      "WHERE id = 'a1'",
                      SCHEMA_ANSWERS),
                 "[{\"id\":\"a1\"}]");
    db_close(h);
}

/* Escapes found at every position of long strings (the writer scans eight bytes at a time);
 * UTF-8 and DEL pass through raw. */
static void test_escapes_at_every_position(void)
{
    struct db *h = open_mem(
        "CREATE TABLE branches (id TEXT, title TEXT, user_id TEXT,"
        " created_at TEXT, updated_at TEXT);");
    static const char specials[] = { '"', '\\', '\n', '\x01', '\x1f' };
    static const char *const escaped[] = { "\\\"", "\\\\", "\\n", "\\u0001", "\\u001f" };
    for (size_t k = 0; k < sizeof specials; k++) {
        for (size_t pos = 0; pos < 19; pos++) {
            char title[20], want[64], sql[256];
            memset(title, 'a', 19);
            title[19] = '\0';
            title[pos] = specials[k];
            sqlite3_stmt *ins = NULL;
            db_exec(h, "DELETE FROM branches", NULL);
            sqlite3_prepare_v2(db_handle(h), "INSERT INTO branches VALUES ('i', ?1, 'u', 'c', 'd')",
                               -1, &ins, NULL);
            sqlite3_bind_text(ins, 1, title, 19, SQLITE_STATIC);
            sqlite3_step(ins);
            sqlite3_finalize(ins);
            snprintf(want, sizeof want, "%.*s%s%.*s", (int)pos, title, escaped[k], (int)(18 - pos),
                     title + pos + 1);
            snprintf(sql, sizeof sql,
                     "[{\"id\":\"i\",\"title\":\"%s\",\"userId\":\"u\","
                     "\"createdAt\":\"c\",\"updatedAt\":\"d\"}]",
                     want);
            CHECK_STR_EQ(rows(h, "SELECT * FROM branches", SCHEMA_BRANCHES), sql);
        }
    }
    db_exec(h,
            "DELETE FROM branches; INSERT INTO branches VALUES"
            " ('i', 'Über \x7f notes — ok ✓ long enough', 'u', 'c', 'd')",
            NULL);
    CHECK_STR_EQ(rows(h, "SELECT * FROM branches", SCHEMA_BRANCHES),
                 "[{\"id\":\"i\",\"title\":\"Über \x7f notes — ok ✓ long enough\",\"userId\":\"u\","
                 "\"createdAt\":\"c\",\"updatedAt\":\"d\"}]");
    db_close(h);
}

/* Numbers print as JavaScript's String(x) of the double better-sqlite3 would hand over. */
static void test_numbers_like_javascript(void)
{
    struct db *h = open_mem(
        "CREATE TABLE t (id TEXT, user_id TEXT, assessment_id TEXT, question_id TEXT,"
        " answer_text TEXT, selected_option TEXT, is_correct INTEGER, score REAL, feedback TEXT,"
        " created_at TEXT);");
    static const struct {
        const char *sql;
        const char *want;
    } cases[] = {
        { "0.0", "0" },
        { "-0.0", "0" },
        { "-7", "-7" },
        { "1.5", "1.5" },
        { "0.1", "0.1" },
        { "123456789012345.0", "123456789012345" },
        { "1e15", "1000000000000000" },
        { "1e21", "1e+21" },
        { "-2.5e-7", "-2.5e-7" },
        { "9007199254740991", "9007199254740991" },
        { "9007199254740993", "9007199254740992" },
        { "-9223372036854775808", "-9223372036854776000" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[256], want[256];
        snprintf(sql, sizeof sql,
                 "DELETE FROM t; INSERT INTO t VALUES"
                 " ('i','u','a','q',NULL,NULL,NULL,%s,NULL,'t')",
                 cases[i].sql);
        CHECK(db_exec(h, sql, NULL) == SP_OK);
        snprintf(want, sizeof want,
                 "[{\"id\":\"i\",\"userId\":\"u\",\"assessmentId\":\"a\","
                 "\"questionId\":\"q\",\"answerText\":null,\"selectedOption\":null,"
                 "\"isCorrect\":null,\"score\":%s,\"feedback\":null,\"createdAt\":\"t\"}]",
                 cases[i].want);
        CHECK_STR_EQ(rows(h, "SELECT * FROM t", SCHEMA_ANSWERS), want);
    }
    db_close(h);
}

/* storage/columns.h is generated from the schema: every table, all columns, schema order. */
static void test_generated_column_lists(void)
{
    CHECK_STR_EQ(STORE_COLS_BRANCHES,
                 "\"id\", \"title\", \"user_id\", \"created_at\", \"updated_at\"");
    static const char *const lists[SCHEMA_N_TABLES] = {
        STORE_COLS_ANSWERS,
        STORE_COLS_ASSESSMENTS,
        STORE_COLS_BRANCHES,
        STORE_COLS_CHAT_MESSAGES,
        STORE_COLS_CHAT_SESSIONS,
        STORE_COLS_HINT_EVENTS,
        STORE_COLS_NODE_CONTENTS,
        STORE_COLS_NODE_EDGES,
        STORE_COLS_NODE_GENERATIONS,
        STORE_COLS_NODES,
        STORE_COLS_QUESTIONS,
        STORE_COLS_TOPIC_DOCUMENTS,
        STORE_COLS_USER_NODE_PROGRESS,
        STORE_COLS_USERS,
    };
    for (int i = 0; i < SCHEMA_N_TABLES; i++) {
        const struct model_table *t = schema_table((enum schema_table_id)i);
        struct buf b = BUF_INIT(0);
        for (size_t k = 0; k < t->n_columns; k++)
            buf_printf(&b, "%s\"%s\"", k ? ", " : "", t->columns[k].name);
        CHECK_STR_EQ(lists[i], buf_cstr(&b));
        buf_release(&b);
        /* PostgreSQL's hidden insertion-order column: in its dialect only, never listed,
         * selected, returned or looked up by name */
        CHECK(strstr(lists[i], "rowid") == NULL);
        CHECK_EQ_INT((int)t->n_pg_columns, 1);
        CHECK_STR_EQ(t->pg_columns[0].name, "rowid");
        CHECK_STR_EQ(t->pg_columns[0].pg_identity, "always");
        CHECK(model_column_find(t, "rowid") == NULL);
    }
}

int main(void)
{
    RUN(test_booleans_numbers_and_nulls);
    RUN(test_json_in_text_stays_a_string);
    RUN(test_cards_in_schema_position);
    RUN(test_column_subset_and_empty);
    RUN(test_escapes_at_every_position);
    RUN(test_numbers_like_javascript);
    RUN(test_generated_column_lists);
    return check_report("test_rowjson");
}
