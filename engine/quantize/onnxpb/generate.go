// Package onnxpb holds the Go types of the ONNX protobuf schema (onnx.proto,
// proto2, package onnx), generated with protoc and protoc-gen-go.
//
// onnx.proto is a verbatim copy of the schema shipped by ONNX 1.12 (IR version 8,
// SPDX-License-Identifier: Apache-2.0; Debian package python3-onnx). Newer models
// (IR 9/10) load too: protobuf-go keeps fields it does not know and writes them
// back unchanged.
//
// Regenerate with `go generate ./engine/quantize/onnxpb` (needs protoc and
// `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12`).
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/nlpscope/nlpscope/engine/quantize/onnxpb onnx.proto
