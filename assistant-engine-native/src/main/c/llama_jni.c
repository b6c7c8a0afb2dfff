/*
 * The JNI glue of the native Llama layers (class NativeLlamaLayers): argument checks, copying Java arrays in and the
 * logits out, and turning a refused call into a Java exception. The model itself is llama_model.c, plain C.
 *
 * A handle owns its model and a scratch block for a pass's arguments, kept between passes (decoding allocates
 * nothing per token) and freed by destroy. The Java class checks every argument first; the model checks them again,
 * so a call that slipped through is an exception, never a crash.
 */
#include <jni.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "llama_model.h"

#define JNI(name) Java_dev_assistant_engine_cpu_NativeLlamaLayers_##name

_Static_assert(sizeof(jlong) == sizeof(float *), "cache addresses are passed as jlong");

typedef struct {
    LlamaModel *model;
    pthread_mutex_t lock; /* one pass's arguments in `args` at a time */
    char *args;
    size_t args_size;
} Handle;

static void throw_new(JNIEnv *env, const char *type, const char *message) {
    jclass c = (*env)->FindClass(env, type);
    if (c) (*env)->ThrowNew(env, c, message);
}

/* Throws the exception of a refused call; returns whether the call succeeded. */
static int succeeded(JNIEnv *env, LlamaStatus status, const char *error) {
    switch (status) {
        case LLAMA_OK: return 1;
        case LLAMA_NO_MEMORY: throw_new(env, "java/lang/OutOfMemoryError", error); return 0;
        case LLAMA_INCOMPLETE: throw_new(env, "java/lang/IllegalStateException", error); return 0;
        default: throw_new(env, "java/lang/IllegalArgumentException", error); return 0;
    }
}

static LlamaModel *model_of(JNIEnv *env, jlong handle) {
    if (handle == 0) {
        throw_new(env, "java/lang/IllegalStateException", "native layers are closed");
        return NULL;
    }
    return ((Handle *)(intptr_t)handle)->model;
}

static jsize length_of(JNIEnv *env, jarray a) {
    return a ? (*env)->GetArrayLength(env, a) : 0;
}

JNIEXPORT jlong JNICALL JNI(create)(JNIEnv *env, jclass cls, jint hidden, jint heads, jint kv_heads, jint head_dim,
                                    jint ffn, jint layers, jint vocab, jfloat eps, jint rope_type, jdouble rope_theta,
                                    jdouble rope_factor, jdouble low_freq_factor, jdouble high_freq_factor,
                                    jint original_max_positions, jint threads, jint widest) {
    (void)cls;
    LlamaConfig c = {hidden, heads, kv_heads, head_dim, ffn, layers, vocab, eps,
                     {(LlamaRopeType)rope_type, rope_theta, rope_factor, low_freq_factor, high_freq_factor,
                      original_max_positions},
                     threads, widest, NULL};
    Handle *h = calloc(1, sizeof *h);
    if (!h) {
        throw_new(env, "java/lang/OutOfMemoryError", "native layer state");
        return 0;
    }
    const char *error = NULL;
    if (!succeeded(env, llama_create(&c, &h->model, &error), error)) {
        free(h);
        return 0;
    }
    pthread_mutex_init(&h->lock, NULL);
    return (jlong)(intptr_t)h;
}

JNIEXPORT void JNICALL JNI(destroy)(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    Handle *h = (Handle *)(intptr_t)handle;
    if (!h) return;
    llama_destroy(h->model);
    pthread_mutex_destroy(&h->lock);
    free(h->args);
    free(h);
}

JNIEXPORT jlong JNICALL JNI(ownedBytes)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    return m ? llama_owned_bytes(m) : 0;
}

JNIEXPORT jstring JNICALL JNI(instructionSet)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    return m ? (*env)->NewStringUTF(env, llama_kernels_name(m)) : NULL;
}

/* The kernels a model created here would use, without a model. */
JNIEXPORT jstring JNICALL JNI(kernelsHere)(JNIEnv *env, jclass cls, jint widest) {
    (void)cls;
    return (*env)->NewStringUTF(env, kernels_select(widest, NULL)->name);
}

JNIEXPORT jint JNICALL JNI(threads)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    return m ? llama_threads(m) : 0;
}

/* The KV cache type of later passes (LlamaKvType: 0 float32, 1 INT8). */
JNIEXPORT void JNICALL JNI(setKvCacheType)(JNIEnv *env, jclass cls, jlong handle, jint type) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    const char *error = NULL;
    succeeded(env, llama_set_kv_type(m, type, &error), error);
}

/* The activation precision of later passes' INT8 products (LlamaActivations: 0 16 bits, 1 8 bits). */
JNIEXPORT void JNICALL JNI(setActivations)(JNIEnv *env, jclass cls, jlong handle, jint activations) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    const char *error = NULL;
    succeeded(env, llama_set_activations(m, activations, &error), error);
}

/* Phi-3's LongRoPE (llama_set_rope); the factor arrays are read during the call only. */
JNIEXPORT void JNICALL JNI(setLongRope)(JNIEnv *env, jclass cls, jlong handle, jdouble theta, jdoubleArray short_factor,
                                        jdoubleArray long_factor, jint original_max_positions,
                                        jdouble attention_factor) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    int half = llama_config(m)->head_dim / 2;
    if (!short_factor || !long_factor || length_of(env, short_factor) != half || length_of(env, long_factor) != half) {
        throw_new(env, "java/lang/IllegalArgumentException", "longrope factors are not [head_dim / 2]");
        return;
    }
    jdouble *s = (*env)->GetDoubleArrayElements(env, short_factor, NULL);
    jdouble *l = s ? (*env)->GetDoubleArrayElements(env, long_factor, NULL) : NULL;
    if (l) {
        LlamaRope rope = {LLAMA_ROPE_LONGROPE, theta, 1, 0, 0, original_max_positions, s, l, attention_factor};
        const char *error = NULL;
        LlamaStatus status = llama_set_rope(m, &rope, &error);
        (*env)->ReleaseDoubleArrayElements(env, long_factor, l, JNI_ABORT);
        (*env)->ReleaseDoubleArrayElements(env, short_factor, s, JNI_ABORT);
        succeeded(env, status, error);
    } else if (s) {
        (*env)->ReleaseDoubleArrayElements(env, short_factor, s, JNI_ABORT);
    }
}

/* A layer setter taking two float arrays (LayerPairSetter), each pinned only while the model copies it. */
typedef LlamaStatus (*LayerPairSetter)(LlamaModel *, int, const float *, long, const float *, long, const char **);

static void set_layer_pair(JNIEnv *env, jlong handle, jint layer, jfloatArray first, jfloatArray second,
                           LayerPairSetter set) {
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    jsize first_count = length_of(env, first), second_count = length_of(env, second);
    float *a = first ? (*env)->GetPrimitiveArrayCritical(env, first, NULL) : NULL;
    float *b = second ? (*env)->GetPrimitiveArrayCritical(env, second, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = (first && !a) || (second && !b) ? LLAMA_NO_MEMORY
            : set(m, layer, a, first_count, b, second_count, &error);
    if (b) (*env)->ReleasePrimitiveArrayCritical(env, second, b, JNI_ABORT);
    if (a) (*env)->ReleasePrimitiveArrayCritical(env, first, a, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

/*
 * The setters pin the Java arrays (GetPrimitiveArrayCritical) only while the model copies them: no other JNI call
 * is made in between.
 */
JNIEXPORT void JNICALL JNI(setNorms)(JNIEnv *env, jclass cls, jlong handle, jint layer, jfloatArray attention,
                                     jfloatArray mlp) {
    (void)cls;
    set_layer_pair(env, handle, layer, attention, mlp, llama_set_norms);
}

/* Qwen3's per-head query and key norms of a layer. */
JNIEXPORT void JNICALL JNI(setHeadNorms)(JNIEnv *env, jclass cls, jlong handle, jint layer, jfloatArray query,
                                         jfloatArray key) {
    (void)cls;
    set_layer_pair(env, handle, layer, query, key, llama_set_head_norms);
}

JNIEXPORT void JNICALL JNI(setFinalNorm)(JNIEnv *env, jclass cls, jlong handle, jfloatArray weight) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    jsize count = length_of(env, weight);
    float *w = weight ? (*env)->GetPrimitiveArrayCritical(env, weight, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = weight && !w ? LLAMA_NO_MEMORY : llama_set_final_norm(m, w, count, &error);
    if (w) (*env)->ReleasePrimitiveArrayCritical(env, weight, w, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

/* A direct buffer's memory as floats (NULL if not a direct buffer of whole floats), its float count in *count. */
static const float *direct_floats(JNIEnv *env, jobject buffer, long *count) {
    void *address = buffer ? (*env)->GetDirectBufferAddress(env, buffer) : NULL;
    jlong capacity = buffer ? (*env)->GetDirectBufferCapacity(env, buffer) : -1;
    if (!address || capacity < 0 || capacity % (jlong)sizeof(float)) return NULL;
    *count = (long)(capacity / (jlong)sizeof(float));
    return address;
}

JNIEXPORT void JNICALL JNI(setFloatLinear)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint slot,
                                           jobject weight, jfloatArray bias) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    long count = 0;
    const float *w = direct_floats(env, weight, &count);
    if (!w) {
        throw_new(env, "java/lang/IllegalArgumentException", "the float weight is not a direct buffer of floats");
        return;
    }
    jsize bias_count = length_of(env, bias);
    float *b = bias ? (*env)->GetPrimitiveArrayCritical(env, bias, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = bias && !b ? LLAMA_NO_MEMORY
            : llama_set_float_linear(m, layer, slot, w, count, b, bias_count, &error);
    if (b) (*env)->ReleasePrimitiveArrayCritical(env, bias, b, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

JNIEXPORT void JNICALL JNI(setInt8Linear)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint slot,
                                          jbyteArray values, jfloatArray scales, jfloatArray bias) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    jsize count = length_of(env, values), scale_count = length_of(env, scales), bias_count = length_of(env, bias);
    int8_t *v = values ? (*env)->GetPrimitiveArrayCritical(env, values, NULL) : NULL;
    float *s = scales ? (*env)->GetPrimitiveArrayCritical(env, scales, NULL) : NULL;
    float *b = bias ? (*env)->GetPrimitiveArrayCritical(env, bias, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = (values && !v) || (scales && !s) || (bias && !b) ? LLAMA_NO_MEMORY
            : llama_set_int8_linear(m, layer, slot, v, count, s, scale_count, b, bias_count, &error);
    if (b) (*env)->ReleasePrimitiveArrayCritical(env, bias, b, JNI_ABORT);
    if (s) (*env)->ReleasePrimitiveArrayCritical(env, scales, s, JNI_ABORT);
    if (v) (*env)->ReleasePrimitiveArrayCritical(env, values, v, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

JNIEXPORT void JNICALL JNI(setBlockLinear)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint slot, jint type,
                                           jbyteArray blocks, jfloatArray bias) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    jsize count = length_of(env, blocks), bias_count = length_of(env, bias);
    uint8_t *v = blocks ? (*env)->GetPrimitiveArrayCritical(env, blocks, NULL) : NULL;
    float *b = bias ? (*env)->GetPrimitiveArrayCritical(env, bias, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = (blocks && !v) || (bias && !b) ? LLAMA_NO_MEMORY
            : llama_set_block_linear(m, layer, slot, type, v, count, b, bias_count, &error);
    if (b) (*env)->ReleasePrimitiveArrayCritical(env, bias, b, JNI_ABORT);
    if (v) (*env)->ReleasePrimitiveArrayCritical(env, blocks, v, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

JNIEXPORT void JNICALL JNI(setBlockEmbedding)(JNIEnv *env, jclass cls, jlong handle, jint type, jbyteArray blocks) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    jsize count = length_of(env, blocks);
    uint8_t *v = blocks ? (*env)->GetPrimitiveArrayCritical(env, blocks, NULL) : NULL;
    const char *error = NULL;
    LlamaStatus status = blocks && !v ? LLAMA_NO_MEMORY : llama_set_block_embedding(m, type, v, count, &error);
    if (v) (*env)->ReleasePrimitiveArrayCritical(env, blocks, v, JNI_ABORT);
    succeeded(env, status, error ? error : "cannot pin a Java array");
}

JNIEXPORT void JNICALL JNI(setEmbeddingFromHead)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    const char *error = NULL;
    succeeded(env, llama_set_embedding_from_head(m, &error), error);
}

/* The float32 embedding table [vocab, hidden] (a direct buffer, read in place). */
JNIEXPORT void JNICALL JNI(setEmbedding)(JNIEnv *env, jclass cls, jlong handle, jobject table) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    long count = 0;
    const float *t = direct_floats(env, table, &count);
    if (!t) {
        throw_new(env, "java/lang/IllegalArgumentException", "the embedding table is not a direct buffer of floats");
        return;
    }
    const char *error = NULL;
    succeeded(env, llama_set_embedding(m, t, count, &error), error);
}

/* Places `count` items of `size` bytes at *at in base (8-byte aligned) and advances *at; NULL when measuring. */
static void *carve(char *base, size_t *at, size_t count, size_t size) {
    void *p = base ? base + *at : NULL;
    *at += (count * size + 7) / 8 * 8;
    return p;
}

/* Lays the pass's arguments out in base (NULL: only measures); returns the bytes needed. */
static size_t args_layout(char *base, LlamaPass *a, jsize rows, jsize embedded, jsize segments, jsize caches,
                          jsize selected, jsize logits) {
    size_t at = 0;
    a->ids = carve(base, &at, (size_t)rows, sizeof(int));
    a->embedded = embedded ? carve(base, &at, (size_t)embedded, sizeof(float)) : NULL;
    a->lengths = carve(base, &at, (size_t)segments, sizeof(int));
    a->past = carve(base, &at, (size_t)segments, sizeof(int));
    a->capacities = carve(base, &at, (size_t)segments, sizeof(int));
    a->keys = carve(base, &at, (size_t)caches, sizeof(float *));
    a->values = carve(base, &at, (size_t)caches, sizeof(float *));
    a->logit_rows = carve(base, &at, (size_t)selected, sizeof(int));
    a->logits = carve(base, &at, (size_t)logits, sizeof(float));
    return at;
}

/* The number of logits arrays, or -1 unless every one is a float[] of `vocab` elements. */
static jsize logits_arrays(JNIEnv *env, jobjectArray logits, int vocab) {
    jsize n = length_of(env, logits);
    for (jsize i = 0; i < n; i++) {
        jarray row = (*env)->GetObjectArrayElement(env, logits, i);
        jsize length = length_of(env, row);
        (*env)->DeleteLocalRef(env, row);
        if (length != vocab) return -1;
    }
    return n;
}

/*
 * step(handle, ids, embedded, lengths, past, capacities, keys, values, logitRows, logits): one forward pass
 * (llama_forward) whose arguments are these arrays, cache addresses as longs; the logits of logitRows[i] are copied
 * once, from the model's output into the array logits[i].
 */
JNIEXPORT void JNICALL JNI(step)(JNIEnv *env, jclass cls, jlong handle, jintArray ids, jfloatArray embedded,
                                 jintArray lengths, jintArray past, jintArray capacities, jlongArray keys,
                                 jlongArray values, jintArray logit_rows, jobjectArray logits) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    Handle *h = (Handle *)(intptr_t)handle;
    const LlamaConfig *c = llama_config(m);
    jsize rows = length_of(env, ids), n_embedded = length_of(env, embedded), segments = length_of(env, lengths);
    jsize caches = length_of(env, keys), selected = length_of(env, logit_rows);
    jsize arrays = logits ? logits_arrays(env, logits, c->vocab) : -1;
    long n_logits = (long)selected * c->vocab;
    /* bounds before copying, so a malformed call cannot make the copy huge; the model checks the rest */
    if (!ids || !lengths || !past || !capacities || !keys || !values || !logit_rows || !logits
            || rows < 1 || rows > LLAMA_MAX_ROWS || segments > rows || selected > rows
            || (long)caches != (long)segments * c->layers || length_of(env, values) != caches
            || length_of(env, past) != segments || length_of(env, capacities) != segments
            || arrays != selected || n_logits > INT32_MAX
            || (embedded && (long)n_embedded != (long)rows * c->hidden)) {
        throw_new(env, "java/lang/IllegalArgumentException", "step arguments do not match each other or the model");
        return;
    }
    pthread_mutex_lock(&h->lock);
    LlamaPass a;
    size_t bytes = args_layout(NULL, &a, rows, n_embedded, segments, caches, selected, (jsize)n_logits);
    if (bytes > h->args_size) {
        char *grown = malloc(bytes);
        if (!grown) {
            pthread_mutex_unlock(&h->lock);
            throw_new(env, "java/lang/OutOfMemoryError", "native memory for a forward pass's arguments");
            return;
        }
        free(h->args);
        h->args = grown;
        h->args_size = bytes;
    }
    args_layout(h->args, &a, rows, n_embedded, segments, caches, selected, (jsize)n_logits);
    a.n_ids = rows;
    a.n_embedded = n_embedded;
    a.n_lengths = a.n_past = a.n_capacities = segments;
    a.n_keys = a.n_values = caches;
    a.n_logit_rows = selected;
    a.n_logits = n_logits;
    (*env)->GetIntArrayRegion(env, ids, 0, rows, (jint *)a.ids);
    if (embedded) (*env)->GetFloatArrayRegion(env, embedded, 0, n_embedded, (jfloat *)a.embedded);
    (*env)->GetIntArrayRegion(env, lengths, 0, segments, (jint *)a.lengths);
    (*env)->GetIntArrayRegion(env, past, 0, segments, (jint *)a.past);
    (*env)->GetIntArrayRegion(env, capacities, 0, segments, (jint *)a.capacities);
    (*env)->GetLongArrayRegion(env, keys, 0, caches, (jlong *)a.keys);
    (*env)->GetLongArrayRegion(env, values, 0, caches, (jlong *)a.values);
    (*env)->GetIntArrayRegion(env, logit_rows, 0, selected, (jint *)a.logit_rows);
    const char *error = NULL;
    LlamaStatus status = llama_forward(m, &a, &error);
    for (jsize i = 0; status == LLAMA_OK && i < selected; i++) {
        jfloatArray row = (jfloatArray)(*env)->GetObjectArrayElement(env, logits, i);
        (*env)->SetFloatArrayRegion(env, row, 0, c->vocab, a.logits + (size_t)i * c->vocab);
        (*env)->DeleteLocalRef(env, row);
    }
    pthread_mutex_unlock(&h->lock);
    succeeded(env, status, error);
}

JNIEXPORT jlong JNICALL JNI(address)(JNIEnv *env, jclass cls, jobject buffer) {
    (void)cls;
    void *p = buffer ? (*env)->GetDirectBufferAddress(env, buffer) : NULL;
    if (!p) throw_new(env, "java/lang/IllegalArgumentException", "not a direct buffer");
    return (jlong)(intptr_t)p;
}

/* Gemma 2 / 3: the model-wide settings (LlamaGemma). */
JNIEXPORT void JNICALL JNI(setGemma)(JNIEnv *env, jclass cls, jlong handle, jfloat query_scale,
                                     jfloat embedding_scale, jfloat final_softcap, jdouble local_rope_theta) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    LlamaGemma g = {query_scale, embedding_scale, final_softcap, local_rope_theta};
    const char *error = NULL;
    succeeded(env, llama_set_gemma(m, &g, &error), error);
}

/* Gemma 2 / 3: how one layer attends (LlamaLayerAttention). */
JNIEXPORT void JNICALL JNI(setLayerAttention)(JNIEnv *env, jclass cls, jlong handle, jint layer, jint window,
                                              jint rope, jfloat softcap) {
    (void)cls;
    LlamaModel *m = model_of(env, handle);
    if (!m) return;
    LlamaLayerAttention a = {window, rope, softcap};
    const char *error = NULL;
    succeeded(env, llama_set_layer_attention(m, layer, &a, &error), error);
}

/* Gemma 2 / 3: the norms of a layer's attention and MLP outputs. */
JNIEXPORT void JNICALL JNI(setPostNorms)(JNIEnv *env, jclass cls, jlong handle, jint layer, jfloatArray attention,
                                         jfloatArray mlp) {
    (void)cls;
    set_layer_pair(env, handle, layer, attention, mlp, llama_set_post_norms);
}
