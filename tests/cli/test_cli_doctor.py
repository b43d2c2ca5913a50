"""`python main.py doctor` (is this machine ready, and what to fix) and `main.py gui --help`
(help without a display). Both run through `python main.py` in a fresh process, as a user or the
installer runs them."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.doctor import install_line, missing_libraries, parse_ldd_missing

ROOT = Path(__file__).resolve().parents[2]
XCB_PLUGIN = Path(importlib.util.find_spec("PySide6").origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
LDD_WITHOUT_TWO = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f6e)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
"""


def _main(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env or dict(os.environ))


def test_ldd_output_becomes_the_install_line_for_each_package_manager():
    missing = parse_ldd_missing(LDD_WITHOUT_TWO)
    assert missing == ["libxcb-icccm.so.4", "libxcb-cursor.so.0"]
    assert install_line(missing, ("apt-get",)) == "sudo apt-get install -y libxcb-icccm4 libxcb-cursor0"
    assert install_line(missing, ("dnf",)) == "sudo dnf install -y xcb-util-wm xcb-util-cursor"
    assert install_line(missing, ("pacman",)) == "sudo pacman -S --needed xcb-util-wm xcb-util-cursor"
    # a library the table does not know is still named, so the user can look it up
    assert install_line(["libfoo.so.3"], ("apt-get",)) == "install the packages holding libfoo.so.3"


@pytest.mark.skipif(not (sys.platform == "linux" and shutil.which("ldd") and XCB_PLUGIN.is_file()),
                    reason="needs Linux, ldd and PySide6's xcb plugin")
def test_a_plugin_away_from_its_qt_libraries_is_found_lacking_them(tmp_path):
    """A real ELF: the xcb plugin copied away from PySide6's lib folder cannot find Qt's own libraries."""
    stray = tmp_path / XCB_PLUGIN.name
    shutil.copy(XCB_PLUGIN, stray)
    assert "libQt6XcbQpa.so.6" in missing_libraries(stray)
    assert missing_libraries(XCB_PLUGIN) == [name for name in missing_libraries(XCB_PLUGIN) if "Qt6" not in name]


def test_doctor_reports_every_topic_and_exits_1_exactly_when_something_needs_fixing():
    done = _main("doctor")
    topics = [line.split(":")[0] for line in done.stdout.splitlines() if line and not line.startswith(" ")]
    for topic in ("Python", "torch", "bitsandbytes", "Qt platform plugin", "fonts", "free disk", "model"):
        assert topic in topics, done.stdout
    fixes = [line for line in done.stdout.splitlines() if line.strip().startswith("fix:")]
    assert done.returncode == (1 if fixes else 0), done.stdout + done.stderr
    assert ("All is well." in done.stdout) == (not fixes)


@pytest.mark.skipif(not (sys.platform == "linux" and shutil.which("ldd") and shutil.which("apt-get") and XCB_PLUGIN.is_file()),
                    reason="needs a Debian-like Linux with ldd")
def test_doctor_prints_the_apt_line_for_what_xcb_lacks_on_this_machine():
    lacking = missing_libraries(XCB_PLUGIN)  # what ldd says, read independently of the doctor's report
    done = _main("doctor")
    if lacking:
        assert f"fix: {install_line(lacking, ('apt-get',))}" in done.stdout
        assert done.returncode == 1
    else:
        assert "xcb lacks" not in done.stdout


def test_gui_help_prints_help_without_a_display():
    """Before, `gui --help` started the window, which aborts on xcb without a display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    done = _main("gui", "--help", env=env)
    assert done.returncode == 0, done.stderr
    assert "usage: main.py gui" in done.stdout and "--check" in done.stdout
