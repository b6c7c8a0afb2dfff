/*
 * A Llama-family model's forward pass on the CPU, in plain C (no JVM): a model is created from its dimensions, given
 * its weights, then runs forward passes of ragged batches of rows over KV caches the caller owns.
 *
 * Every function checks its arguments against the model and returns a status instead of touching memory it was not
 * given room for: a bad call (a token outside the vocabulary, more rows than allowed, a segment past its cache, an
 * array shorter than the model needs, a missing weight) is refused with LLAMA_BAD_ARGUMENT or LLAMA_INCOMPLETE and a
 * message, never a crash. Counts are element counts of the arrays passed, so a caller (the JNI glue, the C tests)
 * passes what it has and the model decides whether it fits.
 */
#ifndef ASSISTANT_LLAMA_MODEL_H
#define ASSISTANT_LLAMA_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    LLAMA_OK = 0,
    LLAMA_BAD_ARGUMENT = 1, /* the call does not fit the model or itself */
    LLAMA_NO_MEMORY = 2,
    LLAMA_INCOMPLETE = 3    /* a forward pass before every weight was set */
} LlamaStatus;

/* How rotary position frequencies are scaled (config.json's rope_scaling). */
typedef enum { LLAMA_ROPE_NONE = 0, LLAMA_ROPE_LINEAR = 1, LLAMA_ROPE_LLAMA3 = 2, LLAMA_ROPE_LONGROPE = 3 } LlamaRopeType;

typedef struct {
    LlamaRopeType type;
    double theta;             /* rope_theta */
    double factor;            /* linear and llama3 */
    double low_freq_factor;   /* llama3 */
    double high_freq_factor;  /* llama3 */
    int original_max_positions; /* llama3 and longrope: original_max_position_embeddings */
    /* longrope (Phi-3): head_dim / 2 divisors of the frequencies each, read during llama_create / llama_set_rope
     * only (not kept): the short ones while a pass stays within original_max_positions, the long ones beyond */
    const double *short_factor, *long_factor;
    double attention_factor;  /* longrope: cos and sin are multiplied by it */
} LlamaRope;

typedef struct {
    int hidden, heads, kv_heads, head_dim, ffn, layers, vocab;
    float eps;                /* RMSNorm epsilon */
    LlamaRope rope;
    int threads;              /* threads of a forward pass, the caller's included */
    int widest_kernels;       /* KERNELS_AVX512 (the widest the CPU runs), KERNELS_AVX2 or KERNELS_GENERIC */
    const char *absent_cpu_features; /* test hook: extensions to treat as missing (comma-separated), or NULL */
} LlamaConfig;

typedef struct LlamaModel LlamaModel;

/* The linear slots of a layer, and the layer index meaning "the output head" (its slot is ignored). */
enum { LLAMA_QKV, LLAMA_O, LLAMA_GATE_UP, LLAMA_DOWN, LLAMA_SLOTS };
#define LLAMA_HEAD (-1)

/* Largest batch of one pass. */
#define LLAMA_MAX_ROWS (1 << 20)

/* A new model in *out; on failure *out is NULL and *error says why. */
LlamaStatus llama_create(const LlamaConfig *c, LlamaModel **out, const char **error);

/* Waits for nothing (the caller ensures no pass runs), stops the threads and frees everything the model owns. */
void llama_destroy(LlamaModel *m);

/* The dimensions the model was created with. */
const LlamaConfig *llama_config(const LlamaModel *m);
const char *llama_kernels_name(const LlamaModel *m);
int llama_threads(const LlamaModel *m);
/* Bytes of weights copied into memory the model owns. */
long llama_owned_bytes(const LlamaModel *m);

/* RMSNorm weights of `layer` ([hidden] each), copied. */
LlamaStatus llama_set_norms(LlamaModel *m, int layer, const float *attention, long attention_count, const float *mlp,
                            long mlp_count, const char **error);

/* Qwen3's per-head RMSNorm weights of `layer` for queries and keys ([head_dim] each), copied; applied before RoPE. */
LlamaStatus llama_set_head_norms(LlamaModel *m, int layer, const float *query, long query_count, const float *key,
                                 long key_count, const char **error);

/* The final RMSNorm's weight ([hidden]), copied. */
LlamaStatus llama_set_final_norm(LlamaModel *m, const float *weight, long count, const char **error);

/*
 * A float32 [out, in] matrix as `slot` of `layer` (or LLAMA_HEAD), read in place: the caller keeps it alive and
 * unchanged while the model is open. `bias` ([out], or NULL) is copied; the head takes none.
 */
LlamaStatus llama_set_float_linear(LlamaModel *m, int layer, int slot, const float *weight, long count,
                                   const float *bias, long bias_count, const char **error);

/* A symmetric INT8 [out, in] matrix with one scale per output row as `slot` of `layer` (or LLAMA_HEAD), copied. */
LlamaStatus llama_set_int8_linear(LlamaModel *m, int layer, int slot, const int8_t *values, long count,
                                  const float *scales, long scale_count, const float *bias, long bias_count,
                                  const char **error);

/*
 * A matrix quantized in groups of 32 inputs as `slot` of `layer` (or LLAMA_HEAD), copied: `blocks` holds `out` rows of
 * ceil(in / 32) ggml blocks of `type` (2 = Q4_0: f16 scale + 16 bytes of nibbles, 3 = Q4_1: f16 scale, f16 offset +
 * 16 bytes of nibbles, 8 = Q8_0: f16 scale + 32 int8), the last block of a row zero-padded when in is not a multiple
 * of 32; or (12 = Q4_K) in / 256 super-blocks of 144 bytes. See block_linear.h.
 */
LlamaStatus llama_set_block_linear(LlamaModel *m, int layer, int slot, int type, const uint8_t *blocks, long bytes,
                                   const float *bias, long bias_count, const char **error);

/* Looks tokens up in the head's block matrix (a tied table kept quantized) instead of a float32 table. */
LlamaStatus llama_set_embedding_from_head(LlamaModel *m, const char **error);

/* An untied embedding table [vocab, hidden] kept in a block format (as llama_set_block_linear's blocks), copied. */
LlamaStatus llama_set_block_embedding(LlamaModel *m, int type, const uint8_t *blocks, long bytes, const char **error);

/* The float32 embedding table [vocab, hidden], read in place (rows are otherwise passed in embedded). */
LlamaStatus llama_set_embedding(LlamaModel *m, const float *table, long count, const char **error);

/*
 * One forward pass of a ragged batch. Its rows are the token ids `ids`, looked up in the embedding table, or, when
 * `embedded` is not NULL, those rows already embedded ([rows * hidden]). Segment s is lengths[s] consecutive rows
 * extending a sequence from position past[s], whose caches (capacity capacities[s] positions) are
 * keys[s * layers + layer] ([kv_heads, head_dim, capacity], keys transposed) and values[s * layers + layer]
 * ([kv_heads, capacity, head_dim]); the pass writes the rows' keys and values there. The logits of the rows listed in
 * logit_rows go to logits ([n_logit_rows * vocab]).
 */
typedef struct {
    const int *ids;               long n_ids; /* the rows: n_ids is the row count */
    const float *embedded;        long n_embedded;
    const int *lengths;           long n_lengths; /* n_lengths is the segment count */
    const int *past;              long n_past;
    const int *capacities;        long n_capacities;
    float *const *keys;           long n_keys;
    float *const *values;         long n_values;
    const int *logit_rows;        long n_logit_rows;
    float *logits;                long n_logits;
} LlamaPass;

/* Runs a pass; passes on one model are serialized (a pass uses every thread of the model). */
LlamaStatus llama_forward(LlamaModel *m, const LlamaPass *pass, const char **error);

/* How a model's KV caches store keys and values: float32 (the layout of LlamaPass), or INT8 (kv_cache.h: per layer,
 * float32 scales [kv_heads, capacity] followed by int8 elements in the float32 layout's order). */
typedef enum { LLAMA_KV_F32 = 0, LLAMA_KV_INT8 = 1 } LlamaKvType;

/* Sets the KV cache type of every later pass (default LLAMA_KV_F32): the caches passed must have its layout. */
LlamaStatus llama_set_kv_type(LlamaModel *m, int type, const char **error);
LlamaKvType llama_kv_type(const LlamaModel *m);

/*
 * How the INT8 products quantize each row of activations (with AVX-512 VNNI; other kernels multiply floats): to 16
 * bits (the default here: two VNNI products per 64 weights, about float precision) or to 8 bits (one product, about
 * twice the speed where the products are compute-bound: see llama_kernels.h). Either way a row's outputs depend on
 * that row alone, never on what shares its pass.
 */
typedef enum { LLAMA_ACTIVATIONS_16 = 0, LLAMA_ACTIVATIONS_8 = 1 } LlamaActivations;

/* Sets the activation precision of every later pass's INT8 products. */
LlamaStatus llama_set_activations(LlamaModel *m, int activations, const char **error);
LlamaActivations llama_activations(const LlamaModel *m);

/*
 * Gemma 2 and Gemma 3. llama_set_gemma switches a model to their layer: RMSNorm, attention, o, RMSNorm of the
 * attention's output (llama_set_post_norms), residual; RMSNorm, gate|up, GeGLU (tanh GELU), down, RMSNorm of the MLP's
 * output, residual. Norm weights are passed as they multiply: HuggingFace's Gemma stores w and multiplies by 1 + w,
 * so the caller adds the 1. Each layer attends as its LlamaLayerAttention says (llama_set_layer_attention).
 */
typedef struct {
    float query_scale;       /* queries are multiplied by this (query_pre_attn_scalar^-0.5), not 1/sqrt(head_dim) */
    float embedding_scale;   /* every row (looked up or passed embedded) is multiplied by this: sqrt(hidden) */
    float final_softcap;     /* the logits become cap * tanh(l / cap); 0: none */
    double local_rope_theta; /* Gemma 3: the RoPE base of layers using rope table 1 (unscaled); 0: no such table */
} LlamaGemma;

/* How one layer of a Gemma model attends (all zero by default: every position, the model's RoPE, no cap). */
typedef struct {
    int window;    /* attend to at most this many latest positions (the row's own included); 0: every position */
    int rope;      /* 0: the model's RoPE frequencies (config rope); 1: the local table of LlamaGemma */
    float softcap; /* attention scores become cap * tanh(s / cap); 0: none */
} LlamaLayerAttention;

/* Makes the model a Gemma model; before the first pass (refused on a model that is one already). */
LlamaStatus llama_set_gemma(LlamaModel *m, const LlamaGemma *g, const char **error);

/* Sets how `layer` of a Gemma model attends. */
LlamaStatus llama_set_layer_attention(LlamaModel *m, int layer, const LlamaLayerAttention *a, const char **error);

/* The RMSNorm weights of a Gemma layer's attention output and MLP output ([hidden] each), copied. */
LlamaStatus llama_set_post_norms(LlamaModel *m, int layer, const float *attention, long attention_count,
                                 const float *mlp, long mlp_count, const char **error);

/* The inverse frequencies ([head_dim / 2]) the model rotates with, as config.json's rope settings define them
 * (LongRoPE: those of its short factors). */
LlamaStatus llama_rope_frequencies(const LlamaRope *rope, int head_dim, float *out, const char **error);

/* LongRoPE's long-context frequencies ([head_dim / 2]); for every other type those of llama_rope_frequencies. */
LlamaStatus llama_rope_long_frequencies(const LlamaRope *rope, int head_dim, float *out, const char **error);

/* Replaces the model's rotary settings (between passes; the caches already written keep their rotation). */
LlamaStatus llama_set_rope(LlamaModel *m, const LlamaRope *rope, const char **error);

#endif
