#!/bin/sh
# Fresh screenshots of the real window: Xvfb + openbox, the app on that display (xcb), driven by
# xdotool (docs/screenshots/take.py). Needs xvfb, openbox and xdotool (apt install xvfb openbox xdotool).
#   PYTHON=.venv/bin/python docs/screenshots/take.sh
set -eu
cd "$(dirname "$0")/../.."
SCREEN=${SCREEN:-:71}  # a display nobody else uses
Xvfb "$SCREEN" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
sleep 1
DISPLAY=$SCREEN openbox >/dev/null 2>&1 &
OPENBOX=$!
trap 'kill $OPENBOX $XVFB 2>/dev/null' EXIT
sleep 1
DISPLAY=$SCREEN QT_QPA_PLATFORM=xcb "${PYTHON:-python}" docs/screenshots/take.py
