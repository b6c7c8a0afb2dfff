#!/usr/bin/env bash
# Builds libassistant_layers.so (the native Llama layers: the model, kernels and thread pool in plain C, and their
# JNI glue llama_jni.c) into the given resource directory.
# Called by Maven (assistant-engine-native's pom) with JAVA_HOME's JNI headers. Without a C compiler or on another
# platform it builds nothing and says so: the native engine then reports itself unavailable and the PyTorch engine
# (if present) runs Llama.
# Usage: build.sh OUTPUT_DIR JAVA_HOME
set -euo pipefail
out="$1/dev/assistant/engine/cpu/native/linux-x86_64" # BundledLibrary's resource path
java_home="$2"
dir="$(dirname "$0")"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "[native] not Linux x86-64: native layers not built (libtorch runs the layers)"
  exit 0
fi
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[native] WARNING: no C compiler ($cc): native layers not built (libtorch runs the layers; apt install gcc)"
  exit 0
fi
mkdir -p "$out"
# -O3 for the vector loops; no -ffast-math: the float operations must stay in the written order (determinism).
"$cc" -O3 -std=gnu11 -fPIC -shared -fvisibility=hidden -fno-math-errno -Wall -Wextra -Werror -Wno-unused-parameter -Wno-psabi -Wno-missing-field-initializers \
  -I"$java_home/include" -I"$java_home/include/linux" -o "$out/libassistant_layers.so" "$dir"/*.c -lm -lpthread
echo "[native] built $out/libassistant_layers.so"
