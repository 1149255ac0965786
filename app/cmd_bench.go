package app

import "context"

// cmdBench is not built yet; its owner replaces this file.
func cmdBench(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "bench")
}
