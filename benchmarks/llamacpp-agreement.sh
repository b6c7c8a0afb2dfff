#!/usr/bin/env bash
# The yardstick for "INT8 keeps the answers": how often llama.cpp's Q8_0 keeps its own F32 greedy answers on a
# reference model's golden prompts (first token, and tokens agreeing before the first difference), to set beside
# Int8AccuracyTest's figures for this SDK's INT8 against its FP32.
# Usage: benchmarks/llamacpp-agreement.sh [MODEL_DIR=../shared/models/stories260K]  (Llama-family models only)
# Needs ../shared/bench/llamacpp (its GGUF converter, and python3-numpy) and Maven Central for de.kherud:llama.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=$(cd "${1:-$root/../shared/models/stories260K}" && pwd)
shared_bench=${LLAMACPP_BENCH:-$root/../shared/bench/llamacpp}
work=${LLAMACPP_BENCH_DIR:-/tmp/llamacpp-bench}/agreement; mkdir -p "$work"
jar=$HOME/.m2/repository/de/kherud/llama/4.2.0/llama-4.2.0.jar
[ -f "$jar" ] || mvn -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dartifact=de.kherud:llama:4.2.0 >&2
javac -d "$work" -cp "$jar" "$root/benchmarks/llamacpp/GreedyAgreement.java"
py=python3; $py -c 'import numpy' 2>/dev/null || py=/usr/bin/python3
name=$(basename "$model")
for q in F32 Q8_0; do
  [ -f "$work/$name-$q.gguf" ] || $py "$shared_bench/hf2gguf.py" "$model" "$work/$name-$q.gguf" "$q" >&2
done
$py - "$model/reference/golden.json" > "$work/$name-cases.tsv" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    print("\t".join([str(c["index"]), c["prompt"].replace("\n", " "), c["greedy_new_text"].replace("\n", "\\n")]))
PY
java -cp "$work:$jar" GreedyAgreement "$work/$name-F32.gguf" "$work/$name-Q8_0.gguf" "$work/$name-cases.tsv" 2>/dev/null
