"""Writes the TorchScript modules the SDK ships: the fbgemm INT8 linear layer and ragged batched attention.

Usage (Debian: apt-get install python3-torch; use /usr/bin/python3, the one that package serves):
    /usr/bin/python3 assistant-core/src/main/python/make_torchscript_modules.py \
        assistant-core/src/main/resources/dev/assistant/core/engine/djl

Both files are byte-for-byte reproducible, and each stores this script's SHA-256 (extra file `generator.sha256`)
so a test can tell that the checked-in modules were made by the current version of this script.

## int8_linear.pt

Why a TorchScript file: libtorch's INT8 GEMM (fbgemm: uint8 activations x int8 weights packed once, AVX2 or
AVX-512 VNNI kernels) is reachable from Java only through a scripted module; DJL exposes no quantized operators.
The module holds no weights of any model: the SDK loads one copy per linear layer and packs that layer's INT8
weights into it at run time with `load`.

Why not plain `quantized::linear_dynamic`: it quantizes its whole input with ONE uint8 range, so a row's result
would depend on the other rows of the batch (another request's outliers would change your answer) and 8 bits
lose accuracy. Each row is therefore scaled to max |x| = 1 and quantized on one fixed grid over [-1, 1]
(`quantized::linear_with_input_q_dq_qweight_dq_output_fp32` takes the grid as arguments and returns float32):
per-row quantization whose results do not depend on the batch.

Where 8 bits are not enough, the rounding residual of each row (at most half a step, so scaled by 2/step it spans
the same grid) is quantized the same way and sent through the same GEMM as a second row: about 16 bits of
activation precision for one extra row. The SDK asks for it (`load(..., residual=True)`) only for the MLP's output
projection, whose input (the SwiGLU or GELU product) is heavy-tailed: a few large values would leave the rest of
the row with a handful of 8-bit steps. The other inputs come from a normalization or an attention average and
keep their accuracy at 8 bits. Measured (Int8AccuracyTest): 8 bits everywhere failed (argmax 6/8 on
stories260K); the residual everywhere gave perplexity +0.10%; the residual on the MLP output only gives +0.09%
(stories260K), with 7/8 argmax as before, and costs a second row only where it matters: one row instead of two
in the other three products of a layer made single-stream decoding faster (2 threads: SmolLM shape 31 -> 39
tok/s, TinyLlama shape 11.0 -> 12.6) and halves their work in batches.

Debian's torch 1.13 predates that operator, so the module is scripted with `linear_dynamic` in its place and the
call is rewritten in the saved TorchScript source (compiled by libtorch when the SDK loads the file); the source
maps (`*.debug_pkl`), which would point at the wrong text, are left out.

## ragged_attention.pt

The attention of one forward pass over a ragged batch (decode steps of some sequences, prompts of others) in one
native call: each segment of rows appends its keys and values to its own sequence's cache (in place) and attends
causally over its prefix. Called through DJL, the same work is about ten native calls per sequence and layer, each
costing 10-15 us of JNI and bookkeeping; inside TorchScript an operator costs about 5 us (measured on this
project's machines) and the loop over sequences costs no calls. The arithmetic of each sequence is exactly that of
the SDK's per-sequence attention through DJL (same operators, same shapes), so a sequence's result does not depend
on its batch neighbours. For Llama-family layers, `rotary` also splits the fused q|k|v projection and applies RoPE
(another dozen DJL calls per layer).

## float_llama_layer.pt and int8_llama_layer.pt

A whole Llama-family decoder layer in one call (RMSNorm, q|k|v, RoPE, the ragged attention above, o, SwiGLU and
the residuals): through DJL a layer was about 35 calls, most of a small model's time per token. The float module
refers to the SDK's (memory-mapped) weight tensors without copying them; the INT8 one holds four fbgemm linear
layers as above. The operators and their order are those of the SDK's DJL path, so the results are bit-identical
(tested).
"""
import hashlib
import os
import sys
import tempfile
import zipfile

import torch
from typing import Dict, List, Optional

from torch import Tensor


class Int8DynamicLinear(torch.nn.Module):
    """y = x @ dequant(W).T + b, with W symmetric INT8 per output channel (fbgemm)."""

    def __init__(self):
        super().__init__()
        placeholder = torch.quantize_per_tensor(torch.zeros(1, 1), 1.0, 0, torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(placeholder, None)
        self.bias = torch.zeros(1)
        self.step = 2.0 / 127.0
        self.zero_point = 64
        self.residual = True

    @torch.jit.export
    def load(self, values: Tensor, scales: Tensor, bias: Tensor, reduce_range: bool, residual: bool) -> int:
        """Packs W (int8 [out, in]) with float scales [out] and float bias [out]; returns the number of outputs.
        `residual`: also send each row's rounding residual through the GEMM (about 16-bit activations)."""
        out = values.size(0)
        zero_points = torch.zeros(out, dtype=torch.long)
        weight = torch._make_per_channel_quantized_tensor(values, scales.to(torch.double), zero_points, 0)
        self.packed = torch.ops.quantized.linear_prepack(weight, None)
        # Added after rescaling, so not packed. A copy the module owns: the caller's tensor may borrow memory it
        # frees after this call (DJL's tensors made from Java arrays do).
        self.bias = bias.clone()
        # 255 steps over [-1, 1] with zero point 128 (127 steps, zero point 64, where the CPU lacks VNNI)
        self.step = 2.0 / (127 if reduce_range else 255)
        self.zero_point = 64 if reduce_range else 128
        self.residual = residual
        return out

    def forward(self, x: Tensor) -> Tensor:
        rows = x.size(0)
        magnitude = torch.linalg.vector_norm(x, float("inf"), [1], True).clamp_min(1e-30)
        normalized = x / magnitude
        if not self.residual:
            single = torch.ops.quantized.linear_dynamic(normalized, self.packed, True)  # rewritten, see PLACEHOLDER
            return torch.addcmul(self.bias, single, magnitude)
        grid = torch.quantize_per_tensor(normalized, self.step, self.zero_point, torch.quint8).dequantize()
        # the rounding residual lies in [-step/2, step/2]: scaled by 2/step it spans the same [-1, 1] grid
        residual = (normalized - grid) * (2.0 / self.step)
        stacked = torch.cat([normalized, residual], 0)
        products = torch.ops.quantized.linear_dynamic(stacked, self.packed, True)  # rewritten, see PLACEHOLDER
        refined = torch.add(products.narrow(0, 0, rows), products.narrow(0, rows, rows), alpha=self.step / 2.0)
        return torch.addcmul(self.bias, refined, magnitude)


# The placeholder call as torch 1.13 writes it into the saved source, and what replaces it.
PLACEHOLDER = "ops.quantized.linear_dynamic(stacked, packed0, True)"
REPLACEMENT = ("ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32("
               "stacked, self.step, self.zero_point, packed0)")
SINGLE_PLACEHOLDER = "ops.quantized.linear_dynamic(normalized, packed, True)"
SINGLE_REPLACEMENT = ("ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32("
                      "normalized, self.step, self.zero_point, packed)")


def rotate_half(x: Tensor, cos: Tensor, signed_sin: Tensor) -> Tensor:
    """Rotate-half RoPE, x * cos + [x2, x1] * sin, with rotate-half's sign folded into `signed_sin`."""
    half = x.size(-1) // 2
    swapped = torch.cat([x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1)
    return x * cos + swapped * signed_sin


def ragged_attention(q: Tensor, k: Tensor, v: Tensor, keys: List[Tensor], values: List[Tensor], past: List[int],
                     lengths: List[int]) -> Tensor:
    """
    q: scaled queries [rows, heads, head_dim]; k, v: the new keys and values [rows, kv_heads, head_dim].
    Segment s is the next lengths[s] rows; they extend the sequence whose caches are keys[s] (transposed:
    [kv_heads, head_dim, capacity]) and values[s] ([kv_heads, capacity, head_dim]) from position past[s].
    Returns [rows, heads * head_dim].
    """
    heads = q.size(1)
    head_dim = q.size(2)
    kv_heads = k.size(1)
    groups = heads // kv_heads
    rows = q.size(0)
    # Decode steps (one row per sequence) index rows one by one: split them once (one operator, not three per row).
    # A prompt's thousand rows would make a thousand views, so mixed batches index rows instead.
    decode_only = rows == len(lengths)
    q_rows = q.reshape(rows, kv_heads, groups, head_dim).unbind(0) if decode_only else [q]
    k_rows = k.unbind(0) if decode_only else [k]
    v_rows = v.unbind(0) if decode_only else [v]
    outs: List[Tensor] = []
    start = 0
    for s in range(len(lengths)):
        n = lengths[s]
        p = past[s]
        total = p + n
        key_cache = keys[s]
        value_cache = values[s]
        if n == 1:
            # a decode step: query head h reads KV head h // groups, [kv_heads, groups, head_dim] @ keys
            if decode_only:
                q_row = q_rows[start]
                k_row = k_rows[start]
                v_row = v_rows[start]
            else:
                q_row = q[start].reshape(kv_heads, groups, head_dim)
                k_row = k[start]
                v_row = v[start]
            key_cache.select(2, p).copy_(k_row)
            value_cache.select(1, p).copy_(v_row)
            # bmm, not matmul: the same kernel on the same operands without matmul's reshaping steps
            scores = torch.bmm(q_row, key_cache.narrow(2, 0, total))
            attended = torch.bmm(torch.softmax(scores, -1), value_cache.narrow(1, 0, total))
            outs.append(attended.view(1, heads * head_dim))
        else:
            key_cache.narrow(2, p, n).copy_(k.narrow(0, start, n).permute(1, 2, 0))
            value_cache.narrow(1, p, n).copy_(v.narrow(0, start, n).transpose(0, 1))
            # rows ordered (group, token) within each KV head
            grouped = q.narrow(0, start, n).transpose(0, 1).reshape(kv_heads, groups * n, head_dim)
            scores = torch.matmul(grouped, key_cache.narrow(2, 0, total)).reshape(kv_heads, groups, n, total)
            # token t sees positions up to p + t
            future = torch.ones(n, total, dtype=torch.bool, device=q.device).triu(p + 1)
            scores = scores.masked_fill(future, float("-inf")).reshape(kv_heads, groups * n, total)
            attended = torch.matmul(torch.softmax(scores, -1), value_cache.narrow(1, 0, total))
            outs.append(attended.reshape(heads, n, head_dim).transpose(0, 1).reshape(n, heads * head_dim))
        start += n
    return torch.cat(outs, 0)


def rotary_attention(qkv: Tensor, cos: Tensor, sin: Tensor, heads: int, keys: List[Tensor], values: List[Tensor],
                     past: List[int], lengths: List[int]) -> Tensor:
    """
    `ragged_attention` for the fused projection qkv [rows, (heads + 2 kv_heads) * head_dim] of a Llama-family
    layer: splits it and applies RoPE to q|k together (factors [rows, heads + kv_heads, head_dim], the queries'
    first, carrying the attention scale), then attends.
    """
    rows = qkv.size(0)
    kv_heads = keys[0].size(0)
    head_dim = keys[0].size(1)
    qk = rotate_half(qkv.narrow(1, 0, (heads + kv_heads) * head_dim).reshape(rows, heads + kv_heads, head_dim),
                     cos, sin)
    v = qkv.narrow(1, (heads + kv_heads) * head_dim, kv_heads * head_dim).reshape(rows, kv_heads, head_dim)
    return ragged_attention(qk.narrow(1, 0, heads), qk.narrow(1, heads, kv_heads), v, keys, values, past, lengths)


class RaggedAttention(torch.nn.Module):
    """Causal grouped-query attention of a ragged batch: each segment of rows extends its own sequence's KV cache."""

    @torch.jit.export
    def rotary(self, qkv: Tensor, cos: Tensor, sin: Tensor, heads: int, keys: List[Tensor], values: List[Tensor],
               past: List[int], lengths: List[int]) -> Tensor:
        return rotary_attention(qkv, cos, sin, heads, keys, values, past, lengths)

    def forward(self, q: Tensor, k: Tensor, v: Tensor, keys: List[Tensor], values: List[Tensor],
                past: List[int], lengths: List[int]) -> Tensor:
        return ragged_attention(q, k, v, keys, values, past, lengths)


def rms_norm(x: Tensor, weight: Tensor, eps: Tensor) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight, in the order the SDK's DJL path computes it."""
    return x / (x * x).mean(-1, True).add(eps).sqrt() * weight


class FloatLinear(torch.nn.Module):
    """y = x @ W.T + b over float tensors the caller owns (no copy: the SDK's weights are memory-mapped)."""

    bias: Optional[Tensor]

    def __init__(self):
        super().__init__()
        self.weight = torch.zeros(1, 1)
        self.bias = None

    @torch.jit.export
    def load(self, weight: Tensor, bias: Tensor, has_bias: bool) -> int:
        """Refers to weight [out, in] and, if `has_bias`, bias [out] (callers cannot pass None through DJL)."""
        self.weight = weight
        self.bias = bias if has_bias else None
        return weight.size(0)

    def forward(self, x: Tensor) -> Tensor:
        return torch.nn.functional.linear(x, self.weight, self.bias)


class LlamaLayer(torch.nn.Module):
    """
    One Llama-family decoder layer (RMSNorm, fused q|k|v with RoPE and grouped-query attention over per-sequence
    caches, o, RMSNorm, fused gate|up with SwiGLU, down, residuals) in one call; the subclasses choose the linear
    layers. The operators and their order are those of the SDK's DJL path, so the results are the same.
    """

    def __init__(self):
        super().__init__()
        self.attention_norm = torch.ones(1)
        self.mlp_norm = torch.ones(1)
        self.eps = torch.ones(1)
        self.heads = 1
        self.intermediate = 1

    @torch.jit.export
    def load_norms(self, attention_norm: Tensor, mlp_norm: Tensor, eps: Tensor, heads: int, intermediate: int) -> int:
        """The RMSNorm weights and epsilon (copies), the number of query heads and the MLP's width."""
        self.attention_norm = attention_norm.clone()
        self.mlp_norm = mlp_norm.clone()
        self.eps = eps.clone()
        self.heads = heads
        self.intermediate = intermediate
        return heads

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, keys: List[Tensor], values: List[Tensor], past: List[int],
                lengths: List[int]) -> Tensor:
        qkv = self.qkv(rms_norm(x, self.attention_norm, self.eps))
        x = x + self.o(rotary_attention(qkv, cos, sin, self.heads, keys, values, past, lengths))
        gate_up = self.gate_up(rms_norm(x, self.mlp_norm, self.eps))
        gate = gate_up.narrow(1, 0, self.intermediate)
        up = gate_up.narrow(1, self.intermediate, self.intermediate)
        return x + self.down(torch.sigmoid(gate) * gate * up)


class Int8LlamaLayer(LlamaLayer):
    """A Llama layer whose linear layers are per-channel INT8 on fbgemm (Int8DynamicLinear)."""

    def __init__(self):
        super().__init__()
        self.qkv = Int8DynamicLinear()
        self.o = Int8DynamicLinear()
        self.gate_up = Int8DynamicLinear()
        self.down = Int8DynamicLinear()

    @torch.jit.export
    def load_linear(self, which: int, values: Tensor, scales: Tensor, bias: Tensor, reduce_range: bool,
                    residual: bool) -> int:
        """Packs linear layer `which` (0 q|k|v, 1 o, 2 gate|up, 3 down); see Int8DynamicLinear.load."""
        if which == 0:
            return self.qkv.load(values, scales, bias, reduce_range, residual)
        if which == 1:
            return self.o.load(values, scales, bias, reduce_range, residual)
        if which == 2:
            return self.gate_up.load(values, scales, bias, reduce_range, residual)
        return self.down.load(values, scales, bias, reduce_range, residual)


class FloatLlamaLayer(LlamaLayer):
    """A Llama layer whose linear layers are float32 over the caller's weight tensors (FloatLinear)."""

    def __init__(self):
        super().__init__()
        self.qkv = FloatLinear()
        self.o = FloatLinear()
        self.gate_up = FloatLinear()
        self.down = FloatLinear()

    @torch.jit.export
    def load_linear(self, which: int, weight: Tensor, bias: Tensor, has_bias: bool) -> int:
        """Sets linear layer `which` (0 q|k|v, 1 o, 2 gate|up, 3 down); see FloatLinear.load."""
        if which == 0:
            return self.qkv.load(weight, bias, has_bias)
        if which == 1:
            return self.o.load(weight, bias, has_bias)
        if which == 2:
            return self.gate_up.load(weight, bias, has_bias)
        return self.down.load(weight, bias, has_bias)


def entry(name: str) -> zipfile.ZipInfo:
    # fixed timestamps: the same script gives the same bytes
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def save(module: torch.nn.Module, archive: str, out_path: str, digest: str, rewrites: Dict[str, str]) -> None:
    """Scripts and saves `module` as `out_path` (top folder `archive`), without source maps, with each key of
    `rewrites` (which must occur exactly once) replaced in the saved source, and the generator's digest added."""
    with tempfile.TemporaryDirectory() as tmp:
        scripted = os.path.join(tmp, archive + ".pt")
        torch.jit.save(torch.jit.script(module), scripted)
        with zipfile.ZipFile(scripted) as source, zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename.endswith(".debug_pkl"):
                    continue
                if info.filename.endswith("code/__torch__.py"):
                    text = data.decode("utf-8")
                    for old, new in rewrites.items():
                        if text.count(old) != 1:
                            raise SystemExit(f"expected one '{old}' in the scripted source:\n{text}")
                        text = text.replace(old, new)
                    data = text.encode("utf-8")
                target.writestr(entry(info.filename), data)
            target.writestr(entry(archive + "/extra/generator.sha256"), digest)
    print(f"wrote {out_path} (generator sha256 {digest})")


def main(out_dir: str) -> None:
    with open(__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    save(Int8DynamicLinear(), "int8_linear", os.path.join(out_dir, "int8_linear.pt"), digest,
         {PLACEHOLDER: REPLACEMENT, SINGLE_PLACEHOLDER: SINGLE_REPLACEMENT})
    save(RaggedAttention(), "ragged_attention", os.path.join(out_dir, "ragged_attention.pt"), digest, {})
    save(Int8LlamaLayer(), "int8_llama_layer", os.path.join(out_dir, "int8_llama_layer.pt"), digest,
         {PLACEHOLDER: REPLACEMENT, SINGLE_PLACEHOLDER: SINGLE_REPLACEMENT})
    save(FloatLlamaLayer(), "float_llama_layer", os.path.join(out_dir, "float_llama_layer.pt"), digest, {})


if __name__ == "__main__":
    main(sys.argv[1])
