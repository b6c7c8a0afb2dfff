#!/usr/bin/env bash
# Installs the npm packages the tests drive (the official OpenAI Node SDK, pinned by each package-lock.json).
# Idempotent: safe to run again; called by .ci/run before the Maven build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm
  else
    echo "npm is needed for the Node SDK tests" >&2
    exit 1
  fi
fi

for dir in assistant-server/src/test/node; do
  npm ci --no-audit --no-fund --prefix "$dir"
done
