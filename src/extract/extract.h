/* extract/extract.h: text extraction for an uploaded document, chosen by MIME type.
 *
 * text/plain, text/markdown, text/x-markdown: UTF-8 with replacement, never fails (an empty
 * file gives "" and completed). application/pdf: poppler; a file it cannot parse gives
 * failed with the reason, never an error of the call.
 * Ownership: struct extract_result owns text; extract_result_clear() releases it.
 * Thread model: any thread (PDF extraction is serialised internally).
 */
#ifndef SP_EXTRACT_EXTRACT_H
#define SP_EXTRACT_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define EXTRACT_ERROR_MAX 512

struct extract_result {
    char *text;       /* NULL when failed */
    size_t text_len;  /* bytes of UTF-8 */
    size_t utf16_len; /* JavaScript length, 0 when failed */
    bool failed;
    char error[EXTRACT_ERROR_MAX];
};

/* true for the MIME types extraction knows. */
bool extract_mime_supported(const char *mime);
/* SP_OK with out filled (completed or failed); SP_EIO/SP_ENOMEM when the file cannot be read. */
int extract_file(const char *path, const char *mime, struct extract_result *out,
                 struct sp_error *err);
void extract_result_clear(struct extract_result *r);

#endif
