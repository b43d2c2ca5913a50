"""Everything needed to reproduce an image. Stored in PNG text chunks and in the history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from glm_core import __version__


@dataclass(frozen=True)
class Recipe:
    prompt: str  # as sent: composed from the typed prompt and the text boxes, when there were boxes
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
    glyph_texts: tuple[str, ...] = ()  # what the glyph encoder got as typed; () = the prompt's quotes
    text_check: tuple[dict, ...] = ()  # per checked box: text, read, ok, similarity (glm_core.text_check)
    # A variation: the seed its layout (AR) tokens were written with; `seed` is then its DiT's own.
    # None: both stages ran from `seed`.
    layout_seed: int | None = None
    # The files an edit was made from, to ask for them again: {"role": "image" | "mask", "name": the
    # file's name, "sha256": its bytes' hash}. () for a new image, or a source that was no file.
    references: tuple[dict[str, str], ...] = ()
    # --overlay / "Overlay my text": the text boxes (as project files store them, in this image's
    # pixels) drawn over the result as real text; () = the image is as the model made it.
    overlay: tuple[dict[str, object], ...] = ()
    # The GLM-Image server that made it (its URL; model_id is the server's model name); "" = this computer.
    server: str = ""
    # The prompt as typed when `prompt` was composed from it and text boxes: what goes back into the
    # prompt field (the boxes add their text again). None: `prompt` was sent as typed (or an old recipe).
    typed_prompt: str | None = None

    def __post_init__(self):
        for f in fields(self):  # lists (JSON has no tuples) kept as tuples, so a recipe stays frozen
            if isinstance(getattr(self, f.name), list):
                object.__setattr__(self, f.name, tuple(getattr(self, f.name)))

    def to_dict(self) -> dict:
        """JSON-shaped: tuples as the lists they come back as."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

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
            if not _TYPE_CHECKS[f.type](value):
                raise ValueError(f"recipe field '{f.name}' should be {f.type}, got {type(value).__name__}")


def _is_box_check(value) -> bool:
    return (isinstance(value, dict) and value.keys() == {"text", "read", "ok", "similarity"}
            and isinstance(value["text"], str) and isinstance(value["read"], str) and isinstance(value["ok"], bool)
            and isinstance(value["similarity"], (int, float)) and 0 <= value["similarity"] <= 1)


def _is_file_reference(value) -> bool:
    return (isinstance(value, dict) and value.keys() == {"role", "name", "sha256"}
            and value["role"] in ("image", "mask") and all(isinstance(v, str) for v in value.values()))


_TYPE_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "str | None": lambda v: v is None or isinstance(v, str),
    "int | None": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "tuple[str, ...]": lambda v: isinstance(v, tuple) and all(isinstance(t, str) for t in v),
    "tuple[dict, ...]": lambda v: isinstance(v, tuple) and all(map(_is_box_check, v)),
    "tuple[dict[str, object], ...]": lambda v: isinstance(v, tuple) and all(isinstance(d, dict) for d in v),
    "tuple[dict[str, str], ...]": lambda v: isinstance(v, tuple) and all(map(_is_file_reference, v)),
}
