/* tests/fuzz/fuzz_journal.c: libFuzzer target: journal_load() on an arbitrary
 * meta/_journal.json (drizzle's migration journal), then journal_render_append(). */
#include <stdio.h>

#include "db/journal.h"
#include "harness.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_setup(0);
    fuzz_write_file("j/meta/_journal.json", data, size);
    char jdir[512];
    snprintf(jdir, sizeof jdir, "%s/j", dir);
    struct journal j;
    struct sp_error err = { 0 };
    if (journal_load(jdir, false, &j, &err) == SP_OK) {
        struct buf out = { 0 };
        journal_render_append(&j, 1700000000000LL, "0009_fuzz", true, &out);
        journal_next_idx(&j);
        buf_release(&out);
        journal_free(&j);
    }
    return 0;
}
