//go:build !desktop

package app

import (
	"context"
	"errors"
	"log/slog"
)

// DesktopAvailable reports whether this binary contains the desktop window.
// It is false here: the window needs the `desktop` build tag (GTK/WebKit);
// see `make build` and app/desktop.go.
const DesktopAvailable = false

// RunWindow fails: this binary has no desktop window.
func RunWindow(ctx context.Context, svc *Service, log *slog.Logger) error {
	return errors.New("this binary was built without the desktop window")
}
