package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/catalog"
	"github.com/nlpscope/nlpscope/engine"
)

// VersionInfo is what `nlpscope version` (and --version) reports.
type VersionInfo struct {
	Version    string         `json:"version"` // the module version, or "devel"
	Commit     string         `json:"commit,omitempty"`
	Modified   bool           `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go         string         `json:"go"`
	Platform   string         `json:"platform"`
	ORTVersion string         `json:"ort_version,omitempty"`
	ORTLib     string         `json:"ort_lib,omitempty"`
	ORTError   string         `json:"ort_error,omitempty"`
	Models     []VersionModel `json:"models"` // the models inside the binary
}

// VersionModel is one embedded model and its default file.
type VersionModel struct {
	Name string      `json:"name"`
	Task engine.Task `json:"task,omitempty"`
	File string      `json:"file,omitempty"`
	Size int64       `json:"size_bytes,omitempty"`
}

const versionUsage = `usage: nlpscope version [--json] [--ort-lib PATH]   (also: nlpscope --version)

Prints the version and commit of this binary, its Go toolchain, the ONNX
Runtime it loads and the models inside it.

flags:
`

func cmdVersion(ctx context.Context, std Stdio, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	asJSON := fs.Bool("json", false, "print JSON")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime library `path` (default: NLPSCOPE_ORT_LIB, then the one inside the binary)")
	fs.Usage = func() { fmt.Fprint(std.Err, versionUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	v := versionInfo(*ortLib)
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	commit := v.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown"
	} else if v.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(std.Out, "nlpscope %s, commit %s, %s %s\n", v.Version, commit, v.Go, v.Platform)
	if v.ORTError != "" {
		fmt.Fprintf(std.Out, "ONNX Runtime: not loaded: %s\n", v.ORTError)
	} else {
		fmt.Fprintf(std.Out, "ONNX Runtime %s (%s)\n", v.ORTVersion, v.ORTLib)
	}
	for _, m := range v.Models {
		fmt.Fprintf(std.Out, "model %s: %s, %s (%s)\n", m.Task, m.Name, m.File, humanBytes(m.Size))
	}
	return nil
}

func versionInfo(ortLib string) VersionInfo {
	v := VersionInfo{Version: "devel", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Models: []VersionModel{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if lib, err := engine.FindORTLibrary(ortLib); err != nil {
		v.ORTError = err.Error()
	} else if eng, err := engine.New(engine.Config{ORTLibPath: lib, AllowCPUFallback: true, IntraOpThreads: 1}, slog.New(slog.DiscardHandler)); err != nil {
		v.ORTError = err.Error()
	} else {
		v.ORTLib, v.ORTVersion = lib, eng.Runtime().ORTVersion
		eng.Close()
	}
	models, _ := catalog.New(catalog.Config{Embedded: app.EmbeddedModels()}).List()
	for _, m := range models {
		if m.Source != catalog.SourceEmbedded {
			continue
		}
		vm := VersionModel{Name: m.Name, Task: m.Task}
		for _, va := range m.Variants {
			if va.Default {
				vm.File, vm.Size = va.File, va.SizeBytes
			}
		}
		v.Models = append(v.Models, vm)
	}
	return v
}
