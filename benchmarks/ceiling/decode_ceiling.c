/*
 * The decode-speed ceiling of a memory-bound CPU: one decode step of a Llama-shaped model reduced to its weight
 * products (q|k|v, o, gate|up and down of every layer, then the output head), with nothing else: no norms, no
 * attention, no framework. Each product is a hand-written AVX-512 matrix-vector kernel over weights stored
 * [out, in]: float32 with FMA, and symmetric INT8 with one float scale per output row and the activation quantized
 * to 8 bits (one VNNI dot product per 64 weights, as the SDK's native layers do by default). Each weight row is read
 * front to back, one after another, as the SDK reads them since 2026-12-07. Every product reads its own weights, so a
 * step streams the whole model from memory, as real decoding does. Each round times FP32 and then INT8 right
 * after it, so a round's ratio compares adjacent moments.
 *
 * What it answers: how much faster INT8 decoding CAN be than FP32 decoding on this machine, the bound any engine's
 * ratio is measured against. Not part of the SDK; see run-ceiling.sh.
 *
 * Build: gcc -O3 -march=native -fopenmp decode_ceiling.c -o decode_ceiling (needs AVX-512 VNNI)
 * Usage: decode_ceiling HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB THREADS STEPS
 */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    int out, in;
    float *f32;        /* [out, in] */
    int8_t *i8;        /* [out, in] */
    float *scale;      /* [out] */
    int32_t *row_sum;  /* [out]: sum of the row's INT8 values, to undo the activation's zero point */
} Product;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static int next_int8(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (int)(rng % 255) - 127;
}

static Product product(int out, int in) {
    Product p = {out, in};
    size_t n = (size_t)out * in;
    p.f32 = aligned_alloc(64, n * sizeof(float));
    p.i8 = aligned_alloc(64, n);
    p.scale = malloc(out * sizeof(float));
    p.row_sum = calloc(out, sizeof(int32_t));
    for (int r = 0; r < out; r++) {
        p.scale[r] = 0.01f;
        for (int c = 0; c < in; c++) {
            int v = next_int8();
            p.i8[(size_t)r * in + c] = (int8_t)v;
            p.f32[(size_t)r * in + c] = v * 0.01f;
            p.row_sum[r] += v;
        }
    }
    return p;
}

/* Rows per pass, each read front to back in turn (one sequential stream: rows side by side made short streams that
 * the hardware prefetcher followed at half the speed on 576-byte rows), prefetched a few cache lines ahead. */
enum { ROWS = 8, AHEAD = 1024 };

/* y = W x over float32 */
static void matvec_f32(const Product *p, const float *x, float *y) {
    const int in = p->in;
    #pragma omp for schedule(static)
    for (int r = 0; r < p->out; r += ROWS) {
        for (int j = 0; j < ROWS; j++) {
            const float *w = p->f32 + (size_t)(r + j) * in;
            __m512 acc = _mm512_setzero_ps();
            for (int c = 0; c < in; c += 16) {
                _mm_prefetch((const char *)(w + c) + AHEAD, _MM_HINT_T0);
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + c), _mm512_loadu_ps(w + c), acc);
            }
            y[r + j] = _mm512_reduce_add_ps(acc);
        }
    }
}

/* y = scale * x_scale * (W . (xq + 128) - 128 * row_sum): xq is x on 255 signed steps, offset to unsigned for VNNI */
static void matvec_i8(const Product *p, const uint8_t *xq, float x_scale, float *y) {
    const int in = p->in;
    #pragma omp for schedule(static)
    for (int r = 0; r < p->out; r += ROWS) {
        for (int j = 0; j < ROWS; j++) {
            const int8_t *w = p->i8 + (size_t)(r + j) * in;
            __m512i acc = _mm512_setzero_si512();
            for (int c = 0; c < in; c += 64) {
                _mm_prefetch((const char *)(w + c) + AHEAD, _MM_HINT_T0);
                acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(xq + c), _mm512_loadu_si512(w + c));
            }
            y[r + j] = p->scale[r + j] * x_scale * (float)(_mm512_reduce_add_epi32(acc) - 128 * p->row_sum[r + j]);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: decode_ceiling HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB THREADS STEPS\n");
        return 2;
    }
    int hidden = atoi(argv[1]), layers = atoi(argv[2]), heads = atoi(argv[3]), kv_heads = atoi(argv[4]);
    int ffn = atoi(argv[5]), vocab = atoi(argv[6]), threads = atoi(argv[7]), steps = atoi(argv[8]);
    int head_dim = hidden / heads, qkv = (heads + 2 * kv_heads) * head_dim;
    if (hidden % 64 || ffn % 64 || qkv % ROWS || vocab % ROWS) {
        fprintf(stderr, "hidden and ffn must be multiples of 64, q|k|v width and vocab multiples of 8\n");
        return 2;
    }
    int count = 4 * layers + 1;
    Product *ps = malloc(count * sizeof(Product));
    double bytes_i8 = 0;
    for (int l = 0; l < layers; l++) {
        ps[4 * l] = product(qkv, hidden);
        ps[4 * l + 1] = product(hidden, hidden);
        ps[4 * l + 2] = product(2 * ffn, hidden);
        ps[4 * l + 3] = product(hidden, ffn);
    }
    ps[count - 1] = product(vocab, hidden);
    for (int i = 0; i < count; i++) bytes_i8 += (double)ps[i].out * ps[i].in;

    int widest = vocab > 2 * ffn ? vocab : 2 * ffn;
    float *x = aligned_alloc(64, (size_t)widest * sizeof(float));
    float *y = aligned_alloc(64, (size_t)widest * sizeof(float));
    uint8_t *xq = aligned_alloc(64, widest);
    for (int i = 0; i < widest; i++) {
        x[i] = next_int8() / 127.0f;
        xq[i] = (uint8_t)(128 + (int)lrintf(x[i] * 127.0f));
    }
    omp_set_num_threads(threads);
    for (int round = 0; round < 3; round++) {
        double t0 = seconds();
        for (int s = 0; s < steps; s++) {
            #pragma omp parallel
            for (int i = 0; i < count; i++) matvec_f32(&ps[i], x, y);
        }
        double t1 = seconds();
        for (int s = 0; s < steps; s++) {
            #pragma omp parallel
            for (int i = 0; i < count; i++) matvec_i8(&ps[i], xq, 1.0f / 127.0f, y);
        }
        double t2 = seconds();
        double f32_step = (t1 - t0) / steps, i8_step = (t2 - t1) / steps;
        printf("{\"engine\":\"ceiling\",\"threads\":%d,\"f32_tok_s\":%.1f,\"int8_tok_s\":%.1f,\"int8_over_f32\":%.2f,"
               "\"f32_gb_s\":%.1f,\"int8_gb_s\":%.1f}\n", threads, 1 / f32_step, 1 / i8_step, f32_step / i8_step,
               4 * bytes_i8 / f32_step / 1e9, bytes_i8 / i8_step / 1e9);
        fflush(stdout);
    }
    return 0;
}
