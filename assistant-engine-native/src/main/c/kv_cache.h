/*
 * The INT8 KV cache: its layout and the quantization of a row when it is written.
 *
 * One layer's key (or value) buffer of a sequence with room for `capacity` positions holds first the scales, float32
 * [kv_heads, capacity], then the int8 elements in the float32 cache's order: keys [kv_heads, head_dim, capacity]
 * (transposed), values [kv_heads, capacity, head_dim]. A head's keys (or values) at one position share one scale,
 * the largest magnitude among them / 127, so a position is quantized once, when it is written, and never again:
 * head_dim + 4 bytes per head and position instead of 4 x head_dim.
 */
#ifndef ASSISTANT_KV_CACHE_H
#define ASSISTANT_KV_CACHE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of one layer's key (or value) buffer of an INT8 cache of `capacity` positions. */
static inline size_t kv_int8_layer_bytes(int kv_heads, int head_dim, int capacity) {
    return (size_t)kv_heads * (size_t)capacity * (sizeof(float) + (size_t)head_dim);
}

/* The scales [kv_heads, capacity] of a layer buffer. */
static inline float *kv_int8_scales(void *buffer) {
    return (float *)buffer;
}

/* The int8 elements of a layer buffer, after its scales. */
static inline int8_t *kv_int8_elements(void *buffer, int kv_heads, int capacity) {
    return (int8_t *)((char *)buffer + (size_t)kv_heads * (size_t)capacity * sizeof(float));
}

/*
 * Quantizes x[0..n) to out[i * stride] = round(x[i] / scale) with scale = max |x| / 127, and returns the scale (0 for
 * an all-zero row, whose elements are then 0). Rounding to nearest keeps each element within scale / 2 of x.
 */
static inline float kv_int8_quantize(const float *x, int n, int8_t *out, size_t stride) {
    float max = 0;
    for (int i = 0; i < n; i++) {
        float v = fabsf(x[i]);
        max = v > max ? v : max;
    }
    float inv = max > 0 ? 127.0f / max : 0.0f;
    for (int i = 0; i < n; i++) {
        float r = __builtin_rintf(x[i] * inv);
        r = r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r);
        out[(size_t)i * stride] = (int8_t)(r == r ? r : 0.0f); /* NaN (a broken row) stores 0, never UB */
    }
    return max / 127.0f;
}

#endif
