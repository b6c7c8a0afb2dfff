/*
 * Tests of the INT8 KV cache's kernels (kv_cache.h, kv_int8_kernels.h) against a scalar reference in double
 * precision: quantization keeps every element within half a step of its value, and attention over a quantized cache
 * equals softmax(q . k) v computed from the dequantized elements, on every kernel variant this CPU runs, for head
 * sizes and lengths that exercise each of the kernel's loops (4W positions, W positions, single ones; vector and
 * scalar dimensions).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "kv_cache.h"
#include "kv_int8_test.h"
#include "test_support.h"

static int checks, failures;


static void test_quantize(void) {
    unsigned seed = 12345;
    float x[72];
    int8_t q[72 * 3];
    for (int trial = 0; trial < 50; trial++) {
        float magnitude = powf(10.0f, (float)(trial % 7) - 3.0f);
        for (int i = 0; i < 72; i++) x[i] = magnitude * test_uniform(&seed);
        float scale = kv_int8_quantize(x, 72, q, 3); /* strided, as keys are written */
        float max = 0;
        int largest = 0;
        for (int i = 0; i < 72; i++) max = fmaxf(max, fabsf(x[i]));
        CHECK(fabsf(scale - max / 127.0f) <= 1e-7f * max, "scale %g for max %g", scale, max);
        for (int i = 0; i < 72; i++) {
            int v = q[i * 3];
            largest = abs(v) > largest ? abs(v) : largest;
            CHECK(fabs((double)x[i] - (double)v * scale) <= 0.5001 * scale, "element %d: %g stored as %d x %g", i,
                  x[i], v, scale);
        }
        CHECK(largest == 127, "the largest magnitude maps to 127, got %d", largest);
    }
    float zeros[8] = {0};
    int8_t out[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(kv_int8_quantize(zeros, 8, out, 1) == 0.0f, "an all-zero row has scale 0");
    for (int i = 0; i < 8; i++) CHECK(out[i] == 0, "an all-zero row stores zeros");
    float nan_row[2] = {NAN, 1.0f};
    int8_t nan_out[2];
    kv_int8_quantize(nan_row, 2, nan_out, 1);
    CHECK(nan_out[0] == 0 && nan_out[1] == 127, "NaN stores 0 (got %d, %d)", nan_out[0], nan_out[1]);
}

/* softmax(q . k_t * ks_t) over t < length, then sum_t p_t v_t * vs_t, in double. */
static void reference(const float *q, const int8_t *keys, const float *ks, const int8_t *values, const float *vs,
                      int capacity, int length, int head_dim, double *out) {
    double *scores = malloc(sizeof(double) * (size_t)length), max = -INFINITY, sum = 0;
    for (int t = 0; t < length; t++) {
        double s = 0;
        for (int d = 0; d < head_dim; d++) s += (double)q[d] * keys[(size_t)d * capacity + t];
        scores[t] = s * ks[t];
        max = fmax(max, scores[t]);
    }
    for (int t = 0; t < length; t++) sum += scores[t] = exp(scores[t] - max);
    for (int d = 0; d < head_dim; d++) {
        double o = 0;
        for (int t = 0; t < length; t++) o += scores[t] / sum * values[(size_t)t * head_dim + d] * vs[t];
        out[d] = o;
    }
    free(scores);
}

static void test_attend(void) {
    static const int head_dims[] = {8, 16, 64, 72, 128};
    static const int lengths[] = {1, 3, 8, 16, 17, 64, 65, 100, 200};
    unsigned seed = 777;
    for (int v = 0; v < KERNELS_VARIANTS; v++) {
        const Kernels *k = kernels_variant(v);
        if (!cpu_has_all(k->features, NULL)) continue;
        double worst = 0;
        for (size_t hi = 0; hi < sizeof head_dims / sizeof *head_dims; hi++) {
            int hd = head_dims[hi], capacity = 203; /* not a multiple of any vector width */
            /* one head's buffers in the cache layout: keys [hd, capacity], values [capacity, hd] */
            int8_t *keys = calloc((size_t)hd * capacity, 1), *values = calloc((size_t)hd * capacity, 1);
            float *ks = calloc((size_t)capacity, sizeof(float)), *vs = calloc((size_t)capacity, sizeof(float));
            float *row = malloc(sizeof(float) * (size_t)hd), *q = malloc(sizeof(float) * (size_t)hd);
            for (int t = 0; t < capacity; t++) {
                for (int d = 0; d < hd; d++) row[d] = 2.0f * test_uniform(&seed);
                ks[t] = kv_int8_quantize(row, hd, keys + t, (size_t)capacity);
                for (int d = 0; d < hd; d++) row[d] = test_uniform(&seed);
                vs[t] = kv_int8_quantize(row, hd, values + (size_t)t * hd, 1);
            }
            for (int d = 0; d < hd; d++) q[d] = test_uniform(&seed) / sqrtf((float)hd);
            float *scores = malloc(sizeof(float) * (size_t)capacity), *out = malloc(sizeof(float) * (size_t)hd);
            double *expected = malloc(sizeof(double) * (size_t)hd);
            for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
                int length = lengths[li];
                k->attend_int8(q, keys, ks, values, vs, capacity, length, hd, scores, out);
                reference(q, keys, ks, values, vs, capacity, length, hd, expected);
                double error = 0;
                for (int d = 0; d < hd; d++) error = fmax(error, fabs(out[d] - expected[d]));
                worst = fmax(worst, error);
                CHECK(error < 1e-5, "%s head_dim %d length %d: max |out - reference| = %g", k->name, hd, length,
                      error);
            }
            free(keys);
            free(values);
            free(ks);
            free(vs);
            free(row);
            free(q);
            free(scores);
            free(out);
            free(expected);
        }
        printf("[native-test] INT8 KV attention, %s: within %.2g of the double reference\n", k->name, worst);
    }
}

int kv_int8_kernel_tests(int *checks_out) {
    test_quantize();
    test_attend();
    *checks_out = checks;
    return failures;
}
