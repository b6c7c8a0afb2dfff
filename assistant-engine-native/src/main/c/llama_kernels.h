/*
 * The loops of the forward pass that decide its speed, written once and compiled once per instruction set by
 * kernels.c, which sets the target (from the variant's feature list in kernels.h) and ISA(name), which names this
 * copy's functions. The widest
 * vector the target has is W float lanes; an INT8 weight is widened to float with one sign extension and one
 * conversion per W weights.
 *
 * Determinism: a dot product accumulates W lanes in input order and reduces them in a fixed tree, whatever the
 * number of rows or threads, so an output element never depends on what else the batch holds.
 */
/* immintrin.h is included by the including file, outside its target regions */

#define VF ISA(vf)

#if defined(__AVX512F__)
#define W 16
typedef float VF __attribute__((vector_size(64)));
static inline __attribute__((always_inline)) VF ISA(load_q)(const int8_t *p) {
    return (VF)_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}
#elif defined(__AVX2__)
#define W 8
typedef float VF __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) VF ISA(load_q)(const int8_t *p) {
    return (VF)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}
#else
#define W 8
typedef float VF __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) VF ISA(load_q)(const int8_t *p) {
    VF v;
    for (int i = 0; i < W; i++) v[i] = (float)p[i];
    return v;
}
#endif

static inline __attribute__((always_inline)) VF ISA(load_f)(const float *p) {
    VF v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The first n (< W) values, the other lanes zero. */
static inline __attribute__((always_inline)) VF ISA(load_f_tail)(const float *p, int n) {
    float t[W] = {0};
    memcpy(t, p, (size_t)n * sizeof(float));
    return ISA(load_f)(t);
}

static inline __attribute__((always_inline)) VF ISA(load_q_tail)(const int8_t *p, int n) {
    int8_t t[W] = {0};
    memcpy(t, p, (size_t)n);
    return ISA(load_q)(t);
}

/* Sum of the lanes in a fixed order (a balanced tree). */
static inline __attribute__((always_inline)) float ISA(reduce)(VF v) {
    float t[W];
    memcpy(t, &v, sizeof t);
    for (int width = W / 2; width > 0; width /= 2) {
        for (int i = 0; i < width; i++) t[i] += t[i + width];
    }
    return t[0];
}

/*
 * y[r][o] = scale[o] * (x[r] . w[o]) + bias[o] for rows r0..r0+R and outputs o0..o0+O: R x O accumulators, each
 * weight vector loaded (and widened) once for the R rows. R, O, int8 and fetch (prefetch the weights ahead: they
 * come from memory) are constants at every call, so the loops unroll into registers and carry no test.
 */
static inline __attribute__((always_inline)) void ISA(block)(const Linear *L, int int8, const float *x, int r0,
                                                             int R, int o0, int O, float *y, int fetch) {
    const int in = L->in, full = in - in % W;
    VF acc[4][8];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < O; j++) acc[i][j] = (VF){0};
    for (int c = 0; c < full; c += W) {
        VF xv[4];
        for (int i = 0; i < R; i++) xv[i] = ISA(load_f)(x + (size_t)(r0 + i) * in + c);
        for (int j = 0; j < O; j++) {
            size_t at = (size_t)(o0 + j) * in + c;
            /* a stream per output row; eight at once outrun the hardware prefetcher without this hint */
            if (fetch) {
                _mm_prefetch((const char *)(int8 ? (const void *)(L->i8 + at) : (const void *)(L->f32 + at)) + AHEAD,
                             _MM_HINT_T0);
            }
            VF w = int8 ? ISA(load_q)(L->i8 + at) : ISA(load_f)(L->f32 + at);
            for (int i = 0; i < R; i++) acc[i][j] += xv[i] * w;
        }
    }
    if (full < in) {
        int n = in - full;
        for (int j = 0; j < O; j++) {
            size_t at = (size_t)(o0 + j) * in + full;
            VF w = int8 ? ISA(load_q_tail)(L->i8 + at, n) : ISA(load_f_tail)(L->f32 + at, n);
            for (int i = 0; i < R; i++) acc[i][j] += ISA(load_f_tail)(x + (size_t)(r0 + i) * in + full, n) * w;
        }
    }
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < O; j++) {
            int o = o0 + j;
            float v = ISA(reduce)(acc[i][j]);
            if (int8) v *= L->scale[o];
            if (L->bias) v += L->bias[o];
            y[(size_t)(r0 + i) * L->out + o] = v;
        }
    }
}

/*
 * Four rows or more (a prompt's prefill, a batch of decode steps) in cache-sized tiles: a tile of rows (about
 * TILE_ROW_BYTES of activations) is read for every tile of outputs, and each tile of outputs' weights (about
 * TILE_WEIGHT_BYTES) for every block of 4 rows of the row tile, so the weights come from memory once per row tile
 * instead of once per 4 rows, and from the core's own cache in between. Only the loop order changes: every output
 * element still sums over its whole input in the same order, so it is the same bits as in a decode step (tiles
 * never split the input dimension). With the weights cached, the products are compute-bound: blocks of 4 rows x 4
 * outputs (16 accumulators, 8 loads per 16 multiply-adds) beat 4 x 2 (6 loads per 8). Measured on a 3072x576 and a
 * 576x1536 float32 product of 512 rows, one thread, CPU time: 4 x 2 untiled 37-52 GFLOP/s, 4 x 4 tiled 56-78.
 */
#define TILE_ROW_BYTES (192 << 10)
#define TILE_WEIGHT_BYTES (48 << 10)

/* The row and output tile sizes for rows of `in` elements and weights of `weight_size` bytes each. */
static inline __attribute__((always_inline)) void ISA(tiles)(int in, int weight_size, int *tile_rows,
                                                             int *tile_outputs) {
    int r = TILE_ROW_BYTES / (in * (int)sizeof(float)) / 4 * 4, o = TILE_WEIGHT_BYTES / (in * weight_size) / 4 * 4;
    *tile_rows = r < 4 ? 4 : r;
    *tile_outputs = o < 4 ? 4 : o;
}

/* Rows [0, blocked) (a multiple of 4) in tiles of 4 x 4 blocks. */
static inline __attribute__((always_inline)) void ISA(tiled_rows)(const Linear *L, int int8, const float *x,
                                                                  int blocked, float *y, int o_begin, int o_end,
                                                                  int fetch) {
    int tile_rows, tile_outputs;
    ISA(tiles)(L->in, int8 ? 1 : (int)sizeof(float), &tile_rows, &tile_outputs);
    for (int r = 0; r < blocked; r += tile_rows) {
        int r_end = r + tile_rows < blocked ? r + tile_rows : blocked;
        for (int o0 = o_begin; o0 < o_end; o0 += tile_outputs) {
            int o_stop = o0 + tile_outputs < o_end ? o0 + tile_outputs : o_end;
            for (int rr = r; rr < r_end; rr += 4) {
                int o = o0;
                for (; o + 4 <= o_stop; o += 4) ISA(block)(L, int8, x, rr, 4, o, 4, y, fetch);
                for (; o + 2 <= o_stop; o += 2) ISA(block)(L, int8, x, rr, 4, o, 2, y, fetch);
                for (; o < o_stop; o++) ISA(block)(L, int8, x, rr, 4, o, 1, y, fetch);
            }
        }
    }
}

/*
 * Output rows [o_begin, o_end) of y = L(x) for all rows: tiled blocks of 4 rows x 4 outputs (above) where there are
 * four rows, else one output at a time: its weight row read front to back, so the weights are one sequential stream
 * (1 row x 8 outputs read eight short ones side by side and decoded SmolLM's shape 1.26-1.41x slower in float32).
 */
static inline __attribute__((always_inline)) void ISA(linear_rows)(const Linear *L, int int8, const float *x,
                                                                   int rows, float *y, int o_begin, int o_end) {
    int blocked = rows - rows % 4;
    /* one or two blocks of rows (a batch of decode steps) read each weight from memory: fetch ahead; more reuse a
     * tile's weights from cache, where prefetching only costs instructions (+7% on a 3072x576 product) */
    if (blocked > 8) {
        ISA(tiled_rows)(L, int8, x, blocked, y, o_begin, o_end, 0);
    } else if (blocked > 0) {
        ISA(tiled_rows)(L, int8, x, blocked, y, o_begin, o_end, 1);
    }
    for (int r = blocked; r < rows; r++) {
        for (int o = o_begin; o < o_end; o++) ISA(block)(L, int8, x, r, 1, o, 1, y, 1);
    }
}

#if defined(__AVX512VNNI__)
/*
 * INT8 weights against activations quantized per row, in one of two forms (Wide.narrow):
 * - 16 bits (precise): u = round(x / s) + 32768 is split into its high and low bytes; two VNNI dot products
 *   (u8 x s8 -> s32) per 64 weights give hi.w and lo.w exactly, and round(x / s).w = 256 hi.w + lo.w - 32768 sum(w)
 *   in 64-bit integers. The only rounding is x's, to 16 bits of its row's largest value, far finer than the weights'
 *   8 bits.
 * - 8 bits (narrow): u = round(x / s) + 128 in the high bytes alone; one VNNI product per 64 weights, and
 *   round(x / s).w = hi.w - 128 sum(w). Half the products per weight (SmolLM-shape INT8 decoding, two threads, paired:
 *   1.16x). The rounding is x's to 8 bits of its row's largest value, as dynamic W8A8 quantization does.
 * Either way an output is an exact integer dot product of its own row's values, so it does not depend on which other
 * rows share the batch.
 */
static void ISA(quantize_rows)(const float *x, int rows, int in, Wide *a) {
    const float levels = a->narrow ? 127.0f : 32767.0f;
    const int32_t zero = a->narrow ? 128 : 32768;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * in;
        float max = 0;
        for (int i = 0; i < in; i++) {
            float v = fabsf(xr[i]);
            max = v > max ? v : max;
        }
        float inv = max > 0 ? levels / max : 0.0f;
        uint8_t *hi = a->hi + (size_t)r * a->padded, *lo = a->lo + (size_t)r * a->padded;
        if (a->narrow) {
            for (int i = 0; i < in; i++) hi[i] = (uint8_t)((int32_t)__builtin_rintf(xr[i] * inv) + zero);
        } else {
            for (int i = 0; i < in; i++) {
                int32_t u = (int32_t)__builtin_rintf(xr[i] * inv) + zero;
                hi[i] = (uint8_t)(u >> 8);
                lo[i] = (uint8_t)u;
            }
        }
        /* u = 0 past the row: the weights read there (the next row's, or padding) contribute nothing */
        int blocks = (in + 63) / 64 * 64;
        memset(hi + in, 0, (size_t)(blocks - in));
        if (!a->narrow) memset(lo + in, 0, (size_t)(blocks - in));
        a->scale[r] = max / levels;
    }
}

/* The output of row r, output o from the accumulators of its products (exact integers until the scales); `lo` is
 * unused when narrow. */
static inline __attribute__((always_inline)) void ISA(store_wide)(const Linear *L, const Wide *a, int r, int o,
                                                                  __m512i hi, __m512i lo, float *y, const int narrow) {
    int64_t dot = narrow ? (int64_t)_mm512_reduce_add_epi32(hi) - 128 * (int64_t)L->row_sum[o]
                         : 256 * (int64_t)_mm512_reduce_add_epi32(hi) + _mm512_reduce_add_epi32(lo)
                                   - 32768 * (int64_t)L->row_sum[o];
    float v = (float)dot * a->scale[r] * L->scale[o];
    /* the bias added by an instruction the compiler cannot fuse with the product above: GCC contracted 15 of the
     * inlined copies of `v * scale + bias` into one FMA and not the others, so an output could depend on the batch
     * size that computed it (the sanitizer build of the C tests did not contract, so they could not see it) */
    if (L->bias) v = _mm_cvtss_f32(_mm_add_round_ss(_mm_set_ss(v), _mm_set_ss(L->bias[o]), _MM_FROUND_CUR_DIRECTION));
    y[(size_t)r * L->out + o] = v;
}

/*
 * Rows [r0, r0 + R) (R at most 8, a constant where inlined) x output o: the output's weights are read once, front to
 * back, and each 64 of them serve every row. Reading one weight row after another is one sequential stream, which
 * the hardware prefetcher follows at full speed; blocks that read 4 or 8 rows side by side (576 bytes each on SmolLM)
 * made as many short streams and ran at half the bytes per second on one core (SmolLM-shape INT8 products alone, one
 * thread: 155 against 78 steps/s; 8 rows: 93 against 40). Every output is an exact integer sum of its own row, so it
 * is the same bits whichever R computed it.
 */
static inline __attribute__((always_inline)) void ISA(rows_wide)(const Linear *L, const Wide *a, int r0, const int R,
                                                                 int o, float *y, const int narrow) {
    const int in = L->in, padded = a->padded, blocks = (in + 63) / 64 * 64;
    const int8_t *w = L->i8 + (size_t)o * in;
    const uint8_t *hi = a->hi + (size_t)r0 * padded, *lo = a->lo + (size_t)r0 * padded;
    __m512i hi_acc[8], lo_acc[8];
    for (int i = 0; i < R; i++) hi_acc[i] = lo_acc[i] = _mm512_setzero_si512();
    for (int c = 0; c < blocks; c += 64) {
        _mm_prefetch((const char *)(w + c) + AHEAD, _MM_HINT_T0);
        __m512i wv = _mm512_loadu_si512(w + c);
        for (int i = 0; i < R; i++) {
            hi_acc[i] = _mm512_dpbusd_epi32(hi_acc[i], _mm512_loadu_si512(hi + (size_t)i * padded + c), wv);
            if (!narrow) {
                lo_acc[i] = _mm512_dpbusd_epi32(lo_acc[i], _mm512_loadu_si512(lo + (size_t)i * padded + c), wv);
            }
        }
    }
    for (int i = 0; i < R; i++) ISA(store_wide)(L, a, r0 + i, o, hi_acc[i], lo_acc[i], y, narrow);
}

/* Outputs [o_begin, o_end) of rows [r0, r0 + R), R at most 8, with R a constant in each case. */
static inline __attribute__((always_inline)) void ISA(outputs_wide)(const Linear *L, const Wide *a, int r0, int R,
                                                                    int o_begin, int o_end, float *y,
                                                                    const int narrow) {
#define OUTPUTS_WIDE_CASE(n)                                                                  \
    case n:                                                                                   \
        for (int o = o_begin; o < o_end; o++) ISA(rows_wide)(L, a, r0, n, o, y, narrow);     \
        break
    switch (R) {
        OUTPUTS_WIDE_CASE(1);
        OUTPUTS_WIDE_CASE(2);
        OUTPUTS_WIDE_CASE(3);
        OUTPUTS_WIDE_CASE(4);
        OUTPUTS_WIDE_CASE(5);
        OUTPUTS_WIDE_CASE(6);
        OUTPUTS_WIDE_CASE(7);
        OUTPUTS_WIDE_CASE(8);
    }
#undef OUTPUTS_WIDE_CASE
}

/*
 * Four rows x 2 outputs, a prompt's tiles with 16-bit activations: each 64 weights loaded once for four rows,
 * sixteen named accumulators and eight activation vectors in registers (25 of the 32); GCC spilled and shuffled
 * arrays of accumulators here, about 30 moves and 2 stores per 16 products. The tile's weights come from cache, so
 * the products, not the memory, set the pace: fewer loads per product than rows_wide.
 */
static inline __attribute__((always_inline)) void ISA(rows4_wide)(const Linear *L, const Wide *a, int r0, int o0,
                                                                  float *y) {
    const int in = L->in, padded = a->padded, blocks = (in + 63) / 64 * 64;
    const uint8_t *h0p = a->hi + (size_t)r0 * padded, *l0p = a->lo + (size_t)r0 * padded;
    const uint8_t *h1p = h0p + padded, *l1p = l0p + padded, *h2p = h1p + padded, *l2p = l1p + padded;
    const uint8_t *h3p = h2p + padded, *l3p = l2p + padded;
    const int8_t *w0 = L->i8 + (size_t)o0 * in, *w1 = w0 + in;
    __m512i a00 = _mm512_setzero_si512(), b00 = a00, a01 = a00, b01 = a00, a10 = a00, b10 = a00, a11 = a00, b11 = a00;
    __m512i a20 = a00, b20 = a00, a21 = a00, b21 = a00, a30 = a00, b30 = a00, a31 = a00, b31 = a00;
#define ROWS4_PRODUCTS(hp, lp, a0, b0, a1, b1)                            \
    do {                                                                  \
        __m512i xh = _mm512_loadu_si512((hp) + c);                        \
        __m512i xl = _mm512_loadu_si512((lp) + c);                        \
        a0 = _mm512_dpbusd_epi32(a0, xh, v0);                             \
        b0 = _mm512_dpbusd_epi32(b0, xl, v0);                             \
        a1 = _mm512_dpbusd_epi32(a1, xh, v1);                             \
        b1 = _mm512_dpbusd_epi32(b1, xl, v1);                             \
    } while (0)
    for (int c = 0; c < blocks; c += 64) {
        _mm_prefetch((const char *)(w0 + c) + AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)(w1 + c) + AHEAD, _MM_HINT_T0);
        __m512i v0 = _mm512_loadu_si512(w0 + c), v1 = _mm512_loadu_si512(w1 + c);
        ROWS4_PRODUCTS(h0p, l0p, a00, b00, a01, b01);
        ROWS4_PRODUCTS(h1p, l1p, a10, b10, a11, b11);
        ROWS4_PRODUCTS(h2p, l2p, a20, b20, a21, b21);
        ROWS4_PRODUCTS(h3p, l3p, a30, b30, a31, b31);
    }
#undef ROWS4_PRODUCTS
    ISA(store_wide)(L, a, r0, o0, a00, b00, y, 0);
    ISA(store_wide)(L, a, r0, o0 + 1, a01, b01, y, 0);
    ISA(store_wide)(L, a, r0 + 1, o0, a10, b10, y, 0);
    ISA(store_wide)(L, a, r0 + 1, o0 + 1, a11, b11, y, 0);
    ISA(store_wide)(L, a, r0 + 2, o0, a20, b20, y, 0);
    ISA(store_wide)(L, a, r0 + 2, o0 + 1, a21, b21, y, 0);
    ISA(store_wide)(L, a, r0 + 3, o0, a30, b30, y, 0);
    ISA(store_wide)(L, a, r0 + 3, o0 + 1, a31, b31, y, 0);
}

/*
 * Four rows x 4 outputs, a prompt's tiles with 8-bit activations: sixteen accumulators (the registers 16-bit
 * activations spend on their low bytes), so each activation vector loaded serves four weight vectors and each weight
 * vector four rows: half a load per product instead of three quarters in rows4_wide. (A SmolLM-shape 512-token
 * prompt, INT8: 12% faster than rows_wide's groups of 8 rows.)
 */
static inline __attribute__((always_inline)) void ISA(rows4x4_narrow)(const Linear *L, const Wide *a, int r0, int o0,
                                                                      float *y) {
    const int in = L->in, padded = a->padded, blocks = (in + 63) / 64 * 64;
    const uint8_t *x0 = a->hi + (size_t)r0 * padded, *x1 = x0 + padded, *x2 = x1 + padded, *x3 = x2 + padded;
    const int8_t *w0 = L->i8 + (size_t)o0 * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
    __m512i a00 = _mm512_setzero_si512(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m512i a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
#define ROWS4X4_PRODUCTS(xp, c0, c1, c2, c3)                              \
    do {                                                                  \
        __m512i x = _mm512_loadu_si512((xp) + c);                         \
        c0 = _mm512_dpbusd_epi32(c0, x, v0);                              \
        c1 = _mm512_dpbusd_epi32(c1, x, v1);                              \
        c2 = _mm512_dpbusd_epi32(c2, x, v2);                              \
        c3 = _mm512_dpbusd_epi32(c3, x, v3);                              \
    } while (0)
    for (int c = 0; c < blocks; c += 64) {
        _mm_prefetch((const char *)(w0 + c) + AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)(w1 + c) + AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)(w2 + c) + AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)(w3 + c) + AHEAD, _MM_HINT_T0);
        __m512i v0 = _mm512_loadu_si512(w0 + c), v1 = _mm512_loadu_si512(w1 + c);
        __m512i v2 = _mm512_loadu_si512(w2 + c), v3 = _mm512_loadu_si512(w3 + c);
        ROWS4X4_PRODUCTS(x0, a00, a01, a02, a03);
        ROWS4X4_PRODUCTS(x1, a10, a11, a12, a13);
        ROWS4X4_PRODUCTS(x2, a20, a21, a22, a23);
        ROWS4X4_PRODUCTS(x3, a30, a31, a32, a33);
    }
#undef ROWS4X4_PRODUCTS
    __m512i acc[4][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}, {a30, a31, a32, a33}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) ISA(store_wide)(L, a, r0 + i, o0 + j, acc[i][j], acc[i][j], y, 1);
}

/*
 * Output rows [o_begin, o_end) for all rows. Up to eight rows (decoding, a batch of decode steps) read each weight
 * from memory once, in order (rows_wide). More (a prompt) go four at a time in cache tiles as tiled_rows does, so a
 * tile's weights are read from memory once and from cache by the other rows; rows left over after the fours, and
 * outputs left over in a tile, take rows_wide. Every block gives the same bits for an output.
 */
static inline __attribute__((always_inline)) void ISA(wide_rows)(const Linear *L, const Wide *a, int rows, float *y,
                                                                 int o_begin, int o_end, const int narrow) {
    if (rows <= 8) {
        ISA(outputs_wide)(L, a, 0, rows, o_begin, o_end, y, narrow);
        return;
    }
    int blocked = rows - rows % 4, tile_rows, tile_outputs;
    /* a 16-bit activation row takes 2 bytes per input, half a float row: twice the rows per tile */
    ISA(tiles)(L->in, 1, &tile_rows, &tile_outputs);
    tile_rows *= 2;
    for (int r = 0; r < blocked; r += tile_rows) {
        int r_end = r + tile_rows < blocked ? r + tile_rows : blocked;
        for (int o0 = o_begin; o0 < o_end; o0 += tile_outputs) {
            int o_stop = o0 + tile_outputs < o_end ? o0 + tile_outputs : o_end;
            for (int rr = r; rr < r_end; rr += 4) {
                int o = o0;
                if (narrow) {
                    for (; o + 4 <= o_stop; o += 4) ISA(rows4x4_narrow)(L, a, rr, o, y);
                } else {
                    for (; o + 2 <= o_stop; o += 2) ISA(rows4_wide)(L, a, rr, o, y);
                }
                for (; o < o_stop; o++) ISA(rows_wide)(L, a, rr, 4, o, y, narrow);
            }
        }
    }
    if (blocked < rows) ISA(outputs_wide)(L, a, blocked, rows - blocked, o_begin, o_end, y, narrow);
}

static void ISA(linear_range_wide)(const Linear *L, const Wide *a, int rows, float *y, int o_begin, int o_end) {
    if (a->narrow) {
        ISA(wide_rows)(L, a, rows, y, o_begin, o_end, 1);
    } else {
        ISA(wide_rows)(L, a, rows, y, o_begin, o_end, 0);
    }
}
#define WIDE_FUNCTIONS ISA(quantize_rows), ISA(linear_range_wide)
#else
#define WIDE_FUNCTIONS NULL, NULL
#endif

static void ISA(linear_range)(const Linear *L, const float *x, int rows, float *y, int o_begin, int o_end) {
    if (L->i8) {
        ISA(linear_rows)(L, 1, x, rows, y, o_begin, o_end);
    } else {
        ISA(linear_rows)(L, 0, x, rows, y, o_begin, o_end);
    }
}

/* out = x / sqrt(mean(x^2) + eps) * w, each row (the operators of the libtorch path, in the same order). */
static void ISA(rms_norm)(const float *x, const float *w, float eps, int rows, int n, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *o = out + (size_t)r * n;
        float ss = 0;
        for (int i = 0; i < n; i++) ss += xr[i] * xr[i];
        float rms = sqrtf(ss / (float)n + eps);
        for (int i = 0; i < n; i++) o[i] = xr[i] / rms * w[i];
    }
}

/* m = sigmoid(gate) * gate * up, gate|up side by side in each row of gu. */
static void ISA(swiglu)(const float *gu, int rows, int ffn, float *m) {
    for (int r = 0; r < rows; r++) {
        const float *g = gu + (size_t)r * 2 * ffn, *u = g + ffn;
        float *o = m + (size_t)r * ffn;
        for (int i = 0; i < ffn; i++) o[i] = 1.0f / (1.0f + exp_approx(-g[i])) * g[i] * u[i];
    }
}

/*
 * Causal attention of one query head (q already scaled by 1/sqrt(head_dim)) over cached positions [0, length):
 * keys [head_dim, capacity] (transposed), values [capacity, head_dim]; scores is scratch of length floats. Both
 * products keep 4 vectors of results in registers while streaming the cache: positions x 4W for the scores,
 * dimensions x 4W for the output. Each score and output value sums in the same order on every path.
 */
static void ISA(attend)(const float *q, const float *keys, const float *values, int capacity, int length,
                        int head_dim, float *scores, float *out) {
    int t = 0;
    for (; t + 4 * W <= length; t += 4 * W) {
        VF acc[4] = {{0}, {0}, {0}, {0}};
        for (int d = 0; d < head_dim; d++) {
            const float *k = keys + (size_t)d * capacity + t;
            float qd = q[d];
            for (int i = 0; i < 4; i++) acc[i] += qd * ISA(load_f)(k + i * W);
        }
        memcpy(scores + t, acc, sizeof acc);
    }
    /* then W positions at a time: the last block may read past `length` (never past the cache row, whose
     * `capacity` columns are allocated: zeros, or keys of positions a truncate dropped) and drops those lanes. Each lane sums over d in the same order as the
     * scalar loop below, so a score does not depend on which loop computed it. */
    for (; t < length && t + W <= capacity; t += W) {
        VF acc = {0};
        for (int d = 0; d < head_dim; d++) acc += q[d] * ISA(load_f)(keys + (size_t)d * capacity + t);
        float lanes[W];
        memcpy(lanes, &acc, sizeof acc);
        memcpy(scores + t, lanes, (size_t)(length - t < W ? length - t : W) * sizeof(float));
    }
    for (; t < length; t++) {
        float sum = 0;
        for (int d = 0; d < head_dim; d++) sum += q[d] * keys[(size_t)d * capacity + t];
        scores[t] = sum;
    }
    float max = scores[0];
    for (int i = 1; i < length; i++) max = scores[i] > max ? scores[i] : max;
    for (int i = 0; i < length; i++) scores[i] = exp_approx(scores[i] - max);
    float sum = 0;
    for (int i = 0; i < length; i++) sum += scores[i];
    for (int i = 0; i < length; i++) scores[i] /= sum;
    int d = 0;
    for (; d + 4 * W <= head_dim; d += 4 * W) {
        VF acc[4] = {{0}, {0}, {0}, {0}};
        for (int i = 0; i < length; i++) {
            const float *v = values + (size_t)i * head_dim + d;
            float p = scores[i];
            for (int j = 0; j < 4; j++) acc[j] += p * ISA(load_f)(v + j * W);
        }
        memcpy(out + d, acc, sizeof acc);
    }
    for (; d < head_dim; d++) {
        float sum_d = 0;
        for (int i = 0; i < length; i++) sum_d += scores[i] * values[(size_t)i * head_dim + d];
        out[d] = sum_d;
    }
}

#include "kv_int8_kernels.h"

static const Kernels ISA(kernels) = {ISA(name), ISA(features), ISA(linear_range), ISA(rms_norm), ISA(swiglu),
                                     ISA(attend), WIDE_FUNCTIONS, ISA(attend_int8)};

#undef W
#undef VF
#undef WIDE_FUNCTIONS
