"""The engine in a child process: the window's default. The child owns torch and the model and
runs the in-process engine's host (in_process.ModelHost); a CUDA fault, an out-of-memory abort or
a kill ends the child, never the window.

- Spawned (multiprocessing "spawn"), so it starts the same way on Linux, macOS, Windows and in the
  frozen bundle (main.py calls multiprocessing.freeze_support() first).
- Two one-way pipes: commands down, events up. Events are plain picklable data; images travel as
  raw pixels (`RawImage`), previews throttled in the child.
- A reader thread in the parent drains the event pipe all the time and hands events to the job's
  EventStream (newest preview only), so nothing queues behind a busy window. It is a thread, not an
  asyncio reader, because pipes cannot be awaited on Windows' default event loop or through qasync.
- Cancel is a multiprocessing.Event the child's runner polls every token and step, so it works
  while the child is busy and never waits behind a queued command.
- If the child dies, the running job ends with one Failed naming the exit code or signal; the next
  load or generate starts a new child, which reloads the last LoadOptions by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from glm_core.engine.base import EngineState
from glm_core.engine.in_process import THIS_COMPUTER, ModelHost
from glm_core.engine.stream import EventStream
from glm_core.generation.events import Event, Failed, Finished, Loaded, PreviewImage
from glm_core.generation.request import GenerationRequest
from glm_core.models.load_report import LoadOptions, LoadReport

log = logging.getLogger(__name__)

PREVIEW_INTERVAL_S = 0.1  # at most ten previews a second cross the pipe
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RawImage:
    """An image as it crosses the pipe: its pixels and what it takes to read them back."""

    size: tuple[int, int]
    mode: str
    data: bytes

    @classmethod
    def of(cls, image: Image.Image) -> RawImage:
        return cls(image.size, image.mode, image.tobytes())

    def to_pil(self) -> Image.Image:
        return Image.frombytes(self.mode, self.size, self.data)


def to_wire(event: Event) -> Event:
    if isinstance(event, (PreviewImage, Finished)):
        return replace(event, image=RawImage.of(event.image))
    return event


def from_wire(event: Event) -> Event:
    if isinstance(event, (PreviewImage, Finished)) and isinstance(event.image, RawImage):
        return replace(event, image=event.image.to_pil())
    return event


def torch_threads(physical_cores: int | None) -> int:
    """Leave one core to the window: with the default (every core) and one core busy elsewhere,
    small torch ops were measured ~400x slower."""
    return max(1, (physical_cores or 2) - 1)


def died_message(exitcode: int | None) -> str:
    """One line on how the child ended, for the job it was running."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return (f"The engine process stopped ({how}): the window and your work are safe, "
            "and the next Generate restarts the engine.")


# -- the child ---------------------------------------------------------------------------------------

class _Sender:
    """The child's event sink: raw pixels over the pipe, previews at most every PREVIEW_INTERVAL_S."""

    def __init__(self, conn, reloading: bool = False):
        self.conn = conn
        self.reloading = reloading  # a reload before a generation: its Loaded is not the job's end
        self.last_preview = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, PreviewImage):
            now = time.monotonic()
            if now - self.last_preview < PREVIEW_INTERVAL_S:
                return
            self.last_preview = now
        if self.reloading and isinstance(event, Loaded):
            self.conn.send(("reloaded", event.report))
            return
        self.conn.send(to_wire(event))


def child_main(commands, events, cancel, log_file: str | None) -> None:
    """The engine process: import the libraries, say so, then serve commands until the pipe closes."""
    if log_file:  # the app's log file; native crashes (CUDA, bitsandbytes) write to fd 2 as well
        stream = open(log_file, "a", encoding="utf-8", buffering=1)
        os.dup2(stream.fileno(), 2)
        sys.stderr = stream
        logging.basicConfig(stream=stream, level=logging.INFO,
                            format="%(asctime)s %(levelname)s [engine %(process)d] %(name)s: %(message)s")
    import psutil
    import torch

    from glm_core.models.loader import preload_libraries
    from glm_core.paths import onnxruntime_cache

    with onnxruntime_cache():
        preload_libraries()
        with contextlib.suppress(ImportError):
            import onnxruntime  # noqa: F401 - the model libraries import it while loading, writing ~/.cache
    torch.set_num_threads(torch_threads(psutil.cpu_count(logical=False)))
    log.info("engine process %d up: torch %s, %d threads", os.getpid(), torch.__version__, torch.get_num_threads())
    events.send("ready")
    host = ModelHost()
    while True:
        try:
            command, argument, reload = commands.recv()
        except EOFError:  # the window closed its end: unload, or the window is gone
            return
        if command == "load":
            host.load(argument, _Sender(events), cancel)
        elif command == "place":
            host.place(argument, _Sender(events))
        elif command == "generate":
            if reload is not None and host.runner is None:  # a restarted child: the last model first
                ended = []
                sender = _Sender(events, reloading=True)
                host.load(reload, lambda event: (ended.append(event), sender(event)), cancel)
                if not isinstance(ended[-1], Loaded):
                    continue  # its Failed or Cancelled ended the job
            host.generate(argument, _Sender(events), cancel)


# -- the parent --------------------------------------------------------------------------------------

class ProcessEngine:
    capabilities = THIS_COMPUTER

    def __init__(self, log_file: Path | None = None):
        self._context = multiprocessing.get_context("spawn")
        self._log_file = log_file or _app_log_file()
        self._cancel = self._context.Event()
        self._process = None
        self._commands = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self._stream: EventStream | None = None
        self._running = EngineState.STOPPED
        self._lock = threading.Lock()  # guards _stream and _report between the reader and the loop
        self._report: LoadReport | None = None  # what the child has loaded now
        self._last_options: LoadOptions | None = None  # what a restarted child loads again

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    @property
    def state(self) -> EngineState:
        if self._stream is not None and not self._stream.ended:
            return self._running
        if self._process is not None and self._process.is_alive() and not self._ready.is_set():
            return EngineState.STARTING
        return EngineState.READY if self._report is not None else EngineState.STOPPED

    def start(self) -> None:
        """Start the child in the background (it imports torch while the user types)."""
        if self._process is not None and self._process.is_alive():
            return
        commands_out, commands_in = self._context.Pipe(duplex=False)
        events_out, events_in = self._context.Pipe(duplex=False)
        self._ready.clear()
        self._report = None
        process = self._context.Process(
            target=child_main, args=(commands_out, events_in, self._cancel, str(self._log_file or "") or None),
            name="glm-image-engine", daemon=True)
        process.start()
        commands_out.close()  # the child's ends: closed here so a dead child shows as end of file
        events_in.close()
        self._process, self._commands = process, commands_in
        self._reader = threading.Thread(target=self._read, args=(process, events_out), name="engine-reader",
                                        daemon=True)
        self._reader.start()
        log.info("engine process %d starting", process.pid)

    def load(self, options: LoadOptions) -> AsyncIterator[Event]:
        self._last_options = options
        return self._job(EngineState.LOADING, ("load", options, None))

    def place(self, offload: str) -> AsyncIterator[Event]:
        return self._job(EngineState.LOADING, ("place", offload, None))

    def generate(self, request: GenerationRequest) -> AsyncIterator[Event]:
        return self._job(EngineState.GENERATING, ("generate", request, self._last_options))

    def cancel(self) -> None:
        self._cancel.set()

    async def unload(self) -> None:
        """End the child: every byte of memory the model held is the operating system's again."""
        self._last_options = None
        # A thread of its own (not the loop's executor): joining the child may take seconds, and an
        # executor's threads would outlive the window under qasync.
        stopping = threading.Thread(target=self._stop, name="engine-stop", daemon=True)
        stopping.start()
        while stopping.is_alive():
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        self.cancel()
        await self.unload()

    def stop_now(self) -> None:
        """Blocking unload for callers without an event loop (the window's last moments, atexit)."""
        self.cancel()
        self._last_options = None
        self._stop()

    # -- internals --

    def _job(self, state: EngineState, command: tuple) -> AsyncIterator[Event]:
        if self._stream is not None and not self._stream.ended:
            raise RuntimeError("The engine is busy: cancel the running job or wait for it to end.")
        stream = EventStream(asyncio.get_running_loop())
        with self._lock:
            self._stream, self._running = stream, state
        self._cancel.clear()
        self.start()
        process, commands = self._process, self._commands

        def send() -> None:
            # On a thread: a request with reference images is megabytes, and the pipe takes them
            # only as fast as the child reads, which waits until it has imported torch.
            try:
                commands.send(command)
            except (OSError, ValueError) as exc:  # the child died, or unload() closed the pipe
                stream.push(Failed(message=died_message(process.exitcode), details=str(exc)))

        threading.Thread(target=send, name="engine-send", daemon=True).start()
        return stream.events()

    def _read(self, process, events) -> None:
        """The reader thread: every event to the running job's stream, until the child ends."""
        while True:
            try:
                message = events.recv()
            except (EOFError, OSError):
                break
            if message == "ready":
                self._ready.set()
                continue
            if isinstance(message, tuple) and message[0] == "reloaded":
                with self._lock:
                    self._report = message[1]
                continue
            event = from_wire(message)
            with self._lock:
                if isinstance(event, Loaded):
                    self._report = event.report
                stream = self._stream
            if stream is not None:
                stream.push(event)
        process.join(STOP_TIMEOUT_S)
        events.close()
        with self._lock:
            if process is not self._process:
                return  # unload() or close() stopped it, and ends the job it ran
            self._report = None
            stream = self._stream
        log.warning("engine process %d ended, exit code %s", process.pid, process.exitcode)
        if stream is not None and not stream.ended:
            stream.push(Failed(message=died_message(process.exitcode),
                               details=f"See the log file {self._log_file}." if self._log_file else ""))

    def _stop(self) -> None:
        with self._lock:
            process, commands, reader, stream = self._process, self._commands, self._reader, self._stream
            self._process = self._commands = self._reader = None
            self._report = None
        if process is None:
            return
        commands.close()  # the child's recv() ends: it returns, and the process exits
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():  # busy in a long native call: no need to wait for it
            process.kill()
            process.join(STOP_TIMEOUT_S)
        if reader is not None:
            reader.join(STOP_TIMEOUT_S)
        if stream is not None and not stream.ended:
            stream.push(Failed(message="The engine was stopped.", details=""))
        log.info("engine process %d stopped, exit code %s", process.pid, process.exitcode)


def _app_log_file() -> Path | None:
    """The file the app's logging writes to, if any: the child appends there too."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None
