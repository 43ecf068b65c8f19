/* tests/unit/db/test_diff.c: the diff engine's pure rules (db/diff.c, db/sqlgen.c) on small
 * in-memory schemas: matching by name regardless of column order, defaults compared by SQL
 * text, data-loss reporting, open rename questions, push FK identity, ask callback, and the
 * rename question both engines share (diff_decide, diff_record_rename). */
#include <stdlib.h>
#include <string.h>

#include "db/diff.h"
#include "db/sqlgen.h"
#include "support/check.h"

static const char *const c_id[] = { "id" };
static const struct model_column cols_a[] = {
    { "id", "integer", true, true, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
    { "price", "real", false, false, false, MODEL_DEF_NUMBER, "9.99", NULL, 0, NULL, NULL, NULL,
      NULL },
    { "flag", "integer", false, true, false, MODEL_DEF_BOOL, "true", NULL, 0, NULL, NULL, NULL,
      NULL },
    { "note", "text", false, false, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
};
/* same columns, other order, defaults read back from a live database as SQL text */
static const struct model_column cols_b[] = {
    { "note", "text", false, false, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
    { "id", "integer", true, true, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
    { "flag", "integer", false, true, false, MODEL_DEF_SQL, "true", NULL, 0, NULL, NULL, NULL,
      NULL },
    { "price", "real", false, false, false, MODEL_DEF_SQL, "9.99", NULL, 0, NULL, NULL, NULL,
      NULL },
};
static const struct model_column cols_c[] = {
    { "id", "integer", true, true, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
    { "price", "real", false, false, false, MODEL_DEF_NUMBER, "9.99", NULL, 0, NULL, NULL, NULL,
      NULL },
    { "flag", "integer", false, true, false, MODEL_DEF_BOOL, "true", NULL, 0, NULL, NULL, NULL,
      NULL },
    { "memo", "text", false, true, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
};
static const struct model_table t_a[] = { { "things", cols_a, 4, NULL, 0, NULL, 0, NULL, 0, NULL, 0,
                                            NULL, 0 } };
static const struct model_table t_b[] = { { "things", cols_b, 4, NULL, 0, NULL, 0, NULL, 0, NULL, 0,
                                            NULL, 0 } };
static const struct model_table t_c[] = { { "things", cols_c, 4, NULL, 0, NULL, 0, NULL, 0, NULL, 0,
                                            NULL, 0 } };
static const struct model_schema s_a = { t_a, 1, NULL }, s_b = { t_b, 1, NULL },
                                 s_c = { t_c, 1, NULL };
static const struct model_schema s_empty = { NULL, 0, NULL };

static void test_order_and_default_kinds_are_no_difference(void)
{
    struct diff_result r;
    CHECK_EQ_INT(diff_schemas(&s_a, &s_b, NULL, &r, NULL), SP_OK);
    CHECK_EQ_INT(r.n_sql, 0);
    CHECK_EQ_INT(r.n_changes, 0);
    diff_result_free(&r);
}

static void test_open_question_and_answers(void)
{
    struct diff_result r;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(diff_schemas(&s_a, &s_c, NULL, &r, &err), SP_EABORT);
    CHECK_EQ_INT(r.n_questions, 1);
    CHECK_EQ_INT(r.n_sql, 0);
    CHECK(strstr(r.questions[0], "Is memo column in things table created or renamed") != NULL);
    CHECK(strstr(r.questions[0], "--rename column:things.memo=rename:note") != NULL);
    diff_result_free(&r);

    struct diff_answer a = { "column:things.memo", "create" };
    struct diff_options o = { .answers = &a, .n_answers = 1 };
    CHECK_EQ_INT(diff_schemas(&s_a, &s_c, &o, &r, &err), SP_OK);
    CHECK_EQ_INT(r.n_sql, 2);
    CHECK_STR_EQ(r.sql[0], "ALTER TABLE `things` ADD `memo` text NOT NULL;");
    CHECK_STR_EQ(r.sql[1], "ALTER TABLE `things` DROP COLUMN `note`;");
    CHECK_EQ_INT(r.n_data_loss, 2); /* NOT NULL without default, dropped column */
    diff_result_free(&r);

    struct diff_answer b = { "column:things.memo", "rename:note" };
    o.answers = &b;
    CHECK_EQ_INT(diff_schemas(&s_a, &s_c, &o, &r, &err), SP_OK);
    /* renamed, and the NOT NULL change forces a rebuild which drops the rename (drizzle) */
    CHECK_EQ_INT(r.n_renames, 1);
    CHECK_STR_EQ(r.renames[0].from, "note");
    CHECK(r.n_sql >= 6);
    CHECK_STR_EQ(r.sql[0], "PRAGMA foreign_keys=OFF;");
    diff_result_free(&r);
}

static int ask_second(void *ud, const char *q, const char *const *choices, size_t n, size_t *choice)
{
    (void)ud;
    CHECK(strstr(q, "Is memo column") != NULL);
    CHECK_EQ_INT(n, 2);
    CHECK_STR_EQ(choices[0], "+ memo  create column");
    CHECK_STR_EQ(choices[1], "~ note \xe2\x80\xba memo  rename column");
    *choice = 1;
    return SP_OK;
}

static void test_ask_callback(void)
{
    struct diff_options o = { .ask = ask_second };
    struct diff_result r;
    CHECK_EQ_INT(diff_schemas(&s_a, &s_c, &o, &r, NULL), SP_OK);
    CHECK_EQ_INT(r.n_renames, 1);
    diff_result_free(&r);
}

static int ask_abort(void *ud, const char *q, const char *const *choices, size_t n, size_t *choice)
{
    (void)choices;
    (void)choice;
    *(int *)ud += 1;
    CHECK_STR_EQ(q, "Is mood enum created or renamed from another enum?");
    CHECK_EQ_INT(n, 2); /* create, and the one candidate not taken */
    return SP_EABORT;
}

static void test_decide_shared(void)
{
    const char *cand[] = { "a", NULL, "b" };
    struct diff_result r = { 0 };
    struct sp_error e = { 0 };
    int pick = 7;
    /* unanswered: the question and its --rename lines, by kind; create for now */
    CHECK_EQ_INT(diff_decide(&(struct diff_options){ 0 }, "enum", NULL, "mood", cand, 3, &r, &pick,
                             &e),
                 SP_OK);
    CHECK_EQ_INT(pick, -1);
    CHECK_EQ_INT(r.n_questions, 1);
    CHECK_STR_EQ(r.questions[0],
                 "Is mood enum created or renamed from another enum?\n"
                 "    --rename enum:mood=create\n"
                 "    --rename enum:mood=rename:a\n"
                 "    --rename enum:mood=rename:b");
    /* answered: a rename to a candidate still there; a taken one is refused */
    struct diff_answer ans[] = { { "column:t.x", "rename:b" } };
    struct diff_options o = { .answers = ans, .n_answers = 1 };
    CHECK_EQ_INT(diff_decide(&o, "column", "t", "x", cand, 3, &r, &pick, &e), SP_OK);
    CHECK_EQ_INT(pick, 2);
    ans[0].value = "rename:nope";
    CHECK_EQ_INT(diff_decide(&o, "column", "t", "x", cand, 3, &r, &pick, &e), SP_EINVAL);
    CHECK(strstr(e.msg, "naming a removed column of table t") != NULL);
    /* default_create answers create without a question; an aborted prompt is SP_EABORT */
    o = (struct diff_options){ .default_create = true };
    CHECK_EQ_INT(diff_decide(&o, "table", NULL, "x", cand, 3, &r, &pick, &e), SP_OK);
    CHECK_EQ_INT(pick, -1);
    CHECK_EQ_INT(r.n_questions, 1);
    int asked = 0;
    o = (struct diff_options){ .ask = ask_abort, .ask_ud = &asked };
    CHECK_EQ_INT(diff_decide(&o, "enum", NULL, "mood", (const char *[]){ "a", NULL }, 2, &r, &pick,
                             &e),
                 SP_EABORT);
    CHECK_EQ_INT(asked, 1);
    CHECK_EQ_INT(diff_record_rename(&r, "enum", NULL, "a", "mood"), SP_OK);
    CHECK_EQ_INT(r.n_renames, 1);
    CHECK(r.renames[0].table == NULL && strcmp(r.renames[0].kind, "enum") == 0);
    CHECK_STR_EQ(r.renames[0].from, "a");
    diff_result_free(&r);
}

static void test_drop_all_and_create_all(void)
{
    struct diff_result r;
    CHECK_EQ_INT(diff_schemas(&s_a, &s_empty, NULL, &r, NULL), SP_OK);
    CHECK_EQ_INT(r.n_sql, 1);
    CHECK_STR_EQ(r.sql[0], "DROP TABLE `things`;");
    CHECK_EQ_INT(r.n_data_loss, 1);
    diff_result_free(&r);
    CHECK_EQ_INT(diff_schemas(&s_empty, &s_a, NULL, &r, NULL), SP_OK);
    CHECK_EQ_INT(r.n_sql, 1);
    CHECK_STR_EQ(r.sql[0],
                 "CREATE TABLE `things` (\n\t`id` integer PRIMARY KEY NOT NULL,\n"
                 "\t`price` real DEFAULT 9.99,\n\t`flag` integer DEFAULT true NOT NULL,\n"
                 "\t`note` text\n);\n");
    diff_result_free(&r);
}

static const char *const c_pid[] = { "parent_id" };
static const struct model_column kid_cols[] = {
    { "id", "integer", true, true, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL, NULL },
    { "parent_id", "integer", false, false, false, MODEL_DEF_NONE, NULL, NULL, 0, NULL, NULL, NULL,
      NULL },
};
static const struct model_fk fk_named[] = { { "kids_parent_id_things_id_fk", "kids", c_pid, 1,
                                              "things", c_id, 1, "no action", "cascade" } };
static const struct model_fk fk_other_name[] = { { "fk_from_database", "kids", c_pid, 1, "things",
                                                   c_id, 1, "no action", "cascade" } };
static const struct model_table k1[] = { { "kids", kid_cols, 2, NULL, 0, fk_named, 1, NULL, 0, NULL,
                                           0, NULL, 0 } };
static const struct model_table k2[] = { { "kids", kid_cols, 2, NULL, 0, fk_other_name, 1, NULL, 0,
                                           NULL, 0, NULL, 0 } };

static void test_fk_identity_push_vs_generate(void)
{
    struct model_schema a = { k1, 1, NULL }, b = { k2, 1, NULL };
    struct diff_result r;
    struct diff_options push = { .push = true };
    CHECK_EQ_INT(diff_schemas(&a, &b, &push, &r, NULL), SP_OK);
    CHECK_EQ_INT(r.n_sql, 0);
    diff_result_free(&r);
    CHECK_EQ_INT(diff_schemas(&a, &b, NULL, &r, NULL), SP_OK);
    CHECK(r.n_sql >= 6); /* renamed FK = removed + added: rebuild */
    CHECK_STR_EQ(r.sql[0], "PRAGMA foreign_keys=OFF;");
    diff_result_free(&r);
}

static void test_sqlgen_check_rewrite(void)
{
    static const struct model_check chk[] = {
        { "c1", "\"things\".\"price\" >= 0 AND things.price < 10" }
    };
    static const struct model_table t[] = { { "things", cols_a, 1, NULL, 0, NULL, 0, NULL, 0, chk,
                                              1, NULL, 0 } };
    char *s = sqlgen_create_table(t, "__new_things");
    CHECK_STR_EQ(
        s,
        "CREATE TABLE `__new_things` (\n\t`id` integer PRIMARY KEY NOT NULL,\n"
        "\tCONSTRAINT \"c1\" CHECK(\"__new_things\".\"price\" >= 0 AND __new_things.price < 10)\n);\n");
    free(s);
}

int main(void)
{
    RUN(test_order_and_default_kinds_are_no_difference);
    RUN(test_open_question_and_answers);
    RUN(test_ask_callback);
    RUN(test_decide_shared);
    RUN(test_drop_all_and_create_all);
    RUN(test_fk_identity_push_vs_generate);
    RUN(test_sqlgen_check_rewrite);
    return check_report("test_diff");
}
