package desktop

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// windowState is the desktop window's size and position, remembered between
// runs in a small JSON file in the user's config directory.
type windowState struct {
	Width      int  `json:"width"`
	Height     int  `json:"height"`
	X          int  `json:"x"`
	Y          int  `json:"y"`
	Positioned bool `json:"positioned"` // X and Y were saved
	Maximised  bool `json:"maximised"`
	// LastDir is the folder of the last files picked in a native dialog;
	// the next dialog opens there.
	LastDir string `json:"last_dir,omitempty"`
}

// Window size limits in pixels: the UI is laid out for 1280×800 and stays
// readable down to the minimum.
const (
	defaultWindowWidth  = 1280
	defaultWindowHeight = 800
	minWindowWidth      = 960
	minWindowHeight     = 640
	maxWindowSide       = 16384
)

// windowStatePath is $XDG_CONFIG_HOME/nlpscope/window.json (or the OS's
// config directory).
func windowStatePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("window state: %w", err)
	}
	return filepath.Join(dir, "nlpscope", "window.json"), nil
}

// loadWindowState reads the saved state; a missing or unreadable file gives
// the defaults, and sizes are clamped to sane bounds.
func loadWindowState(path string) windowState {
	st := windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}
	b, err := os.ReadFile(path)
	if err != nil {
		return st
	}
	var saved windowState
	if json.Unmarshal(b, &saved) != nil {
		return st
	}
	if saved.Width > 0 && saved.Height > 0 {
		st.Width = clampInt(saved.Width, minWindowWidth, maxWindowSide)
		st.Height = clampInt(saved.Height, minWindowHeight, maxWindowSide)
	}
	if saved.Positioned && saved.X > -maxWindowSide && saved.X < maxWindowSide && saved.Y > -maxWindowSide && saved.Y < maxWindowSide {
		st.X, st.Y, st.Positioned = saved.X, saved.Y, true
	}
	st.Maximised = saved.Maximised
	if saved.LastDir != "" && filepath.IsAbs(saved.LastDir) {
		st.LastDir = saved.LastDir
	}
	return st
}

// saveWindowState writes st atomically (a crash leaves the old file).
func saveWindowState(path string, st windowState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	return nil
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(hi, v))
}
