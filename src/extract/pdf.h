/* extract/pdf.h: the text of a PDF file with poppler-glib, pages joined like the original's
 * pdf-parse: "<page 1>\n\n-- 1 of N --\n\n<page 2>\n\n-- 2 of N --\n\n".
 *
 * A file that poppler cannot open (corrupt, encrypted, empty) is not an error of the call:
 * the result says failed with poppler's message, so the caller can store the file anyway.
 * Ownership: *text is new (free()). Thread model: callable from any thread; extraction is
 * serialised by an internal mutex (poppler's global parameters are not safe to initialise
 * concurrently).
 */
#ifndef SP_EXTRACT_PDF_H
#define SP_EXTRACT_PDF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* SP_OK with either *text (ok) or *failed=true and why[] filled; SP_ENOMEM otherwise. */
int pdf_extract_file(const char *path, char **text, size_t *text_len, bool *failed, char *why,
                     size_t why_size);

#endif
