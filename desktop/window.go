//go:build desktop

package desktop

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/build"
	"github.com/nlpscope/nlpscope/frontend"
)

// Available reports whether this binary contains the desktop window
// (built with the `desktop` tag and GTK/WebKit; see `make build`).
const Available = true

// wailsEmitter forwards live events to the window. Its ctx must be the one
// Wails passed to OnStartup: EventsEmit with any other context ends the process.
type wailsEmitter struct{ ctx context.Context }

func (e wailsEmitter) Emit(event string, payload any) { wruntime.EventsEmit(e.ctx, event, payload) }

// wailsDialogs are the native dialogs of the window.
type wailsDialogs struct{}

func (wailsDialogs) OpenFiles(ctx context.Context, title, dir, patterns string) ([]string, error) {
	return wruntime.OpenMultipleFilesDialog(ctx, wruntime.OpenDialogOptions{
		Title:            title,
		DefaultDirectory: dir,
		Filters:          []wruntime.FileFilter{{DisplayName: "Texts (.txt, .csv, .jsonl)", Pattern: patterns}},
	})
}

func (wailsDialogs) OpenFolder(ctx context.Context, title, dir string) (string, error) {
	return wruntime.OpenDirectoryDialog(ctx, wruntime.OpenDialogOptions{Title: title, DefaultDirectory: dir})
}

func (wailsDialogs) SaveFile(ctx context.Context, title, dir, name string) (string, error) {
	return wruntime.SaveFileDialog(ctx, wruntime.SaveDialogOptions{Title: title, DefaultDirectory: dir, DefaultFilename: name})
}

var _ desktopDialogs = wailsDialogs{}

// Run shows the desktop window, the embedded UI bound to svc, until
// the user closes it or ctx ends.
func Run(ctx context.Context, svc *app.Service, log *slog.Logger) error {
	statePath, err := windowStatePath()
	if err != nil {
		log.Warn("window state not remembered", slog.Any("err", err))
	}
	st := windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}
	if statePath != "" {
		st = loadWindowState(statePath)
	}
	d := newDesktop(svc, log)
	d.lastDir = st.LastDir

	var (
		mu        sync.Mutex
		wctx      context.Context // the Wails context, once the window exists
		stopped   = make(chan struct{})
		closing   = make(chan struct{}) // closed when the window starts closing
		closeOnce sync.Once
	)
	// Quit the window when ctx ends (SIGINT/SIGTERM from main). Wails
	// handles those signals itself and starts closing the window; a second
	// Quit racing with its own would call gtk_main_quit while the window is
	// being destroyed (a segfault seen in the desktop test), so this one
	// only acts when Wails has not begun closing within a second (ctx
	// cancelled by something other than a signal).
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
			return
		}
		select {
		case <-closing:
			return
		case <-stopped:
			return
		case <-time.After(time.Second):
		}
		mu.Lock()
		c := wctx
		mu.Unlock()
		if c != nil {
			wruntime.Quit(c)
		}
	}()
	defer close(stopped)

	start := options.Normal
	if st.Maximised {
		start = options.Maximised
	}
	return wails.Run(&options.App{
		Title:            "nlpscope",
		Width:            st.Width,
		Height:           st.Height,
		MinWidth:         minWindowWidth,
		MinHeight:        minWindowHeight,
		WindowStartState: start,
		BackgroundColour: options.NewRGB(246, 247, 249),
		AssetServer:      &assetserver.Options{Assets: frontend.FS()},
		DragAndDrop:      &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Bind:             []any{d},
		Linux:            &linux.Options{ProgramName: "nlpscope", Icon: build.Icon, WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		OnStartup: func(c context.Context) {
			mu.Lock()
			wctx = c
			mu.Unlock()
			d.ctx = c
			d.dialogs = wailsDialogs{}
			svc.SetEmitter(wailsEmitter{ctx: c})
			if ctx.Err() != nil { // a signal arrived before the window existed
				wruntime.Quit(c)
			}
		},
		OnDomReady: func(c context.Context) {
			if st.Positioned && !st.Maximised {
				wruntime.WindowSetPosition(c, st.X, st.Y)
			}
		},
		OnBeforeClose: func(c context.Context) bool {
			closeOnce.Do(func() { close(closing) })
			if statePath != "" {
				now := windowState{Maximised: wruntime.WindowIsMaximised(c), LastDir: d.lastDirectory()}
				if now.Maximised {
					now.Width, now.Height, now.X, now.Y, now.Positioned = st.Width, st.Height, st.X, st.Y, st.Positioned
				} else {
					now.Width, now.Height = wruntime.WindowGetSize(c)
					now.X, now.Y = wruntime.WindowGetPosition(c)
					now.Positioned = true
				}
				if err := saveWindowState(statePath, now); err != nil {
					log.Warn("window state not saved", slog.Any("err", err))
				}
			}
			return false // close
		},
		OnShutdown: func(context.Context) {
			svc.SetLiveMetrics(false)
			svc.SetEmitter(nil)
		},
	})
}
