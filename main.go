// Command nlpscope is a local NLP analysis and performance workbench.
// See README.md; all wiring lives in package app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/nlpscope/nlpscope/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
