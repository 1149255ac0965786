package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
)

// cmdServe starts the web shell: `nlpscope serve [--addr A] [--token T] …`.
func cmdServe(ctx context.Context, std Stdio, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	cfg := engineFlags(fs)
	limitFlags(fs, cfg)
	cfg.StartNotReady = true // without ONNX Runtime the shell still starts and says what is missing
	var sc httpapi.ServerConfig
	fs.StringVar(&sc.Addr, "addr", httpapi.DefaultAddr, "listen `address`; anything but loopback requires --token")
	fs.StringVar(&sc.Token, "token", "", "API `token` required as 'Authorization: Bearer T' (default $NLPSCOPE_TOKEN)")
	fs.StringVar(&sc.CORSOrigin, "cors", "", "allow cross-origin requests (reads and writes) from this `origin`, e.g. http://localhost:5173")
	fs.Func("allow-host", "also answer to this host `name` (repeatable; .example.com = every name under it), e.g. behind a reverse proxy; other names get 403 (DNS rebinding)", func(v string) error {
		sc.AllowHosts = append(sc.AllowHosts, v)
		return nil
	})
	fs.BoolVar(&cfg.NoDB, "no-db", false, "run without a database (nothing is stored)")
	verbose := fs.Bool("v", false, "log debug messages")
	fs.Usage = func() {
		fmt.Fprintln(std.Err, "usage: nlpscope serve [flags]\n\nStarts the web shell (UI, JSON API, SSE, Prometheus /metrics).\n\nAny web page open in a browser on this machine can reach the server, so it\nanswers only to localhost, IP addresses and --allow-host names, refuses\nwrites from other origins (unless --cors or the bearer token), wants JSON\nor the X-Nlpscope-Request header on POSTs, and serves /debug/pprof only at\na loopback address to loopback clients.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if sc.Token == "" {
		sc.Token = os.Getenv("NLPSCOPE_TOKEN")
	}
	return serve(ctx, std, *cfg, sc, newLogger(std, *verbose))
}

// serve runs the web shell until ctx ends.
func serve(ctx context.Context, std Stdio, cfg app.Config, sc httpapi.ServerConfig, log *slog.Logger) error {
	if sc.Addr == "" {
		sc.Addr = httpapi.DefaultAddr
	}
	if sc.Token == "" && !httpapi.IsLoopbackAddr(sc.Addr) {
		return usagef("listening on %s (not loopback) requires an API token: --token or NLPSCOPE_TOKEN", sc.Addr)
	}
	svc, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	srv, err := httpapi.NewServer(sc, svc, log)
	if err != nil {
		return &usageError{err: err}
	}
	ln, err := net.Listen("tcp", sc.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.Out, "nlpscope: web shell at %s\n", shellURL(ln.Addr(), sc.Token != ""))
	return srv.Serve(ctx, ln)
}

// shellURL is the address to open in a browser.
func shellURL(a net.Addr, token bool) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := "http://" + net.JoinHostPort(host, port) + "/"
	if token {
		u += "?token=<your token>"
	}
	return u
}

// newLogger logs text to stderr: info and above for the long-running
// shells, debug too when verbose. NLPSCOPE_LOG (debug, info, warn, error)
// overrides the level.
func newLogger(std Stdio, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return newLevelLogger(std, level)
}

// newLevelLogger logs text at level and above to stderr (NLPSCOPE_LOG
// overrides it).
func newLevelLogger(std Stdio, level slog.Level) *slog.Logger {
	switch strings.ToLower(os.Getenv("NLPSCOPE_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: level}))
}
