"""Typed events a generation reports. Plain data: safe to carry across threads and into Qt signals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PIL import Image

from glm_core.generation.prior import PriorTokens
from glm_core.generation.request import GenerationRequest


class Phase(str, Enum):
    LOADING = "loading"
    PRIOR = "prior"  # the AR model writes visual tokens
    DIFFUSION = "diffusion"  # the DiT denoises latents
    DECODE = "decode"  # the VAE turns latents into pixels
    SERVER = "server"  # a GLM-Image server runs every stage and reports nothing until it answers


@dataclass(frozen=True)
class LoadStep:
    """A model load: `component` is about to load."""

    component: str
    index: int  # components loaded so far
    total: int


@dataclass(frozen=True)
class Loaded:
    """A load ended well: what is loaded, where, and how (glm_core.models.load_report.LoadReport)."""

    report: "LoadReport"  # noqa: F821 - kept lazy: the report's module imports the memory planner


@dataclass(frozen=True)
class PhaseChanged:
    phase: Phase


@dataclass(frozen=True)
class TokenProgress:
    grid: str  # "layout" (the small first grid) or "full"
    index: int  # tokens done in this grid
    total: int  # tokens in this grid


@dataclass(frozen=True)
class PreviewImage:
    image: Image.Image
    phase: Phase


@dataclass(frozen=True)
class DiffusionStep:
    step: int  # steps done, 1-based
    total: int


@dataclass(frozen=True)
class Waiting:
    """A server is working and says nothing until it answers: sent about once a second."""

    elapsed: float  # seconds since the request was sent
    expected: float | None  # what earlier runs of this size and steps on this server took; None: no run yet


@dataclass(frozen=True)
class Finished:
    image: Image.Image
    recipe: "Recipe"  # noqa: F821 - glm_core.generation.recipe.Recipe; kept lazy to avoid a cycle
    seconds: float
    prior: PriorTokens | None = None  # the AR tokens, for a variation (None: the engine cannot reuse them)
    # What was asked, with the seed filled in: re-runs and variations need its reference images and
    # mask, which a recipe does not carry.
    request: GenerationRequest | None = None


@dataclass(frozen=True)
class Remedy:
    """One click that makes a failed request fit: re-place the model, or change the size."""

    label: str  # "Use model offload", "Make it 768x768"
    offload: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Failed:
    message: str  # one readable line
    details: str  # traceback or context for a "details" pane
    remedies: tuple[Remedy, ...] = ()


@dataclass(frozen=True)
class Cancelled:
    phase: Phase


@dataclass(frozen=True)
class TextChecked:
    checks: tuple  # glm_core.text_check.BoxCheck, one per visible box with text
    round: int = 0  # 0: the image as generated; n: after n fix rounds


Event = LoadStep | Loaded | PhaseChanged | TokenProgress | PreviewImage | DiffusionStep | Waiting | Finished | Failed | Cancelled | TextChecked
