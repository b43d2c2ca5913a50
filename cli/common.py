"""What every command shares: exit codes, the one-line error, Ctrl+C as cancel, and the text
renderer the caller may hand in.

Text drawn as real text (`--overlay`, `--layout-guide`, `project export --overlay`) is Qt's job,
and neither glm_core nor cli imports Qt: the caller hands `cli.main.main` a `TextRenderer`
(main.py passes app/text/cli_renderer.QtTextRenderer, the window's own routine in
app/text/typography.py). Without one, those options fail with one line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Protocol

EXIT_FAILED = 1
EXIT_CANCELLED = 130


class CliError(Exception):
    """A failure the user can fix; its message is printed as the one-line reason."""


def print_text(text: str, file=None) -> None:
    """Print `text` whatever the terminal takes: what its encoding cannot show (or lone
    surrogates) is written as backslash escapes, never a UnicodeEncodeError; a reader that
    stops early (`| head`) ends the output quietly."""
    stream = file if file is not None else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    safe = text.encode(encoding, errors="backslashreplace").decode(encoding)
    try:
        stream.write(safe + "\n")
        stream.flush()
    except BrokenPipeError:
        # Point the stream at /dev/null so the interpreter's last flush fails no more.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())


class TextRenderer(Protocol):
    """Draws text boxes (glm_core.project.textbox.TextBox, placed in the pixels of a `size` canvas) as
    real text, the way the window does; supplied by the app side (app/text/cli_renderer.py)."""

    def prepare(self) -> None:
        """Get ready to draw (fonts, a Qt application); called before any model loads."""

    def overlay(self, image, boxes, size: tuple[int, int]):
        """`image` (PIL) with the visible boxes drawn over it at its full resolution."""

    def layout_guide(self, boxes, size: tuple[int, int], out_size: tuple[int, int] | None = None):
        """A picture (PIL, `out_size`, default `size`) of the boxes on a blank grey canvas."""


def require_renderer(renderer, option: str):
    """The caller's TextRenderer, ready to draw; a one-line CliError when there is none."""
    if renderer is None:
        raise CliError(f"{option} draws text with Qt, which this caller does not provide: "
                       "run it as `python main.py …`")
    try:
        prepare = getattr(renderer, "prepare", None)
        if prepare is not None:
            prepare()
    except (RuntimeError, OSError, ImportError) as exc:
        raise CliError(f"{option}: cannot draw text ({exc})") from exc
    return renderer


def run_cancellable(fn):
    """Run fn(cancel) in a worker thread; the first Ctrl+C sets `cancel` and waits for the work
    to wind down (fn checks it between components, tokens and steps), a second one ends the
    process at once with exit 130. fn's result or exception comes back to the caller.

    The main thread waits on an Event the worker sets, never on Thread.join(timeout): in Python
    3.11 a join interrupted by SIGINT marks the worker dead (cpython #90882), the interpreter then
    shuts down while the worker is inside torch, and the process aborts (exit 134)."""
    cancel, done, box = threading.Event(), threading.Event(), {}

    def work():
        try:
            box["result"] = fn(cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True).start()
    try:
        done.wait()
    except KeyboardInterrupt:
        cancel.set()
        previous = signal.signal(signal.SIGINT, _exit_now)
        try:
            done.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _exit_now(_signum, _frame):
    """The second Ctrl+C: the user does not want to wait for the work to wind down."""
    sys.stderr.write("\ncancelled\n")
    sys.stderr.flush()
    os._exit(EXIT_CANCELLED)


def shorten(text: str, limit: int = 120) -> str:
    """`text` for a message: a value longer than `limit` (a 70,000-character prompt) shows its
    start and end and how much was left out, never the whole."""
    text = str(text)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}…[{len(text) - 2 * keep} characters]…{text[-keep:]}"
