"""Download progress as plain data, measured from huggingface_hub's progress-bar hooks.

huggingface_hub reports bytes only through tqdm-like classes (`tqdm_class=`), from its worker
threads. `ProgressTracker` turns those updates into `DownloadProgress` values (bytes, speed, ETA,
file) for a dialog or the CLI, at most a few per second, and is where cancellation happens: an
update() that raises stops the download inside huggingface_hub's read loop, which lets the
exception through and closes the connection.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

EMIT_INTERVAL_S = 0.2  # a progress bar needs no more; a Qt signal per network chunk would flood the GUI
SPEED_WINDOW_S = 5.0  # speed over the last seconds: steady, yet follows a changing connection


@dataclass(frozen=True)
class DownloadProgress:
    done_bytes: int  # on disk, files finished earlier and partial files included
    total_bytes: int  # all files the pipeline needs
    speed_bps: float  # bytes per second over the last few seconds (0 until measured)
    eta_s: float | None  # seconds left at that speed; None while unknown
    file: str  # the file that last advanced ("" when none in particular)
    phase: str = "downloading"  # checking | downloading | verifying | finishing | done

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 0.0


def fmt_bytes(n: float | None) -> str:
    """Decimal units, as download sizes and disks are quoted."""
    if n is None:
        return "?"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


class DownloadCancelled(Exception):
    """The download was cancelled; the files and partial files on disk are kept for a later resume."""


class _Stopped(Exception):
    """A sibling download failed: stop this one too (the sibling's error is the one reported)."""


class ProgressTracker:
    def __init__(self, on_progress: Callable[[DownloadProgress], None] | None, cancel: threading.Event):
        self.on_progress = on_progress
        self.cancel = cancel
        self.stop = threading.Event()  # set by the download when one of its threads failed
        self._lock = threading.Lock()
        self._emit_lock = threading.Lock()  # callbacks never run at the same time
        self.total = self.done = 0
        self.file, self.phase = "", "checking"
        self._samples: deque[tuple[float, int]] = deque()
        self._last_emit = 0.0
        self._speed = 0.0

    def check(self) -> None:
        if self.cancel.is_set():
            raise DownloadCancelled()
        if self.stop.is_set():
            raise _Stopped()

    def start(self, total: int, present: int) -> None:
        """A (re)started attempt: bytes already on disk count as done, but not towards the speed."""
        with self._lock:
            self.total, self.done = total, present
            self._samples.clear()
        self.set_phase("downloading")

    def finish(self) -> None:
        with self._lock:
            self.done, self.phase, self.file = self.total, "done", ""
        self._emit(force=True)

    def set_phase(self, phase: str, file: str = "") -> None:
        with self._lock:
            self.phase, self.file = phase, file
        self._emit(force=True)

    def add(self, n: int, file: str) -> None:
        self.check()
        with self._lock:
            self.done += n
            self.file = file or self.file
        self._emit()

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_emit < EMIT_INTERVAL_S:
                return
            self._last_emit = now
            self._samples.append((now, self.done))
            while len(self._samples) > 2 and now - self._samples[1][0] >= SPEED_WINDOW_S:
                self._samples.popleft()
            t0, d0 = self._samples[0]
            if now - t0 >= 0.5:  # shorter spans give wild numbers
                self._speed = max(0.0, (self.done - d0) / (now - t0))
            left = max(0, self.total - self.done)
            eta = left / self._speed if self._speed > 0 else (0.0 if left == 0 else None)
            report = DownloadProgress(self.done, self.total, self._speed, eta, self.file, self.phase)
        if self.on_progress is not None:
            with self._emit_lock:
                self.on_progress(report)

    def file_bar(self, path: str) -> type:
        """A tqdm stand-in for one file downloaded by `huggingface_hub.file_download.http_get`."""
        return _bar_class(lambda bar, n: self.add(n, path))

    def snapshot_bar(self) -> type:
        """A tqdm stand-in for `snapshot_download(tqdm_class=...)`.

        snapshot_download feeds the same bytes to two byte bars (network transfer and bytes written)
        and counts files on a third. The largest byte count of the byte bars is what arrived."""
        bars: list = []
        seen = [0]
        guard = threading.Lock()

        def on_update(bar, n):
            if bar.unit != "B":
                self.check()  # the file counter ticks in the calling thread: a cancel point too
                return
            with guard:
                if bar not in bars:
                    bars.append(bar)
                best = max(b.n for b in bars)
                delta, seen[0] = max(0, best - seen[0]), max(seen[0], best)
            self.add(delta, "")

        return _bar_class(on_update)


def _bar_class(on_update: Callable) -> type:
    """Just enough of tqdm's interface for huggingface_hub; draws nothing."""

    class _Bar:
        def __init__(self, *args, **kwargs):
            self.n = 0
            self.total = kwargs.get("total")
            self.unit = kwargs.get("unit", "it")
            self.desc = kwargs.get("desc", "")

        def update(self, n: int | float | None = 1) -> None:
            n = int(n or 0)
            self.n += n
            on_update(self, n)

        @property
        def format_dict(self) -> dict:
            return {"n": self.n, "total": self.total, "rate": None}

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            pass

        def close(self) -> None:
            pass

        def refresh(self, *args, **kwargs) -> None:
            pass

        def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
            self.desc = desc or ""

        def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
            self.desc = desc or ""

        def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
            pass

    return _Bar
