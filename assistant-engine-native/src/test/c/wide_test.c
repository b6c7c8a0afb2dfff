/*
 * Tests of the INT8 VNNI products (linear_range_wide, llama_kernels.h) against a scalar reference: every output of
 * rows 1..8 (and 21, a prompt's tiles), with 8-bit and 16-bit activations, weights in panels, with and without a bias, must be bit for bit the exact integer dot
 * product of the quantized row, converted and scaled in the kernel's order ((float) dot * row scale * output scale,
 * plus the bias, unfused). The sizes are odd on purpose: outputs not a multiple of any block of outputs, inputs not a
 * multiple of 64, ranges that start and end inside a group, and dot products past 2^24, where the int64 to float
 * conversion rounds. Outputs outside the range must stay untouched.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "wide_test.h"
#include "test_support.h"

static int checks, failures;

/* Rows 1..8 (a batch of decode steps, one block of rows) and 21 (a prompt: tiles, blocks and a remainder). */
#define MAX_ROWS 21


/* y[r][o] from the quantized activations, one integer product and the scalar float steps, for comparison. */
static float reference(const Linear *L, const Wide *a, int r, int o) {
    const uint8_t *hi = a->hi + (size_t)r * a->padded, *lo = a->lo + (size_t)r * a->padded;
    int64_t dot = 0;
    for (int i = 0; i < L->in; i++) {
        int64_t u = a->narrow ? (int64_t)hi[i] - 128 : 256 * (int64_t)hi[i] + lo[i] - 32768;
        dot += u * L->i8[(size_t)o * L->in + i];
    }
    volatile float product = (float)dot * a->scale[r] * L->scale[o]; /* volatile: never fused with the bias */
    return L->bias ? product + L->bias[o] : product;
}

/* `extreme`: weights of +-127 with x's signs and x near its largest value everywhere, so dots pass 2^24. */
static void check_case(const Kernels *k, int out, int in, int narrow, int with_bias, int extreme, unsigned seed) {
    unsigned state = seed;
    int padded = (in + 63) / 64 * 64;
    size_t weights = ((size_t)out * in + 63) / 64 * 64 + 64; /* as llama_model.c allocates: rows read past `in` */
    float *x = malloc((size_t)MAX_ROWS * in * sizeof(float));
    Linear L = {out, in, NULL, aligned_alloc(64, weights), malloc((size_t)out * sizeof(float)),
                with_bias ? malloc((size_t)out * sizeof(float)) : NULL, malloc((size_t)out * sizeof(int32_t)), NULL};
    Wide a = {aligned_alloc(64, (size_t)MAX_ROWS * padded), aligned_alloc(64, (size_t)MAX_ROWS * padded),
              malloc(MAX_ROWS * sizeof(float)),
              padded, narrow};
    float *y = malloc((size_t)MAX_ROWS * out * sizeof(float));
    float *expected = malloc((size_t)MAX_ROWS * out * sizeof(float));
    for (size_t i = 0; i < (size_t)MAX_ROWS * in; i++) {
        float v = test_uniform(&state);
        x[i] = extreme ? (v < 0 ? -1.0f : 1.0f) * (0.999f + 0.001f * v) : v * (float)(1 + i % 7);
    }
    memset(L.i8, 0, weights);
    for (int o = 0; o < out; o++) {
        int32_t sum = 0;
        for (int i = 0; i < in; i++) {
            int8_t w = (int8_t)((int)(test_next_bits(&state) % 255) - 127);
            if (extreme) w = x[i] < 0 ? -127 : 127; /* the first row's signs */
            L.i8[(size_t)o * in + i] = w;
            sum += w;
        }
        L.row_sum[o] = sum;
        L.scale[o] = 0.001f + 0.01f * (test_uniform(&state) + 1.0f);
        if (L.bias) L.bias[o] = test_uniform(&state);
    }
    /* the kernels read the panels; the reference reads the rows */
    int8_t *rows_major = L.i8;
    L.panels = aligned_alloc(64, (int8_panels_bytes(out, in) + 63) / 64 * 64);
    int8_panels_pack(rows_major, out, in, L.panels);
    for (int rows = 1; rows <= MAX_ROWS; rows += rows < 8 ? 1 : 13) {
        k->quantize_rows(x, rows, in, &a);
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int i = 0; i < in; i++) max = fabsf(x[(size_t)r * in + i]) > max ? fabsf(x[(size_t)r * in + i]) : max;
            float scale = max / (narrow ? 127.0f : 32767.0f);
            CHECK(memcmp(&scale, &a.scale[r], sizeof scale) == 0, "%s in %d %s row %d: scale %.9g, want %.9g",
                  k->name, in, narrow ? "8-bit" : "16-bit", r, a.scale[r], scale);
        }
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) expected[(size_t)r * out + o] = reference(&L, &a, r, o);
        /* the whole range, and ranges cut inside any group of outputs */
        int cuts[][2] = {{0, out}, {0, 5}, {5, out}, {3, out - 2}, {out - 1, out}, {17, out < 50 ? out : 50}};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            int begin = cuts[c][0], end = cuts[c][1];
            if (begin >= end) continue;
            for (size_t i = 0; i < (size_t)rows * out; i++) y[i] = -12345.0f;
            L.i8 = NULL;
            k->linear_range_wide(&L, &a, rows, y, begin, end);
            L.i8 = rows_major;
            int wrong = 0, first = -1;
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    size_t at = (size_t)r * out + o;
                    float want = o >= begin && o < end ? expected[at] : -12345.0f;
                    if (memcmp(&y[at], &want, sizeof want) != 0 && wrong++ == 0) first = (int)at;
                }
            }
            CHECK(wrong == 0,
                  "%s out %d in %d %s%s%s rows %d outputs [%d, %d): %d outputs differ from the reference,"
                  " first [%d][%d] %.9g != %.9g",
                  k->name, out, in, narrow ? "8-bit" : "16-bit", with_bias ? " bias" : "", extreme ? " extreme" : "",
                  rows, begin, end, wrong, first < 0 ? 0 : first / out, first < 0 ? 0 : first % out,
                  first < 0 ? 0 : y[first], first < 0 ? 0 : expected[first]);
        }
    }
    free(x);
    free(L.i8);
    free(L.panels);
    free(L.scale);
    free(L.bias);
    free(L.row_sum);
    free(a.hi);
    free(a.lo);
    free(a.scale);
    free(y);
    free(expected);
}

int wide_product_tests(int *made) {
    const Kernels *k = kernels_variant(KERNELS_AVX512);
    if (!k->linear_range_wide || !cpu_has_all(k->features, NULL)) {
        printf("[native-test] INT8 VNNI products: not run (this CPU has no %s)\n", k->features);
        *made = 0;
        return 0;
    }
    const int sizes[][2] = {{37, 64}, {53, 100}, {70, 130}, {19, 576}, {41, 1100}};
    unsigned seed = 7;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int narrow = 0; narrow <= 1; narrow++)
            for (int bias = 0; bias <= 1; bias++)
                for (int extreme = 0; extreme <= 1; extreme++)
                    check_case(k, sizes[s][0], sizes[s][1], narrow, bias, extreme, seed++);
    printf("[native-test] INT8 VNNI products: %d checks, %d failed\n", checks, failures);
    *made = checks;
    return failures;
}
