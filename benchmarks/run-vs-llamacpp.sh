#!/usr/bin/env bash
# Side by side, in one run: this SDK (FP32 and INT8, 1 and 2 threads) and llama.cpp (F32 and Q8_0, 1 and 2 threads)
# decoding 128 tokens on the SAME generated weights, then the ratios. Where gcc and AVX-512 VNNI are available it also
# runs ceiling/decode_ceiling.c: the weight products of a decode step alone, on hand-written kernels, i.e. how fast
# FP32 and INT8 decoding could be on this machine with no other work.
# Usage: benchmarks/run-vs-llamacpp.sh [SHAPES="smollm-135m-shape tinyllama-1.1b-shape"] [THREADS="1 2"] [ROUNDS=2]
# Needs ../shared/bench/llamacpp (and python3-numpy for its converter).
#
# Shared machines drift by tens of percent within minutes, so nothing is compared across a long gap:
# - INT8/FP32 comes from DecodeRatio: both models in one process, decoded in alternating rounds; the figure is the
#   median of the ratios of adjacent rounds (same engine, same run, same minute).
# - Against llama.cpp, the engines take turns: ROUNDS times, this SDK then llama.cpp, for every thread count; the
#   figure is best against best (the best thread count of each), as the issue and shared/bench/README.md ask.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shapes=${1:-"smollm-135m-shape tinyllama-1.1b-shape"}
threads=${2:-"1 2"}
rounds=${3:-2}
llamacpp=${LLAMACPP_RUN:-$root/../shared/bench/llamacpp/run.sh}
jar=$root/benchmarks/target/benchmarks.jar
[ -f "$jar" ] || (cd "$root" && ./mvnw -q -B -DskipTests install -pl benchmarks -am >&2)
cache=${ASSISTANT_CACHE_DIR:-$HOME/.cache/assistant-sdk}
out=$(mktemp)
ceiling=""
if command -v gcc >/dev/null && grep -q avx512_vnni /proc/cpuinfo; then
  ceiling=$(mktemp -d)/decode_ceiling
  gcc -O3 -march=native -fopenmp "$root/benchmarks/ceiling/decode_ceiling.c" -o "$ceiling" -lm
fi
for shape in $shapes; do
  for round in $(seq "$rounds"); do
    for t in $threads; do
      java -Xmx16g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$jar" dev.assistant.bench.engine.DecodeRatio "shape:$shape" "$t" 128 2 \
        2>/dev/null | sed "s/^{/{\"shape\":\"$shape\",\"turn\":$round,/" | tee -a "$out"
    done
    dir=$(ls -d "$cache"/models/"$shape"-seed42-v* | tail -1)
    bash "$llamacpp" "$dir" "F32 Q8_0" "$threads" 128 | sed "s/^{/{\"shape\":\"$shape\",\"turn\":$round,/" | tee -a "$out"
  done
  if [ -n "$ceiling" ]; then
    args=$(python3 - "$dir/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
hidden, layers, ffn, vocab = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], c["vocab_size"]
heads = c["num_attention_heads"]
kv_heads = c.get("num_key_value_heads", heads)
# INT8 bytes of one step: q and o (hidden x hidden), k and v, gate, up and down, per layer; then the head
step_bytes = layers * hidden * (2 * hidden + 2 * hidden * kv_heads // heads + 3 * ffn) + hidden * vocab
steps = max(3, int(2e9 / step_bytes))  # about 2 GB of INT8 weights per timed round
print(hidden, layers, heads, kv_heads, ffn, vocab, steps)
PY
)
    read -r hidden layers heads kv_heads ffn vocab steps <<< "$args"
    for t in $threads; do
      "$ceiling" "$hidden" "$layers" "$heads" "$kv_heads" "$ffn" "$vocab" "$t" "$steps" | sed "s/^{/{\"shape\":\"$shape\",/" | tee -a "$out"
    done
  fi
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def best(shape, engine, kind):
    vals = [r["decode_tok_s"] for r in rows if r["shape"] == shape and r["engine"] == engine
            and (r.get("dtype") == kind or r.get("qtype") == kind)]
    return max(vals) if vals else float("nan")
def paired(shape, threads):
    """INT8 / FP32 of adjacent rounds of DecodeRatio (an FP32 round and the INT8 round right after it)."""
    ours = [r for r in rows if r["shape"] == shape and r["engine"] == "assistant" and r["threads"] == threads]
    return [b["decode_tok_s"] / a["decode_tok_s"] for a, b in zip(ours, ours[1:])
            if a["dtype"] == "f32" and b["dtype"] == "int8" and a["turn"] == b["turn"] and a["round"] == b["round"]]
for shape in sorted({r["shape"] for r in rows}):
    f32, i8 = best(shape, "assistant", "f32"), best(shape, "assistant", "int8")
    lf32, lq8 = best(shape, "llama.cpp", "F32"), best(shape, "llama.cpp", "Q8_0")
    for t in sorted({r["threads"] for r in rows if r["shape"] == shape and r["engine"] == "assistant"}):
        ratios = paired(shape, t)
        if ratios:
            print(f"{shape}: {t} thread(s): int8/f32 {statistics.median(ratios):.2f}x, median of {len(ratios)} "
                  f"adjacent pairs (min {min(ratios):.2f}, max {max(ratios):.2f})")
    print(f"{shape}: best of all rounds: assistant f32 {f32:.1f} tok/s, int8 {i8:.1f} tok/s; llama.cpp F32 {lf32:.1f}, "
          f"Q8_0 {lq8:.1f}; int8/Q8_0 {i8/lq8:.2f}, f32/F32 {f32/lf32:.2f}")
    ceil = [r for r in rows if r["shape"] == shape and r["engine"] == "ceiling"]
    if ceil:
        cf32, ci8 = max(r["f32_tok_s"] for r in ceil), max(r["int8_tok_s"] for r in ceil)
        print(f"{shape}: ceiling (weight products only) f32 {cf32:.1f} tok/s, int8 {ci8:.1f} tok/s "
              f"(int8/f32 {ci8/cf32:.2f}x); assistant at {f32/cf32:.0%} of it for f32, {i8/ci8:.0%} for int8")
PY
