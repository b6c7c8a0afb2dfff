/*
 * Tests of the Q4_1 and Q4_K products (block_kernels_offset.h): every kernel variant the CPU runs against a scalar
 * reference in double precision that dequantizes the ggml blocks as written (decoded here, independently of the
 * loader) and multiplies them with the quantized activations; row lengths that are and are not multiples of 128
 * (Q4_1 also of 32), batches of 1 to 9 rows; a row's result must not depend on its batch or on how the outputs are
 * split; reading a row back gives the dequantized weights; the loaders refuse sizes and types that do not match.
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


/* float -> IEEE half by rounding the significand to 10 bits (normal range and zero: the tests keep scales there). */
static uint16_t half_of(float f) {
    if (f == 0) return 0;
    uint32_t sign = f < 0 ? 0x8000u : 0;
    int e;
    float m = frexpf(fabsf(f), &e);
    uint32_t mant = (uint32_t)lrintf((m * 2 - 1) * 1024);
    int exp = e - 1 + 15;
    if (mant == 1024) {
        mant = 0;
        exp++;
    }
    if (exp <= 0) return (uint16_t)sign;
    return (uint16_t)(sign | (uint32_t)exp << 10 | mant);
}

static void put_half(uint8_t *b, float f) {
    uint16_t h = half_of(f);
    b[0] = (uint8_t)h;
    b[1] = (uint8_t)(h >> 8);
}

static double get_half(const uint8_t *b) {
    return block_half_to_float((uint16_t)(b[0] | b[1] << 8));
}

/* Q4_1 of one row: per group d = (max - min) / 15, m = min, q = round((x - m) / d); the last group zero-padded. */
static void quantize_q4_1(const float *x, int in, uint8_t *out) {
    for (int g = 0; g < (in + 31) / 32; g++) {
        float v[32] = {0};
        for (int t = 0; t < 32 && g * 32 + t < in; t++) v[t] = x[g * 32 + t];
        float lo = v[0], hi = v[0];
        for (int t = 1; t < 32; t++) {
            lo = v[t] < lo ? v[t] : lo;
            hi = v[t] > hi ? v[t] : hi;
        }
        float d = (hi - lo) / 15, id = d != 0 ? 1 / d : 0;
        uint8_t *b = out + (size_t)g * BLOCK_Q4_1_BYTES;
        put_half(b, d);
        put_half(b + 2, lo);
        for (int t = 0; t < 16; t++) {
            int a = (int)lrintf((v[t] - lo) * id), c = (int)lrintf((v[t + 16] - lo) * id);
            a = a < 0 ? 0 : a > 15 ? 15 : a;
            c = c < 0 ? 0 : c > 15 ? 15 : c;
            b[4 + t] = (uint8_t)(a | c << 4);
        }
    }
}

/* Q4_K of one row (in a multiple of 256), round to nearest: per sub-block scale (max - min) / 15 and min -min (at
 * least 0), both quantized to 6 bits against the super-block's d = max scale / 63 and dmin = max min / 63. */
static void quantize_q4_k(const float *x, int in, uint8_t *out) {
    for (int s = 0; s < in / 256; s++) {
        const float *v = x + (size_t)s * 256;
        float scale[8], min[8], max_scale = 0, max_min = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0, hi = v[j * 32];
            for (int t = 0; t < 32; t++) {
                lo = v[j * 32 + t] < lo ? v[j * 32 + t] : lo;
                hi = v[j * 32 + t] > hi ? v[j * 32 + t] : hi;
            }
            scale[j] = (hi - lo) / 15;
            min[j] = -lo;
            max_scale = scale[j] > max_scale ? scale[j] : max_scale;
            max_min = min[j] > max_min ? min[j] : max_min;
        }
        uint8_t *b = out + (size_t)s * BLOCK_Q4_K_BYTES;
        float d = max_scale / 63, dmin = max_min / 63;
        put_half(b, d);
        put_half(b + 2, dmin);
        d = (float)get_half(b);
        dmin = (float)get_half(b + 2);
        uint8_t sc[8], mn[8];
        for (int j = 0; j < 8; j++) {
            long a = d > 0 ? lrintf(scale[j] / d) : 0, c = dmin > 0 ? lrintf(min[j] / dmin) : 0;
            sc[j] = (uint8_t)(a > 63 ? 63 : a);
            mn[j] = (uint8_t)(c > 63 ? 63 : c);
        }
        uint8_t *p = b + 4;
        for (int j = 0; j < 4; j++) {
            p[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
            p[j + 4] = (uint8_t)(mn[j] | (mn[j + 4] >> 4) << 6);
            p[j + 8] = (uint8_t)((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
        }
        uint8_t q[256];
        for (int j = 0; j < 8; j++) {
            float step = d * sc[j], offset = dmin * mn[j];
            for (int t = 0; t < 32; t++) {
                long n = step > 0 ? lrintf((v[j * 32 + t] + offset) / step) : 0;
                q[j * 32 + t] = (uint8_t)(n < 0 ? 0 : n > 15 ? 15 : n);
            }
        }
        for (int pair = 0; pair < 4; pair++)
            for (int l = 0; l < 32; l++) b[16 + pair * 32 + l] = (uint8_t)(q[pair * 64 + l] | q[pair * 64 + 32 + l] << 4);
    }
}

/* The weight of row o, input i, decoded from the ggml blocks. */
static double weight(int type, const uint8_t *blocks, int in, int o, int i) {
    if (type == BLOCK_Q4_1) {
        int groups = (in + 31) / 32, g = i / 32, t = i % 32;
        const uint8_t *b = blocks + ((size_t)o * groups + g) * BLOCK_Q4_1_BYTES;
        uint8_t q = b[4 + (t & 15)];
        return get_half(b) * (t < 16 ? (q & 15) : (q >> 4)) + get_half(b + 2);
    }
    int s = i / 256, t = i % 256, j = t / 32;
    const uint8_t *b = blocks + ((size_t)o * (in / 256) + s) * BLOCK_Q4_K_BYTES, *p = b + 4;
    int sc, mn;
    if (j < 4) {
        sc = p[j] & 63;
        mn = p[j + 4] & 63;
    } else {
        sc = (p[j + 4] & 15) | (p[j - 4] >> 6) << 4;
        mn = (p[j + 4] >> 4) | (p[j] >> 6) << 4;
    }
    uint8_t byte = b[16 + (t / 64) * 32 + t % 32];
    int q = (t % 64) < 32 ? byte & 15 : byte >> 4;
    return get_half(b) * sc * q - get_half(b + 2) * mn;
}

static double act(const BlockActs *a, int r, int i) {
    int g = i / 32, t = i % 32;
    const int8_t *q = a->q + (size_t)r * a->chunks * 128 + (g / 4) * 128 + (g % 4) * 16;
    return (double)a->d[(size_t)r * a->chunks * 4 + g] * (t < 16 ? q[t] : q[64 + t - 16]);
}

static unsigned long long seed = 0x2545f4914f6cdd1dull;
static float uniform(void) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((seed >> 40) / (double)(1 << 24)) * 2 - 1;
}

static const char *type_name(int type) {
    return type == BLOCK_Q4_1 ? "Q4_1" : "Q4_K";
}

static void test_products(int type, int out, int in, int rows) {
    long bytes = block_linear_blocks_bytes(type, out, in);
    float *w = malloc((size_t)out * in * sizeof(float)), *x = malloc((size_t)rows * in * sizeof(float));
    float *bias = malloc((size_t)out * sizeof(float));
    uint8_t *blocks = malloc((size_t)bytes);
    /* weights off centre (an offset matters) and a zero row */
    for (long i = 0; i < (long)out * in; i++) w[i] = uniform() + 0.3f;
    for (long i = 0; i < (long)rows * in; i++) x[i] = uniform() * 3 + 0.5f;
    for (int o = 0; o < out; o++) bias[o] = uniform();
    if (out > 1) memset(w + in, 0, (size_t)in * sizeof(float));
    long row_bytes = bytes / out;
    for (int o = 0; o < out; o++) {
        if (type == BLOCK_Q4_1) {
            quantize_q4_1(w + (size_t)o * in, in, blocks + o * row_bytes);
        } else {
            quantize_q4_k(w + (size_t)o * in, in, blocks + o * row_bytes);
        }
    }
    BlockLinear L;
    CHECK(block_linear_init(&L, type, out, in, blocks, bytes) == 0, "init %s out %d in %d", type_name(type), out, in);
    BlockActs a;
    a.chunks = (in + 127) / 128 + 1; /* a wider stride than needed, as a pass's scratch has */
    a.q = calloc((size_t)rows * a.chunks * 128, 1);
    a.d = calloc((size_t)rows * a.chunks * 4, sizeof(float));
    a.neg_corr = calloc((size_t)rows * a.chunks * 16, sizeof(int32_t));
    float *y = malloc((size_t)rows * out * sizeof(float)), *y1 = malloc((size_t)out * sizeof(float));
    float *row = malloc((size_t)in * sizeof(float));
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
                    double p = weight(type, blocks, in, o, i) * act(&a, r, i);
                    ref += p;
                    scale += fabs(p);
                }
                double err = fabs(y[(size_t)r * out + o] - ref) / (scale + 1);
                worst = err > worst ? err : worst;
            }
        }
        CHECK(worst < 1e-5, "%s %s out %d in %d rows %d: relative error %g against the scalar reference", k->name,
              type_name(type), out, in, rows, worst);
        bk->quantize(x + (size_t)(rows - 1) * in, 1, in, &a);
        bk->linear_range(&L, bias, &a, 1, y1, 0, out / 2);
        bk->linear_range(&L, bias, &a, 1, y1, out / 2, out);
        CHECK(memcmp(y1, y + (size_t)(rows - 1) * out, (size_t)out * sizeof(float)) == 0,
              "%s %s out %d in %d: a row's result depends on its batch", k->name, type_name(type), out, in);
        /* against the float weights: within 4-bit quantization error */
        double err = 0, norm = 0;
        for (int o = 0; o < out; o++) {
            double ref = bias[o];
            for (int i = 0; i < in; i++) ref += (double)w[(size_t)o * in + i] * x[(size_t)(rows - 1) * in + i];
            err += (y1[o] - ref) * (y1[o] - ref);
            norm += ref * ref;
        }
        CHECK(sqrt(err / (norm + 1e-30)) < 0.1, "%s %s in %d: relative error %g against float weights", k->name,
              type_name(type), in, sqrt(err / (norm + 1e-30)));
    }
    double worst = 0;
    for (int o = 0; o < out; o++) {
        block_linear_row(&L, o, row);
        for (int i = 0; i < in; i++) {
            double ref = weight(type, blocks, in, o, i);
            double e = fabs(row[i] - ref) / (fabs(ref) + 1e-3);
            worst = e > worst ? e : worst;
        }
    }
    CHECK(worst < 1e-6, "%s in %d: block_linear_row differs from the blocks by %g", type_name(type), in, worst);
    CHECK(block_linear_bytes(&L) == (type == BLOCK_Q4_1 ? (long)out * ((in + 31) / 32) * 20
                                                         : (long)out * (in / 256) * (128 + 4 + 16)),
          "%s bytes %ld", type_name(type), block_linear_bytes(&L));
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
    free(row);
}

static void test_refusals(void) {
    static uint8_t blocks[4 * BLOCK_Q4_K_BYTES];
    BlockLinear L;
    memset(&L, 0, sizeof L);
    CHECK(block_linear_blocks_bytes(BLOCK_Q4_K, 2, 300) == -1, "Q4_K row of 300 inputs sized");
    CHECK(block_linear_init(&L, BLOCK_Q4_K, 1, 300, blocks, 2 * BLOCK_Q4_K_BYTES) == -2, "Q4_K row of 300 inputs");
    CHECK(block_linear_init(&L, BLOCK_Q4_K, 1, 256, blocks, BLOCK_Q4_K_BYTES - 1) == -2, "short Q4_K row");
    CHECK(block_linear_init(&L, BLOCK_Q4_K, 2, 256, blocks, BLOCK_Q4_K_BYTES) == -2, "one super-block for two rows");
    CHECK(block_linear_init(&L, BLOCK_Q4_1, 1, 64, blocks, BLOCK_Q4_1_BYTES) == -2, "one Q4_1 block for 64 inputs");
    CHECK(block_linear_init(&L, 13, 1, 256, blocks, 176) == -2, "Q5_K accepted");
    CHECK(block_linear_init(&L, 14, 1, 256, blocks, 210) == -2, "Q6_K accepted");
    CHECK(!L.q && !L.d && !L.dmin && !L.sub, "a refused init touched the matrix");

    /* through the model: hidden 64 (not whole super-blocks) refuses a Q4_K q/k/v, a 256-input down takes one */
    LlamaConfig c = {64, 8, 4, 8, 256, 1, 512, 1e-5f, {LLAMA_ROPE_NONE, 10000, 0, 0, 0, 0}, 1, KERNELS_AVX512, NULL};
    LlamaModel *m;
    const char *error = NULL;
    if (llama_create(&c, &m, &error) != LLAMA_OK) {
        CHECK(0, "llama_create: %s", error);
        return;
    }
    long down = 64L * BLOCK_Q4_K_BYTES;
    uint8_t *w = calloc((size_t)down * 4, 1);
    CHECK(llama_set_block_linear(m, 0, LLAMA_QKV, BLOCK_Q4_K, w, down, NULL, 0, &error) == LLAMA_BAD_ARGUMENT,
          "Q4_K rows of 64 inputs");
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, BLOCK_Q4_K, w, down - 1, NULL, 0, &error) == LLAMA_BAD_ARGUMENT,
          "short Q4_K blocks");
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, 14, w, down, NULL, 0, &error) == LLAMA_BAD_ARGUMENT, "Q6_K type");
    CHECK(llama_owned_bytes(m) == 0, "refused setters copied %ld bytes", llama_owned_bytes(m));
    CHECK(llama_set_block_linear(m, 0, LLAMA_DOWN, BLOCK_Q4_K, w, down, NULL, 0, &error) == LLAMA_OK, "%s", error);
    CHECK(llama_owned_bytes(m) == 64L * (128 + 4 + 16), "owned bytes %ld", llama_owned_bytes(m));
    long o_bytes = 64L * 2 * BLOCK_Q4_1_BYTES;
    CHECK(llama_set_block_linear(m, 0, LLAMA_O, BLOCK_Q4_1, w, o_bytes, NULL, 0, &error) == LLAMA_OK, "%s", error);
    free(w);
    llama_destroy(m);
}

int block_offset_tests(void) {
    int q41_ins[] = {32, 64, 96, 128, 160, 576, 1000};
    int q4k_ins[] = {256, 512, 768, 1536};
    int rows[] = {1, 4, 5, 9};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (size_t i = 0; i < sizeof q41_ins / sizeof q41_ins[0]; i++) test_products(BLOCK_Q4_1, 11, q41_ins[i], rows[r]);
        for (size_t i = 0; i < sizeof q4k_ins / sizeof q4k_ins[0]; i++) test_products(BLOCK_Q4_K, 11, q4k_ins[i], rows[r]);
    }
    test_refusals();
    printf("[native-test] Q4_1/Q4_K block products: %d checks, %d failed\n", checks, failures);
    return failures;
}
