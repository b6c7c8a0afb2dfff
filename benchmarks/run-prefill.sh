#!/usr/bin/env bash
# Prefill speed of a long prompt, in one process per thread count: the native engine with FP32 and INT8 weights and
# the libtorch path (the pytorch engine, FP32) on the SAME generated weights, measured in rounds that visit each in
# turn (PrefillRatio); prints every measurement, then per thread count each side's median tok/s and the medians of
# the per-round ratios native / libtorch. A shared machine drifts by tens of percent within minutes: only the ratios
# of one round compare; the load average is printed before and after.
# Usage: benchmarks/run-prefill.sh [SHAPE=smollm-135m-shape] [THREADS="1 2"] [PROMPT=512] [ROUNDS=5] [KV_CACHE=f32]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shape=${1:-smollm-135m-shape}
threads=${2:-"1 2"}
prompt=${3:-512}
rounds=${4:-5}
kv=${5:-f32}
jar=$root/benchmarks/target/benchmarks.jar
[ -f "$jar" ] || (cd "$root" && ./mvnw -q -B -o -DskipTests package -pl benchmarks -am >&2)
echo "load before: $(uptime)"
for t in $threads; do
  java -Xmx16g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$jar" \
    dev.assistant.bench.engine.PrefillRatio "shape:$shape" "$t" "$prompt" "$rounds" "$kv" 2>/dev/null
done
echo "load after: $(uptime)"
