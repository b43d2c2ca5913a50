#!/usr/bin/env bash
# Install GLM-Image Studio from this checkout on Linux or macOS: an isolated virtual environment,
# the torch build for this machine, the app (editable, so it keeps using this checkout's
# resources/), and a launcher in the application menu. Model weights are not downloaded here:
# the app offers the demo model or the real download on first start (`python main.py models`).
#
#   installers/install.sh                      # asks once, then starts the app
#   installers/install.sh --yes --no-launch    # unattended (CI, scripts)
#
#   -y, --yes, --non-interactive  never ask (the default when stdin is not a terminal)
#   --launch | --no-launch        start the app at the end (default: only when interactive)
#   --venv DIR                    environment folder (default: <checkout>/.venv)
#   --python PY                   interpreter to build it from (default: newest python3.11+ found)
#   --torch auto|cuda|mps|cpu|skip  which torch build (default: auto-detect; skip: keep what is there)
#   --torch-version V             default 2.13.0, the version the app is tested with
#   --dev                         also the test tools (.[dev])
#   --no-shortcut                 no menu entry / app launcher
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON=""
TORCH="auto"
TORCH_VERSION="2.13.0"
EXTRAS="keyring"  # the token for gated repos goes to the OS keyring (glm_core/hub_token.py)
INTERACTIVE=1
LAUNCH=""
SHORTCUT=1
[ -t 0 ] || INTERACTIVE=0

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    -y|--yes|--non-interactive) INTERACTIVE=0 ;;
    --launch) LAUNCH=1 ;;
    --no-launch) LAUNCH=0 ;;
    --venv) VENV="${2:?--venv needs a folder}"; shift ;;
    --python) PYTHON="${2:?--python needs an interpreter}"; shift ;;
    --torch) TORCH="${2:?--torch needs auto, cuda, mps, cpu or skip}"; shift ;;
    --torch-version) TORCH_VERSION="${2:?--torch-version needs a version}"; shift ;;
    --dev) EXTRAS="$EXTRAS,dev" ;;
    --no-shortcut) SHORTCUT=0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[ -n "$LAUNCH" ] || LAUNCH=$INTERACTIVE
[ -f "$ROOT/pyproject.toml" ] || die "run me from a GLM-Image Studio checkout (no pyproject.toml in $ROOT)"

# --- Python 3.11+ -------------------------------------------------------------------------------
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || die "Python 3.11 or newer is needed (python.org, or your package manager), or pass --python"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$PYTHON is older than 3.11"

# --- Which torch ----------------------------------------------------------------------------------
OS="$(uname -s)"; ARCH="$(uname -m)"
TORCH_INDEX=""
if [ "$TORCH" = "auto" ]; then
  if [ "$OS" = "Darwin" ]; then
    [ "$ARCH" = "arm64" ] || die "Intel Macs have no torch >= 2.6 wheels; use Apple Silicon, Linux or Windows"
    TORCH="mps"
  elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then
    TORCH="cuda"
  else
    TORCH="cpu"
  fi
fi
case "$TORCH" in
  cuda)
    # The newest CUDA build the driver can run ("CUDA Version" in nvidia-smi is the driver's maximum).
    DRIVER_CUDA="$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\)\.\([0-9]*\).*/\1\2/p' | head -n1)"
    DRIVER_CUDA="${DRIVER_CUDA:-0}"
    if [ "$DRIVER_CUDA" -ge 130 ]; then TAG=cu130
    elif [ "$DRIVER_CUDA" -ge 128 ]; then TAG=cu128
    elif [ "$DRIVER_CUDA" -ge 126 ]; then TAG=cu126
    else die "the NVIDIA driver is too old for PyTorch's CUDA builds (needs CUDA 12.6+): update it, or use --torch cpu"
    fi
    TORCH_INDEX="https://download.pytorch.org/whl/$TAG" ;;
  cpu)
    # On Linux the PyPI wheel bundles CUDA (GBs); the CPU build comes from PyTorch's CPU index.
    [ "$OS" = "Linux" ] && TORCH_INDEX="https://download.pytorch.org/whl/cpu" ;;
  mps|skip) ;;
  *) die "--torch must be auto, cuda, mps, cpu or skip (not '$TORCH')" ;;
esac

# An unreachable extra index costs pip ~15 s of retries per package: check once, and fall back to
# the configured index (PyPI's Linux wheel is the CUDA build; a local wheel or mirror may be set).
if [ -n "$TORCH_INDEX" ] && ! "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/torch/", timeout=8)' "$TORCH_INDEX" 2>/dev/null; then
  echo "warning: $TORCH_INDEX cannot be reached; torch comes from the configured package index instead" >&2
  TORCH_INDEX=""
fi

say "checkout:     $ROOT"
say "environment:  $VENV (from $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])'))"
say "torch:        $TORCH${TORCH_INDEX:+ from $TORCH_INDEX}"
if [ "$INTERACTIVE" = 1 ]; then
  read -r -p "Continue? [Y/n] " answer
  case "$answer" in [nN]*) echo "nothing changed"; exit 0 ;; esac
fi

# --- Environment, torch, app -----------------------------------------------------------------------
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)
"${PIP[@]}" install --upgrade pip >/dev/null
if [ "$TORCH" != "skip" ]; then
  # --extra-index-url, not --index-url: torch's own dependencies still come from the usual index,
  # and a local build (e.g. 2.13.0+cpu) outranks PyPI's plain 2.13.0 of the same version. On the
  # command line it replaces pip's configured extra indexes, so those are passed along too.
  INDEX_ARGS=()
  if [ -n "$TORCH_INDEX" ]; then
    for url in $("${PIP[@]}" config get global.extra-index-url 2>/dev/null || true) \
               $("${PIP[@]}" config get install.extra-index-url 2>/dev/null || true) "$TORCH_INDEX"; do
      INDEX_ARGS+=(--extra-index-url "$url")
    done
  fi
  "${PIP[@]}" install "torch==$TORCH_VERSION" ${INDEX_ARGS[@]+"${INDEX_ARGS[@]}"}
fi
"${PIP[@]}" install -e "$ROOT[$EXTRAS]"
"$VENV/bin/python" "$ROOT/main.py" --version >/dev/null || die "the app was installed but does not start"

# --- Launcher ----------------------------------------------------------------------------------------
if [ "$SHORTCUT" = 1 ]; then
  if [ "$OS" = "Darwin" ]; then
    APP="$HOME/Applications/GLM-Image Studio.app"
    mkdir -p "$APP/Contents/MacOS"
    cat >"$APP/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>CFBundleName</key><string>GLM-Image Studio</string>
  <key>CFBundleIdentifier</key><string>io.github.glm-image-studio</string>
  <key>CFBundleExecutable</key><string>glm-image-studio</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>NSHighResolutionCapable</key><true/>
</dict></plist>
PLIST
    printf '#!/bin/sh\ncd "%s" && exec "%s/bin/python" "%s/main.py" "$@"\n' "$ROOT" "$VENV" "$ROOT" >"$APP/Contents/MacOS/glm-image-studio"
    chmod +x "$APP/Contents/MacOS/glm-image-studio"
    say "launcher:     $APP (Launchpad, Spotlight)"
  else
    APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    mkdir -p "$APPS"
    cat >"$APPS/glm-image-studio.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=GLM-Image Studio
Comment=Design posters with the GLM-Image model, on your own machine
Exec="$VENV/bin/python" "$ROOT/main.py"
Path=$ROOT
Icon=$ROOT/resources/icons/app.svg
Terminal=false
Categories=Graphics;2DGraphics;
StartupWMClass=GLM-Image Studio
DESKTOP
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" >/dev/null 2>&1 || true
    say "menu entry:   $APPS/glm-image-studio.desktop"
  fi
fi

# --- Is this machine ready? (cli/doctor.py: torch, GPU, Qt's platform plugin, fonts, disk) ---------------
say "checking this machine (python main.py doctor):"
DOCTOR_REPORT="$("$VENV/bin/python" "$ROOT/main.py" doctor 2>&1)" && DOCTOR_OK=1 || DOCTOR_OK=0
echo "$DOCTOR_REPORT"
# A window whose Qt platform plugin cannot load only aborts ("could not load the Qt platform plugin
# xcb"): never launch it then; the report above says what to install.
QT_BROKEN=0
echo "$DOCTOR_REPORT" | grep -A1 '^Qt platform plugin:' | grep -q 'fix:' && QT_BROKEN=1
if [ "$DOCTOR_OK" = 0 ]; then
  echo "install.sh: the app is installed, but fix the lines marked 'fix:' above, then run: $VENV/bin/python $ROOT/main.py doctor" >&2
fi

say "done. Start it with: $VENV/bin/python $ROOT/main.py"
if [ "$LAUNCH" = 1 ]; then
  if [ "$QT_BROKEN" = 1 ]; then
    echo "install.sh: not starting the window: Qt's platform plugin cannot load (see 'fix:' above)" >&2
    exit 1
  fi
  cd "$ROOT" && exec "$VENV/bin/python" "$ROOT/main.py"
fi
