/* tests/unit/storage/test_jobq.c: the order of a PostgreSQL batch (storage/store_jobq.c,
 * store_jobq_order): jobs sorted by their order field, ascending; jobs of equal order (the 0s
 * among them, which come first) keep the order they were queued in; lists of every length from
 * 0 to 64 come back with every job once. */
#include <stdint.h>
#include <stdlib.h>

#include "storage/store_jobq.h"
#include "support/check.h"

#define N 64

static struct store_job jobs[N];

/* jobs[0..n) linked in index order, job k with order orders[k] */
static struct store_job *chain(int n, const uint64_t *orders)
{
    for (int k = 0; k < n; k++) {
        jobs[k].order = orders[k];
        jobs[k].next = k + 1 < n ? &jobs[k + 1] : NULL;
    }
    return n ? &jobs[0] : NULL;
}

static void test_sorted_and_stable(void)
{
    uint64_t orders[] = { 7, 0, 3, 7, 0, UINT64_MAX, 3, 1 };
    int want[] = { 1, 4, 7, 2, 6, 0, 3, 5 }; /* the indexes in the order they must run */
    struct store_job *j = store_jobq_order(chain(8, orders));
    for (int k = 0; k < 8; k++, j = j->next) {
        CHECK(j != NULL);
        if (!j)
            return;
        CHECK_EQ_INT(j - jobs, want[k]);
    }
    CHECK(j == NULL);
}

static void test_every_length(void)
{
    uint64_t orders[N];
    srand(1);
    for (int n = 0; n <= N; n++) {
        for (int k = 0; k < n; k++)
            orders[k] = (uint64_t)(rand() % 5); /* many ties */
        int seen[N] = { 0 }, count = 0;
        struct store_job *prev = NULL;
        for (struct store_job *j = store_jobq_order(chain(n, orders)); j; prev = j, j = j->next) {
            count++;
            seen[j - jobs]++;
            if (prev)
                CHECK(prev->order < j->order || (prev->order == j->order && prev < j));
        }
        CHECK_EQ_INT(count, n);
        for (int k = 0; k < n; k++)
            CHECK_EQ_INT(seen[k], 1);
    }
}

int main(void)
{
    RUN(test_sorted_and_stable);
    RUN(test_every_length);
    return check_report("test_jobq");
}
