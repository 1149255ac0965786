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
	code := cli.Main(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
