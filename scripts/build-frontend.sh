#!/usr/bin/env bash
# Build the web UI into frontend/dist (embedded into the Go binary by
# frontend/embed.go). Installs npm dependencies from the lock file when they
# are missing or stale; skips the build when dist is newer than every source.
set -euo pipefail
cd "$(dirname "$0")/../frontend"

# Stale is by content, not by date: a fresh checkout (or a git worktree
# sharing node_modules) has a newer lock file with the same dependencies.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.nlpscope-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "setup: installing frontend dependencies (npm ci)" >&2
  npm ci --no-fund --no-audit --loglevel=error
  echo "$lock_sum" > node_modules/.nlpscope-lock.sha256
fi

# Types shared with Go come from one source: regenerate them from app's types.
(cd .. && go run ./frontend/tsgen -o frontend/src/lib/api/models.gen.ts)

if [ "${1:-}" != "--force" ] && [ -f dist/index.html ] &&
   [ -z "$(find src index.html vite.config.ts svelte.config.js package-lock.json public -newer dist/index.html -print -quit)" ]; then
  exit 0
fi
echo "setup: building frontend (vite)" >&2
npx --no-install vite build --logLevel warn
test -f dist/index.html
test -f dist/.gitkeep
