package app

import "context"

// cmdDoctor is not built yet; its owner replaces this file.
func cmdDoctor(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "doctor")
}
