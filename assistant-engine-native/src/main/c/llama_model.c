/*
 * The model of llama_model.h: per pass the embedding lookup, then per layer RMSNorm, q|k|v, rotate-half RoPE,
 * grouped-query attention over each sequence's KV cache, o, the residual, RMSNorm, gate|up, SwiGLU, down, the
 * residual; then the final norm and the output head for the rows whose logits are wanted. Weights are float32 or
 * symmetric INT8 with one float scale per output row. Activations stay float32, except as the input of an INT8
 * product on AVX-512 VNNI, where each row is quantized to 16 bits (see llama_kernels.h). Gemma 2 and Gemma 3
 * (llama_set_gemma) run a layer loop of their own (gemma_layers.h) over the same products, caches and threads.
 *
 * Why it exists: decoding one token reads every weight once, so its speed should be set by memory bandwidth. Run as
 * libtorch operators (about 70 per layer, a few microseconds each) a SmolLM-135M-shaped token spent about as long
 * outside the weight products as in them, which held INT8 to ~2.3x FP32 where the products alone allow ~3.3x.
 * Here a layer is a handful of loops and the products run at memory speed.
 *
 * Determinism: every output element is computed by the same sequence of operations whatever the batch holds
 * (vector lanes accumulated in input order, then reduced in a fixed tree; INT8 sums are exact integers), so a
 * sequence's logits do not depend on which other sequences share its forward pass, nor on the thread count.
 *
 * Memory: INT8 weights and the norms are copied into memory the model owns (freed by llama_destroy); float32
 * weights, the float32 embedding table and the KV caches belong to the caller. A pass's scratch is one block, kept
 * for the next pass when it is small (SCRATCH_KEPT), so decoding allocates nothing per token.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "block_linear.h"
#include "gemma_kernels.h"
#include "kernels.h"
#include "kv_cache.h"
#include "llama_model.h"
#include "thread_pool.h"

typedef struct {
    float *attention_norm, *mlp_norm; /* [hidden] (owned) */
    float *query_norm, *key_norm;     /* [head_dim] (owned), Qwen3's per-head norms before RoPE; NULL without */
    float *post_attention_norm, *post_mlp_norm; /* [hidden] (owned), Gemma's norms of the attention and MLP outputs */
    LlamaLayerAttention attention;    /* Gemma: this layer's window, RoPE table and score cap */
    Linear linear[LLAMA_SLOTS];
} Layer;

struct LlamaModel {
    LlamaConfig config; /* as created (absent_cpu_features cleared) */
    int hidden, heads, kv_heads, head_dim, ffn, layers, vocab;
    float eps;
    float *inv_freq;    /* [head_dim / 2] RoPE inverse frequencies (owned) */
    float *inv_freq_long; /* [head_dim / 2] LongRoPE's long-context frequencies (owned), or NULL without LongRoPE */
    long long_after;    /* LongRoPE: original_max_positions; a pass reaching beyond rotates by inv_freq_long */
    float attention_factor; /* LongRoPE's cos/sin multiplier, 1 otherwise */
    Layer *layer;
    Linear head;        /* [vocab, hidden] */
    float *final_norm;  /* [hidden] (owned) */
    const float *embedding; /* [vocab, hidden] float32 (the caller's), or NULL when rows come embedded */
    pthread_mutex_t pass_lock; /* one pass at a time: a pass uses every thread of the pool */
    char *scratch;      /* the last pass's scratch block, kept for the next (see SCRATCH_KEPT) */
    size_t scratch_size;
    Pool *pool;
    const Kernels *k;
    const BlockKernels *bk; /* the same variant's group-32 block products */
    int embed_from_head;    /* the embedding table is the head's block matrix (tied, quantized) */
    BlockLinear *embed_block; /* an untied embedding table kept in a block format (owned), or NULL */
    long owned_bytes;
    LlamaKvType kv_type; /* how the caches of a pass store keys and values */
    LlamaActivations activations; /* how the INT8 products quantize activations */
    float query_scale;   /* queries are multiplied by this before attention: 1/sqrt(head_dim), or Gemma's */
    int gemma;           /* Gemma's layer (llama_set_gemma) */
    LlamaGemma gemma_settings;
    float *local_inv_freq; /* [head_dim / 2] Gemma 3's local RoPE frequencies (owned), or NULL */
};

/* One forward pass's rows and caches. */
typedef struct {
    int rows, segments;
    const int *row_segment;   /* [rows] */
    const int *row_position;  /* [rows] */
    const int *capacity;      /* [segments] */
    float *const *keys;       /* [segments * layers]: [kv_heads, head_dim, capacity] */
    float *const *values;     /* [segments * layers]: [kv_heads, capacity, head_dim] */
} Batch;

/* ---------------------------------------------------------------------------------------------------------------
 * RoPE.
 */
/* LongRoPE's factors are checked where they are read: head_dim / 2 positive finite numbers each. */
static int longrope_valid(const LlamaRope *rope, int half) {
    if (!rope->short_factor || !rope->long_factor || rope->original_max_positions < 1
            || !(rope->attention_factor > 0) || isinf(rope->attention_factor)) {
        return 0;
    }
    for (int j = 0; j < half; j++) {
        if (!(rope->short_factor[j] > 0) || isinf(rope->short_factor[j]) || !(rope->long_factor[j] > 0)
                || isinf(rope->long_factor[j])) {
            return 0;
        }
    }
    return 1;
}

/* The frequencies of `rope`, LongRoPE's long ones when `use_long`. */
static LlamaStatus frequencies(const LlamaRope *rope, int head_dim, int use_long, float *out, const char **error) {
    int half = head_dim / 2;
    if (!(rope->theta > 0) || head_dim < 2) {
        *error = "rope_theta must be positive";
        return LLAMA_BAD_ARGUMENT;
    }
    if (rope->type != LLAMA_ROPE_NONE && rope->type != LLAMA_ROPE_LONGROPE && !(rope->factor > 0)) {
        *error = "rope scaling factor must be positive";
        return LLAMA_BAD_ARGUMENT;
    }
    if (rope->type == LLAMA_ROPE_LLAMA3 && !(rope->low_freq_factor > 0 && rope->high_freq_factor > rope->low_freq_factor
                                             && rope->original_max_positions > 0)) {
        *error = "llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor and original positions";
        return LLAMA_BAD_ARGUMENT;
    }
    if (rope->type == LLAMA_ROPE_LONGROPE && !longrope_valid(rope, half)) {
        *error = "longrope needs head_dim / 2 positive short and long factors, original positions and a positive "
                 "attention factor";
        return LLAMA_BAD_ARGUMENT;
    }
    if (rope->type != LLAMA_ROPE_NONE && rope->type != LLAMA_ROPE_LINEAR && rope->type != LLAMA_ROPE_LLAMA3
            && rope->type != LLAMA_ROPE_LONGROPE) {
        *error = "unknown rope scaling";
        return LLAMA_BAD_ARGUMENT;
    }
    /* in float32 where PyTorch computes in float32 (and the SDK's Java side did), so the factors match theirs */
    for (int j = 0; j < half; j++) {
        float exponent = (float)(2 * j) / (float)head_dim;
        if (rope->type == LLAMA_ROPE_LONGROPE) {
            /* 1 / (factor_j * theta^(2j / d)), every step in float32 as HF's Phi-3 (and LongRope.java) */
            const double *factor = use_long ? rope->long_factor : rope->short_factor;
            out[j] = 1.0f / ((float)factor[j] * (float)pow(rope->theta, (double)exponent));
            continue;
        }
        float inv = (float)(1.0 / (double)(float)pow(rope->theta, (double)exponent));
        if (rope->type == LLAMA_ROPE_LINEAR) {
            inv = (float)(inv / rope->factor);
        } else if (rope->type == LLAMA_ROPE_LLAMA3) {
            /* Llama 3.1: long wavelengths slowed by factor, short ones kept, a linear blend between */
            double original = rope->original_max_positions;
            double low_wavelen = original / rope->low_freq_factor, high_wavelen = original / rope->high_freq_factor;
            double wavelen = 2 * 3.14159265358979323846 / inv;
            if (wavelen > low_wavelen) {
                inv = (float)(inv / rope->factor);
            } else if (wavelen >= high_wavelen) {
                double smooth = (original / wavelen - rope->low_freq_factor)
                        / (rope->high_freq_factor - rope->low_freq_factor);
                inv = (float)((1 - smooth) * inv / rope->factor + smooth * inv);
            }
        }
        out[j] = inv;
    }
    return LLAMA_OK;
}

LlamaStatus llama_rope_frequencies(const LlamaRope *rope, int head_dim, float *out, const char **error) {
    return frequencies(rope, head_dim, 0, out, error);
}

LlamaStatus llama_rope_long_frequencies(const LlamaRope *rope, int head_dim, float *out, const char **error) {
    return frequencies(rope, head_dim, 1, out, error);
}

/*
 * Whether segment s of a pass rotates by LongRoPE's long frequencies: every row of a sequence whose last position in
 * the pass is beyond original_max_positions, as HuggingFace's Phi-3 decides per forward call (and the pytorch engine
 * per segment). Keys cached by earlier passes are not rotated again: a sequence that crosses the threshold while
 * decoding keeps its earlier keys in the short rotation, its later ones in the long, as HF's cache does.
 */
static int rotates_long(const LlamaModel *m, const LlamaPass *a, int s) {
    return m->inv_freq_long && (long)a->past[s] + a->lengths[s] > m->long_after;
}

/* cos and rotate-half's signed sin ([head_dim] each) for a row at `position` rotating by `inv_freq`: each frequency
 * serves both halves, the sine negated on the first half, so that x * cos + [x2, x1] * sin is rotate-half RoPE;
 * both times LongRoPE's attention factor (1 otherwise). */
static void rope_factors(const LlamaModel *m, const float *inv_freq, int position, float *cos_out, float *sin_out) {
    int half = m->head_dim / 2;
    float attention = m->attention_factor;
    for (int j = 0; j < half; j++) {
        float angle = (float)position * inv_freq[j]; /* float32 product, as PyTorch computes it */
        float c = (float)cos((double)angle) * attention, s = (float)sin((double)angle) * attention;
        cos_out[j] = c;
        cos_out[j + half] = c;
        sin_out[j] = -s;
        sin_out[j + half] = s;
    }
}

/* Writes one row's keys and values (k, v: [kv_heads, head_dim]) at position p of INT8 layer buffers (kv_cache.h),
 * each head quantized with its own scale. */
static void cache_int8(const LlamaModel *m, void *keys, void *values, int cap, int p, const float *k, const float *v) {
    int hd = m->head_dim;
    float *key_scales = kv_int8_scales(keys), *value_scales = kv_int8_scales(values);
    int8_t *key_elements = kv_int8_elements(keys, m->kv_heads, cap);
    int8_t *value_elements = kv_int8_elements(values, m->kv_heads, cap);
    for (int g = 0; g < m->kv_heads; g++) {
        /* keys transposed: dimension d of position p at [g, d, p] */
        key_scales[(size_t)g * cap + p] = kv_int8_quantize(k + (size_t)g * hd, hd,
                                                           key_elements + (size_t)g * hd * cap + p, (size_t)cap);
        value_scales[(size_t)g * cap + p] = kv_int8_quantize(v + (size_t)g * hd, hd,
                                                             value_elements + ((size_t)g * cap + p) * hd, 1);
    }
}

/*
 * Rotates q (scaled by 1/sqrt(head_dim)) and k of row r in place with its factors (row r of [rows, head_dim]) and
 * writes k and v into its segment's caches at its position. Rows write disjoint positions, so rows may run at once.
 */
static void rotate_and_cache_row(const LlamaModel *m, const Batch *b, int layer, float *qkv, const float *cos,
                                 const float *sin, int r) {
    int hd = m->head_dim, half = hd / 2, width = (m->heads + 2 * m->kv_heads) * hd;
    float scale = m->query_scale;
    float rotated[hd];
    float *row = qkv + (size_t)r * width;
    const float *c = cos + (size_t)r * hd, *sn = sin + (size_t)r * hd;
    for (int h = 0; h < m->heads + m->kv_heads; h++) {
        float *x = row + (size_t)h * hd;
        int query = h < m->heads;
        for (int j = 0; j < hd; j++) {
            float cj = query ? c[j] * scale : c[j], sj = query ? sn[j] * scale : sn[j];
            float other = j < half ? x[j + half] : x[j - half];
            rotated[j] = x[j] * cj + other * sj;
        }
        memcpy(x, rotated, sizeof rotated);
    }
    int s = b->row_segment[r], cap = b->capacity[s], p = b->row_position[r];
    float *keys = b->keys[(size_t)s * m->layers + layer], *values = b->values[(size_t)s * m->layers + layer];
    const float *k = row + (size_t)m->heads * hd, *v = k + (size_t)m->kv_heads * hd;
    if (m->kv_type == LLAMA_KV_INT8) {
        cache_int8(m, keys, values, cap, p, k, v);
        return;
    }
    for (int g = 0; g < m->kv_heads; g++) {
        for (int d = 0; d < hd; d++) keys[((size_t)g * hd + d) * cap + p] = k[g * hd + d];
        memcpy(values + ((size_t)g * cap + p) * hd, v + (size_t)g * hd, (size_t)hd * sizeof(float));
    }
}

/* rotate_and_cache_row for every row, on the calling thread. */
static void rotate_and_cache(const LlamaModel *m, const Batch *b, int layer, float *qkv, const float *cos,
                             const float *sin) {
    for (int r = 0; r < b->rows; r++) rotate_and_cache_row(m, b, layer, qkv, cos, sin, r);
}

/* ---------------------------------------------------------------------------------------------------------------
 * The parallel loops: the weight products (split by output rows) and attention (split by row and head).
 */
typedef struct {
    const LlamaModel *m;
    const Linear *L;
    const float *x;
    const Wide *wide; /* x quantized for the VNNI products, or NULL */
    const BlockActs *acts; /* x quantized for the block products, or NULL */
    int rows;
    float *y;
} LinearTask;

static void linear_task(void *ctx, int begin, int end) {
    LinearTask *k = ctx;
    if (k->acts) {
        k->m->bk->linear_range(k->L->block, k->L->bias, k->acts, k->rows, k->y, begin, end);
    } else if (k->wide) {
        k->m->k->linear_range_wide(k->L, k->wide, k->rows, k->y, begin, end);
    } else {
        k->m->k->linear_range(k->L, k->x, k->rows, k->y, begin, end);
    }
}

/* The smallest chunk of outputs a thread takes: whole INT8 panels, so no panel is computed by two threads. */
#define LINEAR_GRAIN INT8_PANEL

/* y = L(x) on all threads, x already in `wide` when L's INT8 products use it (`wide_ready`); else `wide` (or, for
 * block weights, `acts`) is scratch for x's quantized form. */
static void linear_products(LlamaModel *m, const Linear *L, const float *x, int rows, float *y, Wide *wide,
                            BlockActs *acts, int wide_ready) {
    if (L->block) {
        m->bk->quantize(x, rows, L->in, acts);
        LinearTask task = {m, L, x, NULL, acts, rows, y};
        pool_run(m->pool, L->out, LINEAR_GRAIN, 1, linear_task, &task);
        return;
    }
    int quantized = L->panels != NULL;
    if (quantized && !wide_ready) m->k->quantize_rows(x, rows, L->in, wide);
    LinearTask task = {m, L, x, quantized ? wide : NULL, NULL, rows, y};
    pool_run(m->pool, L->out, LINEAR_GRAIN, 1, linear_task, &task);
}

/* y = L(x) on all threads; `wide` and `acts` are scratch for x's quantized forms. */
static void linear_run(LlamaModel *m, const Linear *L, const float *x, int rows, float *y, Wide *wide,
                       BlockActs *acts) {
    linear_products(m, L, x, rows, y, wide, acts, 0);
}

typedef struct {
    const LlamaModel *m;
    const Batch *b;
    int layer;
    const float *qkv;   /* [rows, (heads + 2 kv) * head_dim], q and k rotated, q scaled */
    float *out;         /* [rows, heads * head_dim] */
    float *scores;      /* [chunks, longest]: a chunk's scratch */
    int longest;
    int span;           /* query heads per item, all of one KV head's group */
    int grain;          /* items (a row's span of heads) per chunk */
} AttentionTask;

/* Query head h of row r over KV head g of segment s's INT8 caches (kv_cache.h). */
static void attend_int8(const AttentionTask *a, int r, int h, int g, int s, int cap, float *scores) {
    const LlamaModel *m = a->m;
    int hd = m->head_dim, width = (m->heads + 2 * m->kv_heads) * hd;
    void *keys = a->b->keys[(size_t)s * m->layers + a->layer], *values = a->b->values[(size_t)s * m->layers + a->layer];
    m->k->attend_int8(a->qkv + (size_t)r * width + (size_t)h * hd,
                      kv_int8_elements(keys, m->kv_heads, cap) + (size_t)g * hd * cap,
                      kv_int8_scales(keys) + (size_t)g * cap,
                      kv_int8_elements(values, m->kv_heads, cap) + (size_t)g * cap * hd,
                      kv_int8_scales(values) + (size_t)g * cap, cap, a->b->row_position[r] + 1, hd, scores,
                      a->out + (size_t)r * m->heads * hd + (size_t)h * hd);
}

static void attention_task(void *ctx, int begin, int end) {
    AttentionTask *a = ctx;
    const LlamaModel *m = a->m;
    int hd = m->head_dim, group = m->heads / m->kv_heads, width = (m->heads + 2 * m->kv_heads) * hd;
    int spans = m->heads / a->span;
    float *scores = a->scores + (size_t)begin / a->grain * ATTEND_HEADS * a->longest;
    for (int i = begin; i < end; i++) {
        int r = i / spans, h = i % spans * a->span, g = h / group;
        int s = a->b->row_segment[r], cap = a->b->capacity[s];
        if (m->kv_type == LLAMA_KV_INT8) {
            for (int j = 0; j < a->span; j++) attend_int8(a, r, h + j, g, s, cap, scores);
            continue;
        }
        const float *keys = a->b->keys[(size_t)s * m->layers + a->layer] + (size_t)g * hd * cap;
        const float *values = a->b->values[(size_t)s * m->layers + a->layer] + (size_t)g * cap * hd;
        m->k->attend(a->qkv + (size_t)r * width + (size_t)h * hd, a->span, keys, values, cap,
                     a->b->row_position[r] + 1, hd, scores, a->out + (size_t)r * m->heads * hd + (size_t)h * hd);
    }
}

/*
 * Query heads per attention item: the most of one KV head's group (a divisor of it) that still leaves every thread
 * about four items, so a batch reads each KV head's cache once per row while one row (9 heads over 3 KV heads on
 * SmolLM) still splits evenly. Any span gives the same bits (attend).
 */
static int attention_span(const LlamaModel *m, int rows) {
    int group = m->heads / m->kv_heads, wanted = 4 * pool_threads(m->pool);
    for (int span = group; span > 1; span--) {
        if (group % span == 0 && (long)rows * (m->heads / span) >= wanted) return span;
    }
    return 1;
}

static void add_into(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* ---------------------------------------------------------------------------------------------------------------
 * A pass's scratch.
 */
typedef struct {
    int *row_segment, *row_position;        /* each row's segment and position */
    float *x, *cos, *sin;                   /* the rows and their RoPE factors */
    float *cos_local, *sin_local;           /* Gemma 3: their factors of the local RoPE table */
    float *h, *qkv, *att, *tmp, *gu, *mlp;  /* a layer's intermediate rows */
    float *scores;                          /* attention scratch: 4 chunks per thread (pool_grain) x ATTEND_HEADS */
    float *last;                            /* the rows whose logits are wanted, normed */
    Wide wide;                              /* activations in 8- or 16-bit form for the VNNI products */
    BlockActs acts;                         /* activations in 8-bit groups for the block products */
} Pass;

/* Places `count` items of `size` bytes at *at in base (64-byte aligned) and advances *at; NULL when measuring. */
static void *carve(char *base, size_t *at, size_t count, size_t size) {
    void *p = base ? base + *at : NULL;
    *at += (count * size + 63) / 64 * 64;
    return p;
}

/*
 * Lays out the scratch of a pass of `rows` rows, `selected` of them with logits, attending over at most `longest`
 * positions, in `base`; with base NULL it only measures. Returns the bytes needed.
 */
static size_t pass_layout(const LlamaModel *m, size_t rows, size_t selected, size_t longest, char *base, Pass *p) {
    Pass ignored;
    if (!p) p = &ignored;
    size_t at = 0, width = (size_t)(m->heads + 2 * m->kv_heads) * m->head_dim, attended = (size_t)m->heads * m->head_dim;
    p->row_segment = carve(base, &at, rows, sizeof(int));
    p->row_position = carve(base, &at, rows, sizeof(int));
    p->x = carve(base, &at, rows * m->hidden, sizeof(float));
    p->cos = carve(base, &at, rows * m->head_dim, sizeof(float));
    p->sin = carve(base, &at, rows * m->head_dim, sizeof(float));
    p->cos_local = carve(base, &at, m->local_inv_freq ? rows * m->head_dim : 0, sizeof(float));
    p->sin_local = carve(base, &at, m->local_inv_freq ? rows * m->head_dim : 0, sizeof(float));
    p->h = carve(base, &at, rows * m->hidden, sizeof(float));
    p->qkv = carve(base, &at, rows * width, sizeof(float));
    p->att = carve(base, &at, rows * attended, sizeof(float));
    p->tmp = carve(base, &at, rows * m->hidden, sizeof(float));
    p->gu = carve(base, &at, rows * 2 * m->ffn, sizeof(float));
    p->mlp = carve(base, &at, rows * m->ffn, sizeof(float));
    p->scores = carve(base, &at, (size_t)4 * pool_threads(m->pool) * ATTEND_HEADS * longest, sizeof(float));
    p->last = carve(base, &at, selected * m->hidden, sizeof(float));
    size_t widest = (size_t)(m->hidden > m->ffn ? m->hidden : m->ffn);
    widest = widest > attended ? widest : attended;
    p->wide.padded = (int)((widest + 63) / 64 * 64);
    int wide = m->k->quantize_rows != NULL;
    p->wide.hi = carve(base, &at, wide ? rows * p->wide.padded : 0, 1);
    p->wide.lo = carve(base, &at, wide ? rows * p->wide.padded : 0, 1);
    p->wide.scale = carve(base, &at, wide ? rows : 0, sizeof(float));
    p->wide.narrow = m->activations == LLAMA_ACTIVATIONS_8;
    p->acts.chunks = (int)((widest + 127) / 128);
    p->acts.q = carve(base, &at, rows * p->acts.chunks * 128, 1);
    p->acts.d = carve(base, &at, rows * p->acts.chunks * 4, sizeof(float));
    p->acts.neg_corr = carve(base, &at, rows * p->acts.chunks * 16, sizeof(int32_t));
    return at;
}

/* Passes up to this size keep their scratch block for the next pass (no page faults per token); larger ones
 * (long prompts) allocate their own and free it. */
#define SCRATCH_KEPT (32u << 20)

static char *scratch_acquire(LlamaModel *m, size_t bytes) {
    if (bytes <= m->scratch_size) return m->scratch;
    char *block = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (block && bytes <= SCRATCH_KEPT) {
        free(m->scratch);
        m->scratch = block;
        m->scratch_size = bytes;
    }
    return block;
}

static void scratch_release(LlamaModel *m, char *block) {
    if (block != m->scratch) free(block);
}

/* ---------------------------------------------------------------------------------------------------------------
 * The forward pass.
 */

/* Qwen3: RMSNorm over each query and key head of every q|k|v row, in place, before RoPE. */
static void head_norms(const LlamaModel *m, const Layer *layer, float *qkv, int rows) {
    int hd = m->head_dim, width = (m->heads + 2 * m->kv_heads) * hd;
    for (int r = 0; r < rows; r++) {
        float *q = qkv + (size_t)r * width, *k = q + (size_t)m->heads * hd;
        m->k->rms_norm(q, layer->query_norm, m->eps, m->heads, hd, q);
        m->k->rms_norm(k, layer->key_norm, m->eps, m->kv_heads, hd, k);
    }
}

/* The per-row steps between a layer's products and attention (rows_task). */
typedef enum { ROWS_ATTENTION_INPUT, ROWS_ROTATE, ROWS_O_INPUT, ROWS_MLP_INPUT, ROWS_DOWN_INPUT } RowsStep;

typedef struct {
    const LlamaModel *m;
    const Batch *b;
    Pass *p;
    int layer;
    RowsStep step;
} RowsTask;

/* Row r of x ([rows, L->in]) into its row of `wide`, when L's INT8 products read their input from there. */
static void quantize_row(const LlamaModel *m, const Linear *L, const float *x, int r, Wide *wide) {
    if (!L->panels) return;
    Wide row = {wide->hi + (size_t)r * wide->padded, wide->lo + (size_t)r * wide->padded, wide->scale + r,
                wide->padded, wide->narrow};
    m->k->quantize_rows(x + (size_t)r * L->in, 1, L->in, &row);
}

/*
 * A layer's work on each row between its parallel loops: the norms, RoPE and the cache writes, SwiGLU, and quantizing
 * a product's input. Rows are independent and each goes through the same code as when one thread did them all, so
 * the split changes no bit; at 8 rows this serial work had been about a tenth of a step, with the other threads
 * waiting.
 */
static void rows_task(void *ctx, int begin, int end) {
    RowsTask *t = ctx;
    const LlamaModel *m = t->m;
    const Layer *layer = &m->layer[t->layer];
    Pass *p = t->p;
    int hidden = m->hidden, width = (m->heads + 2 * m->kv_heads) * m->head_dim;
    for (int r = begin; r < end; r++) {
        size_t at = (size_t)r * hidden;
        switch (t->step) {
            case ROWS_ATTENTION_INPUT:
                m->k->rms_norm(p->x + at, layer->attention_norm, m->eps, 1, hidden, p->h + at);
                quantize_row(m, &layer->linear[LLAMA_QKV], p->h, r, &p->wide);
                break;
            case ROWS_ROTATE:
                if (layer->query_norm) head_norms(m, layer, p->qkv + (size_t)r * width, 1);
                rotate_and_cache_row(m, t->b, t->layer, p->qkv, p->cos, p->sin, r);
                break;
            case ROWS_O_INPUT:
                quantize_row(m, &layer->linear[LLAMA_O], p->att, r, &p->wide);
                break;
            case ROWS_MLP_INPUT:
                add_into(p->x + at, p->tmp + at, (size_t)hidden);
                m->k->rms_norm(p->x + at, layer->mlp_norm, m->eps, 1, hidden, p->h + at);
                quantize_row(m, &layer->linear[LLAMA_GATE_UP], p->h, r, &p->wide);
                break;
            case ROWS_DOWN_INPUT:
                m->k->swiglu(p->gu + (size_t)r * 2 * m->ffn, 1, m->ffn, p->mlp + (size_t)r * m->ffn);
                quantize_row(m, &layer->linear[LLAMA_DOWN], p->mlp, r, &p->wide);
                break;
        }
    }
}

static void for_rows(LlamaModel *m, const Batch *b, Pass *p, int layer, RowsStep step) {
    RowsTask task = {m, b, p, layer, step};
    pool_run(m->pool, b->rows, pool_grain(m->pool, b->rows), 0, rows_task, &task);
}

/* Runs every layer over the rows p->x ([rows, hidden], in place). */
static void run_layers(LlamaModel *m, const Batch *b, Pass *p, int longest) {
    int rows = b->rows, hidden = m->hidden;
    int span = attention_span(m, rows), items = rows * (m->heads / span), grain = pool_grain(m->pool, items);
    for (int l = 0; l < m->layers; l++) {
        Layer *layer = &m->layer[l];
        for_rows(m, b, p, l, ROWS_ATTENTION_INPUT);
        linear_products(m, &layer->linear[LLAMA_QKV], p->h, rows, p->qkv, &p->wide, &p->acts, 1);
        for_rows(m, b, p, l, ROWS_ROTATE);
        AttentionTask task = {m, b, l, p->qkv, p->att, p->scores, longest, span, grain};
        pool_run(m->pool, items, grain, 0, attention_task, &task);
        if (layer->linear[LLAMA_O].panels) for_rows(m, b, p, l, ROWS_O_INPUT);
        linear_products(m, &layer->linear[LLAMA_O], p->att, rows, p->tmp, &p->wide, &p->acts, 1);
        for_rows(m, b, p, l, ROWS_MLP_INPUT);
        linear_products(m, &layer->linear[LLAMA_GATE_UP], p->h, rows, p->gu, &p->wide, &p->acts, 1);
        for_rows(m, b, p, l, ROWS_DOWN_INPUT);
        linear_products(m, &layer->linear[LLAMA_DOWN], p->mlp, rows, p->tmp, &p->wide, &p->acts, 1);
        add_into(p->x, p->tmp, (size_t)rows * hidden);
    }
}

#include "gemma_layers.h" /* Gemma's layer loop, over the functions above */

/* Whether every layer has its norms and all four products, and the final norm and head are there. */
static int complete(const LlamaModel *m) {
    if (!m->final_norm || !(m->head.f32 || m->head.block || ((m->head.i8 || m->head.panels) && m->head.scale))) return 0;
    if (m->embed_from_head && !m->head.block) return 0;
    for (int l = 0; l < m->layers; l++) {
        const Layer *layer = &m->layer[l];
        if (!layer->attention_norm || !layer->mlp_norm) return 0;
        if (m->gemma && (!layer->post_attention_norm || !layer->post_mlp_norm)) return 0;
        for (int s = 0; s < LLAMA_SLOTS; s++) {
            const Linear *L = &layer->linear[s];
            if (!(L->f32 || L->block || ((L->i8 || L->panels) && L->scale))) return 0;
        }
    }
    return 1;
}

/* The widest INT8 product the VNNI kernels sum exactly in int32 lanes. */
#define MAX_INT8_INPUTS 44000

#define REFUSE(message)            \
    do {                           \
        *error = (message);        \
        return LLAMA_BAD_ARGUMENT; \
    } while (0)

/* Checks a pass against the model; sets the longest attended span. */
static LlamaStatus check_pass(const LlamaModel *m, const LlamaPass *a, int *longest, const char **error) {
    long segments = a->n_lengths, rows = a->n_ids, selected = a->n_logit_rows, caches = segments * m->layers;
    if (rows < 1 || rows > LLAMA_MAX_ROWS) REFUSE("a pass needs 1 to 2^20 rows");
    if (segments < 1 || segments > rows) REFUSE("a pass needs 1 segment or more, no more than its rows");
    if (selected < 1 || selected > rows) REFUSE("a pass needs 1 to rows logit rows");
    if (!a->ids || !a->lengths || !a->past || !a->capacities || !a->keys || !a->values || !a->logit_rows
            || !a->logits) {
        REFUSE("a pass argument is missing");
    }
    if (a->n_past != segments || a->n_capacities != segments || a->n_keys != caches || a->n_values != caches) {
        REFUSE("segment arguments do not match each other");
    }
    if (a->n_logits != selected * m->vocab) REFUSE("the logits array is not [logit rows, vocab]");
    if (a->embedded ? a->n_embedded != rows * m->hidden : !m->embedding && !m->embed_from_head && !m->embed_block) {
        REFUSE(a->embedded ? "embedded rows are not [rows, hidden]" : "no embedding table and no embedded rows");
    }
    long total = 0;
    *longest = 0;
    for (long s = 0; s < segments; s++) {
        if (a->lengths[s] < 1 || a->past[s] < 0 || a->capacities[s] < 1
                || (long)a->past[s] + a->lengths[s] > a->capacities[s]) {
            REFUSE("a segment does not fit its cache");
        }
        total += a->lengths[s];
        if (a->past[s] + a->lengths[s] > *longest) *longest = a->past[s] + a->lengths[s];
    }
    if (total != rows) REFUSE("segment lengths do not add up to the rows");
    for (long i = 0; i < caches; i++) {
        if (!a->keys[i] || !a->values[i]) REFUSE("a cache is missing");
    }
    for (long i = 0; i < selected; i++) {
        if (a->logit_rows[i] < 0 || a->logit_rows[i] >= rows) REFUSE("a logit row is outside the batch");
    }
    if (!a->embedded) {
        for (long r = 0; r < rows; r++) {
            if (a->ids[r] < 0 || a->ids[r] >= m->vocab) REFUSE("a token id is outside the vocabulary");
        }
    }
    return LLAMA_OK;
}

LlamaStatus llama_forward(LlamaModel *m, const LlamaPass *a, const char **error) {
    if (!complete(m)) {
        *error = "the model is missing weights";
        return LLAMA_INCOMPLETE;
    }
    int longest;
    LlamaStatus status = check_pass(m, a, &longest, error);
    if (status != LLAMA_OK) return status;
    int rows = (int)a->n_ids, segments = (int)a->n_lengths, selected = (int)a->n_logit_rows;
    pthread_mutex_lock(&m->pass_lock);
    Pass p;
    char *block = scratch_acquire(m, pass_layout(m, rows, selected, longest, NULL, NULL));
    if (!block) {
        pthread_mutex_unlock(&m->pass_lock);
        *error = "no memory for a forward pass's scratch";
        return LLAMA_NO_MEMORY;
    }
    pass_layout(m, rows, selected, longest, block, &p);
    for (int s = 0, r = 0; s < segments; s++) {
        for (int j = 0; j < a->lengths[s]; j++, r++) {
            p.row_segment[r] = s;
            p.row_position[r] = a->past[s] + j;
        }
    }
    for (int r = 0; r < rows; r++) {
        const float *inv_freq = rotates_long(m, a, p.row_segment[r]) ? m->inv_freq_long : m->inv_freq;
        rope_factors(m, inv_freq, p.row_position[r], p.cos + (size_t)r * m->head_dim,
                     p.sin + (size_t)r * m->head_dim);
        if (!a->embedded && !m->embedding) {
            block_linear_row(m->embed_block ? m->embed_block : m->head.block, a->ids[r], p.x + (size_t)r * m->hidden);
            continue;
        }
        const float *source = a->embedded ? a->embedded + (size_t)r * m->hidden
                                          : m->embedding + (size_t)a->ids[r] * m->hidden;
        memcpy(p.x + (size_t)r * m->hidden, source, (size_t)m->hidden * sizeof(float));
    }
    Batch batch = {rows, segments, p.row_segment, p.row_position, a->capacities, a->keys, a->values};
    if (m->gemma) {
        gemma_prepare_rows(m, &p, rows);
        run_gemma_layers(m, &batch, &p, longest);
    } else {
        run_layers(m, &batch, &p, longest);
    }
    for (int i = 0; i < selected; i++) {
        m->k->rms_norm(p.x + (size_t)a->logit_rows[i] * m->hidden, m->final_norm, m->eps, 1, m->hidden,
                       p.last + (size_t)i * m->hidden);
    }
    linear_run(m, &m->head, p.last, selected, a->logits, &p.wide, &p.acts);
    if (m->gemma) gemma_softcap(a->logits, (size_t)selected * m->vocab, m->gemma_settings.final_softcap);
    scratch_release(m, block);
    pthread_mutex_unlock(&m->pass_lock);
    return LLAMA_OK;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Creating the model and setting its weights.
 */
static void free_linear(Linear *L) {
    free(L->i8);
    free(L->panels);
    free(L->scale);
    free(L->bias);
    free(L->row_sum);
    block_linear_free(L->block);
    free(L->block);
    memset(L, 0, sizeof *L);
}

void llama_destroy(LlamaModel *m) {
    if (!m) return;
    pool_destroy(m->pool);
    if (m->layer) {
        for (int l = 0; l < m->layers; l++) {
            free(m->layer[l].attention_norm);
            free(m->layer[l].mlp_norm);
            free(m->layer[l].query_norm);
            free(m->layer[l].key_norm);
            free(m->layer[l].post_attention_norm);
            free(m->layer[l].post_mlp_norm);
            for (int s = 0; s < LLAMA_SLOTS; s++) free_linear(&m->layer[l].linear[s]);
        }
        free(m->layer);
    }
    free_linear(&m->head);
    block_linear_free(m->embed_block);
    free(m->embed_block);
    free(m->final_norm);
    free(m->inv_freq);
    free(m->inv_freq_long);
    free(m->local_inv_freq);
    free(m->scratch);
    pthread_mutex_destroy(&m->pass_lock);
    free(m);
}

/* Computes `rope`'s frequencies into the model (m->head_dim set); on failure the model is left as it was. */
static LlamaStatus install_rope(LlamaModel *m, const LlamaRope *rope, const char **error) {
    size_t half = (size_t)m->head_dim / 2;
    int longrope = rope->type == LLAMA_ROPE_LONGROPE;
    float *inv = malloc(half * sizeof(float)), *inv_long = longrope ? malloc(half * sizeof(float)) : NULL;
    if (!inv || (longrope && !inv_long)) {
        free(inv);
        free(inv_long);
        *error = "no memory for the model";
        return LLAMA_NO_MEMORY;
    }
    LlamaStatus status = llama_rope_frequencies(rope, m->head_dim, inv, error);
    if (status == LLAMA_OK && longrope) status = llama_rope_long_frequencies(rope, m->head_dim, inv_long, error);
    if (status != LLAMA_OK) {
        free(inv);
        free(inv_long);
        return status;
    }
    free(m->inv_freq);
    free(m->inv_freq_long);
    m->inv_freq = inv;
    m->inv_freq_long = inv_long;
    m->long_after = longrope ? rope->original_max_positions : 0;
    m->attention_factor = longrope ? (float)rope->attention_factor : 1.0f;
    m->config.rope = *rope;
    m->config.rope.short_factor = m->config.rope.long_factor = NULL;
    return LLAMA_OK;
}

LlamaStatus llama_set_rope(LlamaModel *m, const LlamaRope *rope, const char **error) {
    pthread_mutex_lock(&m->pass_lock); /* never during a pass */
    LlamaStatus status = install_rope(m, rope, error);
    pthread_mutex_unlock(&m->pass_lock);
    return status;
}

LlamaStatus llama_create(const LlamaConfig *c, LlamaModel **out, const char **error) {
    *out = NULL;
    if (c->hidden < 1 || c->heads < 1 || c->kv_heads < 1 || c->heads % c->kv_heads || c->head_dim < 2
            || c->head_dim % 2 || c->ffn < 1 || c->layers < 1 || c->vocab < 1 || c->threads < 1 || c->threads > 1024
            || c->head_dim > 1024 || c->hidden > 65536 || c->ffn > 65536 || (long)c->heads * c->head_dim > 65536
            || c->layers > 65536 || c->vocab > (1 << 24) || !(c->eps >= 0)) {
        REFUSE("invalid model dimensions");
    }
    LlamaModel *m = calloc(1, sizeof *m);
    if (!m) {
        *error = "no memory for the model";
        return LLAMA_NO_MEMORY;
    }
    m->head_dim = c->head_dim;
    LlamaStatus status = install_rope(m, &c->rope, error);
    if (status != LLAMA_OK) {
        free(m);
        return status;
    }
    m->config = *c;
    m->config.absent_cpu_features = NULL;
    m->config.rope.short_factor = m->config.rope.long_factor = NULL; /* read by install_rope, not kept */
    m->hidden = c->hidden;
    m->heads = c->heads;
    m->kv_heads = c->kv_heads;
    m->head_dim = c->head_dim;
    m->ffn = c->ffn;
    m->layers = c->layers;
    m->vocab = c->vocab;
    m->eps = c->eps;
    m->query_scale = (float)(1.0 / sqrt((double)c->head_dim));
    m->k = kernels_select(c->widest_kernels, c->absent_cpu_features);
    for (int v = 0; v < KERNELS_VARIANTS; v++) {
        if (kernels_variant(v) == m->k) m->bk = block_kernels_variant(v);
    }
    pthread_mutex_init(&m->pass_lock, NULL);
    m->layer = calloc((size_t)c->layers, sizeof(Layer));
    m->pool = pool_create(c->threads);
    if (!m->layer || !m->pool) {
        llama_destroy(m);
        *error = "no memory for the model";
        return LLAMA_NO_MEMORY;
    }
    *out = m;
    return LLAMA_OK;
}

const LlamaConfig *llama_config(const LlamaModel *m) {
    return &m->config;
}

const char *llama_kernels_name(const LlamaModel *m) {
    return m->k->name;
}

int llama_threads(const LlamaModel *m) {
    return pool_threads(m->pool);
}

LlamaStatus llama_set_kv_type(LlamaModel *m, int type, const char **error) {
    if (type != LLAMA_KV_F32 && type != LLAMA_KV_INT8) REFUSE("unknown KV cache type");
    pthread_mutex_lock(&m->pass_lock); /* never between a pass's layers */
    m->kv_type = (LlamaKvType)type;
    pthread_mutex_unlock(&m->pass_lock);
    return LLAMA_OK;
}

LlamaKvType llama_kv_type(const LlamaModel *m) {
    return m->kv_type;
}

LlamaStatus llama_set_activations(LlamaModel *m, int activations, const char **error) {
    if (activations != LLAMA_ACTIVATIONS_16 && activations != LLAMA_ACTIVATIONS_8) {
        REFUSE("unknown activation precision");
    }
    pthread_mutex_lock(&m->pass_lock); /* never between a pass's layers */
    m->activations = (LlamaActivations)activations;
    pthread_mutex_unlock(&m->pass_lock);
    return LLAMA_OK;
}

LlamaActivations llama_activations(const LlamaModel *m) {
    return m->activations;
}

long llama_owned_bytes(const LlamaModel *m) {
    return m->owned_bytes;
}

/* A copy of `count` floats in owned memory (NULL without memory), counted in owned_bytes. */
static float *copy_floats(LlamaModel *m, const float *a, long count) {
    float *p = aligned_alloc(64, ((size_t)count * sizeof(float) + 63) / 64 * 64);
    if (!p) return NULL;
    memcpy(p, a, (size_t)count * sizeof(float));
    m->owned_bytes += count * (long)sizeof(float);
    return p;
}

#define NO_MEMORY()                       \
    do {                                  \
        *error = "no memory for weights"; \
        return LLAMA_NO_MEMORY;           \
    } while (0)

LlamaStatus llama_set_norms(LlamaModel *m, int layer, const float *attention, long attention_count, const float *mlp,
                            long mlp_count, const char **error) {
    if (layer < 0 || layer >= m->layers) REFUSE("no such layer");
    if (!attention || !mlp || attention_count != m->hidden || mlp_count != m->hidden) {
        REFUSE("norm weights are not [hidden]");
    }
    Layer *l = &m->layer[layer];
    free(l->attention_norm);
    free(l->mlp_norm);
    l->mlp_norm = NULL;
    l->attention_norm = copy_floats(m, attention, m->hidden);
    if (l->attention_norm) l->mlp_norm = copy_floats(m, mlp, m->hidden);
    if (!l->mlp_norm) NO_MEMORY();
    return LLAMA_OK;
}

LlamaStatus llama_set_head_norms(LlamaModel *m, int layer, const float *query, long query_count, const float *key,
                                 long key_count, const char **error) {
    if (layer < 0 || layer >= m->layers) REFUSE("no such layer");
    if (!query || !key || query_count != m->head_dim || key_count != m->head_dim) {
        REFUSE("head norm weights are not [head_dim]");
    }
    Layer *l = &m->layer[layer];
    free(l->query_norm);
    free(l->key_norm);
    l->key_norm = NULL;
    l->query_norm = copy_floats(m, query, m->head_dim);
    if (l->query_norm) l->key_norm = copy_floats(m, key, m->head_dim);
    if (!l->key_norm) {
        free(l->query_norm);
        l->query_norm = NULL; /* the forward pass applies both or neither */
        NO_MEMORY();
    }
    return LLAMA_OK;
}

LlamaStatus llama_set_final_norm(LlamaModel *m, const float *weight, long count, const char **error) {
    if (!weight || count != m->hidden) REFUSE("the final norm is not [hidden]");
    free(m->final_norm);
    m->final_norm = copy_floats(m, weight, m->hidden);
    if (!m->final_norm) NO_MEMORY();
    return LLAMA_OK;
}

/* The [out, in] shape slot s of a layer must have. */
static void slot_shape(const LlamaModel *m, int slot, int *out, int *in) {
    int q = m->heads * m->head_dim, kv = m->kv_heads * m->head_dim;
    switch (slot) {
        case LLAMA_QKV: *out = q + 2 * kv; *in = m->hidden; break;
        case LLAMA_O: *out = m->hidden; *in = q; break;
        case LLAMA_GATE_UP: *out = 2 * m->ffn; *in = m->hidden; break;
        default: *out = m->hidden; *in = m->ffn; break;
    }
}

/* The Linear of `slot` of `layer` (or the head), with the shape it must have in *out / *in; NULL if no such slot. */
static Linear *linear_slot(LlamaModel *m, int layer, int slot, int *out, int *in) {
    if (layer == LLAMA_HEAD) {
        *out = m->vocab;
        *in = m->hidden;
        return &m->head;
    }
    if (layer < 0 || layer >= m->layers || slot < 0 || slot >= LLAMA_SLOTS) return NULL;
    slot_shape(m, slot, out, in);
    return &m->layer[layer].linear[slot];
}

LlamaStatus llama_set_float_linear(LlamaModel *m, int layer, int slot, const float *weight, long count,
                                   const float *bias, long bias_count, const char **error) {
    int out, in;
    Linear *L = linear_slot(m, layer, slot, &out, &in);
    if (!L) REFUSE("no such layer or slot");
    if (!weight || count != (long)out * in) REFUSE("the float weight is not [out, in]");
    if (bias && (bias_count != out || layer == LLAMA_HEAD)) REFUSE("the bias is not [out] (or is the head's)");
    free_linear(L);
    L->out = out;
    L->in = in;
    if (bias && !(L->bias = copy_floats(m, bias, out))) NO_MEMORY();
    L->f32 = weight;
    return LLAMA_OK;
}

LlamaStatus llama_set_int8_linear(LlamaModel *m, int layer, int slot, const int8_t *values, long count,
                                  const float *scales, long scale_count, const float *bias, long bias_count,
                                  const char **error) {
    int out, in;
    Linear *L = linear_slot(m, layer, slot, &out, &in);
    if (!L) REFUSE("no such layer or slot");
    if (!values || count != (long)out * in) REFUSE("the INT8 values are not [out, in]");
    if (!scales || scale_count != out) REFUSE("the INT8 scales are not [out]");
    if (bias && (bias_count != out || layer == LLAMA_HEAD)) REFUSE("the bias is not [out] (or is the head's)");
    /* the VNNI products sum (255 + 128) * 127 per input in int32 (llama_kernels.h, store_lanes) */
    if (in > MAX_INT8_INPUTS) REFUSE("an INT8 product has more than 44,000 inputs");
    free_linear(L);
    /* with the VNNI kernels the weights live only in their panels; the float kernels read them row by row */
    int panelled = m->k->linear_range_wide != NULL;
    size_t bytes = panelled ? int8_panels_bytes(out, in) : (size_t)count;
    int8_t *copy = aligned_alloc(64, (bytes + 63) / 64 * 64);
    int32_t *row_sum = malloc((size_t)out * sizeof(int32_t));
    float *scale = copy_floats(m, scales, out), *bias_copy = bias ? copy_floats(m, bias, out) : NULL;
    if (!copy || !row_sum || !scale || (bias && !bias_copy)) {
        free(copy);
        free(row_sum);
        free(scale);
        free(bias_copy);
        NO_MEMORY();
    }
    if (panelled) {
        int8_panels_pack(values, out, in, copy);
    } else {
        memcpy(copy, values, bytes);
    }
    for (int o = 0; o < out; o++) {
        int32_t sum = 0;
        for (int i = 0; i < in; i++) sum += values[(size_t)o * in + i];
        row_sum[o] = sum;
    }
    *L = (Linear){out, in, NULL, panelled ? NULL : copy, scale, bias_copy, row_sum, NULL, panelled ? copy : NULL};
    m->owned_bytes += (long)bytes + (long)out * (long)sizeof(int32_t);
    return LLAMA_OK;
}

LlamaStatus llama_set_embedding(LlamaModel *m, const float *table, long count, const char **error) {
    if (!table || count != (long)m->vocab * m->hidden) REFUSE("the embedding table is not [vocab, hidden]");
    m->embedding = table;
    m->embed_from_head = 0;
    if (m->embed_block) {
        m->owned_bytes -= block_linear_bytes(m->embed_block);
        block_linear_free(m->embed_block);
        free(m->embed_block);
        m->embed_block = NULL;
    }
    return LLAMA_OK;
}

LlamaStatus llama_set_block_linear(LlamaModel *m, int layer, int slot, int type, const uint8_t *blocks, long bytes,
                                   const float *bias, long bias_count, const char **error) {
    int out, in;
    Linear *L = linear_slot(m, layer, slot, &out, &in);
    if (!L) REFUSE("no such layer or slot");
    long expected = block_linear_blocks_bytes(type, out, in);
    if (expected < 0) REFUSE("the block type is not Q4_0, Q4_1, Q4_K or Q8_0, or a Q4_K row is not whole super-blocks");
    if (!blocks || bytes != expected) REFUSE("the blocks are not [out, ceil(in / 32)] blocks of their type");
    if (bias && (bias_count != out || layer == LLAMA_HEAD)) REFUSE("the bias is not [out] (or is the head's)");
    BlockLinear *block = calloc(1, sizeof *block);
    float *bias_copy = bias ? copy_floats(m, bias, out) : NULL;
    if (!block || (bias && !bias_copy) || block_linear_init(block, type, out, in, blocks, bytes) != 0) {
        free(block);
        if (bias_copy) m->owned_bytes -= (long)out * (long)sizeof(float);
        free(bias_copy);
        NO_MEMORY();
    }
    if (layer == LLAMA_HEAD) m->embed_from_head = 0;
    free_linear(L);
    L->out = out;
    L->in = in;
    L->bias = bias_copy;
    L->block = block;
    m->owned_bytes += block_linear_bytes(block);
    return LLAMA_OK;
}

LlamaStatus llama_set_embedding_from_head(LlamaModel *m, const char **error) {
    if (!m->head.block) REFUSE("the head is not a block matrix");
    m->embed_from_head = 1;
    m->embedding = NULL;
    return LLAMA_OK;
}

LlamaStatus llama_set_block_embedding(LlamaModel *m, int type, const uint8_t *blocks, long bytes, const char **error) {
    long expected = block_linear_blocks_bytes(type, m->vocab, m->hidden);
    if (expected < 0) REFUSE("the block type is not Q4_0, Q4_1, Q4_K or Q8_0, or a Q4_K row is not whole super-blocks");
    if (!blocks || bytes != expected) REFUSE("the embedding blocks are not [vocab, ceil(hidden / 32)] blocks");
    BlockLinear *block = calloc(1, sizeof *block);
    if (!block || block_linear_init(block, type, m->vocab, m->hidden, blocks, bytes) != 0) {
        free(block);
        NO_MEMORY();
    }
    if (m->embed_block) {
        m->owned_bytes -= block_linear_bytes(m->embed_block);
        block_linear_free(m->embed_block);
        free(m->embed_block);
    }
    m->embed_block = block;
    m->embedding = NULL;
    m->embed_from_head = 0;
    m->owned_bytes += block_linear_bytes(block);
    return LLAMA_OK;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Gemma's settings (gemma_layers.h runs them).
 */
LlamaStatus llama_set_gemma(LlamaModel *m, const LlamaGemma *g, const char **error) {
    if (!g) REFUSE("no Gemma settings");
    if (m->gemma) REFUSE("the model is a Gemma model already");
    if (!(g->query_scale > 0) || !isfinite(g->query_scale)) REFUSE("the query scale must be positive and finite");
    if (!(g->embedding_scale > 0) || !isfinite(g->embedding_scale)) {
        REFUSE("the embedding scale must be positive and finite");
    }
    if (!(g->final_softcap >= 0) || !isfinite(g->final_softcap)) REFUSE("the final soft-cap must be 0 or positive");
    if (!(g->local_rope_theta >= 0) || !isfinite(g->local_rope_theta)) {
        REFUSE("the local RoPE base must be 0 or positive");
    }
    float *local = NULL;
    if (g->local_rope_theta > 0) {
        if (!(local = malloc((size_t)m->head_dim / 2 * sizeof(float)))) NO_MEMORY();
        LlamaRope rope = {.type = LLAMA_ROPE_NONE, .theta = g->local_rope_theta};
        LlamaStatus status = llama_rope_frequencies(&rope, m->head_dim, local, error);
        if (status != LLAMA_OK) {
            free(local);
            return status;
        }
    }
    pthread_mutex_lock(&m->pass_lock);
    m->gemma_settings = *g;
    m->query_scale = g->query_scale;
    m->local_inv_freq = local;
    m->gemma = 1;
    pthread_mutex_unlock(&m->pass_lock);
    return LLAMA_OK;
}

LlamaStatus llama_set_layer_attention(LlamaModel *m, int layer, const LlamaLayerAttention *a, const char **error) {
    if (!m->gemma) REFUSE("per-layer attention settings are Gemma's: call llama_set_gemma first");
    if (layer < 0 || layer >= m->layers) REFUSE("no such layer");
    if (!a) REFUSE("no attention settings");
    if (a->window < 0) REFUSE("the window must be 0 (none) or positive");
    if (a->rope != 0 && a->rope != 1) REFUSE("the RoPE table must be 0 (global) or 1 (local)");
    if (a->rope == 1 && !m->local_inv_freq) REFUSE("the local RoPE table needs a local RoPE base");
    if (!(a->softcap >= 0) || !isfinite(a->softcap)) REFUSE("the attention soft-cap must be 0 or positive");
    m->layer[layer].attention = *a;
    return LLAMA_OK;
}

LlamaStatus llama_set_post_norms(LlamaModel *m, int layer, const float *attention, long attention_count,
                                 const float *mlp, long mlp_count, const char **error) {
    if (!m->gemma) REFUSE("post-norms are Gemma's: call llama_set_gemma first");
    if (layer < 0 || layer >= m->layers) REFUSE("no such layer");
    if (!attention || !mlp || attention_count != m->hidden || mlp_count != m->hidden) {
        REFUSE("post-norm weights are not [hidden]");
    }
    Layer *l = &m->layer[layer];
    free(l->post_attention_norm);
    free(l->post_mlp_norm);
    l->post_mlp_norm = NULL;
    l->post_attention_norm = copy_floats(m, attention, m->hidden);
    if (l->post_attention_norm) l->post_mlp_norm = copy_floats(m, mlp, m->hidden);
    if (!l->post_mlp_norm) NO_MEMORY();
    return LLAMA_OK;
}
