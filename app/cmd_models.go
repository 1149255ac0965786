package app

import "context"

// cmdModels is not built yet; its owner replaces this file.
func cmdModels(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "models")
}
