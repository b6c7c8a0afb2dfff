/*
 * A Llama-family model's forward pass on the CPU, for a ragged batch of rows, in one native call: the embedding
 * lookup, then per layer RMSNorm, q|k|v, rotate-half RoPE, grouped-query attention over each sequence's KV cache,
 * o, the residual, RMSNorm, gate|up, SwiGLU, down, the residual; then the final norm and the output head for the
 * rows whose logits are wanted. Weights are float32 or symmetric INT8 with one float scale per output row.
 * Activations stay float32, except as the input of an INT8 product on AVX-512 VNNI, where each row is quantized to
 * 16 bits (see llama_kernels.h).
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
 * Memory: INT8 weights and the norms are copied into memory this library owns (freed by destroy); float32 weights,
 * the float32 embedding table and the KV caches belong to the caller (libtorch tensors), which keeps them alive
 * while the model is open. A pass's scratch is one block, kept for the next pass when it is small (SCRATCH_KEPT),
 * so decoding allocates nothing per token.
 *
 * Entry points: the JNI functions at the end (class dev.assistant.core.engine.djl.NativeLlamaLayers).
 */
#include <immintrin.h> /* here, outside the per-target regions below, so each intrinsic keeps its own target */
#include <jni.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------------------------
 * The kernels: llama_kernels.h compiled for AVX-512, for AVX2 with FMA and for any x86-64; create() picks the
 * widest the CPU runs.
 */

/* e^x within 2 ulp for x in [-87, 88] (clamped outside): 2^n * p(r), r = x - n ln2, |r| <= ln2/2. Without
 * branches, so the loops calling it vectorize. */
static inline __attribute__((always_inline)) float exp_approx(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_rintf(x * 1.44269504088896341f); /* rintf: one instruction, unlike roundf */
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-6f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

/* A linear layer: y[r][o] = scale[o] * (x[r] . w[o]) + bias[o], weights [out, in] row-major. */
typedef struct {
    int out, in;
    const float *f32;   /* [out, in] float32 (caller-owned), or NULL */
    int8_t *i8;         /* [out, in] INT8 (owned), or NULL */
    float *scale;       /* [out] (owned), with i8 */
    float *bias;        /* [out] (owned), or NULL */
    int32_t *row_sum;   /* [out] sum of each INT8 row (owned), with i8 */
} Linear;

/* Rows of activations quantized to 16 bits for the VNNI products: high and low bytes of round(x / scale) + 32768,
 * each row padded with zeros to `padded` (a multiple of 64) bytes. */
typedef struct {
    uint8_t *hi, *lo;
    float *scale;
    int padded;
} Wide;

/* Bytes ahead of the current position a product prefetches in each weight row. */
#define AHEAD 1024

typedef struct {
    const char *name;
    void (*linear_range)(const Linear *L, const float *x, int rows, float *y, int o_begin, int o_end);
    void (*rms_norm)(const float *x, const float *w, float eps, int rows, int n, float *out);
    void (*swiglu)(const float *gu, int rows, int ffn, float *m);
    void (*attend)(const float *q, const float *keys, const float *values, int capacity, int length, int head_dim,
                   float *scores, float *out);
    /* with AVX-512 VNNI (else NULL): INT8 products on 16-bit activations */
    void (*quantize_rows)(const float *x, int rows, int in, Wide *a);
    void (*linear_range_wide)(const Linear *L, const Wide *a, int rows, float *y, int o_begin, int o_end);
} Kernels;

static const char name_avx512[] = "avx512", name_avx2[] = "avx2", name_generic[] = "x86-64";

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma")
#define ISA(name) name##_avx512
#include "llama_kernels.h"
#undef ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define ISA(name) name##_avx2
#include "llama_kernels.h"
#undef ISA
#pragma GCC pop_options

#define ISA(name) name##_generic
#include "llama_kernels.h"
#undef ISA

/* The widest kernels the CPU runs, no wider than `widest` (0: AVX-512, 1: AVX2, 2: plain x86-64). */
static const Kernels *best_kernels(int widest) {
    __builtin_cpu_init();
    if (widest <= 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vnni")) {
        return &kernels_avx512;
    }
    if (widest <= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kernels_avx2;
    return &kernels_generic;
}

/* ---------------------------------------------------------------------------------------------------------------
 * A small thread pool for parallel loops: the caller works too; the other threads spin briefly between the loops
 * of a step (~5 per layer, microseconds apart) and sleep when none comes, so they do not hold a core between
 * tokens. A loop's items are taken in chunks by whichever thread is free: a thread that starts late (woken from
 * sleep, or preempted) then does less, instead of the others waiting for its fixed half.
 */
typedef void (*range_fn)(void *ctx, int begin, int end);

typedef struct {
    int threads;
    pthread_t *ids;
    atomic_uint generation;
    atomic_int pending;
    atomic_int sleepers;
    atomic_int stop;
    range_fn fn;
    void *ctx;
    int items, grain;
    int guided;         /* chunks shrink as the work runs out (grain is then the smallest chunk) */
    atomic_int next;    /* the next chunk to take; guided: the first item not yet taken */
    pthread_mutex_t lock;
    pthread_cond_t wake;
} Pool;

/*
 * Guided chunks: each thread takes half of a fair share of what is left (at least `grain` items, in multiples of
 * it), so the chunks start large (few atomic operations, long sequential runs through the weights) and end small:
 * the threads finish within about a smallest chunk of each other instead of a quarter of a share apart.
 */
static void run_guided_chunks(Pool *p) {
    int begin = atomic_load(&p->next);
    for (;;) {
        int end;
        do {
            int left = p->items - begin;
            if (left <= 0) return;
            int take = left / (2 * p->threads);
            take = take < p->grain ? p->grain : (take + p->grain - 1) / p->grain * p->grain;
            end = take < left ? begin + take : p->items;
        } while (!atomic_compare_exchange_weak(&p->next, &begin, end));
        p->fn(p->ctx, begin, end);
        begin = atomic_load(&p->next);
    }
}

static void run_chunks(Pool *p) {
    if (p->guided) {
        run_guided_chunks(p);
        return;
    }
    for (;;) {
        int begin = atomic_fetch_add(&p->next, 1) * p->grain;
        if (begin >= p->items) return;
        p->fn(p->ctx, begin, begin + p->grain < p->items ? begin + p->grain : p->items);
    }
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

#define SPIN_SECONDS 50e-6

static void *worker_main(void *arg) {
    Pool *p = arg;
    unsigned seen = 0;
    for (;;) {
        double deadline = now_seconds() + SPIN_SECONDS;
        unsigned spins = 0;
        while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) {
            __builtin_ia32_pause();
            if (++spins % 256 == 0 && now_seconds() > deadline) {
                pthread_mutex_lock(&p->lock);
                atomic_fetch_add(&p->sleepers, 1);
                while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) {
                    pthread_cond_wait(&p->wake, &p->lock);
                }
                atomic_fetch_sub(&p->sleepers, 1);
                pthread_mutex_unlock(&p->lock);
            }
        }
        if (atomic_load(&p->stop)) break;
        seen = atomic_load(&p->generation);
        run_chunks(p);
        atomic_fetch_sub(&p->pending, 1);
    }
    return NULL;
}

static Pool *pool_create(int threads) {
    Pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->ids = calloc((size_t)threads, sizeof(pthread_t));
    if (!p->ids) {
        free(p);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&p->ids[i], NULL, worker_main, p) != 0) {
            p->threads = i; /* run with the threads that started */
            break;
        }
    }
    return p;
}

/*
 * Runs fn over items [0, items) on all threads and returns when all are done; one caller at a time. Fixed chunks of
 * `grain` items (chunk c is [c * grain, (c + 1) * grain)), or with `guided` shrinking chunks in multiples of `grain`.
 */
static void pool_run(Pool *p, int items, int grain, int guided, range_fn fn, void *ctx) {
    if (p->threads == 1 || items <= grain) {
        if (items > 0) fn(ctx, 0, items);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->items = items;
    p->grain = grain;
    p->guided = guided;
    atomic_store(&p->next, 0);
    atomic_store(&p->pending, p->threads - 1);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    run_chunks(p);
    while (atomic_load(&p->pending) > 0) __builtin_ia32_pause();
}

static void pool_destroy(Pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->threads; i++) pthread_join(p->ids[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->ids);
    free(p);
}

/* Fixed chunks of about a quarter of a thread's share. */
static int grain_for(const Pool *p, int items) {
    return (items + 4 * p->threads - 1) / (4 * p->threads);
}

/* ---------------------------------------------------------------------------------------------------------------
 * The model.
 */
enum { QKV, O, GATE_UP, DOWN, SLOTS };

typedef struct {
    float *attention_norm, *mlp_norm; /* [hidden] (owned) */
    Linear linear[SLOTS];
} Layer;

typedef struct {
    int hidden, heads, kv_heads, head_dim, ffn, layers, vocab;
    float eps;
    Layer *layer;
    Linear head;        /* [vocab, hidden] */
    float *final_norm;  /* [hidden] (owned) */
    const float *embedding; /* [vocab, hidden] float32 (caller-owned), or NULL when rows come embedded */
    pthread_mutex_t pass_lock; /* one pass at a time: a pass uses every thread of the pool */
    char *scratch;      /* the last pass's scratch block, kept for the next (see SCRATCH_KEPT) */
    size_t scratch_size;
    Pool *pool;
    const Kernels *k;
    long owned_bytes;
} Model;

/* One forward pass's rows and caches. */
typedef struct {
    int rows, segments;
    const int *row_segment;   /* [rows] */
    const int *row_position;  /* [rows] */
    const int *capacity;      /* [segments] */
    float *const *keys;       /* [segments * layers]: [kv_heads, head_dim, capacity] */
    float *const *values;     /* [segments * layers]: [kv_heads, capacity, head_dim] */
} Batch;

typedef struct {
    const Model *m;
    const Linear *L;
    const float *x;
    const Wide *wide; /* x quantized for the VNNI products, or NULL */
    int rows;
    float *y;
} LinearTask;

static void linear_task(void *ctx, int begin, int end) {
    LinearTask *k = ctx;
    if (k->wide) {
        k->m->k->linear_range_wide(k->L, k->wide, k->rows, k->y, begin, end);
    } else {
        k->m->k->linear_range(k->L, k->x, k->rows, k->y, begin, end);
    }
}

/* The smallest chunk of outputs a thread takes: a multiple of the 8-output block, so blocks are never split. */
#define LINEAR_GRAIN 32

/* y = L(x) on all threads; `wide` is scratch for x's 16-bit form when the INT8 products use it. */
static void linear_run(Model *m, const Linear *L, const float *x, int rows, float *y, Wide *wide) {
    int quantized = L->i8 && m->k->quantize_rows;
    if (quantized) m->k->quantize_rows(x, rows, L->in, wide);
    LinearTask task = {m, L, x, quantized ? wide : NULL, rows, y};
    pool_run(m->pool, L->out, LINEAR_GRAIN, 1, linear_task, &task);
}

typedef struct {
    const Model *m;
    const Batch *b;
    int layer;
    const float *qkv;   /* [rows, (heads + 2 kv) * head_dim], q and k rotated, q scaled */
    float *out;         /* [rows, heads * head_dim] */
    float *scores;      /* [chunks, longest]: a chunk's scratch */
    int longest;
    int grain;          /* (row, head) pairs per chunk */
} AttentionTask;

static void attention_task(void *ctx, int begin, int end) {
    AttentionTask *a = ctx;
    const Model *m = a->m;
    int hd = m->head_dim, group = m->heads / m->kv_heads, width = (m->heads + 2 * m->kv_heads) * hd;
    float *scores = a->scores + (size_t)begin / a->grain * a->longest;
    for (int i = begin; i < end; i++) {
        int r = i / m->heads, h = i % m->heads, g = h / group;
        int s = a->b->row_segment[r], cap = a->b->capacity[s];
        const float *keys = a->b->keys[(size_t)s * m->layers + a->layer] + (size_t)g * hd * cap;
        const float *values = a->b->values[(size_t)s * m->layers + a->layer] + (size_t)g * cap * hd;
        m->k->attend(a->qkv + (size_t)r * width + (size_t)h * hd, keys, values, cap, a->b->row_position[r] + 1, hd,
               scores, a->out + (size_t)r * m->heads * hd + (size_t)h * hd);
    }
}

/*
 * Rotates q (scaled by 1/sqrt(head_dim)) and k of every row in place with the rows' factors (cos and rotate-half's
 * signed sin, [rows, head_dim]) and writes k and v into the caches at the rows' positions.
 */
static void rotate_and_cache(const Model *m, const Batch *b, int layer, float *qkv, const float *cos,
                             const float *sin) {
    int hd = m->head_dim, half = hd / 2, width = (m->heads + 2 * m->kv_heads) * hd;
    float scale = (float)(1.0 / sqrt((double)hd));
    float rotated[hd];
    for (int r = 0; r < b->rows; r++) {
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
        for (int g = 0; g < m->kv_heads; g++) {
            for (int d = 0; d < hd; d++) keys[((size_t)g * hd + d) * cap + p] = k[g * hd + d];
            memcpy(values + ((size_t)g * cap + p) * hd, v + (size_t)g * hd, (size_t)hd * sizeof(float));
        }
    }
}

static void add_into(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* The scratch memory of one pass, carved from one block (see pass_layout). */
typedef struct {
    float *x, *cos, *sin;                   /* the rows and their RoPE factors */
    float *h, *qkv, *att, *tmp, *gu, *mlp;  /* a layer's intermediate rows */
    float *scores;                          /* attention scratch: 4 chunks per thread (grain_for) */
    float *last, *logits;                   /* the rows whose logits are wanted, normed; their logits */
    Wide wide;                              /* activations in 16-bit form for the VNNI products */
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
static size_t pass_layout(const Model *m, size_t rows, size_t selected, size_t longest, char *base, Pass *p) {
    Pass ignored;
    if (!p) p = &ignored;
    size_t at = 0, width = (size_t)(m->heads + 2 * m->kv_heads) * m->head_dim, attended = (size_t)m->heads * m->head_dim;
    p->x = carve(base, &at, rows * m->hidden, sizeof(float));
    p->cos = carve(base, &at, rows * m->head_dim, sizeof(float));
    p->sin = carve(base, &at, rows * m->head_dim, sizeof(float));
    p->h = carve(base, &at, rows * m->hidden, sizeof(float));
    p->qkv = carve(base, &at, rows * width, sizeof(float));
    p->att = carve(base, &at, rows * attended, sizeof(float));
    p->tmp = carve(base, &at, rows * m->hidden, sizeof(float));
    p->gu = carve(base, &at, rows * 2 * m->ffn, sizeof(float));
    p->mlp = carve(base, &at, rows * m->ffn, sizeof(float));
    p->scores = carve(base, &at, (size_t)4 * m->pool->threads * longest, sizeof(float));
    p->last = carve(base, &at, selected * m->hidden, sizeof(float));
    p->logits = carve(base, &at, selected * m->vocab, sizeof(float));
    size_t widest = (size_t)(m->hidden > m->ffn ? m->hidden : m->ffn);
    widest = widest > attended ? widest : attended;
    p->wide.padded = (int)((widest + 63) / 64 * 64);
    int wide = m->k->quantize_rows != NULL;
    p->wide.hi = carve(base, &at, wide ? rows * p->wide.padded : 0, 1);
    p->wide.lo = carve(base, &at, wide ? rows * p->wide.padded : 0, 1);
    p->wide.scale = carve(base, &at, wide ? rows : 0, sizeof(float));
    return at;
}

/* Passes up to this size keep their scratch block for the next pass (no page faults per token); larger ones
 * (long prompts) allocate their own and free it. */
#define SCRATCH_KEPT (32u << 20)

static char *scratch_acquire(Model *m, size_t bytes) {
    if (bytes <= m->scratch_size) return m->scratch;
    char *block = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (block && bytes <= SCRATCH_KEPT) {
        free(m->scratch);
        m->scratch = block;
        m->scratch_size = bytes;
    }
    return block;
}

static void scratch_release(Model *m, char *block) {
    if (block != m->scratch) free(block);
}

/* Runs every layer over the rows p->x ([rows, hidden], in place). */
static void forward(Model *m, const Batch *b, Pass *p, int longest) {
    int rows = b->rows, hidden = m->hidden;
    for (int l = 0; l < m->layers; l++) {
        Layer *layer = &m->layer[l];
        m->k->rms_norm(p->x, layer->attention_norm, m->eps, rows, hidden, p->h);
        linear_run(m, &layer->linear[QKV], p->h, rows, p->qkv, &p->wide);
        rotate_and_cache(m, b, l, p->qkv, p->cos, p->sin);
        int pairs = rows * m->heads, grain = grain_for(m->pool, pairs);
        AttentionTask task = {m, b, l, p->qkv, p->att, p->scores, longest, grain};
        pool_run(m->pool, pairs, grain, 0, attention_task, &task);
        linear_run(m, &layer->linear[O], p->att, rows, p->tmp, &p->wide);
        add_into(p->x, p->tmp, (size_t)rows * hidden);
        m->k->rms_norm(p->x, layer->mlp_norm, m->eps, rows, hidden, p->h);
        linear_run(m, &layer->linear[GATE_UP], p->h, rows, p->gu, &p->wide);
        m->k->swiglu(p->gu, rows, m->ffn, p->mlp);
        linear_run(m, &layer->linear[DOWN], p->mlp, rows, p->tmp, &p->wide);
        add_into(p->x, p->tmp, (size_t)rows * hidden);
    }
}

static void free_linear(Linear *L) {
    free(L->i8);
    free(L->scale);
    free(L->bias);
    free(L->row_sum);
    memset(L, 0, sizeof *L);
}

static void destroy(Model *m) {
    if (!m) return;
    pool_destroy(m->pool);
    if (m->layer) {
        for (int l = 0; l < m->layers; l++) {
            free(m->layer[l].attention_norm);
            free(m->layer[l].mlp_norm);
            for (int s = 0; s < SLOTS; s++) free_linear(&m->layer[l].linear[s]);
        }
        free(m->layer);
    }
    free_linear(&m->head);
    free(m->final_norm);
    free(m->scratch);
    pthread_mutex_destroy(&m->pass_lock);
    free(m);
}

/* The [out, in] shape slot s of a layer must have. */
static void slot_shape(const Model *m, int slot, int *out, int *in) {
    int q = m->heads * m->head_dim, kv = m->kv_heads * m->head_dim;
    switch (slot) {
        case QKV: *out = q + 2 * kv; *in = m->hidden; break;
        case O: *out = m->hidden; *in = q; break;
        case GATE_UP: *out = 2 * m->ffn; *in = m->hidden; break;
        default: *out = m->hidden; *in = m->ffn; break;
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * JNI. Arguments are validated by the Java class; the checks here guard what would corrupt memory if that ever
 * slipped (they throw IllegalArgumentException rather than crash).
 */
#define JNI(name) Java_dev_assistant_engine_cpu_NativeLlamaLayers_##name

static void throw_new(JNIEnv *env, const char *type, const char *message) {
    jclass c = (*env)->FindClass(env, type);
    if (c) (*env)->ThrowNew(env, c, message);
}

static Model *model_of(JNIEnv *env, jlong handle) {
    if (handle == 0) throw_new(env, "java/lang/IllegalStateException", "native layers are closed");
    return (Model *)(intptr_t)handle;
}

static float *copy_floats(JNIEnv *env, jfloatArray a, jsize expected, long *owned) {
    if (!a) return NULL;
    if ((*env)->GetArrayLength(env, a) != expected) {
        throw_new(env, "java/lang/IllegalArgumentException", "float array of the wrong length");
        return NULL;
    }
    float *p = aligned_alloc(64, ((size_t)expected * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        throw_new(env, "java/lang/OutOfMemoryError", "native weight memory");
        return NULL;
    }
    (*env)->GetFloatArrayRegion(env, a, 0, expected, p);
    *owned += (long)expected * (long)sizeof(float);
    return p;
}

JNIEXPORT jlong JNICALL JNI(create)(JNIEnv *env, jclass cls, jint hidden, jint heads, jint kv_heads, jint head_dim,
                                    jint ffn, jint layers, jint vocab, jfloat eps, jint threads, jint widest) {
    (void)cls;
    if (hidden < 1 || heads < 1 || kv_heads < 1 || heads % kv_heads || head_dim < 2 || head_dim % 2 || ffn < 1
            || layers < 1 || vocab < 1 || threads < 1 || head_dim > 1024 || hidden > 65536 || ffn > 65536
            || (long)heads * head_dim > 65536) {
        throw_new(env, "java/lang/IllegalArgumentException", "invalid layer dimensions");
        return 0;
    }
    Model *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    *m = (Model){hidden, heads, kv_heads, head_dim, ffn, layers, vocab, eps};
    m->layer = calloc((size_t)layers, sizeof(Layer));
    pthread_mutex_init(&m->pass_lock, NULL);
    m->pool = pool_create(threads);
    m->k = best_kernels(widest);
    if (!m->layer || !m->pool) goto oom;
    return (jlong)(intptr_t)m;
oom:
    destroy(m);
    throw_new(env, "java/lang/OutOfMemoryError", "native layer state");
    return 0;
}

JNIEXPORT void JNICALL JNI(destroy)(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    destroy((Model *)(intptr_t)handle);
}

JNIEXPORT jlong JNICALL JNI(ownedBytes)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    Model *m = model_of(env, handle);
    return m ? m->owned_bytes : 0;
}

JNIEXPORT jstring JNICALL JNI(instructionSet)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    Model *m = model_of(env, handle);
    return m ? (*env)->NewStringUTF(env, m->k->name) : NULL;
}

/* The kernels a model created here would use, without a model. */
JNIEXPORT jstring JNICALL JNI(kernelsHere)(JNIEnv *env, jclass cls, jint widest) {
    (void)cls;
    return (*env)->NewStringUTF(env, best_kernels(widest)->name);
}

JNIEXPORT jint JNICALL JNI(threads)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    Model *m = model_of(env, handle);
    return m ? m->pool->threads : 0;
}

JNIEXPORT void JNICALL JNI(setNorms)(JNIEnv *env, jclass cls, jlong handle, jint layer, jfloatArray attention,
                                     jfloatArray mlp) {
    (void)cls;
    Model *m = model_of(env, handle);
    if (!m) return;
    if (layer < 0 || layer >= m->layers || !attention || !mlp) {
        throw_new(env, "java/lang/IllegalArgumentException", "bad layer or missing norm");
        return;
    }
    Layer *l = &m->layer[layer];
    free(l->attention_norm);
    free(l->mlp_norm);
    l->mlp_norm = NULL;
    l->attention_norm = copy_floats(env, attention, m->hidden, &m->owned_bytes);
    if (l->attention_norm) l->mlp_norm = copy_floats(env, mlp, m->hidden, &m->owned_bytes);
}

/*
 * Checks layer and slot and returns the slot's (cleared) Linear with its shape set, or NULL after throwing. Layer -1
 * is the output head (slot ignored).
 */
static Linear *linear_slot(JNIEnv *env, Model *m, jint layer, jint slot) {
    if (layer == -1) {
        free_linear(&m->head);
        m->head.out = m->vocab;
        m->head.in = m->hidden;
        return &m->head;
    }
    if (layer < 0 || layer >= m->layers || slot < 0 || slot >= SLOTS) {
        throw_new(env, "java/lang/IllegalArgumentException", "bad layer or slot");
        return NULL;
    }
    Linear *L = &m->layer[layer].linear[slot];
    free_linear(L);
    slot_shape(m, slot, &L->out, &L->in);
    return L;
}

JNIEXPORT void JNICALL JNI(setFloatLinear)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint slot,
                                           jobject weight, jfloatArray bias) {
    (void)cls;
    Model *m = model_of(env, handle);
    Linear *L = m ? linear_slot(env, m, layer, slot) : NULL;
    if (!L) return;
    void *address = weight ? (*env)->GetDirectBufferAddress(env, weight) : NULL;
    jlong capacity = weight ? (*env)->GetDirectBufferCapacity(env, weight) : -1;
    if (!address || capacity != (jlong)L->out * L->in * (jlong)sizeof(float)) {
        throw_new(env, "java/lang/IllegalArgumentException", "float weight is not a direct buffer of [out, in]");
        return;
    }
    L->f32 = address;
    if (bias) L->bias = copy_floats(env, bias, L->out, &m->owned_bytes);
}

JNIEXPORT void JNICALL JNI(setInt8Linear)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint slot,
                                          jbyteArray values, jfloatArray scales, jfloatArray bias) {
    (void)cls;
    Model *m = model_of(env, handle);
    Linear *L = m ? linear_slot(env, m, layer, slot) : NULL;
    if (!L) return;
    size_t n = (size_t)L->out * L->in;
    if (!values || !scales || (size_t)(*env)->GetArrayLength(env, values) != n) {
        throw_new(env, "java/lang/IllegalArgumentException", "INT8 values are not [out, in]");
        return;
    }
    /* 64 bytes beyond the last row: the VNNI products read whole 64-byte blocks (see quantize_rows) */
    L->i8 = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
    if (!L->i8) {
        throw_new(env, "java/lang/OutOfMemoryError", "native weight memory");
        return;
    }
    (*env)->GetByteArrayRegion(env, values, 0, (jsize)n, L->i8);
    memset(L->i8 + n, 0, (n + 63) / 64 * 64 + 64 - n);
    m->owned_bytes += (long)n;
    L->row_sum = malloc((size_t)L->out * sizeof(int32_t));
    if (!L->row_sum) {
        free_linear(L);
        throw_new(env, "java/lang/OutOfMemoryError", "native weight memory");
        return;
    }
    for (int o = 0; o < L->out; o++) {
        int32_t sum = 0;
        for (int i = 0; i < L->in; i++) sum += L->i8[(size_t)o * L->in + i];
        L->row_sum[o] = sum;
    }
    m->owned_bytes += (long)L->out * (long)sizeof(int32_t);
    L->scale = copy_floats(env, scales, L->out, &m->owned_bytes);
    if (L->scale && bias) L->bias = copy_floats(env, bias, L->out, &m->owned_bytes);
    if ((*env)->ExceptionCheck(env)) free_linear(L);
}

/* Whether every layer has its norms and all four products, and the final norm and head are there. */
static int complete(const Model *m) {
    if (!m->final_norm || !(m->head.f32 || (m->head.i8 && m->head.scale))) return 0;
    for (int l = 0; l < m->layers; l++) {
        const Layer *layer = &m->layer[l];
        if (!layer->attention_norm || !layer->mlp_norm) return 0;
        for (int s = 0; s < SLOTS; s++) {
            const Linear *L = &layer->linear[s];
            if (!(L->f32 || (L->i8 && L->scale))) return 0;
        }
    }
    return 1;
}

/*
 * step(handle, ids, embedded, lengths, past, capacities, keys, values, cos, sin, logitRows, logits): a whole
 * forward pass of a ragged batch. Its rows are the token ids `ids`, looked up in the float32 table of
 * setEmbedding, or, when `embedded` is not null, those rows already embedded ([rows * hidden]). Segment s is
 * lengths[s] consecutive rows extending a sequence from position past[s], whose caches (capacity capacities[s])
 * are at keys/values[s * layers + layer]. cos and sin are the rows' RoPE factors ([rows * head_dim]). Writes the
 * logits of the rows listed in logitRows to logits ([logitRows.length * vocab]).
 */
JNIEXPORT void JNICALL JNI(step)(JNIEnv *env, jclass cls, jlong handle, jintArray ids_array, jfloatArray embedded,
                                 jintArray lengths_array, jintArray past_array, jintArray capacity_array,
                                 jlongArray key_array, jlongArray value_array, jfloatArray cos_array,
                                 jfloatArray sin_array, jintArray logit_rows_array, jfloatArray logits_array) {
    (void)cls;
    Model *m = model_of(env, handle);
    if (!m) return;
    if (!complete(m)) {
        throw_new(env, "java/lang/IllegalStateException", "native layers are missing weights");
        return;
    }
    jsize segments = (*env)->GetArrayLength(env, lengths_array);
    jsize rows = (*env)->GetArrayLength(env, ids_array);
    jsize selected = (*env)->GetArrayLength(env, logit_rows_array);
    if (segments < 1 || (*env)->GetArrayLength(env, past_array) != segments
            || (*env)->GetArrayLength(env, capacity_array) != segments
            || (*env)->GetArrayLength(env, key_array) != (jsize)((long)segments * m->layers)
            || (*env)->GetArrayLength(env, value_array) != (jsize)((long)segments * m->layers)
            || rows < 1 || rows > (1 << 20) || selected < 1 || selected > rows
            || (long)rows * m->hidden > INT32_MAX || (long)selected * m->vocab > INT32_MAX
            || (*env)->GetArrayLength(env, cos_array) != (jsize)((long)rows * m->head_dim)
            || (*env)->GetArrayLength(env, sin_array) != (jsize)((long)rows * m->head_dim)
            || (embedded && (*env)->GetArrayLength(env, embedded) != (jsize)((long)rows * m->hidden))
            || (*env)->GetArrayLength(env, logits_array) != (jsize)((long)selected * m->vocab)
            || (!embedded && !m->embedding)) {
        throw_new(env, "java/lang/IllegalArgumentException", "step arguments do not match each other");
        return;
    }
    const char *error = NULL;
    char *block = NULL;
    int *ints = malloc(((size_t)segments * 3 + (size_t)rows * 3 + selected) * sizeof(int));
    jlong *addresses = malloc((size_t)segments * m->layers * 2 * sizeof(jlong));
    if (!ints || !addresses) goto oom;
    int *length = ints, *past = length + segments, *capacity = past + segments;
    int *ids = capacity + segments, *row_segment = ids + rows, *row_position = row_segment + rows;
    int *logit_rows = row_position + rows;
    (*env)->GetIntArrayRegion(env, lengths_array, 0, segments, length);
    (*env)->GetIntArrayRegion(env, past_array, 0, segments, past);
    (*env)->GetIntArrayRegion(env, capacity_array, 0, segments, capacity);
    (*env)->GetIntArrayRegion(env, ids_array, 0, rows, ids);
    (*env)->GetIntArrayRegion(env, logit_rows_array, 0, selected, logit_rows);
    (*env)->GetLongArrayRegion(env, key_array, 0, segments * m->layers, addresses);
    (*env)->GetLongArrayRegion(env, value_array, 0, segments * m->layers, addresses + (size_t)segments * m->layers);
    long total = 0;
    int longest = 0;
    for (int s = 0; s < segments; s++) {
        if (length[s] < 1 || past[s] < 0 || capacity[s] < 1 || (long)past[s] + length[s] > capacity[s]) {
            error = "a segment does not fit its cache";
            goto fail;
        }
        for (int j = 0; j < length[s] && total + j < rows; j++) {
            row_segment[total + j] = s;
            row_position[total + j] = past[s] + j;
        }
        total += length[s];
        longest = past[s] + length[s] > longest ? past[s] + length[s] : longest;
    }
    if (total != rows) {
        error = "segment lengths do not add up to the rows";
        goto fail;
    }
    for (long i = 0; i < (long)segments * m->layers * 2; i++) {
        if (addresses[i] == 0) {
            error = "a cache address is null";
            goto fail;
        }
    }
    for (int i = 0; i < selected; i++) {
        if (logit_rows[i] < 0 || logit_rows[i] >= rows) {
            error = "a logit row is outside the batch";
            goto fail;
        }
    }
    if (!embedded) {
        for (int r = 0; r < rows; r++) {
            if (ids[r] < 0 || ids[r] >= m->vocab) {
                error = "a token id is outside the vocabulary";
                goto fail;
            }
        }
    }
    pthread_mutex_lock(&m->pass_lock);
    Pass p;
    block = scratch_acquire(m, pass_layout(m, rows, selected, longest, NULL, NULL));
    if (!block) {
        pthread_mutex_unlock(&m->pass_lock);
        goto oom;
    }
    pass_layout(m, rows, selected, longest, block, &p);
    (*env)->GetFloatArrayRegion(env, cos_array, 0, rows * m->head_dim, p.cos);
    (*env)->GetFloatArrayRegion(env, sin_array, 0, rows * m->head_dim, p.sin);
    if (embedded) {
        (*env)->GetFloatArrayRegion(env, embedded, 0, rows * m->hidden, p.x);
    } else {
        for (int r = 0; r < rows; r++) {
            memcpy(p.x + (size_t)r * m->hidden, m->embedding + (size_t)ids[r] * m->hidden,
                   (size_t)m->hidden * sizeof(float));
        }
    }
    Batch batch = {rows, segments, row_segment, row_position, capacity, (float *const *)addresses,
                   (float *const *)(addresses + (size_t)segments * m->layers)};
    forward(m, &batch, &p, longest);
    for (int i = 0; i < selected; i++) {
        m->k->rms_norm(p.x + (size_t)logit_rows[i] * m->hidden, m->final_norm, m->eps, 1, m->hidden,
                       p.last + (size_t)i * m->hidden);
    }
    linear_run(m, &m->head, p.last, selected, p.logits, &p.wide);
    (*env)->SetFloatArrayRegion(env, logits_array, 0, selected * m->vocab, p.logits);
    scratch_release(m, block);
    pthread_mutex_unlock(&m->pass_lock);
    goto done;
oom:
    throw_new(env, "java/lang/OutOfMemoryError", "native scratch memory for a forward pass");
    goto done;
fail:
    throw_new(env, "java/lang/IllegalArgumentException", error);
done:
    free(ints);
    free(addresses);
}

/* The float32 embedding table [vocab, hidden] (a direct buffer, read in place). */
JNIEXPORT void JNICALL JNI(setEmbedding)(JNIEnv *env, jclass cls, jlong handle, jobject table) {
    (void)cls;
    Model *m = model_of(env, handle);
    if (!m) return;
    void *address = table ? (*env)->GetDirectBufferAddress(env, table) : NULL;
    if (!address || (*env)->GetDirectBufferCapacity(env, table) != (jlong)m->vocab * m->hidden * (jlong)sizeof(float)) {
        throw_new(env, "java/lang/IllegalArgumentException", "embedding table is not a direct buffer of [vocab, hidden]");
        return;
    }
    m->embedding = address;
}

JNIEXPORT void JNICALL JNI(setFinalNorm)(JNIEnv *env, jclass cls, jlong handle, jfloatArray weight) {
    (void)cls;
    Model *m = model_of(env, handle);
    if (!m) return;
    if (!weight) {
        throw_new(env, "java/lang/IllegalArgumentException", "missing final norm");
        return;
    }
    free(m->final_norm);
    m->final_norm = copy_floats(env, weight, m->hidden, &m->owned_bytes);
}

JNIEXPORT jlong JNICALL JNI(address)(JNIEnv *env, jclass cls, jobject buffer) {
    (void)cls;
    void *p = buffer ? (*env)->GetDirectBufferAddress(env, buffer) : NULL;
    if (!p) throw_new(env, "java/lang/IllegalArgumentException", "not a direct buffer");
    return (jlong)(intptr_t)p;
}
