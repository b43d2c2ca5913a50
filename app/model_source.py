"""What kind of model source a saved string names: the demo model, a local folder, or a hub id."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from glm_core.loader import OFFICIAL_REPO_ID


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
