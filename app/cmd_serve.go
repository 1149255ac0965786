package app

import "context"

// cmdServe is not built yet; its owner replaces this file.
func cmdServe(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "serve")
}
