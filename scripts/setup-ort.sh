#!/usr/bin/env bash
# Fetch ONNX Runtime 1.24.1 (CPU) from the npm package onnxruntime-node, verify it,
# and place it under third_party/onnxruntime/. Idempotent. Never runs the package's
# install script: the tarball is fetched with `npm pack` and unpacked by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.24.1
SHA256=53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4
DEST=third_party/onnxruntime
LIB=$DEST/libonnxruntime.so.1
# The gzipped copy that `make build` embeds in the binary (engine/ortlib, tag
# ortembed), so that a copied binary needs no setup.
EMBED=engine/ortlib/libonnxruntime.so.1
embed() {
  if [ -f "$EMBED.gz" ] && [ "$(cat "$EMBED.sha256" 2>/dev/null)" = "$SHA256" ]; then
    return 0
  fi
  gzip -6 -c "$LIB" >"$EMBED.gz.tmp"
  mv "$EMBED.gz.tmp" "$EMBED.gz"
  echo "$SHA256" >"$EMBED.sha256"
  echo "setup: $EMBED.gz for embedding ($(du -h "$EMBED.gz" | cut -f1))" >&2
}
if [ -f "$LIB" ] && echo "$SHA256  $LIB" | sha256sum -c --status; then
  embed
  exit 0
fi
mkdir -p "$DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup: fetching onnxruntime-node@$VERSION (npm pack)" >&2
(cd "$tmp" && npm pack --silent "onnxruntime-node@$VERSION" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$VERSION.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
got=$(sha256sum "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "setup: libonnxruntime.so.1 sha256 mismatch: got $got, want $SHA256" >&2
  exit 1
fi
install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
ln -sf libonnxruntime.so.1 "$DEST/libonnxruntime.so"
echo "setup: ONNX Runtime $VERSION -> $LIB" >&2
embed
