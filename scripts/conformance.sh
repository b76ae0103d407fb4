#!/usr/bin/env bash
# Starts the built server on a throwaway SQLite file and runs RealWorld's Auth + Profiles suite with newman.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${CONFORMANCE_PORT:-8765}
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn node "$root/bin/gatehouse.js" serve) &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
NEWMAN="$root/node_modules/.bin/newman" APIURL="http://127.0.0.1:$port/api" \
  bash "$root/../shared/conformance/realworld/run-newman.sh"
