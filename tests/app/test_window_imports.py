"""The window's process never imports the model libraries: they take seconds to import (the window
would stay empty meanwhile) and a crash in them would take the window down. The engine process
(glm_core/engine/process.py) owns them."""

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "diffusers", "transformers", "accelerate", "bitsandbytes")

PROBE = f"""
import importlib, pkgutil, sys
import app
for info in pkgutil.walk_packages(app.__path__, "app."):
    importlib.import_module(info.name)
import main
import glm_core.engine.in_process, glm_core.engine.process  # what the window holds; torch only in the child
print(sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r})))
"""


def test_importing_every_module_of_the_window_imports_no_model_library():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
