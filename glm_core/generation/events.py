"""Typed events a generation reports. Plain data: safe to carry across threads and into Qt signals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PIL import Image


class Phase(str, Enum):
    LOADING = "loading"
    PRIOR = "prior"  # the AR model writes visual tokens
    DIFFUSION = "diffusion"  # the DiT denoises latents
    DECODE = "decode"  # the VAE turns latents into pixels


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
class Finished:
    image: Image.Image
    recipe: "Recipe"  # noqa: F821 - glm_core.generation.recipe.Recipe; kept lazy to avoid a cycle
    seconds: float


@dataclass(frozen=True)
class Failed:
    message: str  # one readable line
    details: str  # traceback or context for a "details" pane


@dataclass(frozen=True)
class Cancelled:
    phase: Phase


Event = PhaseChanged | TokenProgress | PreviewImage | DiffusionStep | Finished | Failed | Cancelled
