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
func cmdDefault(ctx context.Context, std Stdio) error {
	display := os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	if display && desktop.Available {
		return inSub("desktop", cmdDesktop(ctx, std, nil))
	}
	if !display {
		fmt.Fprintln(std.Err, "no display: starting the web shell")
	} else {
		fmt.Fprintln(std.Err, "this build has no desktop window: starting the web shell")
	}
	return inSub("serve", cmdServe(ctx, std, nil))
}
