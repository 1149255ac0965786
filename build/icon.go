// Package build holds the Wails build assets; Icon is the application icon
// the desktop window shows.
package build

import _ "embed"

// Icon is build/appicon.png (256×256 PNG).
//
//go:embed appicon.png
var Icon []byte
