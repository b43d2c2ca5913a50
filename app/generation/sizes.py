"""Size presets for the current model: its recommended sizes, fitted into its side limits."""

from __future__ import annotations

from dataclasses import dataclass

from glm_core.generation.validation import RECOMMENDED_SIZES, nearest_valid_size

_COMMON_RATIOS = {"1:1": 1.0, "5:4": 1.25, "4:3": 4 / 3, "3:2": 1.5, "16:9": 16 / 9, "2:1": 2.0}


@dataclass(frozen=True)
class SizePreset:
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"{self.width} × {self.height}  ·  {describe_shape(self.width, self.height)}"


def describe_shape(width: int, height: int) -> str:
    """"Square", "Landscape 3:2", "Portrait 16:9"… with the nearest common ratio."""
    if width == height:
        return "Square"
    long, short = max(width, height), min(width, height)
    name = min(_COMMON_RATIOS, key=lambda k: abs(_COMMON_RATIOS[k] - long / short))
    if width < height:
        name = ":".join(reversed(name.split(":")))
    return f"{'Landscape' if width > height else 'Portrait'} {name}"


def size_presets(min_side: int, max_side: int) -> list[SizePreset]:
    """The model's recommended sizes, snapped into [min_side, max_side] (the demo model's limits
    are far below the real model's), without duplicates, in the recommended order."""
    presets: list[SizePreset] = []
    for width, height in RECOMMENDED_SIZES:
        preset = SizePreset(*nearest_valid_size(width, height, min_side, max_side))
        if preset not in presets:
            presets.append(preset)
    return presets
