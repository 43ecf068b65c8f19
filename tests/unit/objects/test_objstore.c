/* tests/unit/objects/test_objstore.c: key safety and the local-folder store (put is atomic and
 * complete, delete of a missing key is fine, unsafe keys never touch the disk), and choosing
 * the store from a struct objstore_config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objects/objstore.h"
#include "support/check.h"

static void test_key_safety(void)
{
    CHECK(objstore_key_is_safe("documents/35d8c443-bf37-4b36-9b85-481d6c0975e3.pdf"));
    CHECK(objstore_key_is_safe("documents/abc."));
    CHECK(objstore_key_is_safe("documents/abc.TXT"));
    CHECK(!objstore_key_is_safe(NULL));
    CHECK(!objstore_key_is_safe(""));
    CHECK(!objstore_key_is_safe("/etc/passwd"));
    CHECK(!objstore_key_is_safe("documents/../../etc/passwd"));
    CHECK(!objstore_key_is_safe(".."));
    CHECK(!objstore_key_is_safe("documents/."));
    CHECK(!objstore_key_is_safe("documents//x"));
    CHECK(!objstore_key_is_safe("documents/"));
    CHECK(!objstore_key_is_safe("documents\\..\\x"));
    CHECK(!objstore_key_is_safe("documents/a b"));
    CHECK(!objstore_key_is_safe("documents/a\nb"));
    CHECK(!objstore_key_is_safe("documents/\xc3\xa9"));
    CHECK(!objstore_key_is_safe("documents/a?x=1"));
    char longkey[600];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    CHECK(!objstore_key_is_safe(longkey));
}

static void test_local_store_put_delete(void)
{
    char dir[] = "/tmp/sprout-test-objstore-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char root[512], src[512], stored[600];
    snprintf(root, sizeof root, "%s/store/nested", dir);
    snprintf(src, sizeof src, "%s/src.bin", dir);
    FILE *f = fopen(src, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 200000; i++)
        fputc(i & 0xff, f);
    fclose(f);

    struct objstore_config cfg = { .db_path = "/nonexistent/x.db", .storage_dir = root };
    struct objstore *s = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_OK);
    CHECK(s != NULL);
    CHECK(strstr(objstore_describe(s), "local folder") != NULL);
    struct stat st;
    CHECK(stat(root, &st) == 0 && S_ISDIR(st.st_mode));

    CHECK_EQ_INT(objstore_put_file(s, "documents/a.bin", src, "application/pdf", &err), SP_OK);
    snprintf(stored, sizeof stored, "%s/documents/a.bin", root);
    CHECK(stat(stored, &st) == 0 && st.st_size == 200000);

    CHECK_EQ_INT(objstore_put_file(s, "../escape", src, "text/plain", &err), SP_EINTERNAL);
    CHECK_EQ_INT(objstore_delete(s, "documents/../../x", &err), SP_EINTERNAL);
    CHECK_EQ_INT(objstore_put_file(s, "documents/b.bin", "/nonexistent/file", "text/plain", &err),
                 SP_EIO);

    CHECK_EQ_INT(objstore_delete(s, "documents/a.bin", &err), SP_OK);
    CHECK(stat(stored, &st) != 0);
    CHECK_EQ_INT(objstore_delete(s, "documents/a.bin", &err), SP_OK); /* missing is fine */
    objstore_close(s);

    CHECK(check_rmtree(dir) == 0);
}

/* Without a folder, the store is "uploads" beside the database. */
static void test_local_default_beside_the_database(void)
{
    char dir[] = "/tmp/sprout-test-objstore-XXXXXX", db[600], up[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/x.db", dir);
    snprintf(up, sizeof up, "%s/uploads", dir);
    struct objstore_config cfg = { .db_path = db };
    struct objstore *s = NULL;
    struct sp_error err = { 0 };
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_OK);
    struct stat st;
    CHECK(stat(up, &st) == 0 && S_ISDIR(st.st_mode));
    objstore_close(s);
    CHECK(rmdir(up) == 0 && rmdir(dir) == 0);
}

static void test_s3_configuration_errors(void)
{
    struct objstore *s = NULL;
    struct sp_error err = { 0 };
    struct objstore_config cfg = { .db_path = "x.db", .s3 = { .bucket = "my-bucket" } };
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_EINVAL);
    CHECK(strstr(err.msg, "AWS_ACCESS_KEY_ID") != NULL);
    cfg.s3.access_key = "k";
    cfg.s3.secret_key = "s";
    cfg.s3.bucket = "Bad_Bucket";
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_EINVAL);
    cfg.s3.bucket = "my-bucket";
    cfg.s3.endpoint = "ftp://x";
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_EINVAL);
    cfg.s3.endpoint = "http://127.0.0.1:9/";
    CHECK_EQ_INT(objstore_open(&cfg, &s, &err), SP_OK);
    CHECK(strstr(objstore_describe(s), "S3 bucket my-bucket at http://127.0.0.1:9") != NULL);
    objstore_close(s);
}

int main(void)
{
    RUN(test_key_safety);
    RUN(test_local_store_put_delete);
    RUN(test_local_default_beside_the_database);
    RUN(test_s3_configuration_errors);
    return check_report("test_objstore");
}
