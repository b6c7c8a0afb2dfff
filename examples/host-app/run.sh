#!/usr/bin/env bash
# Builds this host application against the installed SDK artifacts, checks the closure of assistant-core against
# its bounds and prints the figures, then runs the application with plain `java -cp` on the shared stories260K
# model and compares its output with the golden continuation. Run after the SDK was installed (.ci/run deploys,
# which installs). Usage: examples/host-app/run.sh [MAVEN OPTIONS...]
set -euo pipefail
app="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$app/../.." && pwd)"
"$repo/mvnw" -B -q -f "$app/pom.xml" "$@" clean package

# The closure of assistant-core: the host's runtime class path minus the host's own choices (its logging binding).
lib="$app/target/lib"
closure=()
for jar in "$lib"/*.jar; do
  case "$(basename "$jar")" in slf4j-simple-*) ;; *) closure+=("$jar") ;; esac
done
banned="$(printf '%s\n' "${closure[@]##*/}" \
  | grep -Ei '^(kms|sdk-core|aws-|apache5-client|netty-|lettuce-|reactor-|httpclient5|httpcore5|bucket4j_jdk17-lettuce)' || true)"
if [ -n "$banned" ]; then
  echo "host-app: heavy backends in the closure of assistant-core:" $banned >&2
  exit 1
fi
# Figures for assistant-core alone and with the engine this host adds; the bound holds for both.
figures() {   # label, jars...
  local label="$1" all=0 rest=0 size jar
  shift
  for jar in "$@"; do
    size=$(stat -c %s "$jar")
    all=$((all + size))
    case "$(basename "$jar")" in
      pytorch-native-*|tokenizers-*) ;;   # libtorch's and the tokenizer's natives (all platforms in one jar)
      *) rest=$((rest + size)) ;;
    esac
  done
  awk -v label="$label" -v n="$#" -v all="$all" -v rest="$rest" 'BEGIN {
    printf "host-app: %s: %d jars, %.1f MB; without libtorch'"'"'s and the tokenizer'"'"'s natives %.1f MB\n", label, n, all / 1e6, rest / 1e6 }'
  without_natives="$rest"
}
core_only=()
for jar in "${closure[@]}"; do
  case "$(basename "$jar")" in assistant-engine-*) ;; *) core_only+=("$jar") ;; esac
done
limit=$((15 * 1000 * 1000))
figures "closure of assistant-core" "${core_only[@]}"
figures "closure of assistant-core + assistant-engine-native" "${closure[@]}"
if [ "$without_natives" -gt "$limit" ]; then
  echo "host-app: the closure exceeds its bound of 15 MB without natives" >&2
  exit 1
fi
jackson="$(printf '%s\n' "${closure[@]##*/}" | sed -n 's/^jackson-[a-z0-9-]*-\(2\.[0-9]*\).*\.jar$/\1/p' | sort -u)"
if [ "$(echo "$jackson" | wc -l)" -ne 1 ]; then
  echo "host-app: several Jackson versions in the closure:" $jackson >&2
  exit 1
fi

# Run as a host does: plain java, no JVM flags.
model="$repo/../shared/models/stories260K"
expected="$(grep -o '"greedy_new_text": "[^"]*"' "$model/reference/golden.json" | head -1 | sed 's/^"greedy_new_text": "//; s/"$//')"
prompt="$(grep -o '"prompt": "[^"]*"' "$model/reference/golden.json" | head -1 | sed 's/^"prompt": "//; s/"$//')"
actual="$(cd /tmp && java -cp "$app/target/host-app-1.0.jar:$lib/*" example.host.HostApp "$model" "$prompt" 32)"
if [ "$actual" != "$expected" ]; then
  printf 'host-app: expected %q\n          got      %q\n' "$expected" "$actual" >&2
  exit 1
fi
echo "host-app: plain java -cp on stories260K reproduces the golden continuation"
