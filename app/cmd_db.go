package app

import "context"

// cmdDB is not built yet; its owner replaces this file.
func cmdDB(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "db")
}
