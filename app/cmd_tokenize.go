package app

import "context"

// cmdTokenize is not built yet; its owner replaces this file.
func cmdTokenize(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "tokenize")
}
