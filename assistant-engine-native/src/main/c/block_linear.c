/*
 * The group-32 block formats of block_linear.h: loading ggml blocks into their layout, reading a row back, and the
 * kernels of block_kernels.h compiled once per variant, with the same targets as kernels.c.
 */
#include <immintrin.h> /* here, outside the per-target regions below, so each intrinsic keeps its own target */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block_linear.h"
#include "kernels.h"

#define DO_PRAGMA(x) _Pragma(#x)
#define TARGET(features) DO_PRAGMA(GCC target(features))

static const char block_name_avx512[] = "avx512", block_name_avx2[] = "avx2", block_name_generic[] = "x86-64";

#pragma GCC push_options
TARGET(KERNELS_AVX512_FEATURES)
#define BK(name) block_##name##_avx512
#include "block_kernels.h"
#undef BK
#pragma GCC pop_options

#pragma GCC push_options
TARGET(KERNELS_AVX2_FEATURES)
#define BK(name) block_##name##_avx2
#include "block_kernels.h"
#undef BK
#pragma GCC pop_options

#define BK(name) block_##name##_generic
#include "block_kernels.h"
#undef BK

const BlockKernels *block_kernels_variant(int variant) {
    switch (variant) {
        case KERNELS_AVX512: return &block_kernels_avx512;
        case KERNELS_AVX2: return &block_kernels_avx2;
        case KERNELS_GENERIC: return &block_kernels_generic;
        default: return NULL;
    }
}

int block_linear_init(BlockLinear *L, int type, int out, int in, const uint8_t *blocks, long blocks_bytes) {
    if ((type != BLOCK_Q4_0 && type != BLOCK_Q8_0) || out < 1 || in < 1 || !blocks) return -2;
    int groups = (in + BLOCK_GROUP - 1) / BLOCK_GROUP;
    int block_bytes = type == BLOCK_Q4_0 ? BLOCK_Q4_0_BYTES : BLOCK_Q8_0_BYTES;
    if (blocks_bytes != (long)out * groups * block_bytes) return -2;
    int row_bytes = groups * (type == BLOCK_Q4_0 ? 16 : 32);
    /* 64 bytes past the last row: a chunk's loads are whole 64-byte vectors; 16 past the scales likewise */
    uint8_t *q = aligned_alloc(64, ((size_t)out * row_bytes + 64 + 63) / 64 * 64);
    uint16_t *d = malloc((size_t)out * groups * sizeof(uint16_t) + 16);
    if (!q || !d) {
        free(q);
        free(d);
        return -1;
    }
    memset(q + (size_t)out * row_bytes, 0, 64);
    memset((char *)d + (size_t)out * groups * sizeof(uint16_t), 0, 16);
    int full = groups / 4;
    for (int o = 0; o < out; o++) {
        for (int g = 0; g < groups; g++) {
            const uint8_t *b = blocks + ((size_t)o * groups + g) * block_bytes;
            d[(size_t)o * groups + g] = (uint16_t)(b[0] | b[1] << 8); /* little-endian f16 */
            uint8_t *row = q + (size_t)o * row_bytes;
            if (type == BLOCK_Q4_0) {
                memcpy(row + (size_t)g * 16, b + 2, 16);
            } else {
                int c = g / 4, k = g % 4, kc = c < full ? 4 : groups - 4 * full;
                memcpy(row + c * 128 + k * 16, b + 2, 16);
                memcpy(row + c * 128 + kc * 16 + k * 16, b + 2 + 16, 16);
            }
        }
    }
    *L = (BlockLinear){type, out, in, groups, row_bytes, q, d};
    return 0;
}

void block_linear_free(BlockLinear *L) {
    if (!L) return;
    free(L->q);
    free(L->d);
    memset(L, 0, sizeof *L);
}

long block_linear_bytes(const BlockLinear *L) {
    return (long)L->out * L->row_bytes + (long)L->out * L->groups * (long)sizeof(uint16_t);
}

void block_linear_row(const BlockLinear *L, int row, float *out) {
    const uint8_t *q = L->q + (size_t)row * L->row_bytes;
    const uint16_t *d = L->d + (size_t)row * L->groups;
    int full = L->groups / 4;
    for (int g = 0; g < L->groups; g++) {
        float scale = block_half_to_float(d[g]);
        int c = g / 4, k = g % 4, kc = c < full ? 4 : L->groups - 4 * full;
        for (int t = 0; t < 32; t++) {
            int i = g * 32 + t;
            if (i >= L->in) break;
            int v;
            if (L->type == BLOCK_Q4_0) {
                uint8_t b = q[g * 16 + (t & 15)];
                v = (t < 16 ? (b & 15) : (b >> 4)) - 8;
            } else {
                v = ((const int8_t *)q)[c * 128 + (t < 16 ? k * 16 + t : kc * 16 + k * 16 + t - 16)];
            }
            out[i] = (float)v * scale;
        }
    }
}
