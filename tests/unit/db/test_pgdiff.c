/* tests/unit/db/test_pgdiff.c: the PostgreSQL diff engine (db/pgdiff.c) and snapshot bodies
 * (db/pgsnap.c) on small in-memory bodies: statement text and order, rename answers and open
 * questions, enum values added before others, data loss, the compiled-in schema's PostgreSQL
 * facts, a table's constraints and indexes dropped, added and replaced, and the libpq error
 * mapping (db/pg.c, no server needed). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg.h"
#include "db/pgdiff.h"
#include "db/pgsnap.h"
#include "db/schema.h"
#include "support/check.h"

static json_t *body(const char *text)
{
    json_error_t e;
    json_t *b = json_loads(text, 0, &e);
    if (!b)
        fprintf(stderr, "bad test JSON: %s\n", e.text);
    return b;
}

#define T_AUTHORS                                                                             \
    "\"public.authors\":{\"name\":\"authors\",\"schema\":\"\",\"columns\":{"                  \
    "\"id\":{\"name\":\"id\",\"type\":\"serial\",\"primaryKey\":true,\"notNull\":true},"      \
    "\"bio\":{\"name\":\"bio\",\"type\":\"text\",\"primaryKey\":false,\"notNull\":false}},"   \
    "\"indexes\":{},\"foreignKeys\":{},\"compositePrimaryKeys\":{},\"uniqueConstraints\":{}," \
    "\"policies\":{},\"checkConstraints\":{},\"isRLSEnabled\":false}"

static void test_create_from_empty(void)
{
    json_t *old = body("{}");
    json_t *new = body("{\"tables\":{" T_AUTHORS
                       "},\"enums\":{\"public.mood\":{\"name\":\"mood\",\"schema\":"
                       "\"public\",\"values\":[\"a\",\"b\"]}},\"schemas\":{\"x\":\"x\"}}");
    struct diff_result r;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ 0 }, &r, &err), SP_OK);
    CHECK_EQ_INT(r.n_sql, 3);
    CHECK_STR_EQ(r.sql[0], "CREATE SCHEMA \"x\";\n");
    CHECK_STR_EQ(r.sql[1], "CREATE TYPE \"public\".\"mood\" AS ENUM('a', 'b');");
    CHECK_STR_EQ(
        r.sql[2],
        "CREATE TABLE \"authors\" (\n\t\"id\" serial PRIMARY KEY NOT NULL,\n\t\"bio\" text\n);\n");
    diff_result_free(&r);
    /* and back: everything dropped, the table's loss reported */
    CHECK_EQ_INT(pgdiff_bodies(new, old, &(struct diff_options){ 0 }, &r, &err), SP_OK);
    CHECK_EQ_INT(r.n_sql, 4);
    CHECK_STR_EQ(r.sql[0], "ALTER TABLE \"authors\" DISABLE ROW LEVEL SECURITY;");
    CHECK_STR_EQ(r.sql[1], "DROP TABLE \"authors\" CASCADE;");
    CHECK_STR_EQ(r.sql[2], "DROP TYPE \"public\".\"mood\";");
    CHECK_STR_EQ(r.sql[3], "DROP SCHEMA \"x\";\n");
    CHECK_EQ_INT(r.n_data_loss, 1);
    diff_result_free(&r);
    json_decref(old);
    json_decref(new);
}

static void test_column_rename_question_and_answer(void)
{
    json_t *old = body("{\"tables\":{" T_AUTHORS "}}");
    json_t *new = json_deep_copy(old);
    json_t *cols =
        json_object_get(json_object_get(json_object_get(new, "tables"), "public.authors"),
                        "columns");
    json_t *bio = json_deep_copy(json_object_get(cols, "bio"));
    json_object_set_new(bio, "name", json_string("biography"));
    json_object_del(cols, "bio");
    json_object_set_new(cols, "biography", bio);
    struct diff_result r;
    struct sp_error err = { 0 };
    /* no answer, no terminal: the question with the flags that answer it */
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ 0 }, &r, &err), SP_EABORT);
    CHECK_EQ_INT(r.n_questions, 1);
    CHECK(r.n_questions == 1 &&
          strstr(r.questions[0], "Is biography column in authors table created or renamed"));
    CHECK(r.n_questions == 1 &&
          strstr(r.questions[0], "--rename column:authors.biography=rename:bio"));
    CHECK_EQ_INT(r.n_sql, 0);
    diff_result_free(&r);
    struct diff_answer a[] = { { "column:authors.biography", "rename:bio" } };
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ .answers = a, .n_answers = 1 }, &r,
                               &err),
                 SP_OK);
    CHECK_EQ_INT(r.n_sql, 1);
    CHECK_STR_EQ(r.sql[0], "ALTER TABLE \"authors\" RENAME COLUMN \"bio\" TO \"biography\";");
    CHECK_EQ_INT(r.n_renames, 1);
    diff_result_free(&r);
    struct diff_answer c[] = { { "column:authors.biography", "create" } };
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ .answers = c, .n_answers = 1 }, &r,
                               &err),
                 SP_OK);
    CHECK_EQ_INT(r.n_sql, 2);
    CHECK_STR_EQ(r.sql[0], "ALTER TABLE \"authors\" ADD COLUMN \"biography\" text;");
    CHECK_STR_EQ(r.sql[1], "ALTER TABLE \"authors\" DROP COLUMN \"bio\";");
    CHECK_EQ_INT(r.n_data_loss, 1);
    diff_result_free(&r);
    json_decref(old);
    json_decref(new);
}

static void test_enum_values_and_alters(void)
{
    json_t *old = body(
        "{\"enums\":{\"public.r\":{\"name\":\"r\",\"schema\":\"public\",\"values\":[\"b\",\"d\"]}},"
        "\"tables\":{" T_AUTHORS "}}");
    json_t *new = body(
        "{\"enums\":{\"public.r\":{\"name\":\"r\",\"schema\":\"public\",\"values\":[\"a\",\"b\",\"c\","
        "\"d\",\"e\"]}},\"tables\":{" T_AUTHORS "}}");
    json_t *bio = json_object_get(json_object_get(json_object_get(json_object_get(new, "tables"),
                                                                  "public.authors"),
                                                  "columns"),
                                  "bio");
    json_object_set_new(bio, "type", json_string("varchar(40)"));
    json_object_set_new(bio, "notNull", json_true());
    json_object_set_new(bio, "default", json_string("'x'"));
    struct diff_result r;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ 0 }, &r, &err), SP_OK);
    CHECK_EQ_INT(r.n_sql, 6);
    if (r.n_sql == 6) {
        CHECK_STR_EQ(r.sql[0], "ALTER TYPE \"public\".\"r\" ADD VALUE 'a' BEFORE 'b';");
        CHECK_STR_EQ(r.sql[1], "ALTER TYPE \"public\".\"r\" ADD VALUE 'c' BEFORE 'd';");
        CHECK_STR_EQ(r.sql[2], "ALTER TYPE \"public\".\"r\" ADD VALUE 'e';");
        CHECK_STR_EQ(r.sql[3],
                     "ALTER TABLE \"authors\" ALTER COLUMN \"bio\" SET DATA TYPE varchar(40);");
        CHECK_STR_EQ(r.sql[4], "ALTER TABLE \"authors\" ALTER COLUMN \"bio\" SET DEFAULT 'x';");
        CHECK_STR_EQ(r.sql[5], "ALTER TABLE \"authors\" ALTER COLUMN \"bio\" SET NOT NULL;");
    }
    diff_result_free(&r);
    json_decref(old);
    json_decref(new);
}

/* A table whose constraints and indexes change: each kind dropped, added or replaced in
 * drizzle-kit's categories, and the changes named. */
#define T_BOOKS(idx, fks, pks, uqs, chks)                                                     \
    "{\"tables\":{\"public.books\":{\"name\":\"books\",\"schema\":\"\",\"columns\":{"         \
    "\"id\":{\"name\":\"id\",\"type\":\"integer\",\"primaryKey\":false,\"notNull\":true},"    \
    "\"isbn\":{\"name\":\"isbn\",\"type\":\"text\",\"primaryKey\":false,\"notNull\":false}}," \
    "\"indexes\":{" idx "},\"foreignKeys\":{" fks "},\"compositePrimaryKeys\":{" pks          \
    "},"                                                                                      \
    "\"uniqueConstraints\":{" uqs "},\"policies\":{},\"checkConstraints\":{" chks             \
    "},"                                                                                      \
    "\"isRLSEnabled\":false}}}"
#define IDX(name, uniq)                                                           \
    "\"" name "\":{\"name\":\"" name                                              \
    "\",\"columns\":[{\"expression\":\"isbn\","                                   \
    "\"isExpression\":false,\"asc\":true,\"nulls\":\"last\"}],\"isUnique\":" uniq \
    ","                                                                           \
    "\"concurrently\":false,\"method\":\"btree\",\"with\":{}}"
#define FKEY                                                                                   \
    "\"books_id_fk\":{\"name\":\"books_id_fk\",\"tableFrom\":\"books\",\"tableTo\":\"books\"," \
    "\"columnsFrom\":[\"id\"],\"columnsTo\":[\"id\"],\"onDelete\":\"cascade\","                \
    "\"onUpdate\":\"no action\"}"
#define PKEY(cols) "\"books_pk\":{\"name\":\"books_pk\",\"columns\":[" cols "]}"
#define UQ(nnd)                                                               \
    "\"books_isbn_uq\":{\"name\":\"books_isbn_uq\",\"nullsNotDistinct\":" nnd \
    ",\"columns\":[\"isbn\"]}"
#define CHK(v) "\"books_chk\":{\"name\":\"books_chk\",\"value\":\"" v "\"}"

/* pgdiff_bodies(a, b) gives exactly sql (n_sql statements, then NULL) and changes. */
static void check_diff(const char *a, const char *b, const char *const *sql,
                       const char *const *changes)
{
    json_t *old = body(a), *new = body(b);
    struct diff_result r;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(pgdiff_bodies(old, new, &(struct diff_options){ 0 }, &r, &err), SP_OK);
    size_t n = 0;
    for (; sql[n]; n++)
        if (n < r.n_sql)
            CHECK_STR_EQ(r.sql[n], sql[n]);
    CHECK_EQ_INT(r.n_sql, n);
    for (n = 0; changes[n]; n++)
        if (n < r.n_changes)
            CHECK_STR_EQ(r.changes[n], changes[n]);
    CHECK_EQ_INT(r.n_changes, n);
    diff_result_free(&r);
    json_decref(old);
    json_decref(new);
}

static void test_table_objects(void)
{
    const char *a = T_BOOKS(IDX("books_isbn_idx", "false") "," IDX("books_gone_idx", "false"), FKEY,
                            PKEY("\"id\""), UQ("false"), CHK("id > 0"));
    const char *b = T_BOOKS(IDX("books_isbn_idx", "true") "," IDX("books_new_idx", "false"), "",
                            PKEY("\"id\",\"isbn\""), UQ("true"), CHK("id > 1"));
    const char *none = T_BOOKS("", "", "", "", "");
    /* a changed check, index or foreign key is dropped and added again; a changed primary key
     * or unique constraint is replaced in its own category, after the new columns */
    check_diff(a, b,
               (const char *const[]){
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_chk\";",
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_id_fk\";\n",
                   "DROP INDEX \"books_isbn_idx\";", "DROP INDEX \"books_gone_idx\";",
                   "CREATE UNIQUE INDEX \"books_isbn_idx\" ON \"books\" USING btree (\"isbn\");",
                   "CREATE INDEX \"books_new_idx\" ON \"books\" USING btree (\"isbn\");",
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_pk\";",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_pk\" PRIMARY KEY(\"id\",\"isbn\");",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_chk\" CHECK (id > 1);",
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_isbn_uq\";",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_isbn_uq\" UNIQUE NULLS NOT "
                   "DISTINCT(\"isbn\");",
                   NULL },
               (const char *const[]){
                   "books: foreign key books_id_fk dropped", "books: index books_isbn_idx dropped",
                   "books: index books_gone_idx dropped", "books: index books_isbn_idx added",
                   "books: index books_new_idx added", NULL });
    check_diff(b, a,
               (const char *const[]){
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_chk\";",
                   "DROP INDEX \"books_isbn_idx\";", "DROP INDEX \"books_new_idx\";",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_id_fk\" FOREIGN KEY (\"id\") "
                   "REFERENCES \"public\".\"books\"(\"id\") ON DELETE cascade ON UPDATE no action;",
                   "CREATE INDEX \"books_isbn_idx\" ON \"books\" USING btree (\"isbn\");",
                   "CREATE INDEX \"books_gone_idx\" ON \"books\" USING btree (\"isbn\");",
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_pk\";",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_pk\" PRIMARY KEY(\"id\");",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_chk\" CHECK (id > 0);",
                   "ALTER TABLE \"books\" DROP CONSTRAINT \"books_isbn_uq\";",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_isbn_uq\" UNIQUE(\"isbn\");",
                   NULL },
               (const char *const[]){
                   "books: index books_isbn_idx dropped", "books: index books_new_idx dropped",
                   "books: foreign key books_id_fk added", "books: index books_isbn_idx added",
                   "books: index books_gone_idx added", NULL });
    /* all of them gone, then all new */
    check_diff(a, none,
               (const char *const[]){ "ALTER TABLE \"books\" DROP CONSTRAINT \"books_isbn_uq\";",
                                      "ALTER TABLE \"books\" DROP CONSTRAINT \"books_chk\";",
                                      "ALTER TABLE \"books\" DROP CONSTRAINT \"books_id_fk\";\n",
                                      "DROP INDEX \"books_isbn_idx\";",
                                      "DROP INDEX \"books_gone_idx\";",
                                      "ALTER TABLE \"books\" DROP CONSTRAINT \"books_pk\";", NULL },
               (const char *const[]){ "books: foreign key books_id_fk dropped",
                                      "books: index books_isbn_idx dropped",
                                      "books: index books_gone_idx dropped", NULL });
    check_diff(none, a,
               (const char *const[]){
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_pk\" PRIMARY KEY(\"id\");",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_id_fk\" FOREIGN KEY (\"id\") "
                   "REFERENCES \"public\".\"books\"(\"id\") ON DELETE cascade ON UPDATE no action;",
                   "CREATE INDEX \"books_isbn_idx\" ON \"books\" USING btree (\"isbn\");",
                   "CREATE INDEX \"books_gone_idx\" ON \"books\" USING btree (\"isbn\");",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_isbn_uq\" UNIQUE(\"isbn\");",
                   "ALTER TABLE \"books\" ADD CONSTRAINT \"books_chk\" CHECK (id > 0);", NULL },
               (const char *const[]){ "books: foreign key books_id_fk added",
                                      "books: index books_isbn_idx added",
                                      "books: index books_gone_idx added", NULL });
}

static void test_sprout_schema_pg_facts(void)
{
    json_t *b = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(pgsnap_from_model(&schema_sprout, &b, &err), SP_OK);
    json_t *t = json_object_get(b, "tables");
    CHECK_EQ_INT(json_object_size(t), SCHEMA_N_TABLES);
    json_t *unp = json_object_get(json_object_get(t, "public.user_node_progress"), "columns");
    CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(unp, "mastery_score"), "type")),
                 "double precision");
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(unp, "has_generated_subnodes"), "type")),
                 "boolean");
    CHECK(
        json_is_false(json_object_get(json_object_get(unp, "has_generated_subnodes"), "default")));
    CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(unp, "created_at"), "default")),
                 "to_char(statement_timestamp() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS')");
    json_t *users = json_object_get(t, "public.users");
    CHECK_EQ_INT(json_object_size(json_object_get(users, "indexes")), 0);
    CHECK(json_object_get(json_object_get(users, "uniqueConstraints"), "users_email_unique") !=
          NULL);
    struct buf out = BUF_INIT(0);
    CHECK_EQ_INT(pgsnap_write(&out, b, "id-1", "id-0"), SP_OK);
    CHECK(strncmp(buf_cstr(&out),
                  "{\n  \"id\": \"id-1\",\n  \"prevId\": \"id-0\",\n  \"version\": \"7\",\n"
                  "  \"dialect\": \"postgresql\",\n",
                  80) == 0);
    buf_release(&out);
    json_decref(b);
}

static void test_error_mapping(void)
{
    CHECK_EQ_INT(pg_code_of_sqlstate("23505"), SP_ECONFLICT);
    CHECK_EQ_INT(pg_code_of_sqlstate("23503"), SP_ECONFLICT);
    CHECK_EQ_INT(pg_code_of_sqlstate("40001"), SP_EBUSY);
    CHECK_EQ_INT(pg_code_of_sqlstate("40P01"), SP_EBUSY);
    CHECK_EQ_INT(pg_code_of_sqlstate("57014"), SP_EBUSY);
    CHECK_EQ_INT(pg_code_of_sqlstate("08006"), SP_EUNAVAILABLE);
    CHECK_EQ_INT(pg_code_of_sqlstate("57P01"), SP_EUNAVAILABLE);
    CHECK_EQ_INT(pg_code_of_sqlstate(NULL), SP_EUNAVAILABLE);
    CHECK_EQ_INT(pg_code_of_sqlstate("22P02"), SP_EINVAL);
    CHECK_EQ_INT(pg_code_of_sqlstate("42P01"), SP_EDB);
    CHECK(pg_is_url("postgres://u@h/db"));
    CHECK(pg_is_url("postgresql://h/db"));
    CHECK(!pg_is_url("./sprout.db"));
    CHECK(!pg_is_url("postgres.db"));
    CHECK(!pg_is_url(NULL));
}

int main(void)
{
    RUN(test_create_from_empty);
    RUN(test_column_rename_question_and_answer);
    RUN(test_enum_values_and_alters);
    RUN(test_table_objects);
    RUN(test_sprout_schema_pg_facts);
    RUN(test_error_mapping);
    return check_report("test_pgdiff");
}
