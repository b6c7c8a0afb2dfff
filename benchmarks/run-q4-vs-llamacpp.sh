#!/usr/bin/env bash
# 4-bit decoding, in one run: this SDK's Q4 (the GGUF Q4_0 file below, loaded natively as stored) against its INT8
# (dtype int8 on the same float weights) in alternating rounds of one process (Q4Ratio), and llama.cpp on the SAME
# Q4_0 file (../shared/bench/llamacpp/run.sh), taking turns ROUNDS times; then the ratios, weight bytes as a share of
# FP32's, and the best thread count of each.
# Usage: benchmarks/run-q4-vs-llamacpp.sh [SHAPE=smollm-135m-shape] [THREADS="1 2"] [ROUNDS=2]
# Needs ../shared/bench/llamacpp (java 17, python3 with numpy). Accuracy (perplexity, top-1 agreement) is checked by
# Q4AccuracyTest and GgufBlocksTest in assistant-engine-native.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shape=${1:-smollm-135m-shape}
threads=${2:-"1 2"}
rounds=${3:-2}
shared_bench=${SHARED_BENCH:-$root/../shared/bench/llamacpp}
jar=$root/benchmarks/target/benchmarks.jar
[ -f "$jar" ] || (cd "$root" && ./mvnw -q -B -o -DskipTests package -pl benchmarks -am >&2)
java_run() { java -Xmx4g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$jar" "$@" 2>/dev/null; }
cache=${ASSISTANT_CACHE_DIR:-$HOME/.cache/assistant-sdk}
if ! ls -d "$cache"/models/"$shape"-seed42-v* >/dev/null 2>&1; then
  java_run dev.assistant.bench.engine.Q4Ratio "shape:$shape" - 1 4 1 >/dev/null # generates the model
fi
dir=$(cd "$(ls -d "$cache"/models/"$shape"-seed42-v* | tail -1)" && pwd)
# the file run.sh converts to and runs (same path rule as run.sh), written here first so both engines read it
export LLAMACPP_BENCH_DIR=${LLAMACPP_BENCH_DIR:-/tmp/llamacpp-bench}
mkdir -p "$LLAMACPP_BENCH_DIR"
gguf="$LLAMACPP_BENCH_DIR/$(echo "$dir" | md5sum | cut -c1-12)-Q4_0.gguf"
py=python3; $py -c 'import numpy' 2>/dev/null || py=/usr/bin/python3
[ -f "$gguf" ] && [ "$gguf" -nt "$dir/config.json" ] || $py "$shared_bench/hf2gguf.py" "$dir" "$gguf" Q4_0 >&2
out=$(mktemp)
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; model $dir; file $gguf" | tee -a "$out"
for round in $(seq "$rounds"); do
  for t in $threads; do
    java_run dev.assistant.bench.engine.Q4Ratio "$dir" "$gguf" "$t" 128 3 | sed "s/^{/{\"turn\":$round,/" | tee -a "$out"
  done
  bash "$shared_bench/run.sh" "$dir" "Q4_0" "$threads" 128 | sed "s/^{/{\"turn\":$round,/" | tee -a "$out"
done
echo "# done $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = [r for r in rows if r.get("engine") == "assistant"]
llama = [r for r in rows if r.get("engine") == "llama.cpp"]
pairs = [r for r in rows if r.get("engine") == "assistant-pairs"]
size = [r for r in rows if r.get("engine") == "assistant-bytes"][-1]
def best(rs, **kw):
    vals = [r["decode_tok_s"] for r in rs if all(r.get(k) == v for k, v in kw.items())]
    return max(vals) if vals else float("nan")
for t in sorted({r["threads"] for r in ours}):
    ratios = [q["decode_tok_s"] / i["decode_tok_s"] for i, q in zip(ours, ours[1:])
              if i["dtype"] == "int8" and q["dtype"] == "q4" and i["threads"] == t and q["threads"] == t
              and i["turn"] == q["turn"] and i["round"] == q["round"]]
    print(f"{t} thread(s): q4 {best(ours, dtype='q4', threads=t):.1f} tok/s, int8 {best(ours, dtype='int8', threads=t):.1f}, "
          f"llama.cpp Q4_0 {best(llama, threads=t):.1f}; q4/int8 median {statistics.median(ratios):.2f}x of "
          f"{len(ratios)} adjacent pairs (min {min(ratios):.2f}, max {max(ratios):.2f})")
q4, i8, lq4 = best(ours, dtype="q4"), best(ours, dtype="int8"), best(llama)
print(f"best thread count of each: q4 {q4:.1f} tok/s, int8 {i8:.1f}, llama.cpp Q4_0 {lq4:.1f}: "
      f"q4/int8 {q4/i8:.2f}x, q4/llama.cpp Q4_0 {q4/lq4:.2f}x")
print(f"weight bytes: q4 {size['q4']/1e6:.1f} MB = {size['q4_percent_of_f32']:.1f}% of FP32 ({size['f32']/1e6:.1f} MB); "
      f"int8 {size['int8']/1e6:.1f} MB = {size['int8_percent_of_f32']:.1f}%")
PY
