package app

import "context"

// cmdDesktop is not built yet; its owner replaces this file.
func cmdDesktop(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "desktop")
}
