/*
 * Tests of the thread pool (thread_pool.h): every item of a loop is run exactly once, with fixed and guided chunks,
 * on 1, 2 and 4 threads, over many loops in a row (a worker that arrives late must not run a chunk of a loop it
 * did not read); a loop returns only when all of its items are done; a pool whose threads are asleep wakes for the
 * next loop and stops cleanly.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thread_pool.h"
#include "thread_pool_test.h"
#include "test_support.h"

static int checks, failures;


/* Counts the runs of each item, tagged with the loop that asked for them. */
typedef struct {
    atomic_int *runs;
    int loop;
    atomic_int *wrong_loop; /* items run with another loop's tag */
    int *tags;
} Counting;

static void count_items(void *ctx, int begin, int end) {
    Counting *c = ctx;
    for (int i = begin; i < end; i++) {
        atomic_fetch_add(&c->runs[i], 1);
        if (c->tags[i] != c->loop) atomic_fetch_add(c->wrong_loop, 1);
    }
}

/* `loops` loops in a row of up to `most` items each; every item must run once, for its own loop. */
static void test_every_item_once(int threads, int guided, int loops, int most) {
    Pool *p = pool_create(threads);
    CHECK(p != NULL, "pool of %d threads", threads);
    if (!p) return;
    atomic_int *runs = calloc((size_t)most, sizeof *runs);
    int *tags = calloc((size_t)most, sizeof *tags);
    atomic_int wrong = 0;
    int bad_counts = 0;
    Counting contexts[3];
    unsigned seed = 12345;
    for (int loop = 1; loop <= loops; loop++) {
        seed = seed * 1103515245u + 12345u;
        int items = 1 + (int)(seed >> 8) % most;
        int grain = guided ? 1 + (int)(seed >> 4) % 8 : 1 + items / (4 * threads);
        for (int i = 0; i < items; i++) {
            atomic_store(&runs[i], 0);
            tags[i] = loop;
        }
        /* a context of its own for each of three loops in a row: a chunk run with an earlier loop's shows */
        Counting *c = &contexts[loop % 3];
        *c = (Counting){runs, loop, &wrong, tags};
        pool_run(p, items, grain, guided, count_items, c);
        /* pool_run has returned: every item is done, none twice */
        for (int i = 0; i < items; i++) bad_counts += atomic_load(&runs[i]) != 1;
    }
    CHECK(bad_counts == 0, "%d threads, guided %d: %d items not run exactly once", threads, guided, bad_counts);
    CHECK(atomic_load(&wrong) == 0, "%d threads, guided %d: %d items run for another loop", threads, guided,
          atomic_load(&wrong));
    CHECK(pool_threads(p) == threads, "%d threads started", threads);
    pool_destroy(p);
    free(runs);
    free(tags);
}

static void sleep_ms(int ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* Slow items: a worker that is awake takes some, so the loop's result depends on the caller waiting for them. */
static void slow_sum(void *ctx, int begin, int end) {
    atomic_long *sum = ctx;
    for (int i = begin; i < end; i++) {
        sleep_ms(1);
        atomic_fetch_add(sum, i);
    }
}

/* Threads asleep between loops (well past the spin) wake for the next loop, and a pool stops while they sleep. */
static void test_sleeping_threads(int threads) {
    Pool *p = pool_create(threads);
    CHECK(p != NULL, "pool of %d threads", threads);
    if (!p) return;
    for (int round = 0; round < 3; round++) {
        sleep_ms(20);
        atomic_long sum = 0;
        pool_run(p, 40, 1, round % 2, slow_sum, &sum);
        CHECK(atomic_load(&sum) == 40 * 39 / 2, "%d threads, after sleeping: sum %ld", threads, atomic_load(&sum));
    }
    sleep_ms(20);
    pool_destroy(p); /* joins threads that are asleep: returning at all is the check */
    CHECK(1, "stopped");
    pool_destroy(pool_create(threads)); /* and threads that never ran a loop */
    pool_destroy(NULL);
}

/* A loop no larger than its grain runs on the caller; an empty loop runs nothing. */
static void test_small_loops(void) {
    Pool *p = pool_create(2);
    atomic_long sum = 0;
    pool_run(p, 0, 4, 0, slow_sum, &sum);
    CHECK(atomic_load(&sum) == 0, "an empty loop ran items");
    pool_run(p, 3, 4, 1, slow_sum, &sum);
    CHECK(atomic_load(&sum) == 3, "a loop of one grain: sum %ld", atomic_load(&sum));
    pool_destroy(p);
}

int thread_pool_tests(int *made) {
    for (int threads = 1; threads <= 4; threads *= 2) {
        test_every_item_once(threads, 0, 20000, 97);
        test_every_item_once(threads, 1, 20000, 97);
        test_every_item_once(threads, 1, 200, 5000);
        test_sleeping_threads(threads);
    }
    test_small_loops();
    *made = checks;
    return failures;
}
