/* agents/tutor_text.h: the tutor's reply post-processing (spec/agents.md §8.4 result, §10) as
 * pure functions on UTF-8 text.
 *
 * The original works on JavaScript strings with JS regular expressions; these functions keep
 * the semantics that matter: "whitespace" is JavaScript's \s / String.prototype.trim() set
 * (ASCII space and controls \t \n \v \f \r, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000, U+FEFF), labels and markers match ASCII case-insensitively (as a JS
 * /i regex without the u flag), and lengths count code points (JS counts UTF-16 units; the two
 * differ only for characters outside the BMP). Invalid UTF-8 bytes are single non-space
 * characters; nothing here ever splits a UTF-8 sequence.
 * Text is CRLF-normalised to LF before any line processing.
 *
 * Line helpers (§10.1) take one line s[0..n) (no LF) and give their result as a sub-slice
 * (*off, *len) of it, except tutor_comparable(), which writes into the caller's buffer.
 * Whole-text functions return new strings (free()) through *out, NULL meaning "none".
 * Errors: SP_OK or SP_ENOMEM.
 * Thread model: stateless, thread-safe.
 */
#ifndef SP_AGENTS_TUTOR_TEXT_H
#define SP_AGENTS_TUTOR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tutor_qtype { TUTOR_QTYPE_NONE = 0, TUTOR_QTYPE_TEXT, TUTOR_QTYPE_CODE, TUTOR_QTYPE_DRAW };
enum tutor_chunk { TUTOR_CHUNK_NONE = 0, TUTOR_CHUNK_ADVANCE, TUTOR_CHUNK_SAME };

/* "text" / "code" / "draw", NULL for NONE. */
const char *tutor_qtype_name(enum tutor_qtype t);

/* ---- JavaScript string semantics on UTF-8 ---- */
bool tutor_is_space(uint32_t cp);
/* Byte length of the white space character at s[0..n) (tutor_is_space), 0 when there is none
 * (or n is 0). */
size_t tutor_space_len(const char *s, size_t n);
/* String.prototype.trim() of s[0..n) as a sub-slice. */
void tutor_trim(const char *s, size_t n, size_t *off, size_t *len);
/* Number of characters (code points; an invalid byte counts as one). */
size_t tutor_cp_len(const char *s, size_t n);

/* ---- §10.1 line helpers ---- */
/* Remove one heading mark (spaces, 1-6 '#', spaces), then one list/quote marker (spaces, then
 * '-', '*', '>' or digits + '.' or ')', then at least one space), then trim. */
void tutor_strip_prefix(const char *s, size_t n, size_t *off, size_t *len);
/* strip-prefix, then a leading Label + spaces + ':' + spaces, then trim. Label: "checkpoint
 * question" | "new question" | "question" (any case, any whitespace run between words). */
void tutor_normalize_line(const char *s, size_t n, size_t *off, size_t *len);
/* strip-prefix, every emphasis char (* _ ` ~) deleted, trimmed; written to out (n + 1 bytes
 * are enough, NUL-terminated); returns its length. */
size_t tutor_comparable(const char *s, size_t n, char *out);
/* comparable(line) is exactly a Label, optionally followed by ':'. */
bool tutor_marker_only(const char *s, size_t n);
/* comparable(line) is a Label, spaces, ':' and then at least one more character. */
bool tutor_has_inline(const char *s, size_t n);
/* The question given inline after "Label:" (emphasis around the label allowed); false when the
 * line has none or it is empty. */
bool tutor_inline_question(const char *s, size_t n, size_t *off, size_t *len);
/* A "Question Type: <value>" line (also questiontype / question-type; ':' '-' en or em dash);
 * the value mapped as §10.1 (text/code/draw; mcq and friends -> text), else NONE. */
enum tutor_qtype tutor_question_type(const char *s, size_t n);

/* ---- §10.2 - §10.5 on whole replies (NUL-terminated) ---- */
/* The question the reply asks, or NULL. */
int tutor_extract_question(const char *content, char **out);
/* The first recognised "Question Type:" line of the reply. */
enum tutor_qtype tutor_extract_question_type(const char *content);
/* The reply without its question: type lines dropped, a marker-only line and everything
 * after it dropped, "Label: ..." lines dropped; trimmed. *out is never NULL on SP_OK. */
int tutor_strip_question(const char *content, char **out);
/* True when q is a usable question: at least 12 characters once trimmed, not ending in ':' or
 * '-'. */
bool tutor_question_usable(const char *q);
/* Make sure a normal turn ends with a Question Type line and a question (§10.5): fallback_q
 * (may be NULL) and fallback_type (NONE -> text) come from earlier turns. */
int tutor_ensure_question(const char *content, const char *fallback_q,
                          enum tutor_qtype fallback_type, bool complete, char **out);

/* ---- §8.4 result markers ---- */
struct tutor_markers {
    bool complete;          /* [COMPLETE] present */
    enum tutor_chunk chunk; /* [ADVANCE_CHUNK] wins over [SAME_CHUNK] */
    char *content;          /* new: every occurrence of the three markers removed, trimmed */
};
/* Markers match ASCII case-insensitively. */
int tutor_parse_markers(const char *raw, struct tutor_markers *out);
void tutor_markers_clear(struct tutor_markers *m);

#endif
