"""The one engine interface the window and the CLI talk to; they never know which engine it is.

Three engines implement it:
- `in_process.InProcessEngine`: the model in this process (tests; `generate` on the CLI);
- `process.ProcessEngine`: a child process owns torch and the model (the window's default), so a
  CUDA fault or an out-of-memory abort ends the child, never the window;
- `remote.RemoteEngine`: an OpenAI-images-compatible GLM-Image server (SGLang, vLLM-Omni).

Contract, the same for all three (tests/glm_core/engine/ checks it on each):
- `load(options)` and `generate(request)` return async iterators of the typed events of
  glm_core/generation/events.py. A load ends with exactly one `Loaded`, `Failed` or `Cancelled`;
  a generation ends with exactly one `Finished`, `Failed` or `Cancelled`. Failures are events,
  never exceptions: the caller shows `Failed.message` in one line.
- One job at a time: starting a job while one runs is a programming error (RuntimeError).
- `cancel()` may be called from any thread, at any time; the running stream then ends with
  `Cancelled` within one AR token or one DiT step (a server: at once, abandoning the request).
- Previews (`PreviewImage`) are the newest only: an engine drops a preview rather than queue it
  behind a consumer that has not taken the last one.
- An engine that died (the child process was killed) reports `Failed` for the job it was running
  and starts afresh on the next `load` or `generate`, loading the last options again by itself.
- `unload()` frees everything the model holds (for the engine process: the process ends).
- `start()` begins, in the background, what takes time before the first job (the engine process
  importing torch) so it happens while the user types; a no-op where nothing does.
- `place(offload)` re-places the loaded model (a memory remedy); it ends with `Loaded` (the new
  report) or `Failed`, like a load. An engine without a memory plan answers `Failed`.
This module imports no torch: the window holds engines without ever importing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from glm_core.generation.events import Event
from glm_core.generation.request import GenerationRequest
from glm_core.models.load_report import LoadOptions


class EngineState(str, Enum):
    STOPPED = "stopped"  # nothing loaded (a child process not running; a server not yet asked)
    STARTING = "starting"  # a child process importing torch, a server being reached
    LOADING = "loading"
    READY = "ready"  # a model is loaded and nothing runs
    GENERATING = "generating"


@dataclass(frozen=True)
class EngineCapabilities:
    """What an engine can do, so the window offers only that (and the CLI refuses the rest in one line)."""

    where: str  # "This computer", "Server http://gpu-box:30000 (zai-org/GLM-Image)"
    edits: bool = True  # reference images and masked edits
    variations: bool = True  # re-running only the DiT with earlier AR tokens
    live_progress: bool = True  # token / step events and previews while it runs
    memory_plan: bool = True  # the report's memory plan means something here


class Engine(Protocol):
    capabilities: EngineCapabilities

    @property
    def state(self) -> EngineState: ...

    def start(self) -> None: ...

    def load(self, options: LoadOptions) -> AsyncIterator[Event]: ...

    def place(self, offload: str) -> AsyncIterator[Event]: ...

    def generate(self, request: GenerationRequest) -> AsyncIterator[Event]: ...

    def cancel(self) -> None: ...

    async def unload(self) -> None: ...

    async def close(self) -> None:
        """Unload and release everything (threads, processes, connections); the engine is done."""
