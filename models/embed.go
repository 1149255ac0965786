// Package models holds nlpscope's default models, embedded in the binary so the
// app works offline on first start. Each model is a folder in Hugging Face layout
// (model.onnx, tokenizer.json, config.json, MODEL_CARD.md) under FS; they are
// trained and exported reproducibly by `make models` (see training/).
package models

import "embed"

// FS holds the default model folders: Sentiment and NER below.
//
//go:embed sentiment ner
var FS embed.FS

// Folder names of the default models inside FS.
const (
	// Sentiment is the 3-class sentiment model (negative, neutral, positive).
	Sentiment = "sentiment"
	// NER is the named-entity model (BIO over PER, ORG, LOC, MISC).
	NER = "ner"
)

// File names inside each model folder.
const (
	ModelFile     = "model.onnx"
	TokenizerFile = "tokenizer.json"
	ConfigFile    = "config.json"
	ModelCardFile = "MODEL_CARD.md"
)
