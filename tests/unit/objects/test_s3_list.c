/* tests/unit/objects/test_s3_list.c: reading S3 ListObjectsV2 replies for the bucket sweep:
 * keys and times of a real-shaped reply, XML escapes in keys, truncation with its token, and
 * every malformed reply refused as a whole (so the sweep deletes nothing). */
#include <string.h>

#include "objects/s3_list.h"
#include "support/check.h"

static int parse(const char *xml, struct s3_list_page *page)
{
    struct sp_error err = { 0 };
    memset(page, 0, sizeof *page);
    return s3_list_parse(xml, strlen(xml), page, &err);
}

static void test_reply_with_two_keys(void)
{
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><Prefix>documents/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
        "<IsTruncated>true</IsTruncated>"
        "<Contents><Key>documents/a.txt</Key><LastModified>2026-12-01T17:27:43.000Z</LastModified>"
        "<ETag>&quot;abc&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>\n"
        "  <Contents>\n    <Key>documents/b &amp; &lt;c&gt; &#233;&#x41;</Key>\n"
        "    <LastModified> 1970-01-01T00:00:10Z </LastModified>\n  </Contents>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "</ListBucketResult>";
    struct s3_list_page p;
    CHECK_EQ_INT(parse(xml, &p), SP_OK);
    CHECK_EQ_INT((int)p.n, 2);
    if (p.n == 2) {
        CHECK_STR_EQ(p.v[0].key, "documents/a.txt");
        CHECK(p.v[0].last_modified == 1796146063); /* date -d 2026-12-01T17:27:43Z +%s */
        CHECK_STR_EQ(p.v[1].key,
                     "documents/b & <c> \xc3\xa9"
                     "A");
        CHECK(p.v[1].last_modified == 10);
    }
    CHECK(p.truncated);
    CHECK_STR_EQ(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    s3_list_page_free(&p);
}

static void test_last_page_and_empty(void)
{
    struct s3_list_page p;
    CHECK_EQ_INT(parse("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>", &p),
                 SP_OK);
    CHECK_EQ_INT((int)p.n, 0);
    CHECK(!p.truncated && p.next_token == NULL);
    s3_list_page_free(&p);
}

static void test_malformed_replies_are_refused(void)
{
    static const char *bad[] = {
        "",
        "<Error><Code>AccessDenied</Code></Error>",
        "<ListBucketResult></ListBucketResult>", /* no IsTruncated */
        "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>documents/a</Key>"
        "</Contents></ListBucketResult>", /* no LastModified */
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><LastModified>"
        "2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>", /* no Key */
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>documents/a</Key>"
        "<LastModified>yesterday</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>documents/a</Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></ListBucketResult>", /* unterminated */
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&nbsp;b</Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&#0;b</Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&#x110000;</Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&amp</Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key><![CDATA[x]]></Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key></Key>"
        "<LastModified>2026-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct s3_list_page p;
        int rc = parse(bad[i], &p);
        if (rc == SP_OK)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_EQ_INT(rc, SP_EUPSTREAM);
        s3_list_page_free(&p);
    }
}

static void test_times(void)
{
    time_t t = 0;
    CHECK(s3_parse_time("2000-02-29T23:59:59Z", 20, &t) && t == 951868799);
    CHECK(s3_parse_time("2000-02-29T23:59:59.5Z", 22, &t) && t == 951868799);
    CHECK(!s3_parse_time("2000-02-29T23:59:59", 19, &t));
    CHECK(!s3_parse_time("2000-02-29 23:59:59Z", 20, &t));
    CHECK(!s3_parse_time("2000-13-01T00:00:00Z", 20, &t));
    CHECK(!s3_parse_time("2000-02-29T23:59:59.Z", 21, &t));
    CHECK(!s3_parse_time("2000-02-29T23:59:59+01:00", 25, &t));
}

int main(void)
{
    RUN(test_reply_with_two_keys);
    RUN(test_last_page_and_empty);
    RUN(test_malformed_replies_are_refused);
    RUN(test_times);
    return check_report("objects/s3_list");
}
