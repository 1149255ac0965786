#!/usr/bin/env bash
# gpu-check.sh — check nlpscope's GPU gauges (NVML) on a machine with an
# NVIDIA GPU and driver. CI machines have no GPU, so this runs by hand:
#
#   scripts/gpu-check.sh            # builds the profiler tests with Go, runs them
#   scripts/gpu-check.sh BINARY     # runs a test binary built elsewhere with
#                                   #   go test -c -ldflags="-s -w" -o BINARY ./profiler
#                                   # (a machine without Go: copy BINARY there)
#
# It fails unless NVML loads, lists every device, and the gauges (utilisation,
# memory, temperature, power) are in range — in the profiler's snapshot and its
# Prometheus exposition as well as straight from NVML.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v nvidia-smi >/dev/null 2>&1; then
	echo "== nvidia-smi"
	nvidia-smi --query-gpu=index,name,driver_version,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw --format=csv
else
	echo "== nvidia-smi not found (continuing: NVML may still load)"
fi

bin="${1:-}"
if [[ -z "$bin" ]]; then
	command -v go >/dev/null || { echo "gpu-check: no Go toolchain; pass a test binary built with: go test -c -o BIN ./profiler" >&2; exit 2; }
	bin="$(mktemp -d)/profiler.test"
	echo "== building $bin"
	CGO_ENABLED=1 go test -c -o "$bin" ./profiler
fi

bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
echo "== NVML gauges"
# Tests run from the package directory, as go test would.
(cd profiler && NLPSCOPE_REQUIRE_GPU=1 "$bin" -test.count=1 -test.v -test.run 'TestRealNVML|TestFingerprint|TestNVMLThroughFake')
echo "gpu-check: OK"
