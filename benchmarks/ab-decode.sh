#!/usr/bin/env bash
# Decode speed of two builds of this SDK, paired in one process (ab/PairedBuilds.java): each build in a class loader
# of its own with its own copy of the native library, alternating rounds (A B, then B A) a few seconds apart, one
# ratio B / A per round; prints every round and the median ratio with its spread. Used to show that a change to the
# native layers costs no decode speed (shared machines drift by tens of percent over minutes: only pairs compare).
# Usage: benchmarks/ab-decode.sh A_DIR B_DIR [MODEL=shape:smollm-135m-shape] [DTYPES="f32 int8"] [THREADS=1]
#        [ROUNDS=8] [TOKENS=64]
#   A_DIR, B_DIR: copies of benchmarks/target (benchmarks.jar and lib/) of each build, after
#   `./mvnw -DskipTests package -pl benchmarks -am` there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
model=${3:-shape:smollm-135m-shape}
dtypes=${4:-"f32 int8"}
threads=${5:-1}
rounds=${6:-8}
tokens=${7:-64}
work=$(mktemp -d)
for side in "$a" "$b"; do
  rm -rf "$side/ab-classes"
  javac -d "$side/ab-classes" -cp "$side/benchmarks.jar:$(ls "$side"/lib/*.jar | tr '\n' ':')" "$here/ab/DecodeSide.java"
done
javac -d "$work" "$here/ab/PairedBuilds.java"
# the parent class loader: the driver and the third-party jars, never the assistant ones (each side has its own)
shared=$(ls "$a"/lib/*.jar | grep -v '/assistant-' | tr '\n' ':')
for dtype in $dtypes; do
  java -Xmx8g --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp "$work:$shared" PairedBuilds \
    "$a" "$b" "$model" "$dtype" "$threads" "$rounds" "$tokens" 2>/dev/null
done
rm -rf "$work"
