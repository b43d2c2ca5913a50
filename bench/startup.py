"""Start-up and the engine process's costs to the window.

    python bench/startup.py [--runs 2] [--size 256] [--steps 12]

1. Time to window shown and to engine ready (a model loaded), from the process's launch:
   `main.py gui --check` (the engine process, as the app starts) against a baseline in the same run
   that starts the old way: torch and the model libraries imported before the window, the model in
   the window's process (InProcessEngine). Each on a fresh GLM_STUDIO_HOME (a first run: the demo).
2. The window's worst event-loop gap while generating through the engine process (a 5 ms QTimer
   probe, bench/gui_latency.py's); goal: worst < 50 ms.
3. The preview transport per frame at 1024x1024: raw pixels pickled through a real pipe and read
   back into a PIL image, against a plain PIL copy of the same frame.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-bench-"))

GAP_GOAL_MS = 50
FIGURE = re.compile(r"(window shown|engine ready): yes .* in (\d+\.\d) s")

# The old start-up, as the baseline: libraries imported behind the window, the model in-process.
IN_PROCESS_START = """
import sys, time
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from app.main import seconds_since_launch
from app.jobs import event_loop
event_loop()
import torch
from glm_core.models.loader import preload_libraries
preload_libraries()
from app.main_window import MainWindow
from app.settings import StudioSettings
from glm_core.engine.in_process import InProcessEngine
from glm_core.models.load_report import LoadOptions
window = MainWindow(StudioSettings(), engine=InProcessEngine())
window.show()
app.processEvents()
print(f"window shown: yes (in-process) in {{seconds_since_launch():.1f}} s", flush=True)
def ready(report):
    if report is not None:
        print(f"engine ready: yes (in-process) in {{seconds_since_launch():.1f}} s", flush=True)
        window.close()
        app.exit(0)
window.session.modelChanged.connect(ready)
window.session.load(LoadOptions(source="demo"))
sys.exit(app.exec())
"""


def startup_figures(command: list[str]) -> dict[str, float]:
    env = dict(os.environ, GLM_STUDIO_HOME=tempfile.mkdtemp(prefix="glm-bench-start-"))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    figures = {match[1]: float(match[2]) for match in FIGURE.finditer(done.stdout)}
    if len(figures) != 2:
        raise SystemExit(f"{' '.join(command)} did not report both figures:\n{done.stdout}\n{done.stderr[-2000:]}")
    return figures


def measure_startup(runs: int) -> list[str]:
    process = [startup_figures([sys.executable, "main.py", "gui", "--check"]) for _ in range(runs)]
    in_process = [startup_figures([sys.executable, "-c", IN_PROCESS_START.format(root=str(ROOT))])
                  for _ in range(runs)]
    lines = ["| from launch | engine process (s) | in-process baseline (s) | ratio |", "| --- | ---: | ---: | ---: |"]
    for key in ("window shown", "engine ready"):
        ours = statistics.median(run[key] for run in process)
        base = statistics.median(run[key] for run in in_process)
        lines.append(f"| {key} | {ours:.1f} | {base:.1f} | {ours / base:.2f} |")
    return lines


def measure_gaps(size: int, steps: int) -> list[str]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.generation.history import HistoryModel
    from app.generation.session import Session
    from app.jobs import event_loop
    from gui_latency import probe, row
    from glm_core.engine.process import ProcessEngine
    from glm_core.generation.request import GenerationRequest
    from glm_core.models.load_report import LoadOptions

    app = QApplication.instance() or QApplication([])
    event_loop()
    session = Session(HistoryModel(), ProcessEngine())
    idle = QTimer()
    idle.setSingleShot(True)
    rows = ["| phase | ticks | median ms | p99 ms | worst ms | verdict |", "| --- | ---: | ---: | ---: | ---: | --- |",
            row("idle (baseline, 2 s)", probe(app, lambda: idle.start(2000), idle.timeout), GAP_GOAL_MS),
            row("engine process starts + loads the demo",
                probe(app, lambda: session.load(LoadOptions(source="demo", device="cpu")), session.modelChanged),
                GAP_GOAL_MS)]
    request = GenerationRequest(prompt="a “LATENCY” poster", width=size, height=size, steps=steps, seed=1)
    for run in (1, 2):
        rows.append(row(f"generate {size}² x {steps} steps through the engine process, run {run}",
                        probe(app, lambda: session.generate(request), session.generationFinished), GAP_GOAL_MS))
    session.shutdown()
    return rows


def measure_preview_transport(frames: int = 40) -> list[str]:
    from PIL import Image

    from glm_core.engine.process import RawImage, from_wire, to_wire
    from glm_core.generation.events import Phase, PreviewImage

    frame = Image.frombytes("RGB", (1024, 1024), os.urandom(1024 * 1024 * 3))
    receiving, sending = multiprocessing.get_context("spawn").Pipe(duplex=False)

    def send() -> None:
        for _ in range(frames):
            sending.send(to_wire(PreviewImage(frame, Phase.DIFFUSION)))

    started = time.perf_counter()
    sender = threading.Thread(target=send)
    sender.start()
    for _ in range(frames):
        event = from_wire(receiving.recv())
    sender.join()
    piped = (time.perf_counter() - started) / frames * 1000
    assert isinstance(event.image, Image.Image) and not isinstance(event.image, RawImage)

    started = time.perf_counter()
    for _ in range(frames):
        frame.copy()
    copied = (time.perf_counter() - started) / frames * 1000
    return ["| 1024x1024 RGB preview | ms per frame |", "| --- | ---: |",
            f"| raw pixels: tobytes + pickle + pipe + frombytes | {piped:.1f} |",
            f"| baseline: PIL copy | {copied:.1f} |",
            f"| ratio | {piped / copied:.1f} |"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    print("\n".join(measure_preview_transport()) + "\n")
    print("\n".join(measure_startup(args.runs)) + "\n")
    print(f"GUI-thread gaps (5 ms timer probe), goal: worst < {GAP_GOAL_MS} ms\n")
    print("\n".join(measure_gaps(args.size, args.steps)))


if __name__ == "__main__":
    main()
