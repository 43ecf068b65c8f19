/* objects/s3_list.h: private to objects/: reading one page of an S3 ListObjectsV2 reply
 * (<ListBucketResult>), for the crash-leftover sweep of the S3 store (objects/s3.c).
 *
 * The parser is deliberately small and strict: it reads only the elements the sweep needs
 * (<Contents> with <Key> and <LastModified>, <IsTruncated>, <NextContinuationToken>) by
 * scanning tags. That is safe because S3's text content never holds a raw '<' (XML escapes it
 * as &lt;), so a key cannot fake a tag. Text is XML-unescaped (&amp; &lt; &gt; &quot; &apos;
 * and numeric references, written back as UTF-8); anything unexpected (no ListBucketResult
 * root, a <Contents> without a <Key> or a readable <LastModified>, an unknown entity, CDATA,
 * a truncated page without a continuation token) fails the whole page: the sweep then deletes
 * nothing.
 * Thread model: pure functions over the caller's memory.
 */
#ifndef SP_OBJECTS_S3_LIST_H
#define SP_OBJECTS_S3_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/err.h"

struct s3_list_entry {
    char *key;            /* unescaped, NUL-terminated (a key holding a NUL is refused) */
    time_t last_modified; /* UTC seconds */
};

struct s3_list_page {
    struct s3_list_entry *v;
    size_t n, cap;
    bool truncated;   /* <IsTruncated>true</IsTruncated>: more keys follow */
    char *next_token; /* <NextContinuationToken>, set when truncated */
};

/* Parse the reply xml (len bytes, need not be NUL-terminated) into *page (zeroed by the
 * caller, released with s3_list_page_free even on failure). SP_EUPSTREAM when the reply is
 * not a listing this parser can read, SP_ENOMEM. */
int s3_list_parse(const char *xml, size_t len, struct s3_list_page *page, struct sp_error *err);
void s3_list_page_free(struct s3_list_page *page);

/* "2026-12-01T17:27:43.000Z" (ISO 8601 UTC as S3 writes it; fraction optional) -> *out.
 * false when it is not such a time. */
bool s3_parse_time(const char *s, size_t n, time_t *out);

#endif
