package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nlpscope/nlpscope/app"
)

// Commands return errors; Main prints each one once, as
// "nlpscope <command>: <message>", and maps it to the exit status:
//
//	nil, flag.ErrHelp          0  (ExitOK)
//	a usage error              2  (ExitUsage): usagef, withUsage, a flag the flag package refused
//	any error after interrupt  130 (ExitInterrupted): ctx was cancelled (SIGINT, SIGTERM)
//	any other error            1  (ExitFailure)

// usageError is a mistake in how a command was called: bad flags or
// arguments.
type usageError struct {
	err     error
	usage   string // printed on the line after the message; "" = none
	printed bool   // the flag package has printed the message and the usage already
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...)}
}

// withUsage returns a usage error that prints usage (a "usage: …" line)
// after its message.
func withUsage(usage, format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...), usage: usage}
}

// subError is the error of a sub-command (models info, db stats): Main
// prints it as "nlpscope models info: …".
type subError struct {
	sub string
	err error
}

func (e *subError) Error() string { return e.sub + ": " + e.err.Error() }
func (e *subError) Unwrap() error { return e.err }

// inSub marks err (nil stays nil) as the error of sub-command sub.
func inSub(sub string, err error) error {
	if err == nil {
		return nil
	}
	return &subError{sub: sub, err: err}
}

// flagError turns an error of flag.FlagSet.Parse into the command's error:
// flag.ErrHelp stays itself (exit 0: the usage was printed), anything else
// is a usage error the flag package has already printed.
func flagError(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err: err, printed: true}
}

// parseFlags parses args with fs; see flagError for what it returns.
func parseFlags(fs *flag.FlagSet, args []string) error {
	shortUsageOnError(fs, args)
	return flagError(fs.Parse(args))
}

// shortUsageOnError makes a bad flag print one usage line and a hint
// instead of the whole flag list, which only -h / --help prints.
func shortUsageOnError(fs *flag.FlagSet, args []string) {
	for _, a := range args {
		if a == "--" {
			break
		}
		switch a {
		case "-h", "-help", "--help", "--h":
			return // the full usage
		}
	}
	name := fs.Name()
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: nlpscope %s [flags]; run 'nlpscope %s --help' for the flags\n", name, name)
	}
}

// errorExit prints err (if it needs printing) to w as coming from the
// command name and returns the exit status for it; ctx is the context the
// command ran under.
func errorExit(ctx context.Context, w io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	prefix := "nlpscope"
	if name != "" {
		prefix += " " + name
	}
	var se *subError
	if errors.As(err, &se) {
		prefix += " " + se.sub
		err = se.err
	}
	if ctx.Err() != nil {
		// The command stopped because the user interrupted it; its own
		// error is mostly "context canceled" in some wrapping.
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(w, "%s: interrupted\n", prefix)
		} else {
			fmt.Fprintf(w, "%s: interrupted: %v\n", prefix, err)
		}
		return ExitInterrupted
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if !ue.printed {
			fmt.Fprintf(w, "%s: %s\n", prefix, cliMessage(err))
			if ue.usage != "" {
				fmt.Fprintln(w, ue.usage)
			}
		}
		return ExitUsage
	}
	fmt.Fprintf(w, "%s: %s\n", prefix, cliMessage(err))
	return ExitFailure
}

// cliMessage is err's message without the HTTP-style wording of the
// Service's sentinels ("bad request: "), which says nothing on a terminal.
func cliMessage(err error) string {
	msg := err.Error()
	for _, s := range []error{app.ErrBadRequest} {
		msg = strings.ReplaceAll(msg, s.Error()+": ", "")
	}
	return msg
}
