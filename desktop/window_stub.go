//go:build !desktop

package desktop

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nlpscope/nlpscope/app"
)

// Available reports whether this binary contains the desktop window.
// It is false here: the window needs the `desktop` build tag (GTK/WebKit);
// see `make build` and window.go.
const Available = false

// Run fails: this binary has no desktop window.
func Run(ctx context.Context, svc *app.Service, log *slog.Logger) error {
	return errors.New("this binary was built without the desktop window")
}
