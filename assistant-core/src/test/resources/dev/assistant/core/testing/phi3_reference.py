"""Independent float64 NumPy forward pass of a Phi-3 causal LM, following HuggingFace's modeling_phi3 structure:
q|k|v read from one qkv_proj and gate|up from one gate_up_proj, plain RoPE or LongRoPE (rope_scaling type
longrope/su: per-frequency short or long factors, the long ones when the sequence is longer than
original_max_position_embeddings, cos/sin scaled by the attention factor; HF's _compute_longrope_parameters).

Usage: phi3_reference.py MODEL_DIR PROMPT_IDS(comma separated) STEPS
Prints JSON {"logits": [[...] per step], "tokens": [...]}, every step recomputed over the whole sequence.
"""
import json
import math
import sys

import numpy as np

from qwen3_reference import read_safetensors, rms_norm, rotate_half


def forward(cfg, w, ids):
    n = len(ids)
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = hidden // heads
    ffn = cfg["intermediate_size"]
    eps = cfg.get("rms_norm_eps", 1e-5)
    theta = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    scaling = 1.0
    rope = cfg.get("rope_scaling")
    if rope:
        if rope.get("type", rope.get("rope_type")) not in ("longrope", "su"):
            raise SystemExit("rope_scaling %s is not implemented in this reference" % rope)
        max_pos = cfg["max_position_embeddings"]
        original = rope.get("original_max_position_embeddings") or cfg.get("original_max_position_embeddings")
        factor = max_pos / original if original else rope.get("factor")
        original = original or max_pos
        scaling = rope.get("attention_factor")
        if scaling is None:
            scaling = math.sqrt(1 + math.log(factor) / math.log(original)) if factor and factor > 1 else 1.0
        ext = np.array(rope["long_factor"] if n > original else rope["short_factor"], dtype=np.float64)
        inv_freq = inv_freq / ext
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb)[:, None, :] * scaling, np.sin(emb)[:, None, :] * scaling
    mask = np.triu(np.full((n, n), -np.inf), k=1)

    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        qkv = h @ w[p + "self_attn.qkv_proj.weight"].T
        q_end = heads * head_dim
        k_end = q_end + kv_heads * head_dim
        q = qkv[:, :q_end].reshape(n, heads, head_dim)
        k = qkv[:, q_end:k_end].reshape(n, kv_heads, head_dim)
        v = qkv[:, k_end:].reshape(n, kv_heads, head_dim)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = heads // kv_heads
        k = np.repeat(k, groups, axis=1)
        v = np.repeat(v, groups, axis=1)
        scores = np.einsum("qhd,khd->hqk", q, k) * head_dim ** -0.5 + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        attended = np.einsum("hqk,khd->qhd", probs, v).reshape(n, heads * head_dim)
        x = x + attended @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate_up = h @ w[p + "mlp.gate_up_proj.weight"].T
        gate, up = gate_up[:, :ffn], gate_up[:, ffn:]
        x = x + ((gate / (1 + np.exp(-gate))) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return x[-1] @ head.T


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
