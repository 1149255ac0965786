# nlpscope — see README.md. Every target sets up what it needs first.
SHELL := /bin/bash
export CGO_ENABLED := 1
# FTS5 for storage's full-text search.
export GOFLAGS := -tags=sqlite_fts5
export NLPSCOPE_ORT_LIB ?= $(CURDIR)/third_party/onnxruntime/libonnxruntime.so.1

.PHONY: setup build run test test-go bench models bench-models

setup:
	@scripts/setup.sh

build: setup
	go build -o bin/nlpscope .

run: build
	bin/nlpscope

test: setup
	$(MAKE) test-go

test-go:
	go vet ./...
	go test -race -count=1 ./...

bench: build
	bin/nlpscope bench

models:
	$(MAKE) -C training models

bench-models:
	$(MAKE) -C training bench-models
