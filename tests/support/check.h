/* tests/support/check.h: always-on checks for the C unit tests.
 * Each test file has a main() that calls RUN(test_fn) for each test and ends with
 * `return check_report("file")`, which prints "<file>: N passed, N failed" and returns the exit
 * code. A failed CHECK prints the expression and both values and marks the current test failed.
 */
#ifndef SP_TESTS_CHECK_H
#define SP_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures, check_test_failed, check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            check_test_failed = 1;                                                   \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                      \
    do {                                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                                     \
        if (a_ != b_) {                                                                         \
            fprintf(stderr, "%s:%d: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, a_, \
                    b_);                                                                        \
            check_test_failed = 1;                                                              \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                      \
    do {                                                                                        \
        const char *a_ = (a), *b_ = (b);                                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                \
            fprintf(stderr, "%s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__, #a, #b, \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                    \
            check_test_failed = 1;                                                              \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

#define RUN(fn)                                \
    do {                                       \
        check_test_failed = 0;                 \
        fn();                                  \
        if (check_test_failed) {               \
            check_failed++;                    \
            fprintf(stderr, "FAIL %s\n", #fn); \
        } else                                 \
            check_passed++;                    \
    } while (0)

/* Remove a test's temporary folder (made with mkdtemp) and everything in it; 0 when done. */
static inline int check_rmtree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) == 0)
        return 0;
    fprintf(stderr, "could not remove %s\n", dir);
    return 1;
}

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
