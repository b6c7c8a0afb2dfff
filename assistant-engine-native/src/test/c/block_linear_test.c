/*
 * Tests of the group-32 block products (block_linear.h): every kernel variant the CPU runs against a scalar
 * reference in double precision over the same quantized weights and activations, for Q4_0 and Q8_0, row lengths that
 * are and are not multiples of 32 and 128, batches of 1 to 9 rows; a row's result must not depend on the batch; the
 * loaders refuse sizes that do not match.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_linear.h"
#include "kernels.h"
#include "llama_model.h"
#include "test_support.h"

static int checks, failures;


/* float -> IEEE half, round to nearest even (normal range and zero; enough for test scales). */
static uint16_t to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    float a = fabsf(f);
    if (a < 6.2e-5f) return (uint16_t)sign; /* the tests keep scales normal */
    int e;
    float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    uint32_t mant = (uint32_t)lrintf((m * 2 - 1) * 1024);
    int exp = e - 1 + 15;
    if (mant == 1024) {
        mant = 0;
        exp++;
    }
    return (uint16_t)(sign | (uint32_t)exp << 10 | mant);
}

/* ggml's reference quantization of one row into blocks (the last group zero-padded). */
static void quantize_row(int type, const float *x, int in, uint8_t *out) {
    int groups = (in + 31) / 32;
    for (int g = 0; g < groups; g++) {
        float v[32] = {0};
        for (int t = 0; t < 32 && g * 32 + t < in; t++) v[t] = x[g * 32 + t];
        if (type == BLOCK_Q4_0) {
            uint8_t *b = out + (size_t)g * BLOCK_Q4_0_BYTES;
            float max = 0, amax = 0;
            for (int t = 0; t < 32; t++) {
                if (fabsf(v[t]) > amax) {
                    amax = fabsf(v[t]);
                    max = v[t];
                }
            }
            float d = max / -8, id = d != 0 ? 1 / d : 0;
            uint16_t h = to_half(d);
            b[0] = (uint8_t)h;
            b[1] = (uint8_t)(h >> 8);
            for (int t = 0; t < 16; t++) {
                int lo = (int)(v[t] * id + 8.5f), hi = (int)(v[t + 16] * id + 8.5f);
                lo = lo > 15 ? 15 : lo;
                hi = hi > 15 ? 15 : hi;
                b[2 + t] = (uint8_t)(lo | hi << 4);
            }
        } else {
            uint8_t *b = out + (size_t)g * BLOCK_Q8_0_BYTES;
            float amax = 0;
            for (int t = 0; t < 32; t++) amax = fabsf(v[t]) > amax ? fabsf(v[t]) : amax;
            float d = amax / 127, id = d != 0 ? 1 / d : 0;
            uint16_t h = to_half(d);
            b[0] = (uint8_t)h;
            b[1] = (uint8_t)(h >> 8);
            for (int t = 0; t < 32; t++) b[2 + t] = (uint8_t)(int8_t)lrintf(v[t] * id);
        }
    }
}

/* The weight of row o, input i, straight from the ggml blocks. */
static double block_weight(int type, const uint8_t *blocks, int in, int o, int i) {
    int groups = (in + 31) / 32, g = i / 32, t = i % 32;
    int bytes = type == BLOCK_Q4_0 ? BLOCK_Q4_0_BYTES : BLOCK_Q8_0_BYTES;
    const uint8_t *b = blocks + ((size_t)o * groups + g) * bytes;
    double d = block_half_to_float((uint16_t)(b[0] | b[1] << 8));
    if (type == BLOCK_Q8_0) return d * (int8_t)b[2 + t];
    uint8_t q = b[2 + (t & 15)];
    return d * ((t < 16 ? (q & 15) : (q >> 4)) - 8);
}

/* The activation of row r, input i, as quantized in a. */
static double act(const BlockActs *a, int r, int i) {
    int g = i / 32, t = i % 32;
    const int8_t *q = a->q + (size_t)r * a->chunks * 128 + (g / 4) * 128 + (g % 4) * 16;
    return (double)a->d[(size_t)r * a->chunks * 4 + g] * (t < 16 ? q[t] : q[64 + t - 16]);
}

static unsigned long long seed = 0x9e3779b97f4a7c15ull;
static float uniform(void) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((seed >> 40) / (double)(1 << 24)) * 2 - 1;
}

static void test_products(int type, int out, int in, int rows) {
    int groups = (in + 31) / 32, bytes = type == BLOCK_Q4_0 ? BLOCK_Q4_0_BYTES : BLOCK_Q8_0_BYTES;
    float *w = malloc((size_t)out * in * sizeof(float)), *x = malloc((size_t)rows * in * sizeof(float));
    float *bias = malloc((size_t)out * sizeof(float));
    uint8_t *blocks = malloc((size_t)out * groups * bytes);
    for (long i = 0; i < (long)out * in; i++) w[i] = uniform();
    for (long i = 0; i < (long)rows * in; i++) x[i] = uniform() * 3;
    for (int o = 0; o < out; o++) bias[o] = uniform();
    if (out > 1) memset(w + in, 0, (size_t)in * sizeof(float)); /* an all-zero row: zero scales */
    memset(x, 0, 32 * sizeof(float) < (size_t)in * sizeof(float) ? 32 * sizeof(float) : (size_t)in * sizeof(float));
    for (int o = 0; o < out; o++) quantize_row(type, w + (size_t)o * in, in, blocks + (size_t)o * groups * bytes);
    BlockLinear L;
    CHECK(block_linear_init(&L, type, out, in, blocks, (long)out * groups * bytes) == 0, "init");
    BlockActs a;
    a.chunks = (in + 127) / 128 + 1; /* a wider stride than needed, as a pass's scratch has */
    a.q = calloc((size_t)rows * a.chunks * 128, 1);
    a.d = calloc((size_t)rows * a.chunks * 4, sizeof(float));
    a.neg_corr = calloc((size_t)rows * a.chunks * 16, sizeof(int32_t));
    float *y = malloc((size_t)rows * out * sizeof(float)), *y1 = malloc((size_t)out * sizeof(float));
    for (int v = 0; v < KERNELS_VARIANTS; v++) {
        const Kernels *k = kernels_variant(v);
        if (!cpu_has_all(k->features, NULL)) continue;
        const BlockKernels *bk = block_kernels_variant(v);
        bk->quantize(x, rows, in, &a);
        bk->linear_range(&L, bias, &a, rows, y, 0, out);
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double ref = bias[o], scale = 0;
                for (int i = 0; i < in; i++) {
                    double p = block_weight(type, blocks, in, o, i) * act(&a, r, i);
                    ref += p;
                    scale += fabs(p);
                }
                double err = fabs(y[(size_t)r * out + o] - ref) / (scale + 1);
                worst = err > worst ? err : worst;
            }
        }
        CHECK(worst < 1e-5, "%s %s out %d in %d rows %d: relative error %g against the scalar reference", k->name,
              type == BLOCK_Q4_0 ? "Q4_0" : "Q8_0", out, in, rows, worst);
        /* the last row alone gives the same bits as inside the batch; outputs split in two ranges too */
        bk->quantize(x + (size_t)(rows - 1) * in, 1, in, &a);
        bk->linear_range(&L, bias, &a, 1, y1, 0, out / 2);
        bk->linear_range(&L, bias, &a, 1, y1, out / 2, out);
        CHECK(memcmp(y1, y + (size_t)(rows - 1) * out, (size_t)out * sizeof(float)) == 0,
              "%s out %d in %d: a row's result depends on its batch", k->name, out, in);
        /* against the float product: within 4-bit/8-bit quantization error */
        double err = 0, norm = 0;
        for (int o = 0; o < out; o++) {
            double ref = bias[o];
            for (int i = 0; i < in; i++) ref += (double)w[(size_t)o * in + i] * x[(size_t)(rows - 1) * in + i];
            err += (y1[o] - ref) * (y1[o] - ref);
            norm += ref * ref;
        }
        double limit = type == BLOCK_Q4_0 ? 0.2 : 0.02;
        CHECK(sqrt(err / (norm + 1e-30)) < limit, "%s %s in %d: relative error %g against float weights", k->name,
              type == BLOCK_Q4_0 ? "Q4_0" : "Q8_0", in, sqrt(err / (norm + 1e-30)));
        /* reading a row back */
        float *row = malloc((size_t)in * sizeof(float));
        block_linear_row(&L, out - 1, row);
        int same = 1;
        for (int i = 0; i < in; i++) same &= row[i] == (float)block_weight(type, blocks, in, out - 1, i);
        CHECK(same, "%s in %d: block_linear_row differs from the blocks", type == BLOCK_Q4_0 ? "Q4_0" : "Q8_0", in);
        free(row);
    }
    block_linear_free(&L);
    free(a.q);
    free(a.d);
    free(a.neg_corr);
    free(w);
    free(x);
    free(bias);
    free(blocks);
    free(y);
    free(y1);
}

static void test_refusals(void) {
    uint8_t blocks[4 * BLOCK_Q8_0_BYTES] = {0};
    BlockLinear L;
    memset(&L, 0, sizeof L);
    CHECK(block_linear_init(&L, 3, 1, 32, blocks, BLOCK_Q4_0_BYTES) == -2, "unknown type accepted");
    CHECK(block_linear_init(&L, BLOCK_Q4_0, 1, 33, blocks, BLOCK_Q4_0_BYTES) == -2, "33 inputs in one block");
    CHECK(block_linear_init(&L, BLOCK_Q8_0, 2, 32, blocks, BLOCK_Q8_0_BYTES) == -2, "one block for two rows");
    CHECK(!L.q && !L.d, "a refused init touched the matrix");

    LlamaConfig c = {64, 8, 4, 8, 172, 1, 512, 1e-5f, {LLAMA_ROPE_NONE, 10000, 0, 0, 0, 0}, 1, KERNELS_AVX512, NULL};
    LlamaModel *m;
    const char *error = NULL;
    if (llama_create(&c, &m, &error) != LLAMA_OK) {
        CHECK(0, "llama_create: %s", error);
        return;
    }
    long down = (long)64 * ((172 + 31) / 32) * BLOCK_Q4_0_BYTES;
    uint8_t *w = calloc((size_t)down, 1);
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, BLOCK_Q4_0, w, down - 1, NULL, 0, &error) == LLAMA_BAD_ARGUMENT,
          "short blocks");
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, 5, w, down, NULL, 0, &error) == LLAMA_BAD_ARGUMENT, "Q5 type");
    CHECK(llama_set_block_linear(m, 1, LLAMA_DOWN, BLOCK_Q4_0, w, down, NULL, 0, &error) == LLAMA_BAD_ARGUMENT,
          "no such layer");
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, BLOCK_Q4_0, NULL, down, NULL, 0, &error) == LLAMA_BAD_ARGUMENT,
          "null blocks");
    CHECK(llama_set_embedding_from_head(m, &error) == LLAMA_BAD_ARGUMENT, "embedding from a head that is not set");
    long table = (long)512 * 2 * BLOCK_Q8_0_BYTES;
    uint8_t *t = calloc((size_t)table, 1);
    CHECK(llama_set_block_embedding(m, BLOCK_Q8_0, t, table - 34, &error) == LLAMA_BAD_ARGUMENT, "short table");
    CHECK(llama_set_block_embedding(m, BLOCK_Q4_0, t, table, &error) == LLAMA_BAD_ARGUMENT, "table of another type");
    CHECK(llama_owned_bytes(m) == 0, "refused setters copied %ld bytes", llama_owned_bytes(m));
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, BLOCK_Q4_0, w, down, NULL, 0, &error) == LLAMA_OK, "%s", error);
    CHECK(llama_owned_bytes(m) == 64 * 6 * 16 + 64 * 6 * 2, "owned bytes %ld", llama_owned_bytes(m));
    CHECK(llama_set_block_embedding(m, BLOCK_Q8_0, t, table, &error) == LLAMA_OK, "%s", error);
    CHECK(llama_owned_bytes(m) == 64 * 6 * 18 + 512 * 2 * 34, "owned bytes with the table %ld", llama_owned_bytes(m));
    free(t);
    free(w);
    llama_destroy(m);
}

int block_linear_tests(void) {
    int ins[] = {32, 64, 96, 128, 160, 172, 576, 1000};
    int rows[] = {1, 4, 5, 9};
    for (int type = 0; type < 2; type++) {
        for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
            for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
                test_products(type ? BLOCK_Q8_0 : BLOCK_Q4_0, 11, ins[i], rows[r]);
            }
        }
    }
    test_refusals();
    printf("[native-test] block products: %d checks, %d failed\n", checks, failures);
    return failures;
}
