package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/desktop"
	"github.com/nlpscope/nlpscope/frontend"
)

// cmdDesktop opens the desktop window: the embedded UI in a Wails v2 window
// bound to a Service. It returns when the window closes or ctx ends. A binary
// built without the `desktop` tag (GTK/WebKit) explains that it has none.
func cmdDesktop(ctx context.Context, std Stdio, args []string) int {
	if !desktop.Available {
		fmt.Fprintln(std.Err, "nlpscope desktop: this binary was built without the desktop window "+
			"(build it with `make build` on a machine with libgtk-3-dev and libwebkit2gtk-4.1-dev, "+
			"or use `nlpscope serve` for the web shell)")
		return ExitFailure
	}
	fs := flag.NewFlagSet("desktop", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	cfg := engineFlags(fs)
	fs.BoolVar(&cfg.NoDB, "no-db", false, "run without a database (nothing is stored)")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.Err, "nlpscope desktop: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if !frontend.Built() {
		fmt.Fprintln(std.Err, "nlpscope desktop: this binary has no built UI (run `make build`)")
		return ExitFailure
	}
	log := newLogger(std, *verbose)
	svc, err := app.New(ctx, *cfg, log)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope desktop: %v\n", err)
		return ExitFailure
	}
	defer svc.Close()
	if err := desktop.Run(ctx, svc, log); err != nil {
		fmt.Fprintf(std.Err, "nlpscope desktop: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}
