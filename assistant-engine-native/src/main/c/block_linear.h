/*
 * Linear layers whose weights are quantized in groups of 32 inputs with one float16 scale per group, as ggml's
 * block types Q4_0 (4-bit, value = (q - 8) * d) and Q8_0 (8-bit, value = q * d) store them, and the kernels that
 * multiply them.
 *
 * Layout. A ggml block is the f16 scale d followed by the quants; here the scales of a matrix are one array
 * ([out, groups] f16) and the quants another, so the products read aligned runs of quants:
 *   - Q4_0: [out, groups * 16] bytes, each group's 16 bytes exactly as in the ggml block (byte j holds element j in
 *     its low nibble and element 16 + j in its high nibble): a GGUF Q4_0 tensor loads by copying, losslessly.
 *   - Q8_0: [out, groups * 32] bytes, each chunk of 4 groups (128 inputs) reordered to the order the activations are
 *     kept in (below): elements 0..15 of its groups, then elements 16..31 (a partial last chunk of k groups: k * 16
 *     bytes of first halves, then k * 16 of second halves). The reordering is lossless.
 *   - Q4_1 (value = d * q + m): quants as Q4_0's; d and m in two [out, groups] f16 arrays.
 *   - Q4_K (super-blocks of 256 inputs, 8 sub-blocks of 32: value = d * sc_j * q - dmin * m_j): the 128 bytes of
 *     nibbles of a super-block exactly as in the file (bytes 0..31 hold sub-block 0 in their low nibbles and sub-block
 *     1 in their high ones, bytes 32..63 sub-blocks 2 and 3, ..), so each 128-input chunk is 64 bytes as with Q4_0;
 *     d and dmin as f16; the 12 bytes of packed 6-bit scales and mins unpacked to one byte each at load (lossless,
 *     20 instead of 16 bytes per 256 inputs, and no bit-unpacking in the product loops). Rows are whole super-blocks.
 * A row whose length is not a multiple of 32 has a last partial group, padded with zero weights (Q4_0, Q8_0; the
 * activations past the row are zero too, so Q4_1's offset adds nothing there).
 *
 * The products quantize each activation row once per layer to 8 bits per group of 32 (d_x = max |x| / 127, like
 * ggml's Q8_0), then per group an integer dot product (VNNI vpdpbusd, or AVX2 maddubs) scaled by d_w * d_x and summed
 * in float32. The activations of a chunk of 4 groups are stored as elements 0..15 of each group, then 16..31, which
 * is where a Q4_0 byte's low and high nibbles go: one 64-byte load of nibbles gives 128 weights in the activations'
 * order with an AND and a shift. Q4's offset of 8 is applied per lane from a precomputed -8 * (sum of the
 * activations feeding that lane), so the integer sums stay exact.
 *
 * Determinism: each output is accumulated per lane across chunks in input order and reduced in a fixed order, whatever
 * the number of rows or threads.
 */
#ifndef ASSISTANT_BLOCK_LINEAR_H
#define ASSISTANT_BLOCK_LINEAR_H

#include <stdint.h>
#include <string.h>

/* ggml's type ids of the block formats. */
#define BLOCK_Q4_0 2
#define BLOCK_Q4_1 3
#define BLOCK_Q8_0 8
#define BLOCK_Q4_K 12
#define BLOCK_GROUP 32
/* Bytes of one ggml block (f16 scale + quants). */
#define BLOCK_Q4_0_BYTES 18
#define BLOCK_Q8_0_BYTES 34
/* Q4_1: f16 d, f16 m, 16 bytes of nibbles per 32 inputs. */
#define BLOCK_Q4_1_BYTES 20
/* Q4_K: super-blocks of 256 inputs: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
#define BLOCK_Q4_K_BYTES 144
#define BLOCK_SUPER 256

typedef struct BlockLinear {
    int type;          /* BLOCK_Q4_0, BLOCK_Q4_1, BLOCK_Q4_K or BLOCK_Q8_0 */
    int out, in;
    int groups;        /* ceil(in / 32) */
    int row_bytes;     /* quant bytes per row: groups * 16 (4-bit types) or groups * 32 (Q8_0) */
    uint8_t *q;        /* [out, row_bytes] (owned; 64 bytes of zeros after the last row) */
    uint16_t *d;       /* [out, groups] f16 scales (owned); Q4_K: [out, in / 256, 2] its d and dmin */
    uint16_t *dmin;    /* Q4_1: [out, groups] f16 offsets m (owned); else NULL */
    uint8_t *sub;      /* Q4_K: [out, groups / 4, 8] per chunk of 4 sub-blocks their 6-bit scales, then their
                          6-bit mins, unpacked to bytes (owned); else NULL */
} BlockLinear;

/* Activation rows quantized for the block products. */
typedef struct {
    int8_t *q;         /* [rows, chunks * 128] in the chunk order above; zeros past the row */
    float *d;          /* [rows, chunks * 4] per-group scales; zeros past the row */
    int32_t *neg_corr; /* [rows, chunks * 16]: -8 * the sum of the activations feeding each 32-bit lane */
    int chunks;        /* 128-input chunks per row (of the widest input the scratch was sized for) */
} BlockActs;

/* IEEE half to float, exact for every finite value (subnormals included), without F16C. */
static inline __attribute__((always_inline)) float block_half_to_float(uint16_t h) {
    uint32_t bits = ((uint32_t)h & 0x7fffu) << 13;
    float magnitude;
    memcpy(&magnitude, &bits, sizeof magnitude);
    magnitude *= 0x1p112f; /* rebias the exponent: 2^(127 - 15) */
    uint32_t out;
    memcpy(&out, &magnitude, sizeof out);
    out |= ((uint32_t)h & 0x8000u) << 16;
    float f;
    memcpy(&f, &out, sizeof f);
    return f;
}

/* The kernels of one instruction-set variant. */
typedef struct {
    const char *name;
    /* quantizes `rows` rows of `in` floats (row stride `in`) into a (whose chunks cover in) */
    void (*quantize)(const float *x, int rows, int in, BlockActs *a);
    /* y[r][o] = sum over groups of d_w * d_x * (integer dot) (+ bias[o]) for outputs [o_begin, o_end), all rows */
    void (*linear_range)(const BlockLinear *L, const float *bias, const BlockActs *a, int rows, float *y,
                         int o_begin, int o_end);
} BlockKernels;

/* The block kernels of kernel variant `variant` (KERNELS_AVX512 ..); NULL outside the range. */
const BlockKernels *block_kernels_variant(int variant);

/*
 * Copies `out` rows of ggml blocks (`blocks_bytes` bytes: out * ceil(in / 32) blocks of `type`, or out * in / 256
 * blocks for Q4_K) into L, in the layout above. Returns 0, or -1 without memory, -2 when the sizes do not agree or
 * the type is not one of the four (L untouched then).
 */
int block_linear_init(BlockLinear *L, int type, int out, int in, const uint8_t *blocks, long blocks_bytes);

void block_linear_free(BlockLinear *L);

/* The bytes of `out` rows of `in` inputs in ggml blocks of `type`, or -1 when the type is not one of the four or a
 * Q4_K row is not whole super-blocks. */
long block_linear_blocks_bytes(int type, int out, int in);

/* Bytes L holds (quants and scales). */
long block_linear_bytes(const BlockLinear *L);

/* Row `row` of L as floats ([in]): the embedding lookup of a table kept in a block format. */
void block_linear_row(const BlockLinear *L, int row, float *out);

#endif
