package app

import "context"

// cmdLoadtest is not built yet; its owner replaces this file.
func cmdLoadtest(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "loadtest")
}
