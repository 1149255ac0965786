#!/usr/bin/env bash
# Frontend checks: strict type check (svelte-check) and unit tests (Vitest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-frontend.sh >/dev/null   # installs npm dependencies and regenerates the Go-shared types
cd frontend
npx --no-install svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output human
npx --no-install vitest run
