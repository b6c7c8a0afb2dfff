/*
 * Attention over an INT8 KV cache (layout in kv_cache.h), compiled once per instruction set with llama_kernels.h
 * (included from there: W, VF, load_f, load_q and ISA are that file's).
 *
 * Same order of operations as the float32 attend: a score sums q[d] * key over d in input order per position, then
 * takes its position's key scale; the output sums over positions in order, with each probability multiplied by its
 * position's value scale first. Every path (4W positions, W positions, one) computes a score the same way, so the
 * result does not depend on which loop, batch or thread computed it.
 */

static void ISA(attend_int8)(const float *q, const int8_t *keys, const float *key_scales, const int8_t *values,
                             const float *value_scales, int capacity, int length, int head_dim, float *scores,
                             float *out) {
    int t = 0;
    for (; t + 4 * W <= length; t += 4 * W) {
        VF acc[4] = {{0}, {0}, {0}, {0}};
        for (int d = 0; d < head_dim; d++) {
            const int8_t *k = keys + (size_t)d * capacity + t;
            float qd = q[d];
            for (int i = 0; i < 4; i++) acc[i] += qd * ISA(load_q)(k + i * W);
        }
        for (int i = 0; i < 4; i++) acc[i] *= ISA(load_f)(key_scales + t + i * W);
        memcpy(scores + t, acc, sizeof acc);
    }
    /* W positions at a time while a whole vector fits the cache row (lanes past `length` are dropped) */
    for (; t < length && t + W <= capacity; t += W) {
        VF acc = {0};
        for (int d = 0; d < head_dim; d++) acc += q[d] * ISA(load_q)(keys + (size_t)d * capacity + t);
        acc *= ISA(load_f)(key_scales + t);
        float lanes[W];
        memcpy(lanes, &acc, sizeof acc);
        memcpy(scores + t, lanes, (size_t)(length - t < W ? length - t : W) * sizeof(float));
    }
    for (; t < length; t++) {
        float sum = 0;
        for (int d = 0; d < head_dim; d++) sum += q[d] * (float)keys[(size_t)d * capacity + t];
        scores[t] = sum * key_scales[t];
    }
    float max = scores[0];
    for (int i = 1; i < length; i++) max = scores[i] > max ? scores[i] : max;
    for (int i = 0; i < length; i++) scores[i] = exp_approx(scores[i] - max);
    float sum = 0;
    for (int i = 0; i < length; i++) sum += scores[i];
    for (int i = 0; i < length; i++) scores[i] = scores[i] / sum * value_scales[i];
    int d = 0;
    for (; d + 4 * W <= head_dim; d += 4 * W) {
        VF acc[4] = {{0}, {0}, {0}, {0}};
        for (int i = 0; i < length; i++) {
            const int8_t *v = values + (size_t)i * head_dim + d;
            float p = scores[i];
            for (int j = 0; j < 4; j++) acc[j] += p * ISA(load_q)(v + j * W);
        }
        memcpy(out + d, acc, sizeof acc);
    }
    for (; d + W <= head_dim; d += W) {
        VF acc = {0};
        for (int i = 0; i < length; i++) acc += scores[i] * ISA(load_q)(values + (size_t)i * head_dim + d);
        memcpy(out + d, &acc, sizeof acc);
    }
    for (; d < head_dim; d++) {
        float sum_d = 0;
        for (int i = 0; i < length; i++) sum_d += scores[i] * (float)values[(size_t)i * head_dim + d];
        out[d] = sum_d;
    }
}
