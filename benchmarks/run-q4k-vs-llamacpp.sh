#!/usr/bin/env bash
# GGUF Q4_K decoding, in one run: this SDK on a Q4_K file against a Q4_0 file of the same float weights (alternating
# rounds of one process, FilePairRatio), and llama.cpp on the SAME Q4_K file (../shared/bench/llamacpp's
# RunLlamaCpp), taking turns ROUNDS times; then the best rate of each and the paired ratio.
# Both files are written by assistant-core's test converter (GgufConvertMain): Q4_K needs rows of whole 256-input
# super-blocks, so on a shape whose hidden size is not a multiple of 256 (SmolLM's 576) only the MLP's down
# projection (1536 inputs) is Q4_K and the other matrices fall back to Q4_0 (llama.cpp's quantizer would pick Q5_0,
# which this SDK reads as Q8_0); on a shape whose widths are multiples of 256 every matrix is Q4_K.
# Usage: benchmarks/run-q4k-vs-llamacpp.sh [SHAPE=smollm-135m-shape] [THREADS="1 2"] [ROUNDS=2]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shape=${1:-smollm-135m-shape}
threads=${2:-"1 2"}
rounds=${3:-2}
shared_bench=${SHARED_BENCH:-$root/../shared/bench/llamacpp}
jar=$root/benchmarks/target/benchmarks.jar
tests=$root/assistant-core/target/test-classes
[ -f "$jar" ] && [ -f "$tests/dev/assistant/core/gguf/GgufConvertMain.class" ] ||
  (cd "$root" && ./mvnw -q -B -o -DskipTests package -pl benchmarks -am >&2)
java_run() { java -Xmx4g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$jar:$tests" "$@" 2>/dev/null; }
cache=${ASSISTANT_CACHE_DIR:-$HOME/.cache/assistant-sdk}
if ! ls -d "$cache"/models/"$shape"-seed42-v* >/dev/null 2>&1; then
  java_run dev.assistant.bench.engine.Q4Ratio "shape:$shape" - 1 4 1 >/dev/null # generates the model
fi
dir=$(cd "$(ls -d "$cache"/models/"$shape"-seed42-v* | tail -1)" && pwd)
work=${LLAMACPP_BENCH_DIR:-/tmp/llamacpp-bench}
mkdir -p "$work"
key=$(echo "$dir" | md5sum | cut -c1-12)
q4k="$work/$key-Q4_K.gguf"
q40="$work/$key-Q4_0-ours.gguf"
[ -f "$q4k" ] && [ "$q4k" -nt "$dir/config.json" ] || java_run dev.assistant.core.gguf.GgufConvertMain "$dir" "$q4k" Q4_K Q4_0
[ -f "$q40" ] && [ "$q40" -nt "$dir/config.json" ] || java_run dev.assistant.core.gguf.GgufConvertMain "$dir" "$q40" Q4_0
llama_jar=$HOME/.m2/repository/de/kherud/llama/4.2.0/llama-4.2.0.jar
[ -f "$work/RunLlamaCpp.class" ] && [ "$work/RunLlamaCpp.class" -nt "$shared_bench/RunLlamaCpp.java" ] ||
  javac -d "$work" -cp "$llama_jar" "$shared_bench/RunLlamaCpp.java"
out=$(mktemp)
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; model $dir; files $q4k $q40" | tee -a "$out"
for round in $(seq "$rounds"); do
  for t in $threads; do
    java_run dev.assistant.bench.engine.FilePairRatio q4_0 "$q40" q4_k "$q4k" "$t" 128 3 | sed "s/^{/{\"turn\":$round,/" | tee -a "$out"
    java -cp "$work:$llama_jar" RunLlamaCpp "$q4k" 128 "$t" 3 2>/dev/null | sed "s/^{/{\"turn\":$round,/" | tee -a "$out"
  done
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
    med = [p["b_over_a_median"] for p in pairs if p["threads"] == t]
    print(f"{t} thread(s): Q4_K file {best(ours, file='q4_k', threads=t):.1f} tok/s, Q4_0 file "
          f"{best(ours, file='q4_0', threads=t):.1f}, llama.cpp on the Q4_K file {best(llama, threads=t):.1f}; "
          f"q4_k/q4_0 paired medians {', '.join(f'{m:.2f}' for m in med)}")
k, z, l = best(ours, file="q4_k"), best(ours, file="q4_0"), best(llama)
print(f"best thread count of each: Q4_K {k:.1f} tok/s, Q4_0 {z:.1f}, llama.cpp Q4_K {l:.1f}: "
      f"q4_k/q4_0 {k/z:.2f}x, ours/llama.cpp on the Q4_K file {k/l:.2f}x")
print(f"weight bytes: Q4_K file {size['q4_k']/1e6:.1f} MB, Q4_0 file {size['q4_0']/1e6:.1f} MB")
PY
