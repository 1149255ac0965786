package engine

// loadTokenizer reads a tokenizer.json.
func loadTokenizer(data []byte) (tokenizer, error) {
	return newWordPieceTokenizer(data)
}
