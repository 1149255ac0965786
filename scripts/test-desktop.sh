#!/usr/bin/env bash
# Desktop smoke test: build the Wails binary, start it under Xvfb, wait until
# its UI has called the Go bindings, take a screenshot, assert it is not blank
# (pixel variance), and quit it with SIGTERM, expecting a clean exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
export NLPSCOPE_ORT_LIB="${NLPSCOPE_ORT_LIB:-$PWD/third_party/onnxruntime/libonnxruntime.so.1}"

for tool in xvfb-run import identify xdotool xwininfo pkg-config; do
  command -v "$tool" >/dev/null || { echo "test-desktop: $tool not found: run scripts/setup.sh" >&2; exit 1; }
done
if ! pkg-config --exists gtk+-3.0 webkit2gtk-4.1; then
  echo "test-desktop: GTK 3 / WebKitGTK 4.1 development files missing: run scripts/setup.sh" >&2
  exit 1
fi

scripts/build-frontend.sh
out=test-output/desktop
mkdir -p "$out" test-output/bin test-output/screenshots
bin=test-output/bin/nlpscope-desktop
go build -tags desktop,production,webkit2_41,sqlite_fts5 -o "$bin" .

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/run.sh" <<'INNER'
#!/usr/bin/env bash
# Runs inside xvfb-run. $1 binary, $2 output dir, $3 temp dir.
set -u
bin=$1 out=$2 tmp=$3
# A folder of texts; the first dialog opens in it (the remembered last folder).
mkdir -p "$tmp/config/nlpscope" "$tmp/in"
printf 'The hotel in Lisbon was wonderful.\nMaria Silva from Porto hated the food.\nACME Corp opened in Madrid.\n' >"$tmp/in/reviews.txt"
printf '{"last_dir":"%s"}' "$tmp/in" >"$tmp/config/nlpscope/window.json"
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" "$bin" desktop -v >"$out/app.log" 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 60); do
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then echo "the window process exited early" >&2; break; fi
  if grep -q "desktop UI connected" "$out/app.log"; then ok=1; break; fi
done
if [ -z "$ok" ]; then
  echo "the UI never called the Go bindings within 60 s" >&2
  kill -KILL "$pid" 2>/dev/null
  exit 1
fi
# Wait for both models to load (the window opens first), then let the UI's
# health poll (1 s while loading) show it.
for _ in $(seq 1 60); do
  [ "$(grep -c 'model loaded' "$out/app.log")" -ge 2 ] && break
  sleep 1
done
sleep 3
import -window root "$out/window.png"
# Type a text into Analyze and press Ctrl+Enter: the UI calls the Analyze binding.
xdotool search --sync --name '^nlpscope$' windowactivate --sync 2>/dev/null || true
xdotool key --clearmodifiers alt+1
sleep 0.5
xdotool key Tab
xdotool type --delay 5 'Angela Merkel met Emmanuel Macron in Paris and Berlin.'
xdotool key ctrl+Return
for _ in $(seq 1 20); do
  grep -q 'desktop analyze.*entities=[1-9]' "$out/app.log" && break
  sleep 0.5
done
if ! grep -q 'desktop analyze.*entities=[1-9]' "$out/app.log"; then
  echo "the Analyze view did not analyse the typed text through the bindings" >&2
  kill -KILL "$pid"
  exit 1
fi
sleep 1
import -window root "$out/analyze.png"
# Keyboard navigation to the dashboard (Alt+4): its live charts come through
# the Service's emitter and Wails' EventsEmit.
xdotool search --sync --name '^nlpscope$' windowactivate --sync 2>/dev/null || true
xdotool key --clearmodifiers alt+4
for _ in $(seq 1 20); do
  grep -q "desktop live metrics.*on=true" "$out/app.log" && break
  sleep 0.5
done
if ! grep -q "desktop live metrics.*on=true" "$out/app.log"; then
  echo "the dashboard did not subscribe to live metrics after Alt+4" >&2
  kill -KILL "$pid"
  exit 1
fi
sleep 4 # 16 snapshots at 4 Hz
import -window root "$out/dashboard.png"
# Batches → "Open files…" shows the native GTK dialog; Escape cancels it.
xdotool key --clearmodifiers alt+2
sleep 0.5
xdotool key Tab Return
for _ in $(seq 1 20); do
  xwininfo -root -tree | grep -q '"Open texts"' && break
  sleep 0.5
done
if ! xwininfo -root -tree | grep -q '"Open texts"'; then
  echo "the native open dialog did not appear" >&2
  kill -KILL "$pid"
  exit 1
fi
sleep 1
import -window root "$out/dialog.png"
# The dialog lists the folder's one file: select it, open it, import it with Ctrl+Enter.
xdotool key Down Return
for _ in $(seq 1 20); do
  xwininfo -root -tree | grep -q '"Open texts"' || break
  sleep 0.5
done
sleep 1
xdotool key ctrl+Return
for _ in $(seq 1 40); do
  grep -q 'desktop search.*import_id=[^ ]\+ items=3' "$out/app.log" && break
  sleep 0.5
done
if ! grep -q 'desktop import started.*files=1' "$out/app.log" || ! grep -q 'desktop search.*import_id=[^ ]\+ items=3' "$out/app.log"; then
  echo "the file picked in the native dialog was not imported (want 3 stored rows)" >&2
  kill -KILL "$pid"
  exit 1
fi
sleep 1
import -window root "$out/batches.png"
kill -TERM "$pid"
for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "the window did not quit within 20 s of SIGTERM" >&2
  kill -KILL "$pid"
  exit 1
fi
wait "$pid"
echo "exit status $?" >"$out/exit"
cp "$tmp/config/nlpscope/window.json" "$out/window.json" 2>/dev/null || true

# Second start: the window opens with a remembered size and position.
printf '{"width":1024,"height":700,"x":40,"y":30,"positioned":true}' >"$tmp/config/nlpscope/window.json"
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" "$bin" desktop >"$out/app2.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  grep -q "desktop UI connected" "$out/app2.log" && break
  sleep 1
done
sleep 1
xwininfo -root -tree | grep '"nlpscope":' | grep -v '10x10' >"$out/geometry2" || true
kill -TERM "$pid"
for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
wait "$pid"
echo "exit status $?" >"$out/exit2"
INNER
chmod +x "$tmp/run.sh"

if ! timeout 180 xvfb-run -a -s "-screen 0 1280x800x24" "$tmp/run.sh" "$PWD/$bin" "$PWD/$out" "$tmp"; then
  echo "test-desktop: FAILED; log:" >&2
  cat "$out/app.log" >&2
  exit 1
fi
status=$(cat "$out/exit")
if [ "$status" != "exit status 0" ]; then
  echo "test-desktop: the window did not quit cleanly ($status); log:" >&2
  cat "$out/app.log" >&2
  exit 1
fi
# Pixel variance, normalised to 0..1: a blank window is ~0; the UI is well above.
sd=$(identify -format '%[fx:standard_deviation]' "$out/window.png")
if ! awk -v s="$sd" 'BEGIN { exit !(s > 0.02) }'; then
  echo "test-desktop: the screenshot is blank (standard deviation $sd)" >&2
  exit 1
fi
# The window remembers its size and position for the next start.
if ! grep -q '"width":1280,"height":800' "$out/window.json" 2>/dev/null; then
  echo "test-desktop: the window state was not saved on quit (want 1280×800 in window.json): $(cat "$out/window.json" 2>&1)" >&2
  exit 1
fi
if ! grep -q '1024x700+40+30' "$out/geometry2"; then
  echo "test-desktop: the second start did not restore 1024x700+40+30: $(cat "$out/geometry2")" >&2
  exit 1
fi
if [ "$(cat "$out/exit2")" != "exit status 0" ]; then
  echo "test-desktop: the second start did not quit cleanly: $(cat "$out/exit2")" >&2
  exit 1
fi
sd2=$(identify -format '%[fx:standard_deviation]' "$out/dashboard.png")
if ! awk -v s="$sd2" 'BEGIN { exit !(s > 0.02) }'; then
  echo "test-desktop: the dashboard screenshot is blank (standard deviation $sd2)" >&2
  exit 1
fi
cp "$out/window.png" test-output/screenshots/desktop.png
cp "$out/analyze.png" test-output/screenshots/desktop-analyze.png
cp "$out/dialog.png" test-output/screenshots/desktop-dialog.png
cp "$out/batches.png" test-output/screenshots/desktop-batches.png
cp "$out/dashboard.png" test-output/screenshots/desktop-dashboard.png
echo "test-desktop: ok (window rendered, pixel standard deviation $sd; typed text analysed through the bindings; dashboard live over Wails events; file picked in the native dialog imported by path; window state restored; clean exits); screenshots test-output/screenshots/desktop.png, desktop-analyze.png, desktop-dashboard.png, desktop-dialog.png, desktop-batches.png" >&2
