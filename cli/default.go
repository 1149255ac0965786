package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/nlpscope/nlpscope/desktop"
)

// cmdDefault runs when nlpscope is started without a command: the desktop
// window when a display exists and this binary has it, the web shell
// otherwise.
func cmdDefault(ctx context.Context, std Stdio) int {
	display := os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	if display && desktop.Available {
		return cmdDesktop(ctx, std, nil)
	}
	if !display {
		fmt.Fprintln(std.Err, "no display: starting the web shell")
	} else {
		fmt.Fprintln(std.Err, "this build has no desktop window: starting the web shell")
	}
	return cmdServe(ctx, std, nil)
}

// notBuilt is the answer of a command whose owner has not built it yet.
func notBuilt(std Stdio, name string) int {
	fmt.Fprintf(std.Err, "nlpscope %s: not available in this build yet\n", name)
	return ExitFailure
}
