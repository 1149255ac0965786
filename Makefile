# nlpscope — see README.md. Every target sets up what it needs first.
SHELL := /bin/bash
export CGO_ENABLED := 1
# FTS5 for storage's full-text search.
export GOFLAGS := -tags=sqlite_fts5
export NLPSCOPE_ORT_LIB ?= $(CURDIR)/third_party/onnxruntime/libonnxruntime.so.1

.PHONY: dist test-dist setup setup-gpu build run test test-go test-cpu-emulated test-frontend test-e2e test-desktop bench models bench-models

setup:
	@scripts/setup.sh

# With GTK/WebKit development files the binary also holds the desktop window
# (Wails: tags desktop,production,webkit2_41); `nlpscope` opens it when a
# display exists and starts the web shell otherwise.
DESKTOP_TAGS := desktop,production,webkit2_41,sqlite_fts5,ortembed
# ortembed: the binary carries ONNX Runtime (engine/ortlib), so a copy runs anywhere.
WEB_TAGS := sqlite_fts5,ortembed

# ONNX Runtime 1.29 with the CUDA provider into third_party/onnxruntime-gpu/ (never by default).
setup-gpu:
	@scripts/setup-gpu.sh

build: setup
	@if pkg-config --exists gtk+-3.0 webkit2gtk-4.1 2>/dev/null; then \
		echo "go build -tags $(DESKTOP_TAGS) -o bin/nlpscope ."; \
		go build -tags $(DESKTOP_TAGS) -o bin/nlpscope .; \
	else \
		echo "build: no GTK/WebKit development files: web shell only"; \
		go build -tags $(WEB_TAGS) -o bin/nlpscope .; \
	fi

run: build
	bin/nlpscope

test: setup
	$(MAKE) test-go test-frontend test-e2e test-desktop

test-go:
	go vet ./...
	go test -race -count=1 ./...
	scripts/test-cpu-emulated.sh
	scripts/test-dist.sh

# The release tarball: the self-contained binary (ONNX Runtime and the default
# models inside), README and model cards, in dist/.
dist: build
	scripts/dist.sh

# A copied binary runs on its own: no setup, no NLPSCOPE_ORT_LIB, another folder.
test-dist:
	scripts/test-dist.sh

# The INT8 tests on an emulated x86 CPU without VNNI (qemu-x86_64 -cpu Haswell).
test-cpu-emulated:
	scripts/test-cpu-emulated.sh

test-frontend:
	scripts/test-frontend.sh

test-e2e:
	scripts/test-e2e.sh

test-desktop:
	scripts/test-desktop.sh

# make bench: the benchmark models (make bench-models) and the transformers.js
# peer (npm, install scripts off) are set up when missing; the report goes to
# bench/out/ and BENCHMARKS.md.
bench: build
	@test -f .cache/bench-models/distilbert-random-sequence/model.onnx && test -f .cache/bench-models/distilbert-random-token/model.onnx || $(MAKE) bench-models
	@test -f bench/peer/node_modules/@huggingface/transformers/package.json || \
		(cd bench/peer && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund) || \
		echo "bench: transformers.js could not be installed; the report says so"
	bin/nlpscope bench

models:
	$(MAKE) -C training models

bench-models:
	$(MAKE) -C training bench-models
