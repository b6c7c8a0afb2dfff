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
        /* the largest |x| on 16 lanes: a scalar running max is one long dependency chain, and GCC does not vectorize
         * it (a batch of 8 rows spent 0.5 ms a step here); NaN is skipped either way (max_ps returns its second
         * operand), and a maximum is exact in any order */
        __m512 most = _mm512_setzero_ps();
        int k = 0;
        for (; k + 16 <= in; k += 16) most = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + k)), most);
        if (k < in) {
            __m512 tail = _mm512_maskz_loadu_ps((__mmask16)((1u << (in - k)) - 1), xr + k);
            most = _mm512_max_ps(_mm512_abs_ps(tail), most);
        }
        float max = _mm512_reduce_max_ps(most);
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
        /* u = 0 past the row, to the 64-byte block: whatever weights a product reads there contribute nothing */
        int blocks = (in + 63) / 64 * 64;
        memset(hi + in, 0, (size_t)(blocks - in));
        if (!a->narrow) memset(lo + in, 0, (size_t)(blocks - in));
        a->scale[r] = max / levels;
    }
}

/*
 * 16 outputs [o0, o0 + 16) of row r from their sums of products (exact integers until the scales), each in its own
 * lane; only the lanes in `valid` are read and written. The float steps are the scalar reference's (wide_test), per lane:
 * (float) dot * row scale * output scale, then the bias by an instruction the compiler cannot fuse with the product
 * (GCC contracts a plain `v * scale + bias` into an FMA in some inlined copies and not others, and an output would
 * then depend on the batch size that computed it).
 */
static inline __attribute__((always_inline)) void ISA(store_lanes)(const Linear *L, const Wide *a, int r, int o0,
                                                                   __mmask16 valid, __m512i hi, __m512i lo,
                                                                   float *y, const int narrow) {
    __m512i row_sum = _mm512_maskz_loadu_epi32(valid, L->row_sum + o0);
    __m512 v;
    if (narrow) {
        /* |hi - 128 row_sum| <= (255 + 128) * 127 * in: exact in int32 (llama_set_int8_linear refuses wider rows) */
        v = _mm512_cvtepi32_ps(_mm512_sub_epi32(hi, _mm512_slli_epi32(row_sum, 7)));
    } else {
        /* 256 hi + lo - 32768 row_sum overflows int32: in int64, eight lanes at a time */
        __m256 half[2];
        for (int h = 0; h < 2; h++) {
            __m512i hi64 = _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(hi, 1) : _mm512_castsi512_si256(hi));
            __m512i lo64 = _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(lo, 1) : _mm512_castsi512_si256(lo));
            __m512i sum64 = _mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(row_sum, 1)
                                                    : _mm512_castsi512_si256(row_sum));
            __m512i dot = _mm512_sub_epi64(_mm512_add_epi64(_mm512_slli_epi64(hi64, 8), lo64),
                                           _mm512_slli_epi64(sum64, 15));
            half[h] = _mm512_cvtepi64_ps(dot);
        }
        v = _mm512_insertf32x8(_mm512_castps256_ps512(half[0]), half[1], 1);
    }
    v = _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(a->scale[r])), _mm512_maskz_loadu_ps(valid, L->scale + o0));
    if (L->bias) v = _mm512_add_round_ps(v, _mm512_maskz_loadu_ps(valid, L->bias + o0), _MM_FROUND_CUR_DIRECTION);
    _mm512_mask_storeu_ps(y + (size_t)r * L->out + o0, valid, v);
}

/* The lanes of outputs [o0, o0 + 16) that lie in [o_begin, o_end). */
static inline __attribute__((always_inline)) __mmask16 ISA(lanes_in)(int o0, int o_begin, int o_end) {
    int from = o_begin > o0 ? o_begin - o0 : 0, to = o_end < o0 + 16 ? o_end - o0 : 16;
    return from >= to ? 0 : (__mmask16)(((1u << to) - 1) & ~((1u << from) - 1));
}

/*
 * Rows [r0, r0 + R) (R a constant where inlined: at most 8 with 8-bit activations, 4 with 16-bit, so the sums stay in
 * registers) x the 32 outputs of panel p, those in [o_begin, o_end) stored. Each group of 4 inputs is two 64-byte
 * weight loads, each serving every row: a row's 4 activation bytes broadcast to all lanes and one VNNI product per
 * load add 4 terms to 16 outputs' sums. The panel's weights are one sequential stream, which the hardware prefetcher
 * follows. Against one output at a time with a sum across lanes per output and row (SmolLM-shape INT8 products, 8
 * rows, one thread: 12.7 against 9.6 ms per step; one row the same), this reads fewer bytes per product and reduces
 * nothing. Every output is an exact integer sum of its own row's products, the same bits whichever R or range
 * computed it.
 */
static inline __attribute__((always_inline)) void ISA(panel_rows)(const Linear *L, const Wide *a, int r0, const int R,
                                                                  int p, float *y, int o_begin, int o_end,
                                                                  const int narrow) {
    const int groups = (L->in + 3) / 4, padded = a->padded;
    const int8_t *w = L->panels + (size_t)p * groups * INT8_PANEL * 4;
    const uint8_t *hi = a->hi + (size_t)r0 * padded, *lo = a->lo + (size_t)r0 * padded;
    __m512i h0[8], h1[8], l0[8], l1[8];
    /* The row loops are unrolled by force: GCC otherwise leaves the epilogue's loop rolled, keeps the sums' arrays
     * addressable and rotates them through other registers and the stack in the product loop, about as many moves
     * as products (8 rows x 1536 x 576 weights in cache, one thread: 295 GMAC/s before, 415-425 after). */
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) h0[i] = h1[i] = l0[i] = l1[i] = _mm512_setzero_si512();
    for (int g = 0; g < groups; g++, w += INT8_PANEL * 4) {
        _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)w + AHEAD + 64, _MM_HINT_T0);
        __m512i w0 = _mm512_load_si512(w), w1 = _mm512_load_si512(w + 64);
#pragma GCC unroll 8
        for (int i = 0; i < R; i++) {
            int32_t four;
            memcpy(&four, hi + (size_t)i * padded + 4 * g, sizeof four);
            __m512i x = _mm512_set1_epi32(four);
            h0[i] = _mm512_dpbusd_epi32(h0[i], x, w0);
            h1[i] = _mm512_dpbusd_epi32(h1[i], x, w1);
            if (!narrow) {
                memcpy(&four, lo + (size_t)i * padded + 4 * g, sizeof four);
                x = _mm512_set1_epi32(four);
                l0[i] = _mm512_dpbusd_epi32(l0[i], x, w0);
                l1[i] = _mm512_dpbusd_epi32(l1[i], x, w1);
            }
        }
    }
    int o0 = p * INT8_PANEL;
    __mmask16 first = ISA(lanes_in)(o0, o_begin, o_end), second = ISA(lanes_in)(o0 + 16, o_begin, o_end);
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
        if (first) ISA(store_lanes)(L, a, r0 + i, o0, first, h0[i], l0[i], y, narrow);
        if (second) ISA(store_lanes)(L, a, r0 + i, o0 + 16, second, h1[i], l1[i], y, narrow);
    }
}

/* Rows [r0, r0 + R) x panels [p_begin, p_end), R at most the row block (8, or 4 with 16-bit activations), a constant
 * in each case. */
static inline __attribute__((always_inline)) void ISA(panels_rows)(const Linear *L, const Wide *a, int r0, int R,
                                                                   int p_begin, int p_end, float *y, int o_begin,
                                                                   int o_end, const int narrow) {
#define PANELS_ROWS_CASE(n)                                                                       \
    case n:                                                                                       \
        for (int p = p_begin; p < p_end; p++) ISA(panel_rows)(L, a, r0, n, p, y, o_begin, o_end, narrow); \
        break
    switch (R) {
        PANELS_ROWS_CASE(1);
        PANELS_ROWS_CASE(2);
        PANELS_ROWS_CASE(3);
        PANELS_ROWS_CASE(4);
        PANELS_ROWS_CASE(5);
        PANELS_ROWS_CASE(6);
        PANELS_ROWS_CASE(7);
        PANELS_ROWS_CASE(8);
    }
#undef PANELS_ROWS_CASE
}

/*
 * Output rows [o_begin, o_end) for all rows, in blocks of 8 rows (4 with 16-bit activations) x one panel. A batch
 * of decode steps fits one block of rows: each panel's weights come from memory once, for every row. More rows (a
 * prompt) go in cache tiles: a tile of panels (about TILE_WEIGHT_BYTES) is read from memory once and from the core's
 * cache for every block of rows in a tile of rows.
 */
static inline __attribute__((always_inline)) void ISA(wide_rows)(const Linear *L, const Wide *a, int rows, float *y,
                                                                 int o_begin, int o_end, const int narrow) {
    const int block = narrow ? 8 : 4, p_first = o_begin / INT8_PANEL, p_last = (o_end + INT8_PANEL - 1) / INT8_PANEL;
    if (rows <= block) {
        ISA(panels_rows)(L, a, 0, rows, p_first, p_last, y, o_begin, o_end, narrow);
        return;
    }
    int panel_bytes = (L->in + 3) / 4 * INT8_PANEL * 4, tile_panels = TILE_WEIGHT_BYTES / panel_bytes;
    int tile_rows = TILE_ROW_BYTES / a->padded / block * block;
    tile_panels = tile_panels < 1 ? 1 : tile_panels;
    tile_rows = tile_rows < block ? block : tile_rows;
    for (int r = 0; r < rows; r += tile_rows) {
        int r_end = r + tile_rows < rows ? r + tile_rows : rows;
        for (int p = p_first; p < p_last; p += tile_panels) {
            int p_stop = p + tile_panels < p_last ? p + tile_panels : p_last;
            for (int rr = r; rr < r_end; rr += block) {
                int n = r_end - rr < block ? r_end - rr : block;
                ISA(panels_rows)(L, a, rr, n, p, p_stop, y, o_begin, o_end, narrow);
            }
        }
    }
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
 * acc[h] = sum over i < count of weights[h * weight_stride + i] * rows[i * row_stride .. + 4W), for h < n (a constant
 * where inlined), in order of i: 4 vectors of each row loaded once for the n weightings. Attention's scores (rows of
 * keys, weighted by the query) and its output (rows of values, weighted by the scores) are both this.
 */
static inline __attribute__((always_inline)) void ISA(weighted_rows4)(const float *rows, size_t row_stride,
                                                                      const float *weights, size_t weight_stride,
                                                                      int count, VF acc[][4], const int n) {
    for (int h = 0; h < n; h++)
        for (int j = 0; j < 4; j++) acc[h][j] = (VF){0};
    for (int i = 0; i < count; i++) {
        const float *row = rows + (size_t)i * row_stride;
        VF v[4];
        for (int j = 0; j < 4; j++) v[j] = ISA(load_f)(row + j * W);
        for (int h = 0; h < n; h++) {
            float w = weights[(size_t)h * weight_stride + i];
            for (int j = 0; j < 4; j++) acc[h][j] += w * v[j];
        }
    }
}

/*
 * Causal attention of query heads q[0..n) (n at most ATTEND_HEADS, a constant where inlined; consecutive, head_dim
 * apart, already scaled by 1/sqrt(head_dim)) that share one KV head, over cached positions [0, length): keys
 * [head_dim, capacity] (transposed), values [capacity, head_dim]; scores is scratch of n * length floats. Each vector
 * of keys or values loaded serves the n heads (grouped-query attention reads its cache once per group, not once per
 * head), with n x 4 vectors of results in registers: positions x 4W for the scores, dimensions x 4W for the output.
 * Each score and output value sums in the same order on every path and for every n.
 */
static inline __attribute__((always_inline)) void ISA(attend_heads)(const float *q, const float *keys,
                                                                    const float *values, int capacity, int length,
                                                                    int head_dim, float *scores, float *out,
                                                                    const int n) {
    int t = 0;
    for (; t + 4 * W <= length; t += 4 * W) {
        VF acc[ATTEND_HEADS][4];
        ISA(weighted_rows4)(keys + t, (size_t)capacity, q, (size_t)head_dim, head_dim, acc, n);
        for (int h = 0; h < n; h++) memcpy(scores + (size_t)h * length + t, acc[h], sizeof acc[h]);
    }
    /* then W positions at a time: the last block may read past `length` (never past the cache row, whose
     * `capacity` columns are allocated: zeros, or keys of positions a truncate dropped) and drops those lanes. Each
     * lane sums over d in the same order as the scalar loop below, so a score does not depend on which loop computed
     * it. */
    for (; t < length && t + W <= capacity; t += W) {
        VF acc[ATTEND_HEADS];
        for (int h = 0; h < n; h++) acc[h] = (VF){0};
        for (int d = 0; d < head_dim; d++) {
            VF k = ISA(load_f)(keys + (size_t)d * capacity + t);
            for (int h = 0; h < n; h++) acc[h] += q[(size_t)h * head_dim + d] * k;
        }
        for (int h = 0; h < n; h++) {
            float lanes[W];
            memcpy(lanes, &acc[h], sizeof lanes);
            memcpy(scores + (size_t)h * length + t, lanes, (size_t)(length - t < W ? length - t : W) * sizeof(float));
        }
    }
    for (; t < length; t++) {
        for (int h = 0; h < n; h++) {
            float sum = 0;
            for (int d = 0; d < head_dim; d++) sum += q[(size_t)h * head_dim + d] * keys[(size_t)d * capacity + t];
            scores[(size_t)h * length + t] = sum;
        }
    }
    for (int h = 0; h < n; h++) {
        float *sh = scores + (size_t)h * length;
        float max = sh[0];
        for (int i = 1; i < length; i++) max = sh[i] > max ? sh[i] : max;
        for (int i = 0; i < length; i++) sh[i] = exp_approx(sh[i] - max);
        float sum = 0;
        for (int i = 0; i < length; i++) sum += sh[i];
        for (int i = 0; i < length; i++) sh[i] /= sum;
    }
    int d = 0;
    for (; d + 4 * W <= head_dim; d += 4 * W) {
        VF acc[ATTEND_HEADS][4];
        ISA(weighted_rows4)(values + d, (size_t)head_dim, scores, (size_t)length, length, acc, n);
        for (int h = 0; h < n; h++) memcpy(out + (size_t)h * head_dim + d, acc[h], sizeof acc[h]);
    }
    for (; d < head_dim; d++) {
        for (int h = 0; h < n; h++) {
            float sum_d = 0;
            for (int i = 0; i < length; i++) sum_d += scores[(size_t)h * length + i] * values[(size_t)i * head_dim + d];
            out[(size_t)h * head_dim + d] = sum_d;
        }
    }
}

/* Query heads q[0..heads) sharing one KV head (attend_heads), ATTEND_HEADS at a time. */
static void ISA(attend)(const float *q, int heads, const float *keys, const float *values, int capacity, int length,
                        int head_dim, float *scores, float *out) {
    for (int h = 0; h < heads; h += ATTEND_HEADS) {
        const float *qh = q + (size_t)h * head_dim;
        float *oh = out + (size_t)h * head_dim;
        switch (heads - h < ATTEND_HEADS ? heads - h : ATTEND_HEADS) {
            case 1: ISA(attend_heads)(qh, keys, values, capacity, length, head_dim, scores, oh, 1); break;
            case 2: ISA(attend_heads)(qh, keys, values, capacity, length, head_dim, scores, oh, 2); break;
            case 3: ISA(attend_heads)(qh, keys, values, capacity, length, head_dim, scores, oh, 3); break;
            default: ISA(attend_heads)(qh, keys, values, capacity, length, head_dim, scores, oh, 4); break;
        }
    }
}

#include "kv_int8_kernels.h"

static const Kernels ISA(kernels) = {ISA(name), ISA(features), ISA(linear_range), ISA(rms_norm), ISA(swiglu),
                                     ISA(attend), WIDE_FUNCTIONS, ISA(attend_int8)};

#undef W
#undef VF
#undef WIDE_FUNCTIONS
