// Package frontend holds the built web UI (Svelte + TypeScript, see
// package.json). `scripts/build-frontend.sh` writes it to dist/, which is
// embedded here and served by both shells: the Wails desktop window and the
// `nlpscope serve` web shell. Before the first build, dist/ holds only
// .gitkeep; app reports that the UI has not been built.
package frontend

import (
	"embed"
	"io/fs"
)

// Dist is the built UI, rooted at "dist".
//
//go:embed all:dist
var Dist embed.FS

// FS returns the built UI rooted at its index.html.
func FS() fs.FS {
	sub, err := fs.Sub(Dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path
		panic(err)
	}
	return sub
}

// Built reports whether dist/ holds a built UI (index.html).
func Built() bool {
	_, err := fs.Stat(Dist, "dist/index.html")
	return err == nil
}
