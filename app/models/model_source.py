"""Models in words: what kind of source a saved string names, and what a load put in effect."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from glm_core import OFFICIAL_REPO_ID
from glm_core.models.catalog import known_models

DOWNLOAD_COMMAND = "python main.py models download {repo}"


class SourceKind(Enum):
    DEMO = "demo"
    FOLDER = "folder"
    HUB = "hub"


def source_kind(source: str) -> SourceKind:
    if source == "demo":
        return SourceKind.DEMO
    # Same rule as the loader: a hub id is exactly "owner/name"; anything else is a path.
    looks_like_path = source.startswith((".", "/", "~")) or source.count("/") != 1 or Path(source).exists()
    return SourceKind.FOLDER if looks_like_path else SourceKind.HUB


def describe_source(source: str) -> str:
    kind = source_kind(source)
    if kind is SourceKind.DEMO:
        return "Demo model"
    if kind is SourceKind.HUB:
        return "GLM-Image" if source == OFFICIAL_REPO_ID else source
    return Path(source).name or source


def needs_download(source: str) -> bool:
    """A hub model that is not fully downloaded: the loader only reads the local cache, so it goes
    through the model manager first (progress, resume, cancel)."""
    if source_kind(source) is not SourceKind.HUB:
        return False
    entry = next((e for e in known_models() if e.id == source), None)
    return entry is None or not entry.complete


_COMPONENT_NAMES = {"vision_language_encoder": "AR", "transformer": "DiT"}


_SHORT_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}


def describe_quant(quant: dict[str, str], dtype: str | None = None) -> str:
    """{"vision_language_encoder": "nf4", "transformer": "bf16"} -> "AR nf4 · DiT bf16". With the
    model's `dtype`, an unquantized part says the precision it really runs in: "AR fp32" on a CPU,
    not "AR bf16" beside "CPU · float32"."""
    def mode_in_effect(mode: str) -> str:
        return _SHORT_DTYPES.get(dtype, mode) if mode == "bf16" and dtype else mode

    return " · ".join(f"{_COMPONENT_NAMES.get(name, name)} {mode_in_effect(mode)}" for name, mode in quant.items())
