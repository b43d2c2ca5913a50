"""Files shipped with the app (styles, icons), found relative to the source tree."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES_DIR = Path(__file__).resolve().parents[2] / "resources"


def resource_path(relative: str) -> Path:
    return RESOURCES_DIR / relative


def icon(name: str) -> QIcon:
    """An icon from resources/icons/<name>.svg."""
    return QIcon(str(resource_path(f"icons/{name}.svg")))
