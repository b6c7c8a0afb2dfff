#!/usr/bin/env bash
# Builds the native tests (src/test/c/*.c) with the model's plain-C sources (src/main/c, without the JNI glue) and
# runs them against the shared test models: no JVM involved. Called by Maven at the test phase (assistant-engine-native's
# pom). Without gcc or the shared models the tests are skipped with a message, except under CI=true, where that fails
# the build. Where gcc can, the tests run with AddressSanitizer and UndefinedBehaviorSanitizer, so a malformed call
# that reached past a buffer would fail them too; then they run again built as the library is, without them.
# Usage: run-tests.sh BUILD_DIR MODELS_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sources="$here/../../main/c"
build="$1"
models="$2"
skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "[native-test] FAILED: $1 (CI=true: the native tests must run)"
    exit 1
  fi
  echo "[native-test] WARNING: native tests skipped: $1"
  exit 0
}
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || skip "not Linux x86-64"
cc="${CC:-gcc}"
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc; apt install gcc)"
[ -f "$models/stories260K/model.safetensors" ] || skip "no stories260K under $models"
mkdir -p "$build"
sanitize=""
if echo 'int main(void) { return 0; }' | "$cc" -x c -fsanitize=address,undefined -o "$build/probe" - 2>/dev/null; then
  sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
# the library's flags (build.sh), so the kernels tested are the kernels shipped
# shellcheck disable=SC2086
"$cc" -O3 -g -std=gnu11 -fno-math-errno -Wall -Wextra -Werror -Wno-unused-parameter -Wno-psabi \
  -Wno-missing-field-initializers $sanitize -I"$sources" -o "$build/llama_model_test" \
  "$sources/kernels.c" "$sources/block_linear.c" "$sources/llama_model.c" "$sources/thread_pool.c" "$here"/*.c -lm -lpthread
echo "[native-test] built $build/llama_model_test${sanitize:+ (with sanitizers)}"
"$build/llama_model_test" "$models"
if [ -n "$sanitize" ]; then
  # again exactly as the library is built, without the sanitizers' instrumentation: the compiler's choices (where it
  # fuses a multiply and an add into one FMA, for one) can differ between the two builds, and the library ships the
  # plain one (a bias add fused in some inlined copies only made outputs depend on the batch, unseen under ASan)
  # shellcheck disable=SC2086
  "$cc" -O3 -std=gnu11 -fno-math-errno -Wall -Wextra -Werror -Wno-unused-parameter -Wno-psabi \
    -Wno-missing-field-initializers -I"$sources" -o "$build/llama_model_test_plain" \
    "$sources/kernels.c" "$sources/block_linear.c" "$sources/llama_model.c" "$sources/thread_pool.c" "$here"/*.c \
    -lm -lpthread
  echo "[native-test] built $build/llama_model_test_plain (as the library is built)"
  "$build/llama_model_test_plain" "$models"
fi
