"""What the window's background work shares: the newest-value mailbox between a worker thread and
the GUI thread. Generation previews (app/generation/worker.py) and download progress
(app/models/download_worker.py) go through it, so a fast stream of values never queues up
behind a busy GUI: the thread keeps only the newest and pokes the GUI once while none is waiting.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


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
