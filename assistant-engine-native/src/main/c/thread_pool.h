/*
 * A small thread pool for the parallel loops of a forward pass. The calling thread works too; the other threads
 * spin briefly between loops (a layer runs ~5 loops microseconds apart) and sleep when none comes, so they hold no
 * core between tokens. Items are taken in chunks by whichever thread is free, so a thread that starts late does less
 * instead of the others waiting for its fixed share, and a loop ends when its items are done: the caller never waits
 * for a thread that is still asleep or descheduled, it does that thread's share itself.
 */
#ifndef ASSISTANT_THREAD_POOL_H
#define ASSISTANT_THREAD_POOL_H

typedef struct Pool Pool;

/* Work on items [begin, end). */
typedef void (*range_fn)(void *ctx, int begin, int end);

/* A pool of `threads` threads counting the caller (threads - 1 are started), or NULL without memory. */
Pool *pool_create(int threads);

/* The threads that work on a loop, the caller included (fewer than asked if some could not be started). */
int pool_threads(const Pool *p);

/*
 * Runs fn over items [0, items) on all threads and returns when all are done; one caller at a time. Fixed chunks of
 * `grain` items (chunk c is [c * grain, (c + 1) * grain)), or with `guided` shrinking chunks in multiples of `grain`.
 */
void pool_run(Pool *p, int items, int grain, int guided, range_fn fn, void *ctx);

/* Fixed chunks of about a quarter of a thread's share of `items`. */
int pool_grain(const Pool *p, int items);

/* Stops and joins the threads and frees the pool; NULL is ignored. */
void pool_destroy(Pool *p);

#endif
