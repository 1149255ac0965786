#!/usr/bin/env bash
# The figures of each INT8 scheme on this machine: size, agreement with fp32,
# max score difference (against the scheme's expected bound) and speed vs fp32,
# for the default models (on their held-out sets) and the DistilBERT-shaped
# bench model (make bench-models; random weights, the 32 sample texts).
#   scripts/int8-schemes.sh [ROUNDS]        → a Markdown table on stdout
# Run it under `qemu-x86_64 -cpu Haswell` (EMU="qemu-x86_64 -cpu Haswell-noTSX")
# to see agreement on a CPU without VNNI; its timings are then meaningless
# (SKIP_DISTIL=1 leaves out the DistilBERT model, slow under emulation).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
bin=${NLPSCOPE_BIN:-bin/nlpscope}
[ -x "$bin" ] || { echo "run make build first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
emu=${EMU:-}
echo "CPU: $($emu $bin doctor --json | jq -r '.cpu | "\(.target) (\(.features))"')${emu:+, emulated: $emu}"
echo
echo "| model | target | scheme | size vs fp32 | agreement | max score diff (bound) | batch 1 vs fp32 | batch 32 vs fp32 |"
echo "|---|---|---|---|---|---|---|---|"
row() { # model-arg label extra-flags...
  local model=$1 label=$2; shift 2
  for target in vnni avx2 portable; do
    $emu $bin models quantize "$model" --models-dir "$tmp/models" --target "$target" --out "model_$target.onnx" --rounds "$rounds" --json "$@" >"$tmp/r.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    jq -r --arg m "$label" --arg t "$target" '
      "| \($m) | \($t) | \(.report.scheme) | \(100*.report.output_bytes/.report.input_bytes|floor) % | \(.compare.agree)/\(.compare.texts) | \(.compare.max_score_diff*10000|round/10000) (≤ \(.compare.expected_max_score_diff // "—")) | \(.compare.a.batch1_ns/.compare.b.batch1_ns*100|round/100)× | \(.compare.a.batch32_ns/.compare.b.batch32_ns*100|round/100)× |"' "$tmp/r.json"
  done
}
row sentiment "sentiment (default)" --embeddings --eval models/testdata/sentiment_heldout.jsonl
row ner "ner (default)" --embeddings --eval models/testdata/ner_heldout.jsonl
if [ -z "${SKIP_DISTIL:-}" ] && [ -f .cache/bench-models/distilbert-random-sequence/model.onnx ]; then
  mkdir -p "$tmp/distil"
  cp .cache/bench-models/distilbert-random-sequence/{config.json,tokenizer.json,model.onnx} "$tmp/distil/"
  row "$tmp/distil" "DistilBERT-shaped (sequence)"
fi
