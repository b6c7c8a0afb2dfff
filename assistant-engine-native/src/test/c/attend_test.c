/*
 * Tests of the float attention kernel (attend, llama_kernels.h) in every variant the CPU runs: query heads that share
 * a KV head, attended together (1 to 8 at once, ATTEND_HEADS per pass over the cache), must give each head bit for bit
 * what attending it alone gives, and stay within float rounding of a double-precision softmax attention. Lengths
 * cover every loop of the kernel: blocks of 4 vectors, single vectors, and the scalar tail where the cache row ends.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attend_test.h"
#include "kernels.h"
#include "test_support.h"

static int checks, failures;

/* out = softmax(q . keys) . values for one head, in double. */
static void reference(const float *q, const float *keys, const float *values, int capacity, int length, int hd,
                      double *out) {
    double *s = malloc((size_t)length * sizeof(double)), max = -INFINITY, sum = 0;
    for (int t = 0; t < length; t++) {
        double dot = 0;
        for (int d = 0; d < hd; d++) dot += (double)q[d] * keys[(size_t)d * capacity + t];
        s[t] = dot;
        max = dot > max ? dot : max;
    }
    for (int t = 0; t < length; t++) sum += s[t] = exp(s[t] - max);
    for (int d = 0; d < hd; d++) {
        double v = 0;
        for (int t = 0; t < length; t++) v += s[t] / sum * values[(size_t)t * hd + d];
        out[d] = v;
    }
    free(s);
}

static void check_case(const Kernels *k, int heads, int hd, int capacity, int length, unsigned seed) {
    unsigned state = seed;
    float *q = malloc((size_t)heads * hd * sizeof(float));
    float *keys = malloc((size_t)hd * capacity * sizeof(float)), *values = malloc((size_t)capacity * hd * sizeof(float));
    float *together = malloc((size_t)heads * hd * sizeof(float)), *alone = malloc((size_t)heads * hd * sizeof(float));
    float *scores = malloc((size_t)ATTEND_HEADS * length * sizeof(float));
    double *want = malloc((size_t)hd * sizeof(double));
    for (int i = 0; i < heads * hd; i++) q[i] = test_uniform(&state) * 0.5f;
    for (int i = 0; i < hd * capacity; i++) keys[i] = test_uniform(&state) * 2.0f;
    for (int i = 0; i < capacity * hd; i++) values[i] = test_uniform(&state);
    k->attend(q, heads, keys, values, capacity, length, hd, scores, together);
    for (int h = 0; h < heads; h++) {
        k->attend(q + (size_t)h * hd, 1, keys, values, capacity, length, hd, scores, alone + (size_t)h * hd);
    }
    CHECK(memcmp(together, alone, (size_t)heads * hd * sizeof(float)) == 0,
          "%s: %d heads of %d over %d of %d positions: attended together they differ from one at a time", k->name,
          heads, hd, length, capacity);
    double worst = 0;
    for (int h = 0; h < heads; h++) {
        reference(q + (size_t)h * hd, keys, values, capacity, length, hd, want);
        for (int d = 0; d < hd; d++) {
            double e = fabs(together[(size_t)h * hd + d] - want[d]);
            worst = e > worst ? e : worst;
        }
    }
    CHECK(worst < 1e-5, "%s: %d heads of %d over %d positions: %.3g from the double reference", k->name, heads, hd,
          length, worst);
    free(q);
    free(keys);
    free(values);
    free(together);
    free(alone);
    free(scores);
    free(want);
}

int attend_tests(int *made) {
    const int cases[][4] = {/* heads, head_dim, capacity, length */
                            {3, 64, 512, 270}, {1, 64, 128, 7}, {2, 32, 96, 65}, {4, 64, 256, 256},
                            {5, 48, 80, 79},   {8, 64, 300, 131}, {7, 16, 40, 33}};
    unsigned seed = 11;
    for (int v = 0; v < KERNELS_VARIANTS; v++) {
        const Kernels *k = kernels_variant(v);
        if (!cpu_has_all(k->features, NULL)) continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            check_case(k, cases[c][0], cases[c][1], cases[c][2], cases[c][3], seed++);
        }
    }
    printf("[native-test] float attention, heads together and alone: %d checks, %d failed\n", checks, failures);
    *made = checks;
    return failures;
}
