#!/usr/bin/env bash
# Install what nlpscope needs to build, run and test, skipping what is present.
# Idempotent; safe to run on every `make`. Works on a fresh Debian 12 as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: browser tests (chromium), desktop build and smoke test
# (GTK/WebKit, Xvfb, ImageMagick), SQLite shell for debugging, and qemu-user:
# the INT8 tests run again on an emulated CPU without VNNI
# (scripts/test-cpu-emulated.sh).
APT_PACKAGES=(chromium xvfb xauth imagemagick libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config gcc fonts-noto-color-emoji xdotool x11-utils qemu-user)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

scripts/setup-ort.sh
go mod download
# The web UI (npm dependencies from the lock file, types generated from Go, Vite build).
scripts/build-frontend.sh
