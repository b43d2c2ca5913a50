"""What the window's background work shares.

- `event_loop()`: asyncio on Qt's own event loop (qasync), so the window awaits its engines on the
  GUI thread without a thread of its own; pytest-qt's waitSignal runs it too (nested Qt loops
  deliver its timers and cross-thread wake-ups).
- `JobRunner`: one job at a time, numbered; cancel makes the job stale at once (whatever it still
  reports is dropped), and the next job starts only once the last one has wound down.
- `ThreadTask`: a blocking call (a download, a verify, a project write) on a thread of its own, awaited in a job,
  its progress coalesced to the newest value; cancelled through its threading.Event.
- `NewestValue`: the newest-value mailbox between a worker thread and the GUI thread (download
  progress, the text check), so a fast stream of values never queues up behind a busy GUI.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import qasync
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

T = TypeVar("T")
log = logging.getLogger(__name__)


def event_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop running on Qt's event loop, made on first use (app/main.py makes it first)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return qasync.QEventLoop(QApplication.instance(), already_running=True)


def wait_blocking(awaitable: Awaitable) -> None:
    """Run `awaitable` to its end from a plain Qt handler (closing the window), keeping the GUI
    painted meanwhile: a nested Qt loop runs until it is done."""
    loop = event_loop()
    task = asyncio.ensure_future(awaitable, loop=loop)
    if asyncio.current_task(loop) is not None:  # inside a task a nested loop cannot run others
        log.warning("not waiting for %s: called from inside an asyncio task", awaitable)
        return
    nested = QEventLoop()
    task.add_done_callback(lambda _task: nested.quit())
    nested.exec()


class JobRunner:
    """Numbered jobs on the window's asyncio loop. `start(work)` runs `work(job)` after the
    previous job's coroutine has ended (an engine takes one job at a time), unless the job was
    cancelled or replaced while it waited."""

    def __init__(self):
        self._numbers = itertools.count(1)
        self.job: int | None = None  # the job whose results are still wanted
        self._last: asyncio.Task | None = None

    def current(self, job: int) -> bool:
        return job == self.job

    def start(self, work: Callable[[int], Awaitable[None]]) -> int:
        self.job = job = next(self._numbers)
        self._chain(lambda: work(job) if self.current(job) else _nothing())
        return job

    def after(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` once the running job has wound down, before any later job (closing an engine)."""
        self._chain(work)

    def cancel(self) -> None:
        self.job = None

    async def idle(self) -> None:
        """Until everything started so far has ended."""
        while self._last is not None and not self._last.done():
            await asyncio.wait([self._last])

    def _chain(self, work: Callable[[], Awaitable[None]]) -> None:
        previous = self._last

        async def run() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            try:
                await work()
            except Exception:  # noqa: BLE001 - a failing job must not stop the ones after it
                log.exception("background job failed")

        self._last = event_loop().create_task(run())


class ThreadTask(Generic[T]):
    """A blocking call `fn(report, cancel)` on a thread of its own, awaited on the window's loop.
    What it reports reaches `on_progress` on the GUI thread, newest only: the thread keeps the
    newest value and wakes the loop once while none is waiting (a NewestValue)."""

    def __init__(self, fn: Callable[[Callable[[object], None], threading.Event], T],
                 on_progress: Callable[[object], None], name: str):
        self.cancel = threading.Event()
        self._fn, self._on_progress = fn, on_progress
        self._loop = event_loop()
        self._latest: NewestValue[object] = NewestValue()
        self._done: asyncio.Future = self._loop.create_future()
        self.thread = threading.Thread(target=self._work, name=name, daemon=True)

    async def run(self) -> T:
        self.thread.start()
        return await self._done

    def _report(self, value: object) -> None:
        if self._latest.put(value):
            self._call_soon(self._deliver)

    def _deliver(self) -> None:
        value = self._latest.take()
        if value is not None and not self._done.done():
            self._on_progress(value)

    def _work(self) -> None:
        try:
            result = self._fn(self._report, self.cancel)
        except BaseException as exc:  # noqa: BLE001 - re-raised where it is awaited
            self._call_soon(self._settle, None, exc)
        else:
            self._call_soon(self._settle, result, None)

    def _settle(self, result, error: BaseException | None) -> None:
        if self._done.done():
            return
        if error is not None:
            self._done.set_exception(error)
        else:
            self._done.set_result(result)

    def _call_soon(self, callback, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed (the app is quitting): nobody listens any more
            pass


async def _nothing() -> None:
    pass


class NewestValue(Generic[T]):
    def __init__(self):
        self._lock = threading.Lock()
        self._value: T | None = None

    def put(self, value: T) -> bool:
        """Keep `value` instead of any older one; True when the box was empty (poke the GUI)."""
        with self._lock:
            was_empty, self._value = self._value is None, value
        return was_empty

    def take(self) -> T | None:
        """The newest value, once; None when nothing came since the last take."""
        with self._lock:
            value, self._value = self._value, None
        return value
