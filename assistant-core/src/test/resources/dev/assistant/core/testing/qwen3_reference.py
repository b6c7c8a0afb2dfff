"""Independent float64 NumPy forward pass of a Qwen3 causal LM, following HuggingFace's modeling_qwen3 structure.

Usage: qwen3_reference.py MODEL_DIR PROMPT_IDS(comma separated) STEPS
Prints JSON {"logits": [[...] per step], "tokens": [...]}: the last-position logits for the prompt and after each
greedy token, every step recomputed from scratch over the whole sequence (no KV cache), so the engine's cached
decoding is checked against a plain full recomputation.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit("only F32 tensors are supported, " + name + " is " + info["dtype"])
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + start:base + end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def rms_norm(x, weight, eps):
    variance = np.mean(x * x, axis=-1, keepdims=True)
    return weight * (x / np.sqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(cfg, w, ids):
    n = len(ids)
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim", hidden // heads)
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    freqs = np.outer(np.arange(n, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)  # [n, head_dim]
    cos, sin = np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]
    mask = np.triu(np.full((n, n), -np.inf), k=1)

    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(n, heads, head_dim)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(n, kv_heads, head_dim)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(n, kv_heads, head_dim)
        # Qwen3's addition: RMSNorm over each head's vector, before the rotation
        q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
        k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
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
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
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
