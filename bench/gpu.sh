#!/usr/bin/env bash
# bench/gpu.sh — nlpscope on a machine with an NVIDIA GPU: finds the CUDA
# libraries, runs the engine with --provider cuda, and compares fp32 on CPU,
# fp32 on CUDA and int8 on CPU for the default models (latency at batch 1 and
# 32, agreement). Never part of `make test`: CI has no GPU.
#
#   bench/gpu.sh            full run. Needs bin/nlpscope (built here with Go
#                           when missing) and third_party/onnxruntime-gpu
#                           (`make setup-gpu`, run here when missing: npm).
#   bench/gpu.sh prepare    on a build machine: build the small test binary
#                           that `check` runs into .gpu/ (git-ignored locally)
#   bench/gpu.sh check      on a GPU machine without Go: CUDA library
#                           discovery and loading (driver, CUDA 13 runtime,
#                           cuBLAS, cuRAND, cuDNN 9) from .gpu/
#
# Reports go to $OUT when set, else bench/out/gpu/. Exit status 1 when the
# GPU path does not work, with the reason printed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
mode=${1:-full}
out=${OUT:-$ROOT/bench/out/gpu}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/summary.txt"; }

# Python CUDA wheels keep their libraries in site-packages/nvidia/*/lib; ORT
# opens cuDNN by name at run time, so put them on LD_LIBRARY_PATH too.
wheel_dirs() {
  local sites=()
  for py in python3 /opt/*/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    mapfile -t -O "${#sites[@]}" sites < <("$py" -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]))' 2>/dev/null)
  done
  local d
  for s in "${sites[@]}"; do
    for d in "$s"/nvidia/*/lib "$s"/nvidia/*/lib64; do [ -d "$d" ] && printf '%s\n' "$d"; done
  done | sort -u | paste -sd: -
}
wd=$(wheel_dirs)
if [ -n "$wd" ]; then export LD_LIBRARY_PATH="$wd${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done

gpu_info() {
  : >"$out/summary.txt"
  log "machine: $(uname -srm), $(nproc) CPUs"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$out/summary.txt"
  else
    log "nvidia-smi not found"
  fi
  log "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
}

# ort_python times the default models with the machine's own Python ONNX
# Runtime, on CUDA when it has that provider and on CPU: a reference for the
# GPU's speed where nlpscope's CUDA build cannot be carried over.
ort_python() {
  command -v python3 >/dev/null 2>&1 || return 0
  log "Python ONNX Runtime on the default models (reference)"
  python3 - <<'PY' 2>&1 | tee -a "$out/summary.txt"
import time, statistics
try:
    import numpy as np, onnxruntime as ort
except Exception as e:
    print("no python onnxruntime:", e); raise SystemExit(0)
print("onnxruntime", ort.__version__, "providers", ort.get_available_providers())
provs = [["CPUExecutionProvider"]]
if "CUDAExecutionProvider" in ort.get_available_providers():
    provs.insert(0, ["CUDAExecutionProvider", "CPUExecutionProvider"])
rng = np.random.default_rng(7)
for name in ["sentiment", "ner"]:
    for p in provs:
        s = ort.InferenceSession(f"models/{name}/model.onnx", providers=p)
        res = {}
        for b in (1, 32):
            ids = rng.integers(1, 5000, size=(b, 48), dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            for _ in range(5): s.run(None, feed)
            d = []
            for _ in range(30):
                t = time.perf_counter(); s.run(None, feed); d.append(time.perf_counter() - t)
            res[b] = statistics.median(d) * 1e3
        print(f"{name:10s} {s.get_providers()[0]:22s} batch1 {res[1]:8.3f} ms  batch32 {res[32]:8.3f} ms")
PY
}

case "$mode" in
prepare)
  mkdir -p .gpu
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
  CGO_ENABLED=1 go test -c -ldflags=-s -o .gpu/cudalibs.test ./engine/cudalibs || exit 1
  ls -la .gpu
  echo "next, on the GPU machine: bench/gpu.sh check   (carry .gpu)"
  exit 0
  ;;
check)
  gpu_info
  [ -x .gpu/cudalibs.test ] || { echo "gpu.sh: .gpu/cudalibs.test missing: run 'bench/gpu.sh prepare' first and carry .gpu" >&2; exit 1; }
  log "CUDA library discovery and preload (engine/cudalibs, NLPSCOPE_REQUIRE_CUDA=1)"
  (cd engine/cudalibs && NLPSCOPE_REQUIRE_CUDA=1 "$ROOT/.gpu/cudalibs.test" -test.run TestThisMachine -test.v -test.count=1) 2>&1 | tee "$out/cudalibs.txt"
  rc=${PIPESTATUS[0]}
  log "cudalibs: exit $rc"
  ort_python
  exit "$rc"
  ;;
full) ;;
*) echo "usage: bench/gpu.sh [full|prepare|check]" >&2; exit 2 ;;
esac

gpu_info
fail=0
if command -v go >/dev/null 2>&1; then
  log "CUDA library discovery and preload (engine/cudalibs)"
  (NLPSCOPE_REQUIRE_CUDA=1 CGO_ENABLED=1 go test -count=1 -run TestThisMachine -v ./engine/cudalibs) 2>&1 | tee "$out/cudalibs.txt" || fail=1
fi
if ! scripts/setup-gpu.sh; then
  log "ONNX Runtime with the CUDA provider is missing and could not be fetched (make setup-gpu needs npm)"
  exit 1
fi
export NLPSCOPE_ORT_LIB=$ROOT/third_party/onnxruntime-gpu/libonnxruntime.so.1
bin=bin/nlpscope
if [ ! -x "$bin" ]; then
  command -v go >/dev/null 2>&1 || { log "bin/nlpscope missing and no Go to build it"; exit 1; }
  CGO_ENABLED=1 GOFLAGS=-tags=sqlite_fts5 go build -o "$bin" . || exit 1
fi
export NLPSCOPE_MODELS_DIR=$(mktemp -d) HF_HUB_OFFLINE=1

log "doctor --provider cuda"
"$bin" doctor --provider cuda | tee "$out/doctor.txt"
"$bin" doctor --provider cuda --json >"$out/doctor.json" 2>/dev/null

for m in sentiment ner; do
  log "$m: fp32 CPU vs fp32 CUDA (20 rounds)"
  if "$bin" models compare "embedded:$m" --provider-a cpu --provider-b cuda --rounds 20 --json >"$out/compare-$m-cpu-cuda.json" 2>"$out/compare-$m-cpu-cuda.err"; then
    "$bin" models compare "embedded:$m" --provider-a cpu --provider-b cuda --rounds 20 | tee -a "$out/summary.txt"
  else
    cat "$out/compare-$m-cpu-cuda.err" | tee -a "$out/summary.txt"
    fail=1
  fi
done
for m in sentiment ner; do
  log "$m: int8 (+embeddings, CPU) vs fp32 (CPU) on the held-out set"
  "$bin" models quantize "$m" --embeddings --eval "models/testdata/${m}_heldout.jsonl" --rounds 20 | tee -a "$out/summary.txt" || fail=1
done
if [ -f "$NLPSCOPE_MODELS_DIR/ner/model_int8.onnx" ]; then
  log "ner: fp32 CUDA vs int8 CPU"
  "$bin" models compare "$NLPSCOPE_MODELS_DIR/ner" --a model.onnx --provider-a cuda --b model_int8.onnx --provider-b cpu --rounds 20 | tee -a "$out/summary.txt" || fail=1
fi
ort_python
if "$bin" bench --help >/dev/null 2>&1; then
  log "benchmark suite --provider cuda"
  "$bin" bench --provider cuda --out "$out/bench-cuda" 2>&1 | tee "$out/bench-cuda.txt" || fail=1
fi
log "done: reports in $out (exit $fail)"
exit "$fail"
