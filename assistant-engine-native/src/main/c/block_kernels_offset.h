/*
 * The products of the 4-bit formats with a per-group offset (block_linear.h): Q4_1 (value = d * q + m per group of
 * 32) and Q4_K (super-blocks of 256: value = d * sc_j * q - dmin * m_j for sub-block j of 32, sc_j and m_j 6-bit
 * integers). Compiled once per variant by block_linear.c, like block_kernels.h, with BK(name) naming the copy.
 *
 * The activations are the same 8-bit groups of 32 as Q4_0's (BlockActs): the quant part is an integer dot product
 * per group scaled by (weight scale) * d_x; the offset part needs each group's sum of the quantized activations,
 * which the activations already carry as neg_corr (-8 * the sum of the activations feeding each 32-bit lane, 4 lanes
 * per group): offset * d_x * sum = neg_corr * d_x * (offset / -8), one more multiply-add per lane and chunk, exact
 * in the integers and with no per-format activation pass.
 */
/* immintrin.h is included by the including file, outside its target regions */

/* The per-group weight scale and offset of groups [4c, 4c + k) of row o, as floats: scale[t], offset[t] (offset is
 * the constant added to every weight of the group: m for Q4_1, -dmin * m_j for Q4_K). */
static inline __attribute__((always_inline)) void BK(offset_scales)(const BlockLinear *L, int o, int c, int k,
                                                                    float *scale, float *offset) {
    if (L->type == BLOCK_Q4_K) {
        const uint16_t *dd = L->d + ((size_t)o * (L->groups / 8) + c / 2) * 2;
        const uint8_t *sm = L->sub + (size_t)o * L->groups * 2 + (size_t)c * 8;
        float d = block_half_to_float(dd[0]), dmin = block_half_to_float(dd[1]);
        for (int t = 0; t < 4; t++) {
            scale[t] = d * (float)sm[t];
            offset[t] = -dmin * (float)sm[4 + t];
        }
    } else {
        for (int t = 0; t < 4; t++) {
            scale[t] = t < k ? block_half_to_float(L->d[(size_t)o * L->groups + 4 * c + t]) : 0.0f;
            offset[t] = t < k ? block_half_to_float(L->dmin[(size_t)o * L->groups + 4 * c + t]) : 0.0f;
        }
    }
}

#if defined(__AVX512VNNI__)
/*
 * R rows x O outputs (constants at every call). Per chunk of 128 inputs: one 64-byte load of nibbles; Q4_1's are in
 * the activations' order already (as Q4_0's); Q4_K's hold groups 0 and 1 of the chunk in the low and high nibbles of
 * bytes 0..31 and groups 2 and 3 in bytes 32..63, put into the activations' order by two cross-lane permutes. Two
 * VNNI products per row, then lane sum * (scale * d_x) + neg_corr * d_x * (offset / -8).
 */
static inline __attribute__((always_inline)) void BK(offset_block)(const BlockLinear *L, int q4k, const float *bias,
                                                                   const BlockActs *a, int r0, int R, int o0, int O,
                                                                   float *y) {
    const int groups = L->groups, chunks = (groups + 3) / 4, full = groups / 4, stride = a->chunks;
    const __m512i idx = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i low4 = _mm512_set1_epi8(0x0F), zero = _mm512_setzero_si512();
    /* qwords of (low nibbles, high nibbles) giving elements 0..15, then 16..31, of groups 0, 1, 2, 3 */
    const __m512i first_halves = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i second_halves = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    __m512 acc[4][4];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < O; j++) acc[i][j] = _mm512_setzero_ps();
    for (int c = 0; c < chunks; c++) {
        int k = c < full ? 4 : groups - 4 * full;
        __mmask64 m = k == 4 ? ~(__mmask64)0 : (((__mmask64)1 << (16 * k)) - 1);
        __m512i xlo[4], xhi[4];
        __m512 xd[4], xsum[4];
        for (int i = 0; i < R; i++) {
            size_t row = (size_t)(r0 + i) * stride + c;
            xlo[i] = _mm512_loadu_si512(a->q + row * 128);
            xhi[i] = _mm512_loadu_si512(a->q + row * 128 + 64);
            xd[i] = _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_loadu_ps(a->d + row * 4)));
            /* -8 * (the lane's activations) * d_x */
            xsum[i] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(a->neg_corr + row * 16)), xd[i]);
        }
        for (int j = 0; j < O; j++) {
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes + (size_t)c * 64;
            _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
            __m128 s4v, m4v; /* the 4 groups' scales and offsets / -8 */
            if (q4k) { /* vectorized: per chunk and output this is as much work as the products */
                uint32_t dbits;
                uint64_t smbits;
                memcpy(&dbits, L->d + ((size_t)(o0 + j) * (groups / 8) + c / 2) * 2, sizeof dbits);
                memcpy(&smbits, L->sub + (size_t)(o0 + j) * groups * 2 + (size_t)c * 8, sizeof smbits);
                __m128 dm = _mm512_castps512_ps128(
                    _mm512_cvtph_ps(_mm256_zextsi128_si256(_mm_cvtsi32_si128((int)dbits)))); /* d, dmin */
                __m128i b = _mm_cvtsi64_si128((long long)smbits);
                s4v = _mm_mul_ps(_mm_cvtepi32_ps(_mm_cvtepu8_epi32(b)), _mm_broadcastss_ps(dm));
                m4v = _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(b, 4))),
                                            _mm_permute_ps(dm, 0x55)),
                                 _mm_set1_ps(0.125f));
            } else {
                float s4[4], m4[4];
                BK(offset_scales)(L, o0 + j, c, k, s4, m4);
                s4v = _mm_loadu_ps(s4);
                m4v = _mm_mul_ps(_mm_loadu_ps(m4), _mm_set1_ps(-0.125f));
            }
            __m512 ws = _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(s4v));
            __m512 wm = _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(m4v));
            __m512i wb = _mm512_maskz_loadu_epi8(m, w);
            __m512i nlo = _mm512_and_si512(wb, low4), nhi = _mm512_and_si512(_mm512_srli_epi16(wb, 4), low4);
            __m512i wlo = nlo, whi = nhi;
            if (q4k) {
                wlo = _mm512_permutex2var_epi64(nlo, first_halves, nhi);
                whi = _mm512_permutex2var_epi64(nlo, second_halves, nhi);
            }
            for (int i = 0; i < R; i++) {
                __m512i s = _mm512_dpbusd_epi32(zero, wlo, xlo[i]);
                s = _mm512_dpbusd_epi32(s, whi, xhi[i]);
                acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(ws, xd[i]), acc[i][j]);
                acc[i][j] = _mm512_fmadd_ps(xsum[i], wm, acc[i][j]);
            }
        }
    }
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < O; j++) {
            float v = _mm512_reduce_add_ps(acc[i][j]);
            if (bias) v += bias[o0 + j];
            y[(size_t)(r0 + i) * L->out + o0 + j] = v;
        }
    }
}

#elif defined(__AVX2__)
/* As the AVX-512 block, 64 inputs (two groups) per step with maddubs; Q4_K's two groups of a step are the low and
 * high nibbles of 32 bytes, put into the activations' order by two 128-bit lane permutes. A partial last chunk
 * (Q4_1 only: Q4_K rows are whole super-blocks) goes through a zero-padded copy. */
static inline __attribute__((always_inline)) void BK(offset_block)(const BlockLinear *L, int q4k, const float *bias,
                                                                   const BlockActs *a, int r0, int R, int o0, int O,
                                                                   float *y) {
    const int groups = L->groups, chunks = (groups + 3) / 4, full = groups / 4, stride = a->chunks;
    const __m256i low4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 acc[4][4];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < O; j++) acc[i][j] = _mm256_setzero_ps();
    for (int c = 0; c < chunks; c++) {
        int k = c < full ? 4 : groups - 4 * full;
        for (int j = 0; j < O; j++) {
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes + (size_t)c * 64;
            uint8_t padded[64] __attribute__((aligned(32)));
            if (k < 4) {
                memset(padded, 0, sizeof padded);
                memcpy(padded, w, (size_t)k * 16);
                w = padded;
            } else {
                _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
            }
            float s4[4], m4[4];
            BK(offset_scales)(L, o0 + j, c, k, s4, m4);
            for (int h = 0; h < 2; h++) {
                __m256i wb = _mm256_loadu_si256((const __m256i *)(w + 32 * h));
                __m256i wlo = _mm256_and_si256(wb, low4), whi = _mm256_and_si256(_mm256_srli_epi16(wb, 4), low4);
                if (q4k) {
                    __m256i nlo = wlo, nhi = whi;
                    wlo = _mm256_permute2x128_si256(nlo, nhi, 0x20);
                    whi = _mm256_permute2x128_si256(nlo, nhi, 0x31);
                }
                float m0 = m4[2 * h] * -0.125f, m1 = m4[2 * h + 1] * -0.125f;
                for (int i = 0; i < R; i++) {
                    size_t row = (size_t)(r0 + i) * stride + c;
                    const int8_t *xq = a->q + row * 128 + 32 * h;
                    __m256i xl = _mm256_loadu_si256((const __m256i *)xq);
                    __m256i xh = _mm256_loadu_si256((const __m256i *)(xq + 64));
                    __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(wlo, xl), _mm256_maddubs_epi16(whi, xh));
                    __m256i s = _mm256_madd_epi16(p, ones);
                    __m256i nc = _mm256_loadu_si256((const __m256i *)(a->neg_corr + row * 16 + 8 * h));
                    const float *xd = a->d + row * 4 + 2 * h;
                    __m256 scale = _mm256_set_m128(_mm_set1_ps(s4[2 * h + 1] * xd[1]), _mm_set1_ps(s4[2 * h] * xd[0]));
                    __m256 offset = _mm256_set_m128(_mm_set1_ps(m1 * xd[1]), _mm_set1_ps(m0 * xd[0]));
                    acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, acc[i][j]);
                    acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(nc), offset, acc[i][j]);
                }
            }
        }
    }
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < O; j++) {
            float t[8];
            memcpy(t, &acc[i][j], sizeof t);
            for (int width = 4; width > 0; width /= 2)
                for (int l = 0; l < width; l++) t[l] += t[l + width];
            float v = t[0];
            if (bias) v += bias[o0 + j];
            y[(size_t)(r0 + i) * L->out + o0 + j] = v;
        }
    }
}

#else
/* Plain C: per group the integer dot product and the activations' sum, then scale * d_x and offset * d_x. */
static inline __attribute__((always_inline)) void BK(offset_block)(const BlockLinear *L, int q4k, const float *bias,
                                                                   const BlockActs *a, int r0, int R, int o0, int O,
                                                                   float *y) {
    const int groups = L->groups, full = groups / 4, stride = a->chunks;
    for (int i = 0; i < R; i++) {
        const int8_t *xq = a->q + (size_t)(r0 + i) * stride * 128;
        const float *xd = a->d + (size_t)(r0 + i) * stride * 4;
        for (int j = 0; j < O; j++) {
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes;
            float sum = 0;
            for (int c = 0; c < (groups + 3) / 4; c++) {
                int k = c < full ? 4 : groups - 4 * full;
                float s4[4], m4[4];
                BK(offset_scales)(L, o0 + j, c, k, s4, m4);
                for (int t = 0; t < k; t++) {
                    int g = 4 * c + t;
                    const int8_t *xl = xq + c * 128 + t * 16, *xh = xl + 64;
                    int32_t dot = 0, xs = 0;
                    for (int e = 0; e < 16; e++) {
                        int lo, hi;
                        if (q4k) { /* element e of group g: byte (g / 2) * 32 + e (+ 16), nibble g % 2 */
                            const uint8_t *b = w + (size_t)(g / 2) * 32;
                            lo = g % 2 ? b[e] >> 4 : b[e] & 15;
                            hi = g % 2 ? b[16 + e] >> 4 : b[16 + e] & 15;
                        } else {
                            const uint8_t *b = w + (size_t)g * 16;
                            lo = b[e] & 15;
                            hi = b[e] >> 4;
                        }
                        dot += lo * xl[e] + hi * xh[e];
                        xs += xl[e] + xh[e];
                    }
                    sum += (float)dot * (s4[t] * xd[g]);
                    sum += (float)xs * (m4[t] * xd[g]);
                }
            }
            if (bias) sum += bias[o0 + j];
            y[(size_t)(r0 + i) * L->out + o0 + j] = sum;
        }
    }
}
#endif

static inline __attribute__((always_inline)) void BK(offset_rows)(const BlockLinear *L, int q4k, const float *bias,
                                                                  const BlockActs *a, int rows, float *y, int o_begin,
                                                                  int o_end) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        int o = o_begin;
        for (; o + 2 <= o_end; o += 2) BK(offset_block)(L, q4k, bias, a, r, 4, o, 2, y);
        for (; o < o_end; o++) BK(offset_block)(L, q4k, bias, a, r, 4, o, 1, y);
    }
    /* one output at a time, its blocks read front to back as one stream, as block_kernels.h's rows do for Q4_0/Q8_0
     * (four outputs side by side read four short streams) */
    for (; r < rows; r++) {
        for (int o = o_begin; o < o_end; o++) BK(offset_block)(L, q4k, bias, a, r, 1, o, 1, y);
    }
}

/* The products of a Q4_1 or Q4_K matrix (block_kernels.h's linear_range hands them here). */
static void BK(offset_linear_range)(const BlockLinear *L, const float *bias, const BlockActs *a, int rows, float *y,
                                    int o_begin, int o_end) {
    if (L->type == BLOCK_Q4_K) {
        BK(offset_rows)(L, 1, bias, a, rows, y, o_begin, o_end);
    } else {
        BK(offset_rows)(L, 0, bias, a, rows, y, o_begin, o_end);
    }
}
