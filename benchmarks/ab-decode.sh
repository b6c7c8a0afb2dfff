#!/usr/bin/env bash
# Decode speed of two builds of this SDK, paired in one process (ab/PairedBuilds.java): each build in a class loader
# of its own with its own copy of the native library, alternating rounds (A B, then B A) a few seconds apart, one
# ratio B / A per round, by wall time and by the decoding thread's CPU time. PROCESSES such processes per dtype, in
# turn loading A or B first (the first-loaded side's speed differs by a few percent, even for one build against
# itself); prints every round, then per dtype the median B / A over all rounds and the per-process medians. Used to
# show that a change to the native layers costs no decode speed (a shared machine drifts by tens of percent over
# minutes: only pairs compare).
# Usage: benchmarks/ab-decode.sh A_DIR B_DIR [MODEL=shape:smollm-135m-shape] [DTYPES="f32 int8"] [THREADS=1]
#        [ROUNDS=6] [TOKENS=32] [PROCESSES=4]
#   A_DIR, B_DIR: copies of benchmarks/target (benchmarks.jar and lib/) of each build, after
#   `./mvnw -DskipTests package -pl benchmarks -am` there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
model=${3:-shape:smollm-135m-shape}
dtypes=${4:-"f32 int8"}
threads=${5:-1}
rounds=${6:-6}
tokens=${7:-32}
processes=${8:-4}
work=$(mktemp -d)
for side in "$a" "$b"; do
  rm -rf "$side/ab-classes"
  javac -d "$side/ab-classes" -cp "$side/benchmarks.jar:$(ls "$side"/lib/*.jar | tr '\n' ':')" "$here/ab/DecodeSide.java"
done
javac -d "$work" "$here/ab/PairedBuilds.java"
# the parent class loader: the driver and the third-party jars, never the assistant ones (each side has its own)
shared=$(ls "$a"/lib/*.jar | grep -v '/assistant-' | tr '\n' ':')
out="$work/rounds.jsonl"
for dtype in $dtypes; do
  for p in $(seq "$processes"); do
    order=ab
    [ $((p % 2)) -eq 0 ] && order=ba
    java -Xmx8g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$work:$shared" PairedBuilds \
      "$a" "$b" "$model" "$dtype" "$threads" "$rounds" "$tokens" "$order" 2>/dev/null | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for dtype in sorted({r["dtype"] for r in rows}):
    mine = [r for r in rows if r["dtype"] == dtype]
    for key in ("cpu_ratio", "wall_ratio"):
        values = sorted(r[key] for r in mine)
        q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        print(f"{dtype} {key.split('_')[0]}: B/A median {statistics.median(values):.4f} over {len(values)} pairs "
              f"(middle half {q[0]:.4f}-{q[2]:.4f}, min {values[0]:.4f}, max {values[-1]:.4f})")
PY
rm -rf "$work"
