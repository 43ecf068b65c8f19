/* tests/fuzz/fuzz_snapshot.c: libFuzzer target: snapshot_load_file() on an arbitrary drizzle
 * snapshot; a snapshot that loads is written back with snapshot_write(). */
#include "db/snapshot.h"
#include "harness.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup(0);
    const char *path = fuzz_write_file("s/0000_snapshot.json", data, size);
    struct model_schema s;
    struct snapshot_meta meta;
    struct sp_error err = { 0 };
    if (snapshot_load_file(path, &s, &meta, &err) == SP_OK) {
        struct buf out = { 0 };
        snapshot_write(&out, &s, meta.id, meta.prev_id, NULL, 0);
        buf_release(&out);
        model_schema_free(&s);
    }
    return 0;
}
