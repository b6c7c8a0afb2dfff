/*
 * The loops of the group-32 block products (block_linear.h), written once and compiled once per instruction set by
 * block_linear.c, which sets the target and BK(name), naming this copy's functions. The same three variants as
 * llama_kernels.h, with the same feature lists (kernels.h).
 */
/* immintrin.h is included by the including file, outside its target regions */

/*
 * Activation rows to 8 bits per group of 32: d = max |x| / 127, q = round(x / d), in the chunk order of
 * block_linear.h, plus each lane's -8 * sum for Q4's offset. Plain C: every variant computes the same bytes.
 */
static void BK(quantize)(const float *x, int rows, int in, BlockActs *a) {
    int groups = (in + BLOCK_GROUP - 1) / BLOCK_GROUP, chunks = (groups + 3) / 4;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * in;
        int8_t *q = a->q + (size_t)r * a->chunks * 128;
        float *d = a->d + (size_t)r * a->chunks * 4;
        int32_t *nc = a->neg_corr + (size_t)r * a->chunks * 16;
        memset(q, 0, (size_t)chunks * 128);
        memset(d, 0, (size_t)chunks * 4 * sizeof(float));
        for (int g = 0; g < groups; g++) {
            const float *v = xr + (size_t)g * BLOCK_GROUP;
            int n = in - g * BLOCK_GROUP < BLOCK_GROUP ? in - g * BLOCK_GROUP : BLOCK_GROUP;
            float max = 0;
            for (int j = 0; j < n; j++) {
                float m = fabsf(v[j]);
                max = m > max ? m : max;
            }
            float inv = max > 0 ? 127.0f / max : 0.0f;
            int8_t *lo = q + (g / 4) * 128 + (g % 4) * 16, *hi = lo + 64;
            for (int j = 0; j < n; j++) {
                float s = __builtin_rintf(v[j] * inv);
                s = s > 127.0f ? 127.0f : (s < -127.0f ? -127.0f : s);
                if (j < 16) {
                    lo[j] = (int8_t)s;
                } else {
                    hi[j - 16] = (int8_t)s;
                }
            }
            d[g] = max / 127.0f;
        }
        for (int c = 0; c < chunks; c++) {
            for (int l = 0; l < 16; l++) {
                int32_t sum = 0;
                for (int b = 0; b < 4; b++) sum += q[c * 128 + 4 * l + b] + q[c * 128 + 64 + 4 * l + b];
                nc[c * 16 + l] = -8 * sum;
            }
        }
    }
}

#if defined(__AVX512VNNI__)
/*
 * R rows x O outputs, accumulators in registers (R, O and q4 are constants at every call). Per chunk of 128 inputs:
 * one 64-byte load of weights (Q4: nibbles split by an AND and a shift; Q8: two loads, magnitudes and signs), two
 * VNNI products per row, the 16 lane sums converted to float and multiplied by their group's d_w * d_x.
 */
static inline __attribute__((always_inline)) void BK(block)(const BlockLinear *L, int q4, const float *bias,
                                                            const BlockActs *a, int r0, int R, int o0, int O,
                                                            float *y) {
    const int groups = L->groups, chunks = (groups + 3) / 4, full = groups / 4, stride = a->chunks;
    const __m512i idx = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i low4 = _mm512_set1_epi8(0x0F), zero = _mm512_setzero_si512();
    __m512 acc[4][4];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < O; j++) acc[i][j] = _mm512_setzero_ps();
    /* four whole chunks at a time: their 16 group scales converted and multiplied by the activations' at once */
    int c = 0;
    for (; c + 4 <= full; c += 4) {
        __m512 xd16[4];
        for (int i = 0; i < R; i++) xd16[i] = _mm512_loadu_ps(a->d + ((size_t)(r0 + i) * stride + c) * 4);
        __m512 ws16[4];
        for (int j = 0; j < O; j++) {
            ws16[j] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(L->d + (size_t)(o0 + j) * groups + 4 * c)));
        }
        for (int u = 0; u < 4; u++) {
            const __m512i pick = _mm512_add_epi32(idx, _mm512_set1_epi32(4 * u));
            __m512i xlo[4], xhi[4], nc[4];
            for (int i = 0; i < R; i++) {
                const int8_t *xq = a->q + ((size_t)(r0 + i) * stride + c + u) * 128;
                xlo[i] = _mm512_loadu_si512(xq);
                xhi[i] = _mm512_loadu_si512(xq + 64);
                if (q4) nc[i] = _mm512_loadu_si512(a->neg_corr + ((size_t)(r0 + i) * stride + c + u) * 16);
            }
            for (int j = 0; j < O; j++) {
                const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes + (size_t)(c + u) * (q4 ? 64 : 128);
                _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
                __m512i wlo, whi;
                __mmask64 slo = 0, shi = 0;
                if (q4) {
                    __m512i wb = _mm512_loadu_si512(w);
                    wlo = _mm512_and_si512(wb, low4);
                    whi = _mm512_and_si512(_mm512_srli_epi16(wb, 4), low4);
                } else {
                    __m512i a0 = _mm512_loadu_si512(w), a1 = _mm512_loadu_si512(w + 64);
                    slo = _mm512_movepi8_mask(a0);
                    shi = _mm512_movepi8_mask(a1);
                    wlo = _mm512_abs_epi8(a0);
                    whi = _mm512_abs_epi8(a1);
                }
                for (int i = 0; i < R; i++) {
                    __m512i s;
                    if (q4) {
                        s = _mm512_dpbusd_epi32(nc[i], wlo, xlo[i]);
                        s = _mm512_dpbusd_epi32(s, whi, xhi[i]);
                    } else {
                        s = _mm512_dpbusd_epi32(zero, wlo, _mm512_mask_sub_epi8(xlo[i], slo, zero, xlo[i]));
                        s = _mm512_dpbusd_epi32(s, whi, _mm512_mask_sub_epi8(xhi[i], shi, zero, xhi[i]));
                    }
                    __m512 scale = _mm512_permutexvar_ps(pick, _mm512_mul_ps(ws16[j], xd16[i]));
                    acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[i][j]);
                }
            }
        }
    }
    for (; c < chunks; c++) {
        int k = c < full ? 4 : groups - 4 * full;
        __mmask64 m = k == 4 ? ~(__mmask64)0 : (((__mmask64)1 << (16 * k)) - 1);
        __m512i xlo[4], xhi[4], nc[4];
        __m128 xd[4];
        for (int i = 0; i < R; i++) {
            const int8_t *xq = a->q + ((size_t)(r0 + i) * stride + c) * 128;
            xlo[i] = _mm512_loadu_si512(xq);
            xhi[i] = _mm512_loadu_si512(xq + 64);
            if (q4) nc[i] = _mm512_loadu_si512(a->neg_corr + ((size_t)(r0 + i) * stride + c) * 16);
            xd[i] = _mm_loadu_ps(a->d + ((size_t)(r0 + i) * stride + c) * 4);
        }
        for (int j = 0; j < O; j++) {
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes + (size_t)c * (q4 ? 64 : 128);
            _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
            __m128i halves = _mm_maskz_loadu_epi16((__mmask8)((1u << k) - 1), L->d + (size_t)(o0 + j) * groups + 4 * c);
            __m128 ws = _mm512_castps512_ps128(_mm512_cvtph_ps(_mm256_zextsi128_si256(halves)));
            __m512i wlo, whi;
            __mmask64 slo = 0, shi = 0;
            if (q4) {
                __m512i wb = _mm512_maskz_loadu_epi8(m, w);
                wlo = _mm512_and_si512(wb, low4);
                whi = _mm512_and_si512(_mm512_srli_epi16(wb, 4), low4);
            } else {
                __m512i a0 = _mm512_maskz_loadu_epi8(m, w), a1 = _mm512_maskz_loadu_epi8(m, w + 16 * k);
                slo = _mm512_movepi8_mask(a0);
                shi = _mm512_movepi8_mask(a1);
                wlo = _mm512_abs_epi8(a0);
                whi = _mm512_abs_epi8(a1);
            }
            for (int i = 0; i < R; i++) {
                __m512i s;
                if (q4) {
                    s = _mm512_dpbusd_epi32(nc[i], wlo, xlo[i]);
                    s = _mm512_dpbusd_epi32(s, whi, xhi[i]);
                } else {
                    s = _mm512_dpbusd_epi32(zero, wlo, _mm512_mask_sub_epi8(xlo[i], slo, zero, xlo[i]));
                    s = _mm512_dpbusd_epi32(s, whi, _mm512_mask_sub_epi8(xhi[i], shi, zero, xhi[i]));
                }
                __m512 scale = _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_mul_ps(ws, xd[i])));
                acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[i][j]);
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
/* As the AVX-512 block, 64 inputs (two groups) per step, maddubs products; a partial last chunk goes through a
 * zero-padded copy. */
static inline __attribute__((always_inline)) void BK(block)(const BlockLinear *L, int q4, const float *bias,
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
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes + (size_t)c * (q4 ? 64 : 128);
            const uint16_t *hd = L->d + (size_t)(o0 + j) * groups + 4 * c;
            uint8_t padded[128] __attribute__((aligned(32)));
            uint16_t padded_d[4] = {0, 0, 0, 0};
            if (k < 4) {
                memset(padded, 0, sizeof padded);
                if (q4) {
                    memcpy(padded, w, (size_t)k * 16);
                } else {
                    memcpy(padded, w, (size_t)k * 16);
                    memcpy(padded + 64, w + 16 * k, (size_t)k * 16);
                }
                memcpy(padded_d, hd, (size_t)k * sizeof(uint16_t));
                w = padded;
                hd = padded_d;
            } else {
                _mm_prefetch((const char *)w + AHEAD, _MM_HINT_T0);
            }
            for (int h = 0; h < 2; h++) {
                __m256i wlo, whi;
                if (q4) {
                    __m256i wb = _mm256_loadu_si256((const __m256i *)(w + 32 * h));
                    wlo = _mm256_and_si256(wb, low4);
                    whi = _mm256_and_si256(_mm256_srli_epi16(wb, 4), low4);
                } else {
                    wlo = _mm256_loadu_si256((const __m256i *)(w + 32 * h));
                    whi = _mm256_loadu_si256((const __m256i *)(w + 64 + 32 * h));
                }
                float w0 = block_half_to_float(hd[2 * h]), w1 = block_half_to_float(hd[2 * h + 1]);
                for (int i = 0; i < R; i++) {
                    size_t row = (size_t)(r0 + i) * stride + c;
                    const int8_t *xq = a->q + row * 128 + 32 * h;
                    __m256i xl = _mm256_loadu_si256((const __m256i *)xq);
                    __m256i xh = _mm256_loadu_si256((const __m256i *)(xq + 64));
                    __m256i s;
                    if (q4) {
                        __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(wlo, xl), _mm256_maddubs_epi16(whi, xh));
                        s = _mm256_add_epi32(_mm256_madd_epi16(p, ones),
                                             _mm256_loadu_si256((const __m256i *)(a->neg_corr + row * 16 + 8 * h)));
                    } else {
                        __m256i pl = _mm256_maddubs_epi16(_mm256_abs_epi8(wlo), _mm256_sign_epi8(xl, wlo));
                        __m256i ph = _mm256_maddubs_epi16(_mm256_abs_epi8(whi), _mm256_sign_epi8(xh, whi));
                        s = _mm256_add_epi32(_mm256_madd_epi16(pl, ones), _mm256_madd_epi16(ph, ones));
                    }
                    const float *xd = a->d + row * 4 + 2 * h;
                    __m256 scale = _mm256_set_m128(_mm_set1_ps(w1 * xd[1]), _mm_set1_ps(w0 * xd[0]));
                    acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, acc[i][j]);
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
/* Plain C: one integer dot product per group, then d_w * d_x. */
static inline __attribute__((always_inline)) void BK(block)(const BlockLinear *L, int q4, const float *bias,
                                                            const BlockActs *a, int r0, int R, int o0, int O,
                                                            float *y) {
    const int groups = L->groups, full = groups / 4, stride = a->chunks;
    for (int i = 0; i < R; i++) {
        const int8_t *xq = a->q + (size_t)(r0 + i) * stride * 128;
        const float *xd = a->d + (size_t)(r0 + i) * stride * 4;
        for (int j = 0; j < O; j++) {
            const uint8_t *w = L->q + (size_t)(o0 + j) * L->row_bytes;
            const uint16_t *wd = L->d + (size_t)(o0 + j) * groups;
            float sum = 0;
            for (int g = 0; g < groups; g++) {
                int c = g / 4, k = g % 4, kc = c < full ? 4 : groups - 4 * full;
                const int8_t *xl = xq + c * 128 + k * 16, *xh = xl + 64;
                int32_t dot = 0;
                if (q4) {
                    const uint8_t *b = w + (size_t)g * 16;
                    for (int t = 0; t < 16; t++) dot += ((b[t] & 15) - 8) * xl[t] + ((b[t] >> 4) - 8) * xh[t];
                } else {
                    const int8_t *wl = (const int8_t *)w + c * 128 + k * 16, *wh = wl + kc * 16;
                    for (int t = 0; t < 16; t++) dot += wl[t] * xl[t] + wh[t] * xh[t];
                }
                sum += (float)dot * (block_half_to_float(wd[g]) * xd[g]);
            }
            if (bias) sum += bias[o0 + j];
            y[(size_t)(r0 + i) * L->out + o0 + j] = sum;
        }
    }
}
#endif

static inline __attribute__((always_inline)) void BK(rows)(const BlockLinear *L, int q4, const float *bias,
                                                           const BlockActs *a, int rows, float *y, int o_begin,
                                                           int o_end) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        int o = o_begin;
        for (; o + 2 <= o_end; o += 2) BK(block)(L, q4, bias, a, r, 4, o, 2, y);
        for (; o < o_end; o++) BK(block)(L, q4, bias, a, r, 4, o, 1, y);
    }
    /* one output at a time: its blocks read front to back as one stream (1 x 4 read four short streams side by side
     * and decoded a SmolLM-shape Q4_0 file 15-25% slower; row-major INT8 products measured the same, one thread: 155
     * steps/s reading one weight row after another against 78 reading 4 or 8 side by side) */
    for (; r < rows; r++) {
        for (int o = o_begin; o < o_end; o++) BK(block)(L, q4, bias, a, r, 1, o, 1, y);
    }
}

static void BK(linear_range)(const BlockLinear *L, const float *bias, const BlockActs *a, int rows, float *y,
                             int o_begin, int o_end) {
    if (L->type == BLOCK_Q4_1 || L->type == BLOCK_Q4_K) {
        BK(offset_linear_range)(L, bias, a, rows, y, o_begin, o_end); /* block_kernels_offset.h */
    } else if (L->type == BLOCK_Q4_0) {
        BK(rows)(L, 1, bias, a, rows, y, o_begin, o_end);
    } else {
        BK(rows)(L, 0, bias, a, rows, y, o_begin, o_end);
    }
}

static const BlockKernels BK(kernels) = {BK(name), BK(quantize), BK(linear_range)};
