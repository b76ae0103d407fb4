#!/usr/bin/env bash
# Starts the built server on a throwaway SQLite file and runs the Auth and Profiles folders of RealWorld's
# API test suite (its Postman collection) against it with newman, a devDependency.
#
# CONFORMANCE_DIR: the folder holding RealWorld's Conduit.postman_collection.json, such as the api/ folder
# of a clone of RealWorld's repository; by default ../shared/conformance/realworld beside this clone, where
# the project's CI finds it. Extra arguments go to newman (`npm run conformance -- --verbose`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
collection=${CONFORMANCE_DIR:-$root/../shared/conformance/realworld}/Conduit.postman_collection.json
if [[ ! -f $collection ]]; then
  echo "conformance: $collection not found; set CONFORMANCE_DIR to a folder holding RealWorld's Conduit.postman_collection.json (the api/ folder of https://github.com/realworld-apps/realworld)" >&2
  exit 2
fi

work=$(mktemp -d)
port=${CONFORMANCE_PORT:-8765}
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && PORT=$port HOST=127.0.0.1 LOG_LEVEL=warn node "$root/bin/gatehouse.js" serve) &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The collection registers USERNAME and celeb_USERNAME, so each run needs a name no run used before.
username=u$(date +%s)$RANDOM
# Profiles needs the token Auth's "Login and Remember Token" stores, so the two run together (in that order).
"$root/node_modules/.bin/newman" run "$collection" --folder Auth --folder Profiles \
  --global-var "APIURL=http://127.0.0.1:$port/api" \
  --global-var "USERNAME=$username" \
  --global-var "EMAIL=$username@mail.com" \
  --global-var "PASSWORD=Conduit-Pass-2024" \
  "$@"
