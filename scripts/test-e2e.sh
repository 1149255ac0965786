#!/usr/bin/env bash
# Browser end-to-end tests: Debian chromium driven by playwright-core against
# a real `nlpscope serve` (real engine, temp database, random free port).
# Screenshots of every view land in test-output/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1 GOFLAGS="${GOFLAGS:--tags=sqlite_fts5}"
export NLPSCOPE_ORT_LIB="${NLPSCOPE_ORT_LIB:-$PWD/third_party/onnxruntime/libonnxruntime.so.1}"

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "test-e2e: $CHROMIUM_PATH not found: run scripts/setup.sh (installs Debian chromium)" >&2
  exit 1
fi
export CHROMIUM_PATH

scripts/build-frontend.sh
# A web-shell binary of its own, so `make build`'s desktop binary stays as it is.
mkdir -p test-output/bin
go build -o test-output/bin/nlpscope .
export NLPSCOPE_BIN="$PWD/test-output/bin/nlpscope"

rm -f test-output/screenshots/*.png
cd frontend
timeout 600 node --test --test-concurrency=1 --test-reporter=spec e2e/
echo "test-e2e: screenshots in test-output/screenshots/" >&2
