#!/usr/bin/env bash
# Fetch the CUDA-enabled ONNX Runtime 1.29 into third_party/onnxruntime-gpu/.
# Never part of `make setup`: run `make setup-gpu` on a machine with an NVIDIA
# GPU. Idempotent. The npm packages are fetched with `npm pack` (no install
# scripts run) and every library is checked against a pinned sha256.
#
#   com.github.asus4.onnxruntime@0.4.9           package/Plugins/Linux/x64/libonnxruntime.so (ORT 1.29.0)
#   com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
#                                                 libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so
#                                                 (built for CUDA 13 and cuDNN 9)
#
# The CUDA libraries themselves (CUDA 13 runtime, cuBLAS, cuRAND, cuDNN 9) are
# not fetched: nlpscope finds them in system folders, $CUDA_HOME,
# LD_LIBRARY_PATH or the nvidia/*/lib folders of Python CUDA wheels, and
# `nlpscope doctor --provider cuda` names any that is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.4.9
DEST=third_party/onnxruntime-gpu
# file  package  sha256
FILES=(
  "libonnxruntime.so com.github.asus4.onnxruntime 5715f06d8992ca8eeeddcce43df3a7d38f97d537052126f558e912cb312460ca"
  "libonnxruntime_providers_shared.so com.github.asus4.onnxruntime.linux-x64-gpu c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772"
  "libonnxruntime_providers_cuda.so com.github.asus4.onnxruntime.linux-x64-gpu 56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037"
)

ok=1
for entry in "${FILES[@]}"; do
  read -r file _ sum <<<"$entry"
  if ! [ -f "$DEST/$file" ] || ! echo "$sum  $DEST/$file" | sha256sum -c --status; then ok=0; fi
done
if [ "$ok" = 1 ] && [ -L "$DEST/libonnxruntime.so.1" ]; then
  echo "setup-gpu: $DEST is complete" >&2
  exit 0
fi

command -v npm >/dev/null || { echo "setup-gpu: npm is needed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pkg in com.github.asus4.onnxruntime com.github.asus4.onnxruntime.linux-x64-gpu; do
  echo "setup-gpu: fetching $pkg@$VERSION (npm pack)" >&2
  mkdir -p "$tmp/$pkg"
  (cd "$tmp/$pkg" && npm pack --silent "$pkg@$VERSION" >/dev/null)
done
for entry in "${FILES[@]}"; do
  read -r file pkg sum <<<"$entry"
  tar -xzf "$tmp/$pkg/$pkg-$VERSION.tgz" -C "$tmp/$pkg" "package/Plugins/Linux/x64/$file"
  got=$(sha256sum "$tmp/$pkg/package/Plugins/Linux/x64/$file" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "setup-gpu: $file from $pkg@$VERSION: sha256 $got, want $sum" >&2
    exit 1
  fi
  install -m 0755 "$tmp/$pkg/package/Plugins/Linux/x64/$file" "$DEST/$file.tmp"
  mv "$DEST/$file.tmp" "$DEST/$file"
done
ln -sf libonnxruntime.so "$DEST/libonnxruntime.so.1"
echo "setup-gpu: ONNX Runtime 1.29 with the CUDA provider -> $DEST" >&2
echo "setup-gpu: use it with NLPSCOPE_ORT_LIB=$PWD/$DEST/libonnxruntime.so.1 and --provider cuda" >&2
