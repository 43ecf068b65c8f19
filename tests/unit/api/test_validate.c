/* tests/unit/api/test_validate.c: api/validate.c, the original's truthiness and coercion rules
 * for request bodies (spec/api.md §1.8) applied through the schema: required fields, the three
 * falsy/nullish/default coercions, PATCH presence, and the JSON types each column accepts.
 */
#include <jansson.h>
#include <string.h>

#include "api/validate.h"
#include "db/schema.h"
#include "support/check.h"
#include "util/arena.h"
#include "util/countof.h"

static struct arena A = ARENA_INIT;
static struct sp_error E;

/* Validate the JSON text against fields of table t; the row is returned in *row. */
static int run(enum schema_table_id t, const struct val_field *f, size_t n, const char *json,
               struct store_row *row)
{
    json_error_t je;
    json_t *body = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    CHECK(body != NULL);
    memset(row, 0, sizeof *row);
    memset(&E, 0, sizeof E);
    int rc = validate_fields(body, schema_table(t), f, n, "need it", &A, row, &E);
    json_decref(body);
    return rc;
}

static const struct store_value *col(enum schema_table_id t, struct store_row *row,
                                     const char *name)
{
    return store_row_value(schema_table(t), row, name);
}

static void check_text(const struct store_value *v, const char *want)
{
    CHECK_EQ_INT(v->kind, STORE_V_TEXT);
    CHECK_EQ_INT(v->len, strlen(want));
    CHECK(v->text && memcmp(v->text, want, v->len) == 0);
}

/* Required: the original's `if (!x)` on the raw JSON value. */
static void test_required_truthiness(void)
{
    static const struct val_field f[] = { { "title", VAL_REQUIRED }, { "userId", VAL_REQUIRED } };
    struct store_row row;
    static const char *const falsy[] = {
        "{\"userId\":\"u\"}",
        "{\"userId\":\"u\",\"title\":null}",
        "{\"userId\":\"u\",\"title\":\"\"}",
        "{\"userId\":\"u\",\"title\":0}",
        "{\"userId\":\"u\",\"title\":0.0}",
        "{\"userId\":\"u\",\"title\":false}",
    };
    for (size_t i = 0; i < SP_COUNT(falsy); i++) {
        CHECK_EQ_INT(run(SCHEMA_BRANCHES, f, 2, falsy[i], &row), SP_EINVAL);
        CHECK_STR_EQ(E.msg, "need it");
    }
    /* truthy but of the wrong type: past the required check, then a type error */
    CHECK_EQ_INT(run(SCHEMA_BRANCHES, f, 2, "{\"userId\":\"u\",\"title\":[]}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "title must be a string");
    CHECK_EQ_INT(run(SCHEMA_BRANCHES, f, 2, "{\"userId\":\"u\",\"title\":\" \"}", &row), SP_OK);
    check_text(col(SCHEMA_BRANCHES, &row, "title"), " ");
    /* every required field is checked before any type: the required message wins */
    CHECK_EQ_INT(run(SCHEMA_BRANCHES, f, 2, "{\"title\":5}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "need it");
}

/* Falsy -> NULL (`x || null`), nullish -> NULL (`x ?? null`), falsy -> the schema default. */
static void test_coercions(void)
{
    static const struct val_field f[] = {
        { "answerText", VAL_FALSY_NULL },
        { "isCorrect", VAL_NULLISH_NULL },
        { "score", VAL_NULLISH_NULL },
    };
    struct store_row row;
    CHECK_EQ_INT(run(SCHEMA_ANSWERS, f, 3, "{\"answerText\":\"\",\"isCorrect\":false,\"score\":0}",
                     &row),
                 SP_OK);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "answer_text")->kind, STORE_V_NULL);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "is_correct")->kind, STORE_V_INT);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "is_correct")->i, 0);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "score")->kind, STORE_V_REAL);
    CHECK(col(SCHEMA_ANSWERS, &row, "score")->d == 0.0);
    /* missing and null: NULL for all three (an INSERT then writes NULL, not the default) */
    CHECK_EQ_INT(run(SCHEMA_ANSWERS, f, 3, "{\"isCorrect\":null}", &row), SP_OK);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "answer_text")->kind, STORE_V_NULL);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "is_correct")->kind, STORE_V_NULL);
    CHECK_EQ_INT(col(SCHEMA_ANSWERS, &row, "score")->kind, STORE_V_NULL);
    /* falsy-null still type-checks a truthy value */
    CHECK_EQ_INT(run(SCHEMA_ANSWERS, f, 3, "{\"answerText\":7}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "answerText must be a string");

    static const struct val_field d[] = { { "type", VAL_FALSY_DEFAULT } };
    CHECK_EQ_INT(run(SCHEMA_ASSESSMENTS, d, 1, "{\"type\":\"\"}", &row), SP_OK);
    check_text(col(SCHEMA_ASSESSMENTS, &row, "type"), "diagnostic");
    CHECK_EQ_INT(run(SCHEMA_ASSESSMENTS, d, 1, "{\"type\":\"quiz\"}", &row), SP_OK);
    check_text(col(SCHEMA_ASSESSMENTS, &row, "type"), "quiz");
    static const struct val_field q[] = { { "difficulty", VAL_FALSY_DEFAULT } };
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, q, 1, "{\"difficulty\":0}", &row), SP_OK);
    CHECK_EQ_INT(col(SCHEMA_QUESTIONS, &row, "difficulty")->kind, STORE_V_INT);
    CHECK_EQ_INT(col(SCHEMA_QUESTIONS, &row, "difficulty")->i, 1);
}

/* PATCH: absent stays absent (untouched), null only where the column allows it. */
static void test_patch_presence(void)
{
    static const struct val_field f[] = {
        { "title", VAL_PATCH },
        { "desc", VAL_PATCH },
        { "accuracyScore", VAL_PATCH },
    };
    struct store_row row;
    CHECK_EQ_INT(run(SCHEMA_NODES, f, 3, "{\"desc\":null}", &row), SP_OK);
    CHECK_EQ_INT(col(SCHEMA_NODES, &row, "title")->kind, STORE_V_ABSENT);
    CHECK_EQ_INT(col(SCHEMA_NODES, &row, "desc")->kind, STORE_V_NULL);
    CHECK_EQ_INT(col(SCHEMA_NODES, &row, "accuracy_score")->kind, STORE_V_ABSENT);
    CHECK_EQ_INT(run(SCHEMA_NODES, f, 3, "{\"title\":null}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "title must not be null");
    CHECK_EQ_INT(run(SCHEMA_NODES, f, 3, "{\"title\":\"\",\"other\":1}", &row), SP_OK);
    check_text(col(SCHEMA_NODES, &row, "title"), ""); /* a PATCH keeps "" (no truthiness) */
}

/* The column decides the JSON types it takes. */
static void test_types_per_column(void)
{
    struct store_row row;
    static const struct val_field real[] = { { "accuracyScore", VAL_PATCH } };
    CHECK_EQ_INT(run(SCHEMA_NODES, real, 1, "{\"accuracyScore\":3}", &row), SP_OK);
    CHECK_EQ_INT(col(SCHEMA_NODES, &row, "accuracy_score")->kind, STORE_V_REAL);
    CHECK(col(SCHEMA_NODES, &row, "accuracy_score")->d == 3.0);
    CHECK_EQ_INT(run(SCHEMA_NODES, real, 1, "{\"accuracyScore\":\"3\"}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "accuracyScore must be a number");

    static const struct val_field integer[] = { { "difficulty", VAL_PATCH } };
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, integer, 1, "{\"difficulty\":2.0}", &row), SP_OK);
    CHECK_EQ_INT(col(SCHEMA_QUESTIONS, &row, "difficulty")->kind, STORE_V_INT);
    CHECK_EQ_INT(col(SCHEMA_QUESTIONS, &row, "difficulty")->i, 2);
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, integer, 1, "{\"difficulty\":2.5}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "difficulty must be an integer");
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, integer, 1, "{\"difficulty\":true}", &row), SP_EINVAL);

    static const struct val_field boolean[] = { { "hasGeneratedSubnodes", VAL_PATCH } };
    const enum schema_table_id P = SCHEMA_USER_NODE_PROGRESS;
    CHECK_EQ_INT(run(P, boolean, 1, "{\"hasGeneratedSubnodes\":true}", &row), SP_OK);
    CHECK_EQ_INT(col(P, &row, "has_generated_subnodes")->i, 1);
    CHECK_EQ_INT(run(P, boolean, 1, "{\"hasGeneratedSubnodes\":0}", &row), SP_OK);
    CHECK_EQ_INT(col(P, &row, "has_generated_subnodes")->i, 0);
    CHECK_EQ_INT(run(P, boolean, 1, "{\"hasGeneratedSubnodes\":2}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "hasGeneratedSubnodes must be a boolean");
    CHECK_EQ_INT(run(P, boolean, 1, "{\"hasGeneratedSubnodes\":\"true\"}", &row), SP_EINVAL);

    static const struct val_field enums[] = { { "type", VAL_REQUIRED } };
    CHECK_EQ_INT(run(SCHEMA_NODES, enums, 1, "{\"type\":\"leaf\"}", &row), SP_EINVAL);
    CHECK_STR_EQ(E.msg, "type must be one of: root, concept, subconcept");
    /* compared with its length: an embedded NUL is not a prefix match */
    CHECK_EQ_INT(run(SCHEMA_NODES, enums, 1, "{\"type\":\"root\\u0000\"}", &row), SP_EINVAL);

    /* JSON kept in a text column: any value, serialised as JSON.stringify would */
    static const struct val_field json[] = { { "options", VAL_FALSY_NULL } };
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, json, 1, "{\"options\":[\"a\",{\"b\":1.5,\"c\":null}]}",
                     &row),
                 SP_OK);
    check_text(col(SCHEMA_QUESTIONS, &row, "options"), "[\"a\",{\"b\":1.5,\"c\":null}]");
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, json, 1, "{\"options\":\"x\"}", &row), SP_OK);
    check_text(col(SCHEMA_QUESTIONS, &row, "options"), "\"x\"");
    CHECK_EQ_INT(run(SCHEMA_QUESTIONS, json, 1, "{\"options\":1e21}", &row), SP_OK);
    check_text(col(SCHEMA_QUESTIONS, &row, "options"), "1e+21");
}

int main(void)
{
    RUN(test_required_truthiness);
    RUN(test_coercions);
    RUN(test_patch_presence);
    RUN(test_types_per_column);
    arena_free(&A);
    return check_report("test_validate");
}
