"""Everything needed to reproduce an image. Stored in PNG text chunks and in the history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from glm_core import __version__


@dataclass(frozen=True)
class Recipe:
    prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    mode: str = "t2i"  # t2i | i2i | edit
    reference_count: int = 0
    model_id: str = ""
    model_revision: str = ""
    quantization: str = "bf16"  # what was in effect, e.g. "ar=nf4,dit=bf16"
    app_version: str = __version__

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Recipe:
        """Build from untrusted data: unknown keys are dropped, types are checked."""
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for name, value in data.items():
            if name not in known:
                continue
            kwargs[name] = value
        recipe = cls(**kwargs)
        recipe._check_types()
        return recipe

    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = {"str": str, "int": int, "float": (int, float)}[f.type]
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ValueError(f"recipe field '{f.name}' should be {f.type}, got {type(value).__name__}")
