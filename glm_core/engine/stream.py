"""The bridge from a thread that makes events (a generation thread, the engine process's pipe
reader) to the asyncio task that consumes them.

Events keep their order, but superseded ones are dropped while the consumer is busy: a newer
preview replaces any preview still waiting, and a newer count (token, step, load step) replaces a
waiting count of its kind since the last phase change. So a fast model never queues thousands of events behind a busy
window, and the thread wakes the event loop once per batch, not once per event.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator

from glm_core.generation.events import (
    Cancelled, DiffusionStep, Event, Failed, Finished, Loaded, LoadStep, PreviewImage, TokenProgress,
)

TERMINAL = (Loaded, Finished, Failed, Cancelled)
_COUNTS = (TokenProgress, DiffusionStep, LoadStep)


class EventStream:
    """One job's events. `push` from any thread; iterate on the event loop that made it. The
    iteration ends after the first terminal event (Loaded, Finished, Failed, Cancelled)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: deque[Event] = deque()
        self._wake = asyncio.Event()
        self.ended = False  # a terminal event was pushed: later pushes are ignored

    def push(self, event: Event) -> None:
        with self._lock:
            if self.ended:
                return
            was_empty = not self._pending
            if isinstance(event, PreviewImage):
                for queued in [e for e in self._pending if isinstance(e, PreviewImage)]:
                    self._pending.remove(queued)
            elif isinstance(event, _COUNTS):
                self._drop_older_count(type(event))
            self._pending.append(event)
            self.ended = isinstance(event, TERMINAL)
        if was_empty:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _drop_older_count(self, kind: type) -> None:
        """A count of the same kind still waiting is superseded, unless a phase change or another
        event that must be seen came after it (previews and other counts do not count)."""
        for queued in reversed(self._pending):
            if type(queued) is kind:
                self._pending.remove(queued)
                return
            if not isinstance(queued, (PreviewImage, *_COUNTS)):
                return

    async def events(self) -> AsyncIterator[Event]:
        while True:
            await self._wake.wait()
            with self._lock:
                batch = list(self._pending)
                self._pending.clear()
                self._wake.clear()
            for event in batch:
                yield event
                if isinstance(event, TERMINAL):
                    return
