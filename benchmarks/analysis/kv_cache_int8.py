#!/usr/bin/env python3
"""Which scales an INT8 KV cache needs: perplexity of stories260K's golden text with keys and values rounded to int8
under several scale layouts, in float64 (the same forward pass as int8_near_tie.py, whose weights and helpers it
imports; the weights stay exact, only the cache is quantized):
  - one scale per KV head per position (what the native engine stores: head_dim + 4 bytes per head and position),
  - one scale per position shared by all KV heads,
  - one scale per KV head per block of 16 or 64 positions, taken as the block's largest value once the block is
    full (the best case for blocks: a real cache must fix or re-scale a block's scale while its positions arrive).

Usage: python3 benchmarks/analysis/kv_cache_int8.py [MODEL_DIR]   (needs numpy)
"""
import json

import numpy as np

from int8_near_tie import (HEAD_DIM, HEADS, KV_HEADS, LAYERS, MODEL, W, rms_norm, rotate, round_half_away)


def per_head_position(x):  # x: [positions, kv_heads, head_dim]
    scale = np.abs(x).max(-1, keepdims=True) / 127
    return round_half_away(x / np.where(scale == 0, 1, scale)) * scale


def per_position(x):
    scale = np.abs(x).max((-2, -1), keepdims=True) / 127
    return round_half_away(x / np.where(scale == 0, 1, scale)) * scale


def per_block(size):
    def quantize(x):
        out = np.empty_like(x)
        for start in range(0, len(x), size):
            block = x[start:start + size]
            scale = np.abs(block).max((0, 2), keepdims=True) / 127
            out[start:start + size] = round_half_away(block / np.where(scale == 0, 1, scale)) * scale
        return out
    return quantize


def forward(ids, cache):
    """Logits of every position, keys and values passed through `cache` (None: exact) as they are stored."""
    n = len(ids)
    x = W["model.embed_tokens.weight"][ids]
    positions = np.arange(n, dtype=np.float64)
    causal = np.triu(np.full((n, n), -np.inf), 1)
    for layer in range(LAYERS):
        p = f"model.layers.{layer}."
        h = rms_norm(x, W[p + "input_layernorm.weight"])
        q = rotate((h @ W[p + "self_attn.q_proj.weight"].T).reshape(n, HEADS, HEAD_DIM), positions)
        k = rotate((h @ W[p + "self_attn.k_proj.weight"].T).reshape(n, KV_HEADS, HEAD_DIM), positions)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).reshape(n, KV_HEADS, HEAD_DIM)
        if cache:
            k, v = cache(k), cache(v)
        k, v = np.repeat(k, HEADS // KV_HEADS, 1), np.repeat(v, HEADS // KV_HEADS, 1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(HEAD_DIM) + causal
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attended = np.einsum("hts,shd->thd", scores / scores.sum(-1, keepdims=True), v).reshape(n, HEADS * HEAD_DIM)
        x = x + attended @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"])
        gate, up = h @ W[p + "mlp.gate_proj.weight"].T, h @ W[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ W[p + "mlp.down_proj.weight"].T
    return rms_norm(x, W["model.norm.weight"]) @ W["model.embed_tokens.weight"].T


def perplexity(ids, cache):
    logits = forward(ids, cache)[:-1]
    logits = logits - logits.max(-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(np.exp(-log_probs[np.arange(len(ids) - 1), ids[1:]].mean()))


def main():
    golden = json.loads((MODEL / "reference/golden.json").read_text())
    ids = np.array(golden["perplexity"]["input_ids"])
    exact = perplexity(ids, None)
    print(f"stories260K, {len(ids)} tokens, head_dim {HEAD_DIM}: exact KV perplexity {exact:.4f} "
          f"(golden {golden['perplexity']['perplexity']:.4f})")
    print(f"{'scales':<36} {'bytes/head/position':>20} {'perplexity':>11} {'vs exact':>9}")
    schemes = [("float32 (no quantization)", 4 * HEAD_DIM, None),
               ("per KV head per position (native)", HEAD_DIM + 4, per_head_position),
               ("per position, all KV heads", HEAD_DIM + 4 / KV_HEADS, per_position),
               ("per KV head per 16 positions", HEAD_DIM + 4 / 16, per_block(16)),
               ("per KV head per 64 positions", HEAD_DIM + 4 / 64, per_block(64))]
    for name, size, cache in schemes:
        value = exact if cache is None else perplexity(ids, cache)
        print(f"{name:<36} {size:>20.2f} {value:>11.4f} {100 * (value / exact - 1):>+8.3f}%")


if __name__ == "__main__":
    main()
