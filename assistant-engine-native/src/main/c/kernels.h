/*
 * The compute kernels of the Llama forward pass and how one set is chosen for the CPU at hand.
 *
 * llama_kernels.h holds the loops once; kernels.c compiles them once per variant (AVX-512 with VNNI, AVX2 with FMA,
 * plain x86-64). Each variant's instruction-set extensions are one list (KERNELS_*_FEATURES below), used both as the
 * compiler target of that copy and as the run-time check that the CPU has every one of them, so a variant can never
 * be compiled with an extension the check does not test.
 */
#ifndef ASSISTANT_KERNELS_H
#define ASSISTANT_KERNELS_H

#include <stdint.h>
#include <string.h>

/* The extensions each variant is compiled with: the pragma target string and the run-time check's list. */
#define KERNELS_AVX512_FEATURES "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma"
#define KERNELS_AVX2_FEATURES "avx2,fma"
#define KERNELS_GENERIC_FEATURES ""

/* e^x within 2 ulp for x in [-87, 88] (clamped outside): 2^n * p(r), r = x - n ln2, |r| <= ln2/2. Without
 * branches, so the loops calling it vectorize. */
static inline __attribute__((always_inline)) float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_rintf(x * 1.44269504088896341f); /* rintf: one instruction, unlike roundf */
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-6f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

/* A linear layer: y[r][o] = scale[o] * (x[r] . w[o]) + bias[o]; float or INT8 weights [out, in] row-major, INT8 in
 * panels (below) for the VNNI kernels, or blocks. */
typedef struct {
    int out, in;
    const float *f32;   /* [out, in] float32 (the caller's memory), or NULL */
    int8_t *i8;         /* [out, in] INT8 (owned), or NULL */
    float *scale;       /* [out] (owned), with i8 */
    float *bias;        /* [out] (owned), or NULL */
    int32_t *row_sum;   /* [out] sum of each INT8 row (owned), with i8 */
    struct BlockLinear *block; /* group-32 Q4_0/Q8_0 weights (owned, block_linear.h), or NULL */
    int8_t *panels;     /* the INT8 weights in the VNNI products' layout (owned, below) instead of i8, or NULL */
} Linear;

/*
 * The VNNI products' weight layout: panels of INT8_PANEL outputs; within a panel, for each group of 4 inputs, the
 * panel's outputs' 4 weights each, output after output (INT8_PANEL * 4 bytes), zeros past `out` and `in`. One
 * 64-byte load holds 16 outputs x 4 inputs, so the product of a row's 4 inputs broadcast across it adds 4 terms to 16
 * outputs' sums in their own lanes: no sum across lanes at the end, and one weight load serves every row of a batch.
 */
#define INT8_PANEL 32

/* The bytes int8_panels_pack writes for [out, in] weights (whole panels and groups). */
size_t int8_panels_bytes(int out, int in);

/* Writes row-major [out, in] INT8 weights `w` into `panels` (int8_panels_bytes(out, in) bytes) in the layout above. */
void int8_panels_pack(const int8_t *w, int out, int in, int8_t *panels);

/* Rows of activations quantized for the VNNI products, each row padded with zeros to `padded` (a multiple of 64)
 * bytes: to 16 bits, the high and low bytes of round(x / scale) + 32768; or, `narrow`, to 8 bits, round(x / scale) +
 * 128 in `hi` alone (llama_kernels.h). */
typedef struct {
    uint8_t *hi, *lo;
    float *scale;
    int padded;
    int narrow;
} Wide;

/* Query heads attend reads each cached key and value for at once (its scratch holds this many rows of scores). */
#define ATTEND_HEADS 4

/* Bytes ahead of the current position a product prefetches in each weight row. */
#define AHEAD 1024

typedef struct {
    const char *name;     /* "avx512", "avx2" or "x86-64" */
    const char *features; /* the extensions this variant is compiled with (KERNELS_*_FEATURES) */
    void (*linear_range)(const Linear *L, const float *x, int rows, float *y, int o_begin, int o_end);
    void (*rms_norm)(const float *x, const float *w, float eps, int rows, int n, float *out);
    void (*swiglu)(const float *gu, int rows, int ffn, float *m);
    /* `heads` query heads (consecutive in q and out) over their shared KV head; scores: ATTEND_HEADS * length */
    void (*attend)(const float *q, int heads, const float *keys, const float *values, int capacity, int length,
                   int head_dim, float *scores, float *out);
    /* with AVX-512 VNNI (else NULL): INT8 products, weights in panels (Linear.panels), on 8- or 16-bit activations */
    void (*quantize_rows)(const float *x, int rows, int in, Wide *a);
    void (*linear_range_wide)(const Linear *L, const Wide *a, int rows, float *y, int o_begin, int o_end);
    /* attend over an INT8 KV cache (kv_cache.h): keys [head_dim, capacity] and values [capacity, head_dim] int8,
     * with their per-position scales ([capacity] each) */
    void (*attend_int8)(const float *q, const int8_t *keys, const float *key_scales, const int8_t *values,
                        const float *value_scales, int capacity, int length, int head_dim, float *scores, float *out);
} Kernels;

/* The variants, widest first. */
enum { KERNELS_AVX512, KERNELS_AVX2, KERNELS_GENERIC, KERNELS_VARIANTS };

/* Variant `index` (KERNELS_AVX512 ..), whether or not the CPU runs it; NULL outside the range. */
const Kernels *kernels_variant(int index);

/*
 * Whether the CPU has every extension in the comma-separated list `features`, treating those in the
 * comma-separated list `absent` (may be NULL) as missing: the test hook that shows a variant is refused when any
 * one of its extensions is missing. An extension name this file does not know counts as missing.
 */
int cpu_has_all(const char *features, const char *absent);

/* Whether this file can check extension `name` at run time. */
int cpu_feature_known(const char *name, size_t length);

/* The widest variant no wider than `widest` (KERNELS_AVX512 ..) whose extensions the CPU has, minus `absent`. */
const Kernels *kernels_select(int widest, const char *absent);

#endif
