#!/usr/bin/env bash
# Aggregate tokens/s of 1, 2, 4 and 8 concurrent streaming HTTP clients against the real server (`assistant serve`,
# SmolLM-135M-shaped demo model, INT8 weights), and each level's speed-up over one stream.
#
# Usage: benchmarks/serving-scale.sh [ROUNDS=3] [STREAMS="1 2 4 8"]
#   CLI_JARS="label=path/to/assistant-cli.jar ..."  servers to compare (default: this checkout's, built if missing);
#                                                   each is started afresh per round, in turn, so they share minutes
#   SERVE_ARGS="--threads 2"                        extra arguments of `serve` (e.g. --workers 8)
#   TOKENS=64 REQUESTS=2                            new tokens per request, requests per client per round
#   WARM_UP_ROUNDS=0                                whole rounds of every level run and discarded first on each
#                                                   fresh server (its JIT is still compiling in the first ones, and
#                                                   the level measured first, one stream, pays more of that)
#   TEMPERATURE=                                    unset: the server's default (OpenAI's 1.0), 0 = greedy
#   CLIENT=jdk                                      jdk (HttpClient, every event parsed) or plain (HttpURLConnection,
#                                                   only the usage event parsed: less client CPU on the shared cores)
# Prints one JSON line per (server, round, level), then a table: median tok/s and the median of the per-round
# ratios to one stream. Servers listen on a free loopback port and are stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
streams=${2:-"1 2 4 8"}
tokens=${TOKENS:-64}
requests=${REQUESTS:-2}
serve_args=${SERVE_ARGS:-"--threads 2"}
bench=$root/benchmarks/target/benchmarks.jar
cli=$root/assistant-cli/target/assistant-cli.jar
if [ ! -f "$bench" ] || [ ! -f "$cli" ]; then
  # package, not install: nothing of this checkout goes into the shared local Maven repository
  (cd "$root" && ./mvnw -q -B -DskipTests -Dassembly.skipAssembly=true -Dmaven.javadoc.skip=true \
      -Dmaven.source.skip=true package -pl assistant-cli,benchmarks -am >&2)
fi
jars=${CLI_JARS:-"this=$cli"}
out=$(mktemp)
log=$(mktemp)
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap 'stop_server; rm -f "$log"' EXIT
echo "load before: $(uptime)" >&2
for round in $(seq "$rounds"); do
  for entry in $jars; do
    label=${entry%%=*}
    jar=${entry#*=}
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # shellcheck disable=SC2086
    java -Xmx4g -Dai.djl.offline=true --add-modules jdk.incubator.vector -jar "$jar" serve --dtype int8 \
        --host 127.0.0.1 --port "$port" $serve_args >"$log" 2>&1 &
    server=$!
    for _ in $(seq 600); do
      curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
      sleep 0.5
    done
    java -cp "$bench:$root/benchmarks/target/lib/*" dev.assistant.bench.serving.HttpStreamsBenchmark \
        --url "http://127.0.0.1:$port" --label "$label" --streams "$streams" --tokens "$tokens" \
        --requests "$requests" --rounds 1 --warm-up-rounds "${WARM_UP_ROUNDS:-0}" \
        ${TEMPERATURE:+--temperature "$TEMPERATURE"} --client "${CLIENT:-jdk}" \
      | sed "s/\"round\":1/\"round\":$round/" | tee -a "$out"
    stop_server
  done
done
echo "load after: $(uptime)" >&2
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
labels = list(dict.fromkeys(r["label"] for r in rows))
levels = sorted({r["streams"] for r in rows})
def rate(label, n, rnd):
    return next(r["tok_s"] for r in rows if r["label"] == label and r["streams"] == n and r["round"] == rnd)
rounds = sorted({r["round"] for r in rows})
print("| streams | " + " | ".join(f"{l} tok/s | {l} speed-up" for l in labels) + " |")
print("|---|" + "---|---|" * len(labels))
for n in levels:
    cells = []
    for l in labels:
        rates = [rate(l, n, k) for k in rounds]
        ratios = [rate(l, n, k) / rate(l, levels[0], k) for k in rounds]
        cells.append(f"{statistics.median(rates):.1f} | {statistics.median(ratios):.2f}x "
                     f"({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"| {n} | " + " | ".join(cells) + " |")
if len(labels) > 1:
    base = labels[0]
    for l in labels[1:]:
        for n in levels:
            ratios = [rate(l, n, k) / rate(base, n, k) for k in rounds]
            print(f"{l} / {base} at {n} streams: {statistics.median(ratios):.2f}x "
                  f"({min(ratios):.2f}-{max(ratios):.2f}, same rounds)")
PY
rm -f "$out"
