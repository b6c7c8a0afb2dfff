/*
 * The loops Gemma 2 and Gemma 3 add to the Llama forward pass (llama_model.c): GeGLU with tanh-approximate GELU,
 * soft-capping (cap * tanh(x / cap)) of attention scores and logits, and attention limited to a sliding window of
 * the latest positions, over a float32 or an INT8 KV cache (kv_cache.h).
 *
 * Plain C, compiled once (the compiler vectorizes the inner loops at the library's baseline): in a decode step these
 * loops read a few KiB while the weight products read megabytes, so they are not worth a copy per instruction set.
 * The operations follow the PyTorch engine's Gemma2Model in its order (GELU as 0.5 * x * (1 + tanh(..)), soft-caps
 * as (x / cap) then tanh then * cap), so both engines' float32 logits stay within rounding of each other.
 */
#ifndef ASSISTANT_GEMMA_KERNELS_H
#define ASSISTANT_GEMMA_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* GELU, tanh approximation (HF's gelu_pytorch_tanh). */
static inline float gemma_gelu_tanh(float x) {
    const float sqrt_2_over_pi = 0.7978845608028654f; /* (float)sqrt(2 / pi), as the Java side rounds it */
    float inner = (x + x * x * x * 0.044715f) * sqrt_2_over_pi;
    return x * (tanhf(inner) + 1.0f) * 0.5f;
}

/* m = gelu_tanh(gate) * up, gate|up side by side in each row of gu ([rows, 2 * ffn]). */
static inline void gemma_geglu(const float *gu, int rows, int ffn, float *m) {
    for (int r = 0; r < rows; r++) {
        const float *g = gu + (size_t)r * 2 * ffn, *u = g + ffn;
        float *o = m + (size_t)r * ffn;
        for (int i = 0; i < ffn; i++) o[i] = gemma_gelu_tanh(g[i]) * u[i];
    }
}

/* x[i] = cap * tanh(x[i] / cap) for n values in place; cap 0 leaves them as they are. */
static inline void gemma_softcap(float *x, size_t n, float cap) {
    if (cap == 0) return;
    for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i] / cap) * cap;
}

/* The first position a query at `position` sees through a window of `window` latest positions (0: no window). */
static inline int gemma_window_start(int position, int window) {
    return window > 0 && position + 1 > window ? position + 1 - window : 0;
}

/* Softmax of scores[begin, end) in place (the exact exp: these spans are short). */
static inline void gemma_softmax(float *scores, int begin, int end) {
    float max = scores[begin];
    for (int t = begin + 1; t < end; t++) max = scores[t] > max ? scores[t] : max;
    float sum = 0;
    for (int t = begin; t < end; t++) {
        scores[t] = expf(scores[t] - max);
        sum += scores[t];
    }
    for (int t = begin; t < end; t++) scores[t] /= sum;
}

/*
 * One query head (already scaled) over cached positions [begin, end): keys [head_dim, capacity] (transposed),
 * values [capacity, head_dim]; scores soft-capped by `softcap` (0: none) before the softmax. `scores` is scratch
 * of at least `end` floats (indexed by position); out is [head_dim].
 */
static inline void gemma_attend(const float *q, const float *keys, const float *values, int capacity, int begin,
                                int end, int head_dim, float softcap, float *scores, float *out) {
    for (int t = begin; t < end; t++) scores[t] = 0;
    for (int d = 0; d < head_dim; d++) {
        const float *k = keys + (size_t)d * capacity;
        float qd = q[d];
        for (int t = begin; t < end; t++) scores[t] += qd * k[t];
    }
    gemma_softcap(scores + begin, (size_t)(end - begin), softcap);
    gemma_softmax(scores, begin, end);
    for (int d = 0; d < head_dim; d++) out[d] = 0;
    for (int t = begin; t < end; t++) {
        const float *v = values + (size_t)t * head_dim;
        float p = scores[t];
        for (int d = 0; d < head_dim; d++) out[d] += p * v[d];
    }
}

/* gemma_attend over an INT8 cache: int8 keys [head_dim, capacity] and values [capacity, head_dim] with a float
 * scale per position ([capacity] each), as kv_cache.h lays out one KV head. */
static inline void gemma_attend_int8(const float *q, const int8_t *keys, const float *key_scales,
                                     const int8_t *values, const float *value_scales, int capacity, int begin,
                                     int end, int head_dim, float softcap, float *scores, float *out) {
    for (int t = begin; t < end; t++) scores[t] = 0;
    for (int d = 0; d < head_dim; d++) {
        const int8_t *k = keys + (size_t)d * capacity;
        float qd = q[d];
        for (int t = begin; t < end; t++) scores[t] += qd * (float)k[t];
    }
    for (int t = begin; t < end; t++) scores[t] *= key_scales[t];
    gemma_softcap(scores + begin, (size_t)(end - begin), softcap);
    gemma_softmax(scores, begin, end);
    for (int d = 0; d < head_dim; d++) out[d] = 0;
    for (int t = begin; t < end; t++) {
        const int8_t *v = values + (size_t)t * head_dim;
        float p = scores[t] * value_scales[t];
        for (int d = 0; d < head_dim; d++) out[d] += p * (float)v[d];
    }
}

#endif
