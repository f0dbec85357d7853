#!/usr/bin/env bash
# Starts the standalone Refcan (dummy audio backend) on a virtual X display, lets the editor
# draw, and writes a PNG of its window: docs/screenshot.png by default.
#
#   bash tools/screenshot.sh [OUT.png] [-- extra standalone options]
#
# Needs: xvfb, imagemagick (import), xdotool, x11-utils (xwininfo), libasound2-dev and libjack-jackd2-dev to build the
# standalone, and the GL runtime (libgl1-mesa-dri, libegl1). On Debian/Ubuntu as root the
# script installs what is missing. REFCAN_SCREENSHOT_STATE=FILE loads a plugin state
# (e.g. from `refcan preset`) before the window opens.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshot.png}
shift || true
[ "${1:-}" = "--" ] && shift

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
command -v xdotool >/dev/null || need+=(xdotool)
command -v xwininfo >/dev/null || need+=(x11-utils)
dpkg -s libjack-jackd2-dev >/dev/null 2>&1 || need+=(libjack-jackd2-dev)
dpkg -s libasound2-dev >/dev/null 2>&1 || need+=(libasound2-dev)
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need+=(libgl1-mesa-dri libegl1 libx11-xcb1 libxkbcommon-x11-0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "tools/screenshot.sh needs: ${need[*]}" >&2
    exit 1
  fi
fi

cargo build --features standalone --bin refcan-standalone
bin=target/debug/refcan-standalone

display=:$(( 90 + RANDOM % 9 ))
Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp >/tmp/refcan-xvfb.log 2>&1 &
xvfb=$!
app=
cleanup() {
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
}
trap cleanup EXIT
sleep 1

# llvmpipe renders the OpenGL editor without a GPU.
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 "$bin" -b dummy -r 48000 -p 512 "$@" \
  >/tmp/refcan-standalone.log 2>&1 &
app=$!

# Wait for the window, then give the curve worker and a few frames time to settle.
for _ in $(seq 1 60); do
  if DISPLAY=$display xwininfo -root -tree 2>/dev/null | grep -q '"Refcan"'; then
    break
  fi
  kill -0 "$app" 2>/dev/null || { cat /tmp/refcan-standalone.log >&2; exit 1; }
  sleep 0.5
done
sleep 2
id=$(DISPLAY=$display xwininfo -root -tree | awk '/"Refcan"/ {print $1; exit}')
if [ -z "$id" ]; then
  echo "no Refcan window appeared; standalone log:" >&2
  cat /tmp/refcan-standalone.log >&2
  exit 1
fi

# Use it as an engineer would: type a headphone measurement's path into the path field, load
# it, and pick a slot. The measurement is read where it lies (never copied into the project):
# REFCAN_SCREENSHOT_HEADPHONE, else a public AutoEq file in ../shared/data when present.
headphone=${REFCAN_SCREENSHOT_HEADPHONE:-../shared/data/autoeq/Beyerdynamic DT 770 Pro (worn earpads).csv}
if [ -f "$headphone" ] && command -v xdotool >/dev/null; then
  headphone=$(realpath "$headphone")
  x() { DISPLAY=$display xdotool "$@"; }
  # Positions in the default 1180 x 720 window (see src/editor/app.rs).
  x mousemove --window "$id" 250 51 click 1
  sleep 0.5
  x type --delay 20 "$headphone"
  sleep 0.5
  x mousemove --window "$id" 545 51 click 1
  sleep 1
  # Slot 5 (the phone speaker in the default slots).
  x mousemove --window "$id" ${REFCAN_SCREENSHOT_SLOT_X:-710} 105 click 1
fi
sleep "${REFCAN_SCREENSHOT_WAIT:-4}"
mkdir -p "$(dirname "$out")"
DISPLAY=$display import -window "$id" "$out"
echo "wrote $out ($(identify -format '%wx%h' "$out"))"
