package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	hfhub "github.com/nlpscope/nlpscope/engine/hub"
)

func modelsRemove(ctx context.Context, std Stdio, m *modelsEnv, args []string) error {
	fset := m.flags(std)
	pos, err := m.parse(fset, args, 1, "usage: nlpscope models rm MODEL   (a folder name under the models dir, or ORG/NAME in the Hugging Face cache)")
	if err != nil {
		return err
	}
	arg := pos[0]
	if _, err := fs.Stat(embeddedModels(), strings.TrimPrefix(arg, app.EmbeddedPrefix)); err == nil && !strings.Contains(arg, "/") {
		if _, err := os.Stat(filepath.Join(m.modelsDir, arg)); err != nil {
			return fmt.Errorf("%s is embedded in the binary and cannot be removed", arg)
		}
	}
	if !strings.ContainsAny(arg, `/\`) && arg != "." && arg != ".." {
		dir := filepath.Join(m.modelsDir, arg)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			trash := filepath.Join(m.modelsDir, ".trash-"+arg)
			os.RemoveAll(trash)
			if err := os.Rename(dir, trash); err != nil {
				return err
			}
			os.RemoveAll(trash)
			fmt.Fprintf(std.Out, "removed %s\n", dir)
			return nil
		}
	}
	repo, _, err := hfhub.ParseRef(arg)
	if err == nil {
		err = hfhub.RemoveRepo(m.hfCache, repo)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", arg, err)
	}
	fmt.Fprintf(std.Out, "removed %s from %s\n", repo, m.hfCache)
	return nil
}
