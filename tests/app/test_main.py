import re
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSplashScreen

from app.models.first_run import FirstRunDialog
from app.main import run_app
from glm_core.engine.process import torch_threads
from app.main_window import MainWindow
from glm_core.paths import user_log_dir


def test_run_app_shows_the_window_without_a_splash_and_quits_cleanly(qapp, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_app installs its own
    seen = {}

    def look_then_quit():
        widgets = QApplication.topLevelWidgets()
        windows = [w for w in widgets if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return  # still starting
        poll.stop()
        seen["splash"] = any(isinstance(w, QSplashScreen) and w.isVisible() for w in widgets)
        seen["first run"] = any(isinstance(w, FirstRunDialog) and w.isVisible() for w in widgets)
        for widget in widgets:
            if isinstance(widget, FirstRunDialog):
                widget.reject()
        for window in windows:
            window.close()

    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(look_then_quit)
    poll.start()
    assert run_app(["glm-image-studio"]) == 0
    assert seen == {"splash": False, "first run": True}
    log = (user_log_dir() / "studio.log").read_text(encoding="utf-8")
    assert "starting GLM-Image Studio" in log and "engine process" in log


def test_torch_threads_leave_a_core_for_the_gui():
    assert torch_threads(None) == 1
    assert torch_threads(1) == 1
    assert torch_threads(8) == 7


def test_gui_check_starts_the_real_app_and_reports_the_window_then_the_engine(tmp_path):
    """`main.py gui --check` is what CI runs on the frozen bundle: it must really open the window,
    then have the engine process load a model (the demo on a first run)."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GLM_STUDIO_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, str(root / "main.py"), "gui", "--check"], capture_output=True,
                          text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    shown, ready = done.stdout.splitlines()[:2]
    assert re.fullmatch(r"window shown: yes \(Untitled — GLM-Image Studio\) in \d+\.\d s", shown), shown
    assert re.fullmatch(r"engine ready: yes \(glm-image-studio/demo-tiny on cpu\) in \d+\.\d s", ready), ready
    assert float(ready.split(" in ")[-1][:-2]) >= float(shown.split(" in ")[-1][:-2])


def test_window_and_a_generation_write_nothing_outside_glm_studio_home(tmp_path):
    """GLM_STUDIO_HOME moves everything: the window's settings (QSettings wrote ~/.config/GLM-Image
    Studio before), logs, autosave, and a generation with the text check (onnxruntime's cache)."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    home, studio = tmp_path / "home", tmp_path / "studio"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), GLM_STUDIO_HOME=str(studio), QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1")
    window = subprocess.run([sys.executable, str(root / "main.py"), "gui", "--check"], capture_output=True,
                            text=True, env=env, timeout=180)
    assert "window shown: yes" in window.stdout, window.stderr
    generation = subprocess.run(
        [sys.executable, str(root / "main.py"), "generate", "--model", "demo", "--prompt", "a poster", "--width", "64",
         "--height", "64", "--steps", "2", "--box", "SALE", "--at", "0,0,64,32", "--check-text", "--quiet",
         "--out", str(tmp_path / "out.png")], capture_output=True, text=True, env=env, timeout=300)
    assert (tmp_path / "out.png").is_file(), generation.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert (studio / "settings.ini").is_file()
