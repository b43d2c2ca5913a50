"""Batch N: N results from one request, shared by the window's queue and `generate --batch`.

The first result is a full run (AR + DiT). The others reuse its AR tokens and re-run only the
DiT with new seeds (a "variation": same layout, new details) where that works: the engine can do
it and the request is not a masked edit, whose small repainted region varies far more with a new
layout than with new DiT noise. Otherwise every result is a full run with its own seed.

Seeds are consecutive from the request's (or one drawn now), so a batch is reproducible from its
first seed, and each result's recipe records its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from glm_core.generation.prior import PriorTokens
from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import MAX_SEED

MAX_BATCH = 16  # the window's Batch field; the command line takes any number


@dataclass(frozen=True)
class BatchStep:
    """One result of a batch: which one, its seed, and whether it reuses the first result's AR tokens."""

    index: int  # 1-based
    total: int
    seed: int
    vary: bool

    def request(self, base: GenerationRequest, prior: PriorTokens | None) -> GenerationRequest:
        """What this step runs. A variation step whose batch has no AR tokens yet (the first run
        was cancelled or failed) runs in full and its tokens serve the steps after it."""
        if self.vary and prior is not None:
            return base.variation(self.seed, prior)
        return replace(base, seed=self.seed)

    @property
    def label(self) -> str:
        return f"Batch {self.index}/{self.total}" if self.total > 1 else "Generate"


def can_vary(request: GenerationRequest, engine_varies: bool) -> bool:
    """Whether a batch of `request` makes DiT-only variations after its first result."""
    return engine_varies and request.mode != "edit"


def plan_batch(request: GenerationRequest, count: int, engine_varies: bool) -> list[BatchStep]:
    """The `count` steps of a batch of `request` (1 or more)."""
    if count < 1:
        raise ValueError(f"a batch makes 1 image or more, not {count}")
    first = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    vary = can_vary(request, engine_varies)
    return [BatchStep(index=i + 1, total=count, seed=(first + i) % (MAX_SEED + 1), vary=vary and i > 0)
            for i in range(count)]
