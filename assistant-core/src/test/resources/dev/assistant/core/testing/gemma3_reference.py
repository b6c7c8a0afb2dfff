"""Independent float64 NumPy forward pass of a Gemma 3 (text) causal LM, following HuggingFace's modeling_gemma3
structure: Gemma 2's layout plus per-head q/k RMSNorm (1 + w) before RoPE, a RoPE base of its own (and no
rope_scaling) on the sliding layers, one global layer in every sliding_window_pattern (or as layer_types lists).

Usage: gemma3_reference.py MODEL_DIR PROMPT_IDS(comma separated) STEPS
Prints JSON {"logits": [[...] per step], "tokens": [...]}, every step recomputed over the whole sequence.
"""
import json
import math
import sys

import numpy as np

from qwen3_reference import read_safetensors, rotate_half
from gemma2_reference import rms_norm, gelu_tanh, softcap


def rope_tables(n, head_dim, theta, scaling):
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    if scaling:
        kind = scaling.get("rope_type", scaling.get("type"))
        if kind == "linear":
            inv_freq = inv_freq / scaling["factor"]
        elif kind != "default":
            raise SystemExit("rope_scaling %s is not implemented in this reference" % kind)
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]


def forward(cfg, w, ids):
    n = len(ids)
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim", 256)
    eps = cfg.get("rms_norm_eps", 1e-6)
    layers = cfg["num_hidden_layers"]
    scaling = cfg.get("query_pre_attn_scalar", head_dim) ** -0.5
    window = cfg.get("sliding_window", 4096)
    pattern = cfg.get("sliding_window_pattern", 6)
    types = cfg.get("layer_types") or [
        "sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(layers)]
    global_rope = rope_tables(n, head_dim, cfg.get("rope_theta", 1000000.0), cfg.get("rope_scaling"))
    local_rope = rope_tables(n, head_dim, cfg.get("rope_local_base_freq", 10000.0), None)
    pos = np.arange(n)
    causal = np.where(pos[None, :] > pos[:, None], -np.inf, 0.0)
    sliding = np.where((pos[None, :] > pos[:, None]) | (pos[:, None] - pos[None, :] >= window), -np.inf, 0.0)

    x = w["model.embed_tokens.weight"][ids] * np.float64(np.float32(math.sqrt(hidden)))
    for i in range(layers):
        p = "model.layers.%d." % i
        local = types[i] == "sliding_attention"
        cos, sin = local_rope if local else global_rope
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(n, heads, head_dim)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(n, kv_heads, head_dim)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(n, kv_heads, head_dim)
        q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
        k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = heads // kv_heads
        k = np.repeat(k, groups, axis=1)
        v = np.repeat(v, groups, axis=1)
        scores = np.einsum("qhd,khd->hqk", q, k) * scaling
        scores = softcap(scores, cfg.get("attn_logit_softcapping"))
        scores = scores + (sliding if local else causal)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        attended = np.einsum("hqk,khd->qhd", probs, v).reshape(n, heads * head_dim)
        attn_out = attended @ w[p + "self_attn.o_proj.weight"].T
        x = x + rms_norm(attn_out, w[p + "post_attention_layernorm.weight"], eps)
        h = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        mlp_out = (gelu_tanh(gate) * up) @ w[p + "mlp.down_proj.weight"].T
        x = x + rms_norm(mlp_out, w[p + "post_feedforward_layernorm.weight"], eps)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
    return softcap(x[-1] @ head.T, cfg.get("final_logit_softcapping"))


def main():
    model_dir, prompt, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    w = read_safetensors(model_dir + "/model.safetensors")
    ids = [int(t) for t in prompt.split(",")]
    all_logits, tokens = [], []
    for _ in range(steps + 1):
        logits = forward(cfg, w, ids)
        all_logits.append([float(v) for v in logits])
        token = int(np.argmax(logits))
        tokens.append(token)
        ids.append(token)
    json.dump({"logits": all_logits, "tokens": tokens[:steps]}, sys.stdout)


if __name__ == "__main__":
    main()
