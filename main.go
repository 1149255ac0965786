// Command nlpscope is a local NLP analysis and performance workbench.
// See README.md; the commands live in package cli, the Service they share in
// package app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/nlpscope/nlpscope/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels ctx: the command stops and Main exits
		// 130. A second one kills the process as usual, even when the
		// command is stuck in a read.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
