"""`python main.py doctor`: is this machine ready? Python, torch and its devices, GPU memory,
bitsandbytes, Qt's platform plugin and the system libraries it lacks, fonts, free disk and the
model cache. Exit 0 when all is well, 1 with one "fix:" line per problem.

Qt is never imported here (cli imports no Qt): the platform plugin is found on disk and its
libraries are checked with `ldd`, and a trial load, when there is a display, runs in a child
process, so a plugin that aborts ("could not load the Qt platform plugin xcb") cannot take the
doctor down with it. The installer runs this at its end (installers/install.sh).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cli.common import EXIT_FAILED

GB = 1024 ** 3
FONTS_DIR = Path(__file__).resolve().parents[1] / "resources" / "fonts"

# Shared libraries Qt's xcb plugin needs that minimal desktops and containers lack, and the package
# that holds each on Debian/Ubuntu (apt-get), Fedora (dnf) and Arch (pacman).
XCB_PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libSM.so.6": ("libsm6", "libSM", "libsm"),
    "libICE.so.6": ("libice6", "libICE", "libice"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
}
PACKAGE_MANAGERS = (("apt-get", "sudo apt-get install -y"), ("dnf", "sudo dnf install -y"),
                    ("pacman", "sudo pacman -S --needed"))
CJK_FONT_PACKAGES = ("fonts-noto-cjk", "google-noto-sans-cjk-fonts", "noto-fonts-cjk")


@dataclass
class Finding:
    topic: str  # "torch", "Qt platform plugin", …
    detail: str  # what was found, one line
    fix: str | None = None  # what to do, when something must change


def add_doctor_parser(commands) -> None:
    commands.add_parser("doctor", help="check Python, torch, GPU, Qt, fonts, disk and models; "
                        "exit 1 with what to fix")


def run_doctor(args) -> int:
    findings = examine()
    for finding in findings:
        print(f"{finding.topic + ':':<22} {finding.detail}")
        if finding.fix:
            print(f"{'':<22} fix: {finding.fix}")
    problems = [f for f in findings if f.fix]
    print(f"\n{len(problems)} thing(s) to fix." if problems else "\nAll is well.")
    return EXIT_FAILED if problems else 0


def examine() -> list[Finding]:
    findings = [python_finding()]
    findings += torch_findings()
    findings.append(bitsandbytes_finding())
    findings.append(qt_plugin_finding())
    findings.append(fonts_finding())
    findings += model_findings()
    return findings


def python_finding() -> Finding:
    version = platform.python_version()
    if sys.version_info < (3, 11):
        return Finding("Python", f"{version} at {sys.executable}", "install Python 3.11 or newer and rerun the installer")
    return Finding("Python", f"{version} at {sys.executable}")


def torch_findings() -> list[Finding]:
    try:
        import torch
    except ImportError as exc:
        return [Finding("torch", f"cannot be imported ({exc})", "rerun installers/install.sh (it installs torch)")]
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
    devices = []
    findings = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(index)
            name = torch.cuda.get_device_name(index)
            devices.append(f"cuda:{index}")
            findings.append(Finding("GPU memory", f"cuda:{index} {name}: {free / GB:.1f} GB free of {total / GB:.1f} GB"))
    if torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    found = Finding("torch", f"{torch.__version__} ({build}); devices: {', '.join(devices)}")
    if torch.version.cuda and not torch.cuda.is_available():
        found.fix = "this CUDA build of torch sees no GPU: update the NVIDIA driver, or check nvidia-smi"
    if devices == ["cpu"] and not found.fix:
        found.detail += " (no GPU: generation runs on the CPU and takes a long time)"
    return [found, *findings]


def bitsandbytes_finding() -> Finding:
    import logging

    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)  # its import warns about optional kernels
    try:
        import bitsandbytes
        from bitsandbytes.cextension import BNB_BACKEND
    except Exception as exc:  # noqa: BLE001 - a broken native library raises anything at import
        return Finding("bitsandbytes", f"cannot be imported ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                       "pip install --force-reinstall bitsandbytes (only needed for int8 / nf4)")
    return Finding("bitsandbytes", f"{bitsandbytes.__version__}, {BNB_BACKEND} backend")


def qt_plugin_finding() -> Finding:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return Finding("Qt platform plugin", "PySide6 is not installed", "rerun installers/install.sh")
    platforms = Path(spec.origin).parent / "Qt" / "plugins" / "platforms"
    if sys.platform != "linux":
        return Finding("Qt platform plugin", f"{platforms} ({', '.join(sorted(p.name for p in platforms.iterdir()))})"
                       if platforms.is_dir() else f"{platforms} is missing",
                       None if platforms.is_dir() else "pip install --force-reinstall PySide6")
    plugin = platforms / "libqxcb.so"
    if not plugin.is_file():
        return Finding("Qt platform plugin", f"{plugin} is missing", "pip install --force-reinstall PySide6")
    missing = missing_libraries(plugin)
    if missing:
        return Finding("Qt platform plugin", f"xcb lacks {', '.join(missing)}", install_line(missing))
    trial = trial_load()
    if trial:
        return Finding("Qt platform plugin", f"xcb does not start: {trial}",
                       "run with QT_DEBUG_PLUGINS=1 to see why; on Wayland try QT_QPA_PLATFORM=wayland")
    shown = "loads on this display" if _has_display() else "all its libraries are present (no display to try it on)"
    return Finding("Qt platform plugin", f"xcb: {shown}")


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries `ldd` cannot find for `plugin` (its own and its dependencies'), in order."""
    try:
        done = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_ldd_missing(done.stdout)


def parse_ldd_missing(ldd_output: str) -> list[str]:
    missing = []
    for line in ldd_output.splitlines():
        name, arrow, where = line.strip().partition("=>")
        if arrow and where.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def install_line(missing: list[str], managers: tuple[str, ...] | None = None) -> str:
    """The command that installs what holds `missing`, for the package manager(s) on this machine
    (all three when none is found)."""
    managers = managers if managers is not None else tuple(m for m, _ in PACKAGE_MANAGERS if shutil.which(m))
    lines = []
    for index, (manager, command) in enumerate(PACKAGE_MANAGERS):
        if managers and manager not in managers:
            continue
        packages = list(dict.fromkeys(XCB_PACKAGES[name][index] for name in missing if name in XCB_PACKAGES))
        unknown = [name for name in missing if name not in XCB_PACKAGES]
        line = f"{command} {' '.join(packages)}" if packages else ""
        if unknown:
            line += f"{'; also ' if line else 'install the packages holding '}{', '.join(unknown)}"
        lines.append(line)
    return " | ".join(lines)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def trial_load() -> str | None:
    """Start a Qt application on xcb in a child process; the reason it failed, or None. Skipped
    (None) without a display, where xcb can only fail."""
    if not _has_display() or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    try:
        done = subprocess.run([sys.executable, "-c", "from PySide6.QtGui import QGuiApplication; QGuiApplication(['doctor'])"],
                              capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        return "a trial start did not finish in 60 s"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[0] if lines else f"exit code {done.returncode}"


def fonts_finding() -> Finding:
    bundled = sorted(p.stem for p in FONTS_DIR.glob("*.otf"))
    system = _cjk_system_fonts()
    detail = f"bundled: {', '.join(bundled) or 'none'}; system CJK families: {len(system) if system is not None else 'unknown (no fc-list)'}"
    if not bundled and not system:
        return Finding("fonts", detail, "install a CJK font so Chinese text is not drawn as empty boxes: "
                       + " | ".join(f"{cmd} {pkg}" for (_, cmd), pkg in zip(PACKAGE_MANAGERS, CJK_FONT_PACKAGES)))
    return Finding("fonts", detail)


def _cjk_system_fonts() -> list[str] | None:
    if not shutil.which("fc-list"):
        return None
    try:
        done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return sorted({line.strip() for line in done.stdout.splitlines() if line.strip()})


def model_findings() -> list[Finding]:
    from glm_core.models.catalog import known_models
    from glm_core.models.hub_cache import cache_dir, free_disk_bytes
    from glm_core.paths import user_data_dir

    cache = cache_dir()
    findings = [Finding("free disk", f"{free_disk_bytes(cache) / GB:.1f} GB where models go ({cache}); "
                        f"{free_disk_bytes(user_data_dir()) / GB:.1f} GB for app data ({user_data_dir()})")]
    for entry in known_models():
        if entry.complete:
            findings.append(Finding("model", f"{entry.name}: complete at {entry.location}"))
            continue
        total = f"{entry.total_bytes / GB:.1f} GB" if entry.total_bytes else "size unknown"
        found = Finding("model", f"{entry.name}: {entry.present_bytes / GB:.1f} GB of {total} on disk")
        if entry.total_bytes and entry.free_bytes < entry.total_bytes - entry.present_bytes:
            found.fix = (f"free {(entry.total_bytes - entry.present_bytes - entry.free_bytes) / GB:.1f} GB on the disk "
                         f"holding {entry.location}, or move the model cache with HF_HOME")
        elif entry.official:
            found.detail += f" (download it with `python main.py models download {entry.id}`, or try the demo model)"
        findings.append(found)
    return findings
