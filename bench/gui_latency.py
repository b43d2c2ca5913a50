"""Does the GUI thread stall while the model works? A timer probe during real demo-model runs.

    QT_QPA_PLATFORM=offscreen python bench/gui_latency.py [--size 256] [--steps 12] [--runs 3] [--engine process]

The real Session and an engine (in-process: a worker thread; process: the engine process, as the
window runs) load the demo model and generate; a 5 ms QTimer on the GUI thread records when it
fires. The gap between ticks is how long a user's click would wait. Goal: the worst gap stays under
100 ms (bench/startup.py holds the engine process to 50 ms). A baseline run with an idle engine is
printed first, so the machine's own scheduling noise is visible next to it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-bench-"))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.generation.history import HistoryModel  # noqa: E402
from app.generation.session import Session  # noqa: E402
from app.jobs import event_loop  # noqa: E402
from glm_core.engine.in_process import InProcessEngine  # noqa: E402
from glm_core.engine.process import ProcessEngine  # noqa: E402
from glm_core.generation.request import GenerationRequest  # noqa: E402
from glm_core.models.load_report import LoadOptions  # noqa: E402

GOAL_MS = 100


def probe(app, start, done_signal, timeout_s=300.0) -> list[float]:
    """Run `start()` and collect GUI-thread tick gaps (ms) until `done_signal` fires."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    done_signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    timer.start()
    start()
    loop.exec()
    timer.stop()
    done_signal.disconnect(loop.quit)
    return [(b - a) * 1000 for a, b in zip(ticks, ticks[1:])]


def row(name: str, gaps: list[float], goal_ms: float = GOAL_MS) -> str:
    ordered = sorted(gaps)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else float("nan")
    worst = max(gaps, default=float("nan"))
    verdict = "ok" if worst < goal_ms else "OVER"
    return f"| {name} | {len(gaps)} | {statistics.median(gaps):.1f} | {p99:.1f} | {worst:.1f} | {verdict} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=("in-process", "process"), default="process")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    event_loop()
    session = Session(HistoryModel(), InProcessEngine() if args.engine == "in-process" else ProcessEngine())

    idle = QTimer()
    idle.setSingleShot(True)
    rows = [row("idle (baseline, 2 s)", probe(app, lambda: idle.start(2000), idle.timeout))]
    rows.append(row("load demo model", probe(app, lambda: session.load(LoadOptions(source="demo", device="cpu")),
                                                session.modelChanged)))
    request = GenerationRequest(prompt="a “LATENCY” poster", width=args.size, height=args.size, steps=args.steps, seed=1)
    for run in range(1, args.runs + 1):
        rows.append(row(f"generate {args.size}² x {args.steps} steps, run {run}",
                        probe(app, lambda: session.generate(request), session.generationFinished)))
    session.shutdown()

    print(f"\nGUI-thread gaps (5 ms timer probe), goal: worst < {GOAL_MS} ms\n")
    print("| phase | ticks | median ms | p99 ms | worst ms | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
