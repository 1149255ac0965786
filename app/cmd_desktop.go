//go:build !desktop

package app

import (
	"context"
	"fmt"
)

// desktopAvailable reports whether this binary contains the desktop window.
// It is false here: the window needs the `desktop` build tag (GTK/WebKit);
// see `make build` and app/desktop.go.
const desktopAvailable = false

// cmdDesktop explains that this binary has no desktop window.
func cmdDesktop(ctx context.Context, std Stdio, args []string) int {
	fmt.Fprintln(std.Err, "nlpscope desktop: this binary was built without the desktop window "+
		"(build it with `make build` on a machine with libgtk-3-dev and libwebkit2gtk-4.1-dev, "+
		"or use `nlpscope serve` for the web shell)")
	return ExitFailure
}
