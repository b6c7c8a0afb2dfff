"""Writes the TorchScript module behind the SDK's fbgemm INT8 linear layers.

Usage (Debian: apt-get install python3-torch; use /usr/bin/python3, the one that package serves):
    /usr/bin/python3 assistant-core/src/main/python/make_int8_linear.py \
        assistant-core/src/main/resources/dev/assistant/core/engine/djl/int8_linear.pt

Why a TorchScript file: libtorch's INT8 GEMM (fbgemm: uint8 activations x int8 weights packed once, AVX2 or
AVX-512 VNNI kernels) is reachable from Java only through a scripted module; DJL exposes no quantized operators.
The module holds no weights of any model: the SDK loads one copy per linear layer and packs that layer's INT8
weights into it at run time with `load`.

Why not plain `quantized::linear_dynamic`: it quantizes its whole input with ONE uint8 range, so a row's result
would depend on the other rows of the batch (another request's outliers would change your answer) and 8 bits
lose accuracy. Each row is therefore scaled to max |x| = 1 and quantized on one fixed grid over [-1, 1]
(`quantized::linear_with_input_q_dq_qweight_dq_output_fp32` takes the grid as arguments and returns float32):
per-row quantization whose results do not depend on the batch. The rounding residual of each row (at most half a
step, so scaled by 2/step it spans the same grid) is quantized the same way and sent through the same GEMM as a
second row, which gives about 16 bits of activation precision for one extra row of compute (decoding is bound by
reading the weights, not by compute). Measured: 8 bits per row alone failed the accuracy tests (argmax 6/8 on
stories260K); with the residual, perplexity is within +0.15% of FP32.

Debian's torch 1.13 predates that operator, so the module is scripted with `linear_dynamic` in its place and the
call is rewritten in the saved TorchScript source (compiled by libtorch when the SDK loads the file); the source
maps (`*.debug_pkl`), which would point at the wrong text, are left out.

The script's own SHA-256 is stored in the file (extra file `generator.sha256`) so a test can tell that the
checked-in module was made by the current version of this script.
"""
import hashlib
import os
import sys
import tempfile
import zipfile

import torch
from torch import Tensor


# The archive's top folder: torch.jit.save names it after the file.
ARCHIVE = "int8_linear"


class Int8DynamicLinear(torch.nn.Module):
    """y = x @ dequant(W).T + b, with W symmetric INT8 per output channel (fbgemm)."""

    def __init__(self):
        super().__init__()
        placeholder = torch.quantize_per_tensor(torch.zeros(1, 1), 1.0, 0, torch.qint8)
        self.packed = torch.ops.quantized.linear_prepack(placeholder, None)
        self.bias = torch.zeros(1)
        self.step = 2.0 / 127.0
        self.zero_point = 64

    @torch.jit.export
    def load(self, values: Tensor, scales: Tensor, bias: Tensor, reduce_range: bool) -> int:
        """Packs W (int8 [out, in]) with float scales [out] and float bias [out]; returns the number of outputs."""
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
        return out

    def forward(self, x: Tensor) -> Tensor:
        rows = x.size(0)
        magnitude = torch.linalg.vector_norm(x, float("inf"), [1], True).clamp_min(1e-30)
        normalized = x / magnitude
        grid = torch.quantize_per_tensor(normalized, self.step, self.zero_point, torch.quint8).dequantize()
        # the rounding residual lies in [-step/2, step/2]: scaled by 2/step it spans the same [-1, 1] grid
        residual = (normalized - grid) * (2.0 / self.step)
        stacked = torch.cat([normalized, residual], 0)
        products = torch.ops.quantized.linear_dynamic(stacked, self.packed, True)  # rewritten, see PLACEHOLDER
        scaled = products * torch.cat([magnitude, magnitude * (self.step / 2.0)], 0)
        return scaled[:rows] + scaled[rows:] + self.bias


# The placeholder call as torch 1.13 writes it into the saved source, and what replaces it.
PLACEHOLDER = "ops.quantized.linear_dynamic(stacked, packed, True)"
REPLACEMENT = ("ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32("
               "stacked, self.step, self.zero_point, packed)")


def rewrite(scripted_path: str, out_path: str, digest: str) -> None:
    """Copies the TorchScript archive with the placeholder call replaced and without source maps."""
    with zipfile.ZipFile(scripted_path) as source, zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith(".debug_pkl"):
                continue
            if info.filename.endswith("code/__torch__.py"):
                text = data.decode("utf-8")
                if text.count(PLACEHOLDER) != 1:
                    raise SystemExit(f"expected one '{PLACEHOLDER}' in the scripted source:\n{text}")
                data = text.replace(PLACEHOLDER, REPLACEMENT).encode("utf-8")
            # fixed timestamps: the same script gives the same bytes
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data)
        target.writestr(zipfile.ZipInfo(ARCHIVE + "/extra/generator.sha256", date_time=(1980, 1, 1, 0, 0, 0)), digest)


def main(out_path: str) -> None:
    with open(__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    module = torch.jit.script(Int8DynamicLinear())
    with tempfile.TemporaryDirectory() as tmp:
        scripted = os.path.join(tmp, ARCHIVE + ".pt")
        torch.jit.save(module, scripted)
        rewrite(scripted, out_path, digest)
    print(f"wrote {out_path} (generator sha256 {digest})")


if __name__ == "__main__":
    main(sys.argv[1])
