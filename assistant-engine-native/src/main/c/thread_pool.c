/* The thread pool of thread_pool.h. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "thread_pool.h"

/* One loop's parameters. Atomic fields (read relaxed) because a late worker may read a slot while the caller refills
 * it for a later loop; such a worker then fails to claim a chunk (its ticket is stale) and never uses what it read. */
typedef struct {
    _Atomic(range_fn) fn;
    _Atomic(void *) ctx;
    atomic_int items, grain, guided;
} Loop;

/*
 * The caller waits only for chunks that were claimed, never for a thread to wake up: a loop is done when `done`
 * reaches its items, so a thread that is asleep or descheduled (a loaded machine) simply does none of the loop,
 * instead of making the caller spin until it arrives to find nothing left. Chunks are claimed on one 64-bit ticket,
 * the loop's generation (high half) and its first item not yet taken (low half): a thread that read the parameters of
 * an earlier loop cannot claim a chunk of a later one, because its compare-and-swap names the earlier generation.
 * The parameters live in two slots by generation parity, so the slot being read for the current loop is never the
 * one the caller fills next.
 */
struct Pool {
    int threads;
    pthread_t *ids;
    Loop loops[2];
    _Atomic uint64_t ticket;
    atomic_int done;        /* items of the current loop finished */
    unsigned generation;    /* the caller's: the current loop's */
    atomic_int sleepers;
    atomic_int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static unsigned ticket_generation(uint64_t t) {
    return (unsigned)(t >> 32);
}

/*
 * Claims and runs chunks of the loop that ticket t names until none is left or a later loop has started. Fixed
 * chunks of `grain` items, or guided ones: half of a fair share of what is left (at least `grain` items, in multiples
 * of it), so the chunks start large (few atomic operations, long runs through the weights) and end small: the threads
 * finish within about a smallest chunk of each other.
 */
static void run_chunks(Pool *p, uint64_t t) {
    for (;;) {
        unsigned generation = ticket_generation(t);
        const Loop *l = &p->loops[generation & 1];
        int begin = (int)(uint32_t)t;
        int items = atomic_load_explicit(&l->items, memory_order_relaxed);
        int grain = atomic_load_explicit(&l->grain, memory_order_relaxed);
        int left = items - begin;
        if (left <= 0) return;
        int take = grain;
        if (atomic_load_explicit(&l->guided, memory_order_relaxed)) {
            take = left / (2 * p->threads);
            take = take < grain ? grain : (take + grain - 1) / grain * grain;
        }
        int end = take < left ? begin + take : items;
        range_fn fn = atomic_load_explicit(&l->fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&l->ctx, memory_order_relaxed);
        /* seq_cst: the parameters above were read before the claim, while the generation was still t's */
        if (atomic_compare_exchange_weak(&p->ticket, &t, ((uint64_t)generation << 32) | (uint32_t)end)) {
            fn(ctx, begin, end);
            atomic_fetch_add(&p->done, end - begin);
            t = atomic_load(&p->ticket);
        }
        /* on failure t holds the current ticket: the same loop further on, or a later loop */
    }
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* A layer runs its loops microseconds apart: spin that long for the next, then sleep (no core held between steps). */
#define SPIN_SECONDS 50e-6

/* Waits until a loop later than generation `seen` starts (spinning, then asleep) or the pool stops. */
static void await_loop(Pool *p, unsigned seen) {
    double deadline = now_seconds() + SPIN_SECONDS;
    unsigned spins = 0;
    while (ticket_generation(atomic_load(&p->ticket)) == seen && !atomic_load(&p->stop)) {
        __builtin_ia32_pause();
        if (++spins % 256 == 0 && now_seconds() > deadline) {
            pthread_mutex_lock(&p->lock);
            atomic_fetch_add(&p->sleepers, 1);
            while (ticket_generation(atomic_load(&p->ticket)) == seen && !atomic_load(&p->stop)) {
                pthread_cond_wait(&p->wake, &p->lock);
            }
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

static void *worker_main(void *arg) {
    Pool *p = arg;
    unsigned seen = 0;
    for (;;) {
        await_loop(p, seen);
        if (atomic_load(&p->stop)) break;
        uint64_t t = atomic_load(&p->ticket);
        seen = ticket_generation(t);
        run_chunks(p, t);
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

/* Spins of the caller waiting for claimed chunks before it yields its core (a worker may be descheduled mid-chunk). */
#define FINISH_SPINS 4096

void pool_run(Pool *p, int items, int grain, int guided, range_fn fn, void *ctx) {
    if (p->threads == 1 || items <= grain) {
        if (items > 0) fn(ctx, 0, items);
        return;
    }
    unsigned generation = ++p->generation;
    Loop *l = &p->loops[generation & 1];
    atomic_store_explicit(&l->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&l->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&l->items, items, memory_order_relaxed);
    atomic_store_explicit(&l->grain, grain, memory_order_relaxed);
    atomic_store_explicit(&l->guided, guided, memory_order_relaxed);
    atomic_store(&p->done, 0); /* the previous loop is complete: no thread adds to it any more */
    uint64_t t = (uint64_t)generation << 32;
    /* an exchange, not a store: it follows every claim of the previous loop, so their reads of the slot it reuses
     * next time happen before the caller refills it */
    atomic_exchange(&p->ticket, t);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    run_chunks(p, t);
    for (unsigned spins = 0; atomic_load(&p->done) < items;) {
        __builtin_ia32_pause();
        if (++spins % FINISH_SPINS == 0) sched_yield();
    }
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
