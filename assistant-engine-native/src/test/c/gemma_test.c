/*
 * Tests of Gemma's loops (gemma_kernels.h) against scalar references in double precision: tanh GELU and GeGLU,
 * soft-capping, the sliding window's first position, and windowed, soft-capped attention over float32 and INT8
 * caches (positions outside the window must not count, positions inside must); and of Gemma's settings
 * (llama_set_gemma, llama_set_layer_attention, llama_set_post_norms) refusing every bad value with a status, and a
 * Gemma model refusing a pass until its post-norms are set.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma_kernels.h"
#include "gemma_test.h"
#include "kernels.h"
#include "kv_cache.h"
#include "llama_model.h"
#include "test_support.h"

static int checks, failures;


static double gelu_reference(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void test_gelu_and_geglu(void) {
    double worst = 0;
    for (double x = -8; x <= 8; x += 0.0625) {
        double diff = fabs(gemma_gelu_tanh((float)x) - gelu_reference(x));
        worst = diff > worst ? diff : worst;
    }
    CHECK(worst < 2e-6, "tanh GELU within 2e-6 of the double reference on [-8, 8], was %.3g", worst);
    CHECK(gemma_gelu_tanh(0) == 0, "GELU(0) = 0");
    CHECK(fabsf(gemma_gelu_tanh(30) - 30) < 1e-5f && fabsf(gemma_gelu_tanh(-30)) < 1e-5f,
          "GELU is x for large x and 0 for large -x");
    /* not the erf GELU and not SiLU: at x = 1 they differ in the 4th digit */
    CHECK(fabsf(gemma_gelu_tanh(1) - 0.841192f) < 1e-5f, "GELU_tanh(1) = 0.841192, was %.7f", gemma_gelu_tanh(1));
    float gu[2 * 2 * 3] = {1, -2, 0.5f, 3, 4, -1, /* row 1 */ -0.25f, 2, 8, 0.5f, -1, 2};
    float m[2 * 3];
    gemma_geglu(gu, 2, 3, m);
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 3; i++) {
            double expected = gelu_reference(gu[r * 6 + i]) * gu[r * 6 + 3 + i];
            CHECK(fabs(m[r * 3 + i] - expected) < 1e-5, "GeGLU row %d element %d: %.7f, expected %.7f", r, i,
                  m[r * 3 + i], expected);
        }
    }
}

static void test_softcap(void) {
    float x[5] = {-100, -1, 0, 0.5f, 100};
    float same[5];
    memcpy(same, x, sizeof x);
    gemma_softcap(same, 5, 0);
    CHECK(memcmp(same, x, sizeof x) == 0, "cap 0 leaves values unchanged");
    gemma_softcap(x, 5, 2);
    for (int i = 0; i < 5; i++) {
        double expected = 2 * tanh(same[i] / 2.0);
        CHECK(fabs(x[i] - expected) < 1e-6, "softcap(%g) at 2: %.7f, expected %.7f", same[i], x[i], expected);
        CHECK(fabsf(x[i]) <= 2, "a capped value stays within the cap");
    }
}

static void test_window_start(void) {
    CHECK(gemma_window_start(0, 4) == 0, "position 0 sees itself");
    CHECK(gemma_window_start(3, 4) == 0, "position 3 sees 0..3 through a window of 4");
    CHECK(gemma_window_start(4, 4) == 1, "position 4 sees 1..4 through a window of 4");
    CHECK(gemma_window_start(9, 4) == 6, "position 9 sees 6..9 through a window of 4");
    CHECK(gemma_window_start(9, 1) == 9, "a window of 1 sees the row itself only");
    CHECK(gemma_window_start(9, 0) == 0, "window 0 is no window");
}

/* softmax(cap(q . k)) v over positions [begin, end) in double, from float keys ([hd, cap]) and values. */
static void attend_reference(const float *q, const float *keys, const float *values, int cap, int begin, int end,
                             int hd, double softcap, double *out) {
    double scores[64], max = -INFINITY, sum = 0;
    for (int t = begin; t < end; t++) {
        double s = 0;
        for (int d = 0; d < hd; d++) s += (double)q[d] * keys[d * cap + t];
        scores[t] = softcap > 0 ? softcap * tanh(s / softcap) : s;
        max = scores[t] > max ? scores[t] : max;
    }
    for (int t = begin; t < end; t++) sum += (scores[t] = exp(scores[t] - max));
    for (int d = 0; d < hd; d++) out[d] = 0;
    for (int t = begin; t < end; t++) {
        for (int d = 0; d < hd; d++) out[d] += scores[t] / sum * values[t * hd + d];
    }
}

static double max_diff(const float *a, const double *b, int n) {
    double worst = 0;
    for (int i = 0; i < n; i++) worst = fabs(a[i] - b[i]) > worst ? fabs(a[i] - b[i]) : worst;
    return worst;
}

static void test_windowed_attention(void) {
    enum { CAP = 24, HD = 8 };
    unsigned state = 12345;
    float q[HD], keys[HD * CAP], values[CAP * HD], scores[CAP], out[HD], again[HD];
    double expected[HD];
    for (int i = 0; i < HD; i++) q[i] = 2 * test_uniform(&state);
    for (int i = 0; i < HD * CAP; i++) keys[i] = test_uniform(&state);
    for (int i = 0; i < CAP * HD; i++) values[i] = test_uniform(&state);
    const float caps[] = {0, 1.5f};
    for (int c = 0; c < 2; c++) {
        for (int end = 1; end <= 20; end++) {
            for (int window = 0; window <= 6; window += 3) {
                int begin = gemma_window_start(end - 1, window);
                gemma_attend(q, keys, values, CAP, begin, end, HD, caps[c], scores, out);
                attend_reference(q, keys, values, CAP, begin, end, HD, caps[c], expected);
                CHECK(max_diff(out, expected, HD) < 1e-5, "attention over [%d, %d) cap %g within 1e-5: %.3g", begin,
                      end, caps[c], max_diff(out, expected, HD));
            }
        }
    }
    /* a key and value outside the window change nothing; one inside changes the output */
    int end = 12, begin = gemma_window_start(end - 1, 4);
    gemma_attend(q, keys, values, CAP, begin, end, HD, 1.5f, scores, out);
    float saved_key = keys[2 * CAP + begin - 1], saved_value = values[(begin - 1) * HD];
    keys[2 * CAP + begin - 1] += 5;
    values[(begin - 1) * HD] += 5;
    gemma_attend(q, keys, values, CAP, begin, end, HD, 1.5f, scores, again);
    CHECK(memcmp(out, again, sizeof out) == 0, "a position before the window does not count");
    keys[2 * CAP + begin - 1] = saved_key;
    values[(begin - 1) * HD] = saved_value;
    values[begin * HD] += 5;
    gemma_attend(q, keys, values, CAP, begin, end, HD, 1.5f, scores, again);
    CHECK(memcmp(out, again, sizeof out) != 0, "the window's first position counts");
    values[begin * HD] -= 5;
    /* the cap matters: capped and uncapped scores give other outputs */
    gemma_attend(q, keys, values, CAP, begin, end, HD, 0, scores, again);
    CHECK(memcmp(out, again, sizeof out) != 0, "soft-capping changes the attention");

    /* INT8 caches: equal to the float attention over the dequantized elements */
    int8_t k8[HD * CAP], v8[CAP * HD];
    float kscale[CAP], vscale[CAP], kd[HD * CAP], vd[CAP * HD];
    for (int t = 0; t < CAP; t++) {
        kscale[t] = 0.01f + 0.001f * t;
        vscale[t] = 0.02f - 0.0005f * t;
        for (int d = 0; d < HD; d++) {
            k8[d * CAP + t] = (int8_t)(test_uniform(&state) * 127);
            v8[t * HD + d] = (int8_t)(test_uniform(&state) * 127);
            kd[d * CAP + t] = k8[d * CAP + t] * kscale[t];
            vd[t * HD + d] = v8[t * HD + d] * vscale[t];
        }
    }
    for (int e = 1; e <= 20; e += 3) {
        int b = gemma_window_start(e - 1, 5);
        gemma_attend_int8(q, k8, kscale, v8, vscale, CAP, b, e, HD, 1.5f, scores, out);
        attend_reference(q, kd, vd, CAP, b, e, HD, 1.5, expected);
        CHECK(max_diff(out, expected, HD) < 1e-5, "INT8 attention over [%d, %d) within 1e-5: %.3g", b, e,
              max_diff(out, expected, HD));
    }
}

static LlamaModel *tiny_model(void) {
    LlamaConfig c = {.hidden = 8, .heads = 2, .kv_heads = 1, .head_dim = 4, .ffn = 8, .layers = 2, .vocab = 5,
                     .eps = 1e-6f, .rope = {.type = LLAMA_ROPE_NONE, .theta = 10000}, .threads = 1,
                     .widest_kernels = KERNELS_GENERIC};
    LlamaModel *m = NULL;
    const char *error = NULL;
    if (llama_create(&c, &m, &error) != LLAMA_OK) fprintf(stderr, "cannot create a model: %s\n", error);
    return m;
}

/* `call` (which sets `error`) is refused with LLAMA_BAD_ARGUMENT and a message. */
#define REFUSED(call, what)                                                                    \
    do {                                                                                       \
        error = NULL;                                                                          \
        LlamaStatus status_ = (call);                                                          \
        CHECK(status_ == LLAMA_BAD_ARGUMENT && error && *error, "%s is refused with a message", \
              what);                                                                           \
    } while (0)

static void test_settings_refused(void) {
    LlamaModel *m = tiny_model();
    if (!m) {
        failures++;
        return;
    }
    const char *error = NULL;
    float norm[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    LlamaLayerAttention fine = {4, 0, 50};
    REFUSED(llama_set_layer_attention(m, 0, &fine, &error), "layer attention before llama_set_gemma");
    REFUSED(llama_set_post_norms(m, 0, norm, 8, norm, 8, &error), "post-norms before llama_set_gemma");
    LlamaGemma bad[] = {
        {0, 2.8f, 30, 0},            /* query scale 0 */
        {NAN, 2.8f, 30, 0},          /* NaN query scale */
        {0.25f, -1, 30, 0},          /* negative embedding scale */
        {0.25f, INFINITY, 30, 0},    /* infinite embedding scale */
        {0.25f, 2.8f, -30, 0},       /* negative final cap */
        {0.25f, 2.8f, NAN, 0},       /* NaN final cap */
        {0.25f, 2.8f, 30, -10000},   /* negative local base */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        REFUSED(llama_set_gemma(m, &bad[i], &error), "bad Gemma settings");
    }
    REFUSED(llama_set_gemma(m, NULL, &error), "no Gemma settings");
    LlamaGemma global_only = {0.25f, 2.8f, 30, 0};
    CHECK(llama_set_gemma(m, &global_only, &error) == LLAMA_OK, "good Gemma settings are taken");
    REFUSED(llama_set_gemma(m, &global_only, &error), "Gemma settings twice");
    LlamaLayerAttention bad_layers[] = {
        {-1, 0, 0},       /* negative window */
        {4, 1, 0},        /* the local table without a local base */
        {4, 2, 0},        /* no such table */
        {4, -1, 0},
        {4, 0, -1},       /* negative cap */
        {4, 0, NAN},
        {4, 0, INFINITY},
    };
    for (size_t i = 0; i < sizeof bad_layers / sizeof bad_layers[0]; i++) {
        REFUSED(llama_set_layer_attention(m, 0, &bad_layers[i], &error), "bad layer attention");
    }
    REFUSED(llama_set_layer_attention(m, 2, &fine, &error), "attention of a layer past the last");
    REFUSED(llama_set_layer_attention(m, -1, &fine, &error), "attention of layer -1");
    REFUSED(llama_set_layer_attention(m, 0, NULL, &error), "no attention settings");
    CHECK(llama_set_layer_attention(m, 1, &fine, &error) == LLAMA_OK, "good layer attention is taken");
    REFUSED(llama_set_post_norms(m, 0, norm, 7, norm, 8, &error), "a post-norm of the wrong size");
    REFUSED(llama_set_post_norms(m, 0, norm, 8, NULL, 8, &error), "a missing post-norm");
    REFUSED(llama_set_post_norms(m, 2, norm, 8, norm, 8, &error), "post-norms of a layer past the last");
    llama_destroy(m);

    /* a local base makes table 1 valid */
    m = tiny_model();
    LlamaGemma local = {0.25f, 2.8f, 0, 10000};
    CHECK(m && llama_set_gemma(m, &local, &error) == LLAMA_OK, "a local RoPE base is taken");
    LlamaLayerAttention sliding = {4, 1, 0};
    CHECK(m && llama_set_layer_attention(m, 0, &sliding, &error) == LLAMA_OK, "the local table with a local base");
    llama_destroy(m);
}

/* A Gemma model with every weight but the post-norms refuses a pass (LLAMA_INCOMPLETE), then runs once they are set,
 * and gives finite logits within the final cap. */
static void test_incomplete_without_post_norms(void) {
    LlamaModel *m = tiny_model();
    if (!m) {
        failures++;
        return;
    }
    const char *error = NULL;
    unsigned state = 99;
    static float qkv[(8 + 2 * 4) * 8], o[8 * 8], gate_up[16 * 8], down[8 * 8], table[5 * 8];
    float norm[8];
    for (size_t i = 0; i < sizeof qkv / sizeof qkv[0]; i++) qkv[i] = test_uniform(&state);
    for (int i = 0; i < 64; i++) o[i] = test_uniform(&state), down[i] = test_uniform(&state);
    for (int i = 0; i < 128; i++) gate_up[i] = test_uniform(&state);
    for (int i = 0; i < 40; i++) table[i] = test_uniform(&state);
    for (int i = 0; i < 8; i++) norm[i] = 1 + 0.1f * test_uniform(&state);
    LlamaGemma g = {0.5f, 2.8284271f, 3, 10000};
    llama_set_gemma(m, &g, &error);
    for (int l = 0; l < 2; l++) {
        llama_set_norms(m, l, norm, 8, norm, 8, &error);
        llama_set_float_linear(m, l, LLAMA_QKV, qkv, 16 * 8, NULL, 0, &error);
        llama_set_float_linear(m, l, LLAMA_O, o, 64, NULL, 0, &error);
        llama_set_float_linear(m, l, LLAMA_GATE_UP, gate_up, 128, NULL, 0, &error);
        llama_set_float_linear(m, l, LLAMA_DOWN, down, 64, NULL, 0, &error);
        LlamaLayerAttention a = {l == 0 ? 2 : 0, l == 0, 1.5f};
        CHECK(llama_set_layer_attention(m, l, &a, &error) == LLAMA_OK, "layer %d attention", l);
    }
    llama_set_final_norm(m, norm, 8, &error);
    llama_set_float_linear(m, LLAMA_HEAD, 0, table, 40, NULL, 0, &error);
    llama_set_embedding(m, table, 40, &error);
    enum { N = 5 };
    float keys[2][1 * 4 * N], values[2][1 * N * 4];
    memset(keys, 0, sizeof keys);
    memset(values, 0, sizeof values);
    float *key_ptrs[2] = {keys[0], keys[1]}, *value_ptrs[2] = {values[0], values[1]};
    int ids[N] = {1, 4, 2, 0, 3}, lengths[1] = {N}, past[1] = {0}, capacities[1] = {N}, logit_rows[1] = {N - 1};
    float logits[5];
    LlamaPass pass = {ids, N, NULL, 0, lengths, 1, past, 1, capacities, 1, key_ptrs, 2, value_ptrs, 2,
                      logit_rows, 1, logits, 5};
    CHECK(llama_forward(m, &pass, &error) == LLAMA_INCOMPLETE, "a Gemma pass without post-norms is incomplete");
    for (int l = 0; l < 2; l++) llama_set_post_norms(m, l, norm, 8, norm, 8, &error);
    CHECK(llama_forward(m, &pass, &error) == LLAMA_OK, "a complete Gemma model runs: %s", error ? error : "");
    for (int i = 0; i < 5; i++) {
        CHECK(isfinite(logits[i]) && fabsf(logits[i]) <= 3, "logit %d (%g) is finite and within the final cap", i,
              logits[i]);
    }
    llama_destroy(m);
}

int gemma_tests(int *checks_out) {
    test_gelu_and_geglu();
    test_softcap();
    test_window_start();
    test_windowed_attention();
    test_settings_refused();
    test_incomplete_without_post_norms();
    printf("[native-test] Gemma kernels and settings: %d checks, %d failed\n", checks, failures);
    *checks_out = checks;
    return failures;
}
