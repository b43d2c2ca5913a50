"""How long earlier runs took on each GLM-Image server, so the wait for a server (which reports no
progress) shows an estimate: kept per server URL + size + steps in a small JSON file in the app's
data folder, written atomically. The file is ours but may be damaged: anything odd in it is ignored."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from glm_core import paths
from glm_core.files import atomic_write_bytes

FILE_NAME = "server-timings.json"
KEEP = 5  # the newest runs per key: a server that got faster (or busier) shows it soon


def _key(server: str, width: int, height: int, steps: int) -> str:
    return f"{server} {width}x{height} {steps}"


class ServerTimings:
    def __init__(self, path: Path | None = None):
        self.path = path if path is not None else paths.user_data_dir() / FILE_NAME

    def _read(self) -> dict[str, list[float]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or damaged: start again
            return {}
        if not isinstance(data, dict):
            return {}
        return {key: [float(s) for s in runs if isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0]
                for key, runs in data.items() if isinstance(key, str) and isinstance(runs, list)}

    def expected(self, server: str, width: int, height: int, steps: int) -> float | None:
        """The median of the newest runs of this size and steps on this server; None: none yet."""
        runs = self._read().get(_key(server, width, height, steps))
        return statistics.median(runs) if runs else None

    def record(self, server: str, width: int, height: int, steps: int, seconds: float) -> None:
        data = self._read()
        key = _key(server, width, height, steps)
        data[key] = (data.get(key, []) + [round(seconds, 2)])[-KEEP:]
        try:
            atomic_write_bytes(self.path, json.dumps(data, indent=1).encode("utf-8"))
        except OSError:  # a full or read-only disk costs the estimate, never the image
            pass
