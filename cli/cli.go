// Package cli is nlpscope's command line: Main dispatches to one command per
// file (analyze.go, serve.go, models.go, …). Commands build an app.Service
// and talk to it; serve and desktop hand it to the web shell and the desktop
// window, so cli is the one place that wires the shells together.
package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// Stdio carries the process's standard streams so that commands can be tested.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and something failed (an input, a threshold)
	ExitUsage   = 2 // bad flags or arguments
	// ExitInterrupted is the status after SIGINT or SIGTERM stopped a
	// command (128 + SIGINT, as shells report it).
	ExitInterrupted = 130
)

type command struct {
	summary string
	// run does the command's work. It returns nil, flag.ErrHelp after
	// printing help, or an error for Main to print and map to an exit
	// status (errors.go).
	run func(ctx context.Context, io Stdio, args []string) error
}

// commands lists every sub-command. Each one lives in its own file, named after it.
var commands = map[string]command{
	"analyze":  {"analyze texts from files or stdin (sentiment, entities)", cmdAnalyze},
	"tokenize": {"tokenize JSONL texts with a model's tokenizer.json", cmdTokenize},
	"doctor":   {"check ONNX Runtime, execution providers, models and GPU", cmdDoctor},
	"serve":    {"start the web shell (HTTP API + UI) on 127.0.0.1", cmdServe},
	"desktop":  {"open the desktop window", cmdDesktop},
	"loadtest": {"drive the engine or an HTTP endpoint and report latency", cmdLoadtest},
	"bench":    {"run the benchmark suite and write a report", cmdBench},
	"models":   {"list, inspect, pull and quantize models", cmdModels},
	"db":       {"database maintenance and export: stats, check, vacuum, export", cmdDB},
	"evaluate": {"score models on your own labelled texts (CoNLL, spaCy, Label Studio, doccano, CSV)", cmdEvaluate},
	"insights": {"sentiment, timeline and entities over stored documents", cmdInsights},
	"version":  {"print the version, commit, ONNX Runtime and embedded models", cmdVersion},
}

// Main runs nlpscope with the given arguments and returns the exit code. It
// is the one place that prints a command's error ("nlpscope <command>:
// <message>") and maps it to the exit status (see errors.go).
func Main(ctx context.Context, args []string, std Stdio) int {
	if len(args) == 0 {
		return errorExit(ctx, std.Err, "", cmdDefault(ctx, std))
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		usage(std.Out)
		return ExitOK
	case "--version", "-version", "-V":
		return errorExit(ctx, std.Err, "version", cmdVersion(ctx, std, args[1:]))
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(std.Err, "nlpscope: unknown command %q\n\n", name)
		usage(std.Err)
		return ExitUsage
	}
	return errorExit(ctx, std.Err, name, c.run(ctx, std, args[1:]))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: nlpscope [command] [flags]")
	fmt.Fprintln(w, "\nWithout a command nlpscope opens the desktop window when a display is available,")
	fmt.Fprintln(w, "and otherwise starts the web shell.\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
}
