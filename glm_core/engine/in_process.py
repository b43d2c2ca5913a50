"""The model in this process: `ModelHost` does the blocking work (the engine process runs the same
host), `InProcessEngine` runs it on a worker thread and hands its events to asyncio.

torch, diffusers and transformers are imported inside the host's methods, never by importing
this module: the window imports the engine package without them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import AsyncIterator, Callable

from glm_core.engine.base import EngineCapabilities, EngineState
from glm_core.engine.stream import EventStream
from glm_core.generation.events import Cancelled, Event, Failed, Loaded, LoadStep, Phase
from glm_core.generation.request import GenerationRequest
from glm_core.models.load_report import LoadCancelled, LoadOptions

log = logging.getLogger(__name__)

THIS_COMPUTER = EngineCapabilities(where="This computer")
EventSink = Callable[[Event], None]


class ModelHost:
    """Holds one loaded model and runs blocking jobs on it; every job ends with one terminal event
    on `on_event`. `cancel` is any object with is_set() (a threading or multiprocessing Event)."""

    def __init__(self):
        self.runner = None  # glm_core.generation.runner.GenerationRunner once a model is loaded

    def load(self, options: LoadOptions, on_event: EventSink, cancel) -> None:
        from glm_core.generation.runner import GenerationRunner
        from glm_core.models.loader import load_model

        self.runner = None  # free the old model first: two at once may not fit in memory
        try:
            model = load_model(options, on_progress=lambda name, index, total: on_event(LoadStep(name, index, total)),
                               cancel=cancel)
            if cancel.is_set():
                raise LoadCancelled()
        except LoadCancelled:
            on_event(Cancelled(Phase.LOADING))
            return
        except Exception as exc:  # noqa: BLE001 - any failure reaches the user as one line
            log.exception("model load failed")
            on_event(Failed(message=one_line(exc), details=traceback.format_exc()))
            return
        self.runner = GenerationRunner(model)
        log.info("model loaded: %s", model.report)
        on_event(Loaded(model.report))

    def place(self, offload: str, on_event: EventSink) -> None:
        """Re-place the loaded model (a remedy the user picked after running out of memory)."""
        try:
            if self.runner is None:
                raise RuntimeError("No model is loaded: load a model first.")
            self.runner.model.set_offload(offload)
        except Exception as exc:  # noqa: BLE001 - the model stays loaded as it was
            log.exception("re-placing the model failed")
            on_event(Failed(message=one_line(exc), details=traceback.format_exc()))
            return
        on_event(Loaded(self.runner.model.report))

    def generate(self, request: GenerationRequest, on_event: EventSink, cancel) -> None:
        if self.runner is None:
            on_event(Failed(message="No model is loaded: load a model first.", details=""))
            return
        self.runner.run(request, on_event, cancel=cancel)  # ends with Finished, Failed or Cancelled

    def unload(self) -> None:
        if self.runner is not None:
            from glm_core.models.device import release_memory

            device = self.runner.model.report.device
            self.runner = None
            release_memory(device)


def one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class InProcessEngine:
    """The model in this process, one job at a time on a worker thread."""

    capabilities = THIS_COMPUTER

    def __init__(self, host: ModelHost | None = None):
        self._host = host or ModelHost()
        self._running = EngineState.STOPPED  # what the job in `_stream` does
        self._stream: EventStream | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> EngineState:
        if self._stream is not None and not self._stream.ended:
            return self._running
        return EngineState.READY if self._host.runner is not None else EngineState.STOPPED

    def start(self) -> None:
        """Nothing to start ahead: the libraries import with the first load."""

    def load(self, options: LoadOptions) -> AsyncIterator[Event]:
        return self._start(EngineState.LOADING, lambda sink, cancel: self._host.load(options, sink, cancel))

    def place(self, offload: str) -> AsyncIterator[Event]:
        return self._start(EngineState.LOADING, lambda sink, _cancel: self._host.place(offload, sink))

    def generate(self, request: GenerationRequest) -> AsyncIterator[Event]:
        return self._start(EngineState.GENERATING, lambda sink, cancel: self._host.generate(request, sink, cancel))

    def cancel(self) -> None:
        self._cancel.set()

    async def unload(self) -> None:
        await self._wait_idle()
        self._host.unload()

    async def close(self) -> None:
        self.cancel()
        await self.unload()

    def _start(self, state: EngineState, job: Callable[[EventSink, threading.Event], None]) -> AsyncIterator[Event]:
        if self._stream is not None and not self._stream.ended:
            raise RuntimeError("The engine is busy: cancel the running job or wait for it to end.")
        stream = EventStream(asyncio.get_running_loop())
        self._cancel = threading.Event()  # the job's own: a cancel of the last one still reaches it
        self._running, self._stream = state, stream
        previous, cancel = self._thread, self._cancel

        def work() -> None:
            if previous is not None:  # the last job's tail (freeing its hooks) runs after its last event
                previous.join()
            try:
                job(stream.push, cancel)
            except BaseException as exc:  # noqa: BLE001 - the stream must end whatever happened
                log.exception("engine job crashed")
                stream.push(Failed(message=one_line(exc), details=traceback.format_exc()))
            finally:
                if not stream.ended:
                    stream.push(Failed(message="The engine ended the job without a result.", details=""))

        self._thread = threading.Thread(target=work, name="engine-job", daemon=True)
        self._thread.start()
        return stream.events()

    async def _wait_idle(self) -> None:
        while self._thread is not None and self._thread.is_alive():
            await asyncio.sleep(0.01)
