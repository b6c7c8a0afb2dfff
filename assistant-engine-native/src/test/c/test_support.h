#ifndef ASSISTANT_TEST_SUPPORT_H
#define ASSISTANT_TEST_SUPPORT_H

/* What the native test files share. Each file counts its own checks: it declares `static int checks, failures;`
 * before using CHECK. */
#include <stdio.h>

/* Counts a check; on failure counts it too and prints where and why. */
#define CHECK(cond, ...)                                         \
    do {                                                         \
        checks++;                                                \
        if (!(cond)) {                                           \
            failures++;                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
        }                                                        \
    } while (0)

/* A fixed pseudo-random sequence (xorshift), so failures reproduce. */
static inline unsigned test_next_bits(unsigned *state) {
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* The sequence's next value in [-1, 1). */
static inline float test_uniform(unsigned *state) {
    return (float)((double)test_next_bits(state) / 4294967296.0 * 2.0 - 1.0);
}

#endif
