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
#include "block_kernels_offset.h"
#include "block_kernels.h"
#undef BK
#pragma GCC pop_options

#pragma GCC push_options
TARGET(KERNELS_AVX2_FEATURES)
#define BK(name) block_##name##_avx2
#include "block_kernels_offset.h"
#include "block_kernels.h"
#undef BK
#pragma GCC pop_options

#define BK(name) block_##name##_generic
#include "block_kernels_offset.h"
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

long block_linear_blocks_bytes(int type, int out, int in) {
    if (out < 1 || in < 1) return -1;
    long groups = (in + BLOCK_GROUP - 1) / BLOCK_GROUP;
    switch (type) {
        case BLOCK_Q4_0: return (long)out * groups * BLOCK_Q4_0_BYTES;
        case BLOCK_Q8_0: return (long)out * groups * BLOCK_Q8_0_BYTES;
        case BLOCK_Q4_1: return (long)out * groups * BLOCK_Q4_1_BYTES;
        case BLOCK_Q4_K: return in % BLOCK_SUPER ? -1 : (long)out * (in / BLOCK_SUPER) * BLOCK_Q4_K_BYTES;
        default: return -1;
    }
}

/* Sub-block j's 6-bit scale and min from a Q4_K super-block's 12 packed bytes (ggml's packing: the first four of
 * each in the low 6 bits of bytes 0..3 and 4..7, the last four in the nibbles of bytes 8..11 with their top two bits
 * in the top bits of bytes 0..7). */
static void q4k_scale_min(const uint8_t *p, int j, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = p[j] & 63;
        *min = p[j + 4] & 63;
    } else {
        *scale = (uint8_t)((p[j + 4] & 15) | (p[j - 4] >> 6) << 4);
        *min = (uint8_t)((p[j + 4] >> 4) | (p[j] >> 6) << 4);
    }
}

/* Q4_K rows into L's arrays: nibbles copied as they are, d and dmin kept as f16, scales and mins unpacked. */
static void load_q4k(const uint8_t *blocks, int out, int in, uint8_t *q, uint16_t *d, uint8_t *sub) {
    int supers = in / BLOCK_SUPER;
    for (int o = 0; o < out; o++) {
        for (int s = 0; s < supers; s++) {
            const uint8_t *b = blocks + ((size_t)o * supers + s) * BLOCK_Q4_K_BYTES;
            d[((size_t)o * supers + s) * 2] = (uint16_t)(b[0] | b[1] << 8);
            d[((size_t)o * supers + s) * 2 + 1] = (uint16_t)(b[2] | b[3] << 8);
            memcpy(q + ((size_t)o * supers + s) * 128, b + 16, 128);
            uint8_t *sm = sub + ((size_t)o * supers + s) * 16; /* two chunks: 4 scales, 4 mins each */
            for (int j = 0; j < 8; j++) q4k_scale_min(b + 4, j, &sm[(j / 4) * 8 + j % 4], &sm[(j / 4) * 8 + 4 + j % 4]);
        }
    }
}

int block_linear_init(BlockLinear *L, int type, int out, int in, const uint8_t *blocks, long blocks_bytes) {
    long expected = block_linear_blocks_bytes(type, out, in);
    if (expected < 0 || !blocks || blocks_bytes != expected) return -2;
    int groups = (in + BLOCK_GROUP - 1) / BLOCK_GROUP;
    int row_bytes = groups * (type == BLOCK_Q8_0 ? 32 : 16);
    size_t scales = type == BLOCK_Q4_K ? (size_t)out * (in / BLOCK_SUPER) * 2 : (size_t)out * groups;
    /* 64 bytes past the last row: a chunk's loads are whole 64-byte vectors; 16 past the scales likewise */
    uint8_t *q = aligned_alloc(64, ((size_t)out * row_bytes + 64 + 63) / 64 * 64);
    uint16_t *d = malloc(scales * sizeof(uint16_t) + 16);
    uint16_t *dmin = type == BLOCK_Q4_1 ? malloc((size_t)out * groups * sizeof(uint16_t) + 16) : NULL;
    uint8_t *sub = type == BLOCK_Q4_K ? malloc((size_t)out * groups * 2 + 16) : NULL;
    if (!q || !d || (type == BLOCK_Q4_1 && !dmin) || (type == BLOCK_Q4_K && !sub)) {
        free(q);
        free(d);
        free(dmin);
        free(sub);
        return -1;
    }
    memset(q + (size_t)out * row_bytes, 0, 64);
    memset((char *)d + scales * sizeof(uint16_t), 0, 16);
    if (dmin) memset((char *)dmin + (size_t)out * groups * sizeof(uint16_t), 0, 16);
    if (sub) memset(sub + (size_t)out * groups * 2, 0, 16);
    if (type == BLOCK_Q4_K) {
        load_q4k(blocks, out, in, q, d, sub);
        *L = (BlockLinear){type, out, in, groups, row_bytes, q, d, NULL, sub};
        return 0;
    }
    int full = groups / 4;
    int block_bytes = type == BLOCK_Q4_0 ? BLOCK_Q4_0_BYTES : type == BLOCK_Q4_1 ? BLOCK_Q4_1_BYTES : BLOCK_Q8_0_BYTES;
    for (int o = 0; o < out; o++) {
        for (int g = 0; g < groups; g++) {
            const uint8_t *b = blocks + ((size_t)o * groups + g) * block_bytes;
            d[(size_t)o * groups + g] = (uint16_t)(b[0] | b[1] << 8); /* little-endian f16 */
            uint8_t *row = q + (size_t)o * row_bytes;
            if (type == BLOCK_Q4_0) {
                memcpy(row + (size_t)g * 16, b + 2, 16);
            } else if (type == BLOCK_Q4_1) {
                dmin[(size_t)o * groups + g] = (uint16_t)(b[2] | b[3] << 8);
                memcpy(row + (size_t)g * 16, b + 4, 16);
            } else {
                int c = g / 4, k = g % 4, kc = c < full ? 4 : groups - 4 * full;
                memcpy(row + c * 128 + k * 16, b + 2, 16);
                memcpy(row + c * 128 + kc * 16 + k * 16, b + 2 + 16, 16);
            }
        }
    }
    *L = (BlockLinear){type, out, in, groups, row_bytes, q, d, dmin, NULL};
    return 0;
}

void block_linear_free(BlockLinear *L) {
    if (!L) return;
    free(L->q);
    free(L->d);
    free(L->dmin);
    free(L->sub);
    memset(L, 0, sizeof *L);
}

long block_linear_bytes(const BlockLinear *L) {
    long quants = (long)L->out * L->row_bytes;
    if (L->type == BLOCK_Q4_K) return quants + (long)L->out * (L->in / BLOCK_SUPER) * 4 + (long)L->out * L->groups * 2;
    long scales = (long)L->out * L->groups * (long)sizeof(uint16_t);
    return quants + scales * (L->type == BLOCK_Q4_1 ? 2 : 1);
}

void block_linear_row(const BlockLinear *L, int row, float *out) {
    const uint8_t *q = L->q + (size_t)row * L->row_bytes;
    const uint16_t *d = L->d + (size_t)row * L->groups;
    int full = L->groups / 4;
    for (int g = 0; g < L->groups; g++) {
        float scale, offset = 0;
        if (L->type == BLOCK_Q4_K) {
            const uint16_t *dd = L->d + ((size_t)row * (L->groups / 8) + g / 8) * 2;
            const uint8_t *sm = L->sub + (size_t)row * L->groups * 2 + (size_t)(g / 4) * 8;
            scale = block_half_to_float(dd[0]) * (float)sm[g % 4];
            offset = -block_half_to_float(dd[1]) * (float)sm[4 + g % 4];
        } else {
            scale = block_half_to_float(d[g]);
            if (L->type == BLOCK_Q4_1) offset = block_half_to_float(L->dmin[(size_t)row * L->groups + g]);
        }
        int c = g / 4, k = g % 4, kc = c < full ? 4 : L->groups - 4 * full;
        for (int t = 0; t < 32; t++) {
            int i = g * 32 + t;
            if (i >= L->in) break;
            int v;
            if (L->type == BLOCK_Q4_0 || L->type == BLOCK_Q4_1) {
                uint8_t b = q[g * 16 + (t & 15)];
                v = (t < 16 ? (b & 15) : (b >> 4)) - (L->type == BLOCK_Q4_0 ? 8 : 0);
            } else if (L->type == BLOCK_Q4_K) {
                uint8_t b = q[(g / 2) * 32 + t];
                v = g % 2 ? b >> 4 : b & 15;
            } else {
                v = ((const int8_t *)q)[c * 128 + (t < 16 ? k * 16 + t : kc * 16 + k * 16 + t - 16)];
            }
            out[i] = (float)v * scale + offset;
        }
    }
}
