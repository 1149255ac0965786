#!/usr/bin/env bash
# dist/nlpscope-VERSION-linux-amd64.tar.gz: bin/nlpscope (ONNX Runtime and the
# default models embedded), README, model cards, INT8 notes.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
name=nlpscope-$version-linux-amd64
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/$name/models/sentiment" "$tmp/$name/models/ner" dist
cp bin/nlpscope README.md "$tmp/$name/"
cp docs/int8.md "$tmp/$name/"
cp models/sentiment/MODEL_CARD.md "$tmp/$name/models/sentiment/"
cp models/ner/MODEL_CARD.md "$tmp/$name/models/ner/"
tar -C "$tmp" -czf "dist/$name.tar.gz" "$name"
echo "dist: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1); binary $(du -h bin/nlpscope | cut -f1))"
