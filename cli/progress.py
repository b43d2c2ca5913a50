"""`generate`'s output while it runs: a progress bar on stderr, events as JSON lines (--events)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.common import EXIT_CANCELLED, EXIT_FAILED


class EventSink:
    """Writes events as JSON lines and draws a progress bar on stderr."""

    def __init__(self, events_path: Path | None, quiet: bool):
        # Line-buffered: a tool following the file (or a test waiting for a phase) sees each event as it happens.
        self.file = open(events_path, "w", encoding="utf-8", buffering=1) if events_path else None  # noqa: SIM115
        self.quiet = quiet
        self.last = None

    def __call__(self, event) -> None:
        from glm_core.generation.events import DiffusionStep, Failed, TokenProgress

        self.last = event
        if self.file:
            self.file.write(json.dumps(event_to_json(event), ensure_ascii=False) + "\n")
        if isinstance(event, Failed):
            self._clear_line()
            print(f"error: {event.message}", file=sys.stderr)
        elif not self.quiet and isinstance(event, (TokenProgress, DiffusionStep)):
            if isinstance(event, TokenProgress):
                label, done, total = f"tokens ({event.grid})", event.index, event.total
            else:
                label, done, total = "denoising", event.step, event.total
            if done == total or done % max(1, total // 50) == 0:
                filled = int(30 * done / total)
                sys.stderr.write(f"\r{label:<16} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
                if done == total:
                    sys.stderr.write("\n")
                sys.stderr.flush()

    def _clear_line(self):
        if not self.quiet:
            sys.stderr.write("\r" + " " * 70 + "\r")

    def exit_code(self) -> int:
        from glm_core.generation.events import Cancelled

        if isinstance(self.last, Cancelled):
            print("cancelled", file=sys.stderr)
            return EXIT_CANCELLED
        return EXIT_FAILED

    def close(self):
        if self.file:
            self.file.close()


def event_to_json(event) -> dict:
    """Plain JSON for an event; images are described, not embedded."""
    from dataclasses import asdict, fields

    from glm_core.generation.events import Phase
    from glm_core.generation.recipe import Recipe

    data = {"event": type(event).__name__}
    for f in fields(event):
        value = getattr(event, f.name)
        if f.name in ("prior", "request"):  # Finished's tokens and request: for re-runs, not for the log
            continue
        if isinstance(value, Phase):
            value = value.value
        elif isinstance(value, Recipe):
            value = value.to_dict()
        elif isinstance(value, tuple):  # TextChecked's box checks, Failed's remedies
            value = [item.to_json() if hasattr(item, "to_json") else asdict(item) for item in value]
        elif hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
            data["width"], data["height"] = value.size
            continue
        data[f.name] = value
    return data
