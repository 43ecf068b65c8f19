/* extract/extract.c: dispatch by MIME type to text.c and pdf.c (see extract.h). */
#include "extract/extract.h"

#include <stdlib.h>
#include <string.h>

#include "extract/pdf.h"
#include "extract/text.h"

static bool is_text(const char *mime)
{
    return strcmp(mime, "text/plain") == 0 || strcmp(mime, "text/markdown") == 0 ||
           strcmp(mime, "text/x-markdown") == 0;
}

bool extract_mime_supported(const char *mime)
{
    return mime && (is_text(mime) || strcmp(mime, "application/pdf") == 0);
}

int extract_file(const char *path, const char *mime, struct extract_result *out,
                 struct sp_error *err)
{
    memset(out, 0, sizeof *out);
    int rc;
    if (mime && strcmp(mime, "application/pdf") == 0) {
        rc = pdf_extract_file(path, &out->text, &out->text_len, &out->failed, out->error,
                              sizeof out->error);
        if (rc != SP_OK)
            return sp_error_set(err, rc, "out of memory extracting PDF text");
    } else if (mime && is_text(mime)) {
        rc = text_extract_file(path, &out->text, &out->text_len, err);
        if (rc != SP_OK)
            return rc;
    } else {
        return sp_error_set(err, SP_EUNSUPPORTED, "no text extraction for %s",
                            mime ? mime : "(none)");
    }
    if (!out->failed)
        out->utf16_len = text_utf16_len(out->text, out->text_len);
    return SP_OK;
}

void extract_result_clear(struct extract_result *r)
{
    if (!r)
        return;
    free(r->text);
    r->text = NULL;
    r->text_len = r->utf16_len = 0;
}
