/* The thread pool of thread_pool.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "thread_pool.h"

struct Pool {
    int threads;
    pthread_t *ids;
    atomic_uint generation;
    atomic_int pending;
    atomic_int sleepers;
    atomic_int stop;
    range_fn fn;
    void *ctx;
    int items, grain;
    int guided;         /* chunks shrink as the work runs out (grain is then the smallest chunk) */
    atomic_int next;    /* the next chunk to take; guided: the first item not yet taken */
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

/*
 * Guided chunks: each thread takes half of a fair share of what is left (at least `grain` items, in multiples of
 * it), so the chunks start large (few atomic operations, long sequential runs through the weights) and end small:
 * the threads finish within about a smallest chunk of each other instead of a quarter of a share apart.
 */
static void run_guided_chunks(Pool *p) {
    int begin = atomic_load(&p->next);
    for (;;) {
        int end;
        do {
            int left = p->items - begin;
            if (left <= 0) return;
            int take = left / (2 * p->threads);
            take = take < p->grain ? p->grain : (take + p->grain - 1) / p->grain * p->grain;
            end = take < left ? begin + take : p->items;
        } while (!atomic_compare_exchange_weak(&p->next, &begin, end));
        p->fn(p->ctx, begin, end);
        begin = atomic_load(&p->next);
    }
}

static void run_chunks(Pool *p) {
    if (p->guided) {
        run_guided_chunks(p);
        return;
    }
    for (;;) {
        int begin = atomic_fetch_add(&p->next, 1) * p->grain;
        if (begin >= p->items) return;
        p->fn(p->ctx, begin, begin + p->grain < p->items ? begin + p->grain : p->items);
    }
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

#define SPIN_SECONDS 50e-6

static void *worker_main(void *arg) {
    Pool *p = arg;
    unsigned seen = 0;
    for (;;) {
        double deadline = now_seconds() + SPIN_SECONDS;
        unsigned spins = 0;
        while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) {
            __builtin_ia32_pause();
            if (++spins % 256 == 0 && now_seconds() > deadline) {
                pthread_mutex_lock(&p->lock);
                atomic_fetch_add(&p->sleepers, 1);
                while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) {
                    pthread_cond_wait(&p->wake, &p->lock);
                }
                atomic_fetch_sub(&p->sleepers, 1);
                pthread_mutex_unlock(&p->lock);
            }
        }
        if (atomic_load(&p->stop)) break;
        seen = atomic_load(&p->generation);
        run_chunks(p);
        atomic_fetch_sub(&p->pending, 1);
    }
    return NULL;
}

Pool *pool_create(int threads) {
    Pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->ids = calloc((size_t)threads, sizeof(pthread_t));
    if (!p->ids) {
        free(p);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&p->ids[i], NULL, worker_main, p) != 0) {
            p->threads = i; /* run with the threads that started */
            break;
        }
    }
    return p;
}

void pool_run(Pool *p, int items, int grain, int guided, range_fn fn, void *ctx) {
    if (p->threads == 1 || items <= grain) {
        if (items > 0) fn(ctx, 0, items);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->items = items;
    p->grain = grain;
    p->guided = guided;
    atomic_store(&p->next, 0);
    atomic_store(&p->pending, p->threads - 1);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    run_chunks(p);
    while (atomic_load(&p->pending) > 0) __builtin_ia32_pause();
}

void pool_destroy(Pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->threads; i++) pthread_join(p->ids[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->ids);
    free(p);
}

int pool_grain(const Pool *p, int items) {
    return (items + 4 * p->threads - 1) / (4 * p->threads);
}

int pool_threads(const Pool *p) {
    return p->threads;
}
