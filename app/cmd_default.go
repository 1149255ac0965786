package app

import (
	"context"
	"fmt"
)

// cmdDefault runs when nlpscope is started without a command. Its owner
// replaces it: desktop window when a display exists, web shell otherwise.
func cmdDefault(ctx context.Context, std Stdio) int {
	return cmdServe(ctx, std, nil)
}

func notBuilt(std Stdio, name string) int {
	fmt.Fprintf(std.Err, "nlpscope %s: not available in this build yet\n", name)
	return ExitFailure
}
