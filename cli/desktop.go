package cli

import (
	"context"
	"errors"
	"flag"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/desktop"
	"github.com/nlpscope/nlpscope/frontend"
)

// cmdDesktop opens the desktop window: the embedded UI in a Wails v2 window
// bound to a Service. It returns when the window closes or ctx ends. A binary
// built without the `desktop` tag (GTK/WebKit) explains that it has none.
func cmdDesktop(ctx context.Context, std Stdio, args []string) error {
	if !desktop.Available {
		return errors.New("this binary was built without the desktop window " +
			"(build it with `make build` on a machine with libgtk-3-dev and libwebkit2gtk-4.1-dev, " +
			"or use `nlpscope serve` for the web shell)")
	}
	fs := flag.NewFlagSet("desktop", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	cfg := engineFlags(fs)
	limitFlags(fs, cfg)
	cfg.StartNotReady = true // without ONNX Runtime the shell still starts and says what is missing
	fs.BoolVar(&cfg.NoDB, "no-db", false, "run without a database (nothing is stored)")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if !frontend.Built() {
		return errors.New("this binary has no built UI (run `make build`)")
	}
	log := newLogger(std, *verbose)
	svc, err := app.New(ctx, *cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	return desktop.Run(ctx, svc, log)
}
