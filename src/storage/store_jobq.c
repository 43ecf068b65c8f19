/* storage/store_jobq.c: the group-commit queue both writers share (see store_jobq.h).
 * Thread model: q_lock guards the queue and the stopping flag; the counter is atomic.
 */
#include "storage/store_jobq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/err.h"

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct store_job *q_head, *q_tail;
static bool stopping;
static atomic_ullong n_completed;

void store_jobq_open(void)
{
    pthread_mutex_lock(&q_lock);
    stopping = false;
    pthread_mutex_unlock(&q_lock);
}

void store_jobq_push(struct store_job *job)
{
    job->next = NULL;
    job->rc = SP_OK;
    pthread_mutex_lock(&q_lock);
    if (q_tail)
        q_tail->next = job;
    else
        q_head = job;
    q_tail = job;
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
}

struct store_job *store_jobq_take(size_t max)
{
    pthread_mutex_lock(&q_lock);
    while (!q_head && !stopping)
        pthread_cond_wait(&q_cond, &q_lock);
    struct store_job *batch = q_head, *last = q_head;
    if (batch) {
        for (size_t n = 1; n < max && last->next; n++)
            last = last->next;
        q_head = last->next;
        if (!q_head)
            q_tail = NULL;
        last->next = NULL;
    }
    pthread_mutex_unlock(&q_lock);
    return batch;
}

struct store_job *store_jobq_order(struct store_job *jobs)
{
    if (!jobs || !jobs->next)
        return jobs;
    /* merge sort: split in halves, sort each, merge taking from the first half on ties */
    struct store_job *mid = jobs, *fast = jobs->next;
    while (fast && fast->next) {
        mid = mid->next;
        fast = fast->next->next;
    }
    struct store_job *b = mid->next;
    mid->next = NULL;
    struct store_job *a = store_jobq_order(jobs), *head = NULL, **tail = &head;
    b = store_jobq_order(b);
    while (a && b) {
        struct store_job **pick = b->order < a->order ? &b : &a;
        *tail = *pick;
        tail = &(*pick)->next;
        *pick = (*pick)->next;
    }
    *tail = a ? a : b;
    return head;
}

void store_jobq_stop(void)
{
    pthread_mutex_lock(&q_lock);
    stopping = true;
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
}

void store_jobq_lose(struct store_job *first, struct store_job *end, int code)
{
    for (struct store_job *k = first; k != end; k = k->next)
        if (k->rc == SP_OK)
            k->rc = code;
}

void store_jobq_complete(struct store_job *jobs)
{
    while (jobs) {
        struct store_job *next = jobs->next;
        atomic_fetch_add_explicit(&n_completed, 1, memory_order_relaxed);
        jobs->done(jobs->arg, jobs->rc); /* may free the job */
        jobs = next;
    }
}

unsigned long long store_jobq_completed(void)
{
    return atomic_load_explicit(&n_completed, memory_order_relaxed);
}
