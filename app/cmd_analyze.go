package app

import "context"

// cmdAnalyze is not built yet; its owner replaces this file.
func cmdAnalyze(ctx context.Context, std Stdio, args []string) int {
	return notBuilt(std, "analyze")
}
