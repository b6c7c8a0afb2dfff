/*
 * Gemma 2's and Gemma 3's layer loop (llama_set_gemma), included by llama_model.c after its pass machinery, which
 * it shares: the same products (linear_run), RoPE and cache writes (rotate_and_cache), KV cache layouts, threads and
 * scratch. What differs is per layer (LlamaLayerAttention: sliding window, RoPE table, score cap), the norms after
 * attention and after the MLP, GeGLU, and the scaling of the rows coming in; the loops are gemma_kernels.h's.
 */

/* Before the layers: every row scaled by sqrt(hidden) (as HF, in float32, whether looked up or passed embedded), and
 * Gemma 3's local RoPE factors of every row. */
static void gemma_prepare_rows(const LlamaModel *m, Pass *p, int rows) {
    float scale = m->gemma_settings.embedding_scale;
    for (size_t i = 0; i < (size_t)rows * m->hidden; i++) p->x[i] *= scale;
    if (!m->local_inv_freq) return;
    for (int r = 0; r < rows; r++) {
        rope_factors(m, m->local_inv_freq, p->row_position[r], p->cos_local + (size_t)r * m->head_dim,
                     p->sin_local + (size_t)r * m->head_dim);
    }
}

typedef struct {
    const LlamaModel *m;
    const Batch *b;
    int layer;
    const float *qkv;   /* [rows, (heads + 2 kv) * head_dim], q and k rotated, q scaled */
    float *out;         /* [rows, heads * head_dim] */
    float *scores;      /* [chunks, longest]: a chunk's scratch */
    int longest;
    int grain;          /* (row, head) pairs per chunk */
} GemmaAttentionTask;

static void gemma_attention_task(void *ctx, int begin, int end) {
    GemmaAttentionTask *a = ctx;
    const LlamaModel *m = a->m;
    const LlamaLayerAttention *how = &m->layer[a->layer].attention;
    int hd = m->head_dim, group = m->heads / m->kv_heads, width = (m->heads + 2 * m->kv_heads) * hd;
    float *scores = a->scores + (size_t)begin / a->grain * a->longest;
    for (int i = begin; i < end; i++) {
        int r = i / m->heads, h = i % m->heads, g = h / group;
        int s = a->b->row_segment[r], cap = a->b->capacity[s], position = a->b->row_position[r];
        int first = gemma_window_start(position, how->window);
        const float *q = a->qkv + (size_t)r * width + (size_t)h * hd;
        float *out = a->out + (size_t)r * m->heads * hd + (size_t)h * hd;
        void *keys = a->b->keys[(size_t)s * m->layers + a->layer];
        void *values = a->b->values[(size_t)s * m->layers + a->layer];
        if (m->kv_type == LLAMA_KV_INT8) {
            gemma_attend_int8(q, kv_int8_elements(keys, m->kv_heads, cap) + (size_t)g * hd * cap,
                              kv_int8_scales(keys) + (size_t)g * cap,
                              kv_int8_elements(values, m->kv_heads, cap) + (size_t)g * cap * hd,
                              kv_int8_scales(values) + (size_t)g * cap, cap, first, position + 1, hd, how->softcap,
                              scores, out);
        } else {
            gemma_attend(q, (const float *)keys + (size_t)g * hd * cap, (const float *)values + (size_t)g * cap * hd,
                         cap, first, position + 1, hd, how->softcap, scores, out);
        }
    }
}

/* x = x + norm(f(norm(x))) for the layer's attention and then its MLP, every layer, over the rows p->x. */
static void run_gemma_layers(LlamaModel *m, const Batch *b, Pass *p, int longest) {
    int rows = b->rows, hidden = m->hidden;
    for (int l = 0; l < m->layers; l++) {
        Layer *layer = &m->layer[l];
        m->k->rms_norm(p->x, layer->attention_norm, m->eps, rows, hidden, p->h);
        linear_run(m, &layer->linear[LLAMA_QKV], p->h, rows, p->qkv, &p->wide, &p->acts);
        if (layer->query_norm) head_norms(m, layer, p->qkv, rows);
        int local = layer->attention.rope == 1;
        rotate_and_cache(m, b, l, p->qkv, local ? p->cos_local : p->cos, local ? p->sin_local : p->sin);
        int pairs = rows * m->heads, grain = pool_grain(m->pool, pairs);
        GemmaAttentionTask task = {m, b, l, p->qkv, p->att, p->scores, longest, grain};
        pool_run(m->pool, pairs, grain, 0, gemma_attention_task, &task);
        linear_run(m, &layer->linear[LLAMA_O], p->att, rows, p->tmp, &p->wide, &p->acts);
        m->k->rms_norm(p->tmp, layer->post_attention_norm, m->eps, rows, hidden, p->h);
        add_into(p->x, p->h, (size_t)rows * hidden);
        m->k->rms_norm(p->x, layer->mlp_norm, m->eps, rows, hidden, p->h);
        linear_run(m, &layer->linear[LLAMA_GATE_UP], p->h, rows, p->gu, &p->wide, &p->acts);
        gemma_geglu(p->gu, rows, m->ffn, p->mlp);
        linear_run(m, &layer->linear[LLAMA_DOWN], p->mlp, rows, p->tmp, &p->wide, &p->acts);
        m->k->rms_norm(p->tmp, layer->post_mlp_norm, m->eps, rows, hidden, p->h);
        add_into(p->x, p->h, (size_t)rows * hidden);
    }
}
