#!/usr/bin/env bash
# INT8 on an x86 CPU without VNNI, whatever CPU runs this: the quantization
# tests and the CLI's warnings again under qemu-x86_64 -cpu Haswell (AVX2, no
# AVX-512, no VNNI). qemu answers CPUID as that CPU, so ONNX Runtime picks its
# AVX2 u8×s8 kernels (the ones that clip 16-bit sums) and nlpscope detects
# "avx2", exactly as on an AMD Zen 3 or an Intel Haswell; on a VNNI machine
# the same tests have already run natively in `go test`. A missing qemu is a
# failure (make setup installs qemu-user), never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-x86_64 >/dev/null || { echo "test-cpu-emulated: qemu-x86_64 not found (run make setup: Debian qemu-user)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "test-cpu-emulated: not an x86-64 machine: nothing to emulate"; exit 0; }
# Haswell less the features TCG cannot emulate (it would warn about each).
CPU="Haswell-noTSX,-pcid,-x2apic,-tsc-deadline,-invpcid"
emu() { qemu-x86_64 -cpu "$CPU" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-cpu-emulated: FAIL: $*" >&2; exit 1; }

echo "test-cpu-emulated: quantize tests on an emulated AVX2 CPU (about 2 minutes)"
go test -c -o "$tmp/quantize.test" ./engine/quantize/
if ! (cd engine/quantize && NLPSCOPE_EXPECT_CPU=avx2 emu "$tmp/quantize.test" -test.count=1 -test.v \
    -test.run '^(TestDetectHost|TestSaturation|TestDynamicAgreesWithFP32|TestInspectAndHostWarning|TestTargetsAndSchemes)$') >"$tmp/quantize.log" 2>&1; then
  cat "$tmp/quantize.log"
  fail "quantize tests on the emulated AVX2 CPU"
fi
grep -E '^(--- |ok|PASS)|host CPU|detected' "$tmp/quantize.log"

echo "test-cpu-emulated: an INT8 file made for VNNI, read on the emulated AVX2 CPU"
go build -o "$tmp/nlpscope" .
models="$tmp/models"
"$tmp/nlpscope" models quantize ner --models-dir "$models" --target vnni --out model_vnni.onnx --no-compare >/dev/null
"$tmp/nlpscope" models quantize ner --models-dir "$models" --target portable --no-compare >/dev/null
out=$(emu "$tmp/nlpscope" models info ner --models-dir "$models" --onnx model_vnni.onnx)
grep -q "this CPU   avx2" <<<"$out" || fail "models info does not name the emulated CPU: $out"
grep -q "WARNING    INT8 model made for vnni has full-range int8 weights" <<<"$out" || fail "models info shows no warning for the VNNI file: $out"
out=$(emu "$tmp/nlpscope" models info ner --models-dir "$models" --onnx model_int8.onnx)
! grep -q WARNING <<<"$out" || fail "models info warns about the portable file: $out"
out=$(emu "$tmp/nlpscope" doctor --models-dir "$models")
grep -q "^CPU            avx2" <<<"$out" || fail "doctor does not name the emulated CPU: $out"
[ "$(grep -c 'WARN  INT8 model made for vnni' <<<"$out")" = 1 ] || fail "doctor should warn once, about model_vnni.onnx: $out"
# Loading it logs the warning once: a folder whose model.onnx is the VNNI file.
mkdir "$tmp/vnni-only"
cp "$models"/ner/{config.json,tokenizer.json} "$tmp/vnni-only/"
cp "$models/ner/model_vnni.onnx" "$tmp/vnni-only/model.onnx"
echo "Angela Merkel visited Paris." >"$tmp/in.txt"
emu "$tmp/nlpscope" analyze "$tmp/in.txt" --db "$tmp/db.sqlite" --task entities --model "$tmp/vnni-only" >"$tmp/out.jsonl" 2>"$tmp/err.log" || { cat "$tmp/err.log"; fail "analyze with the VNNI file"; }
[ "$(grep -c 'quantized model will drift on this CPU' "$tmp/err.log")" = 1 ] || { cat "$tmp/err.log"; fail "loading the VNNI file did not log one warning"; }
# And natively the verdict follows this machine's CPU.
host=$("$tmp/nlpscope" doctor --json | grep -A1 '"cpu": {' | sed -n 's/.*"target": "\([a-z0-9]*\)".*/\1/p')
out=$("$tmp/nlpscope" models info ner --models-dir "$models" --onnx model_vnni.onnx)
case "$host" in
  vnni|arm64) ! grep -q WARNING <<<"$out" || fail "warning on a $host CPU: $out" ;;
  avx2|avx512) grep -q WARNING <<<"$out" || fail "no warning on a $host CPU: $out" ;;
  *) fail "doctor --json gave no CPU target" ;;
esac
echo "test-cpu-emulated: ok (native CPU: $host)"
