/* tests/unit/agents/test_tutor.c: the tutor's drawing rule (spec/agents.md §7.5 step 2):
 * data:(image/png|image/jpeg);base64,<base64> with a case-insensitive prefix, at most
 * 7,000,000 base64 characters, anything else ignored. */
#include <stdlib.h>
#include <string.h>

#include "agents/tutor.h"
#include "support/check.h"

static void test_drawing_accepted(void)
{
    const char *mt = NULL, *data = NULL;
    const char *url = "data:image/png;base64,iVBORw0KGgo+/=";
    CHECK(tutor_parse_drawing(url, &mt, &data));
    CHECK_STR_EQ(mt, "image/png");
    CHECK(data == url + 22);
    CHECK(tutor_parse_drawing("DATA:Image/JPEG;BASE64,/9j/4AAQ", &mt, &data));
    CHECK_STR_EQ(mt, "image/jpeg"); /* media type lower-cased */
    CHECK_STR_EQ(data, "/9j/4AAQ");
}

static void test_drawing_refused(void)
{
    const char *mt = NULL, *data = NULL;
    static const char *const bad[] = {
        "",
        "data:",
        "data:image/png;base64,",
        "data:image/gif;base64,R0lG",
        "data:image/png,abc",
        "data:image/png;base64,ab c",
        "data:image/png;base64,ab\n",
        "data:image/png;base64,abc$",
        " data:image/png;base64,abc",
        "data:image/pngx;base64,abc",
        "data:image/png;base64;base64,abc",
        "image/png;base64,abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!tutor_parse_drawing(bad[i], &mt, &data));
        if (tutor_parse_drawing(bad[i], &mt, &data))
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
    }
    CHECK(!tutor_parse_drawing(NULL, &mt, &data));
}

static void test_drawing_size_limit(void)
{
    const char *mt = NULL, *data = NULL;
    size_t prefix = strlen("data:image/png;base64,");
    char *url = malloc(prefix + TUTOR_MAX_DRAWING_CHARS + 2);
    memcpy(url, "data:image/png;base64,", prefix);
    memset(url + prefix, 'A', TUTOR_MAX_DRAWING_CHARS);
    url[prefix + TUTOR_MAX_DRAWING_CHARS] = '\0';
    CHECK(tutor_parse_drawing(url, &mt, &data)); /* exactly 7,000,000 */
    url[prefix + TUTOR_MAX_DRAWING_CHARS] = 'A';
    url[prefix + TUTOR_MAX_DRAWING_CHARS + 1] = '\0';
    CHECK(!tutor_parse_drawing(url, &mt, &data)); /* one more */
    free(url);
}

int main(void)
{
    RUN(test_drawing_accepted);
    RUN(test_drawing_refused);
    RUN(test_drawing_size_limit);
    return check_report("test_tutor");
}
