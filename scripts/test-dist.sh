#!/usr/bin/env bash
# The binary is self-contained: built with ONNX Runtime embedded (tag
# ortembed), copied alone into an empty folder and run there with a fresh
# HOME and cache, no NLPSCOPE_ORT_LIB and no third_party/, it analyses text
# (extracting the library once into the cache) and a second run reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
scripts/setup-ort.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags sqlite_fts5,ortembed -o "$tmp/bin/nlpscope" .
go test -tags sqlite_fts5,ortembed -count=1 -run TestPath ./engine/ortlib/
mkdir -p "$tmp/home" "$tmp/run"
run() {
  (cd "$tmp/run" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$tmp/bin/nlpscope" "$@")
}
out=$(echo "Angela Merkel loved her visit to Paris." | run analyze --task all 2>"$tmp/err") || { cat "$tmp/err" >&2; echo "test-dist: the copied binary failed" >&2; exit 1; }
echo "$out" | grep -q '"label":"PER"' || { echo "test-dist: no PER entity in: $out" >&2; exit 1; }
lib=$(find "$tmp/home/.cache/nlpscope/onnxruntime" -name libonnxruntime.so.1)
[ -n "$lib" ] || { echo "test-dist: the library was not extracted into the cache" >&2; exit 1; }
before=$(stat -c %i "$lib")
echo "good" | run analyze --task sentiment >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
[ "$(stat -c %i "$lib")" = "$before" ] || { echo "test-dist: the second run extracted the library again" >&2; exit 1; }
run doctor >"$tmp/doctor" 2>&1 || true
grep -q "$tmp/home/.cache/nlpscope/onnxruntime" "$tmp/doctor" || { cat "$tmp/doctor" >&2; echo "test-dist: doctor does not show the embedded library" >&2; exit 1; }
echo "test-dist: ok (copied binary $(du -h "$tmp/bin/nlpscope" | cut -f1), ONNX Runtime extracted to the cache once)" >&2
