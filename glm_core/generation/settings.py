"""What the next generation asks for, as plain data the document owns: the prompt as typed, size,
steps, guidance, seed (and whether it is locked), the masked-edit feather, the two text switches
and the quantization the model is loaded with. No Qt: the window binds widgets to these fields
(app/ui/bindings.py), the command line fills them from its options, and
glm_core/project/request_builder.build_request turns them, with the document's text boxes, into a
GenerationRequest.

Every change is announced to the observers as (field name, new value), so a widget bound to a
field follows undo, an opened project or a restored recipe without knowing who changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from glm_core.generation.recipe import Recipe
from glm_core.generation.request import DEFAULT_FEATHER, DEFAULT_GUIDANCE, DEFAULT_STEPS

Observer = Callable[[str, object], None]

# Kept between sessions and in project files (with each value's check in glm_core/project/document.py).
REMEMBERED = ("width", "height", "steps", "guidance", "seed", "seed_locked")
PER_DOCUMENT = ("overlay_text", "layout_guide")  # belong to the poster: a new document starts with them off


@dataclass(eq=False)
class GenerationSettings:
    prompt: str = ""  # as typed (the scene); text boxes are composed into what is sent
    width: int = 1024
    height: int = 1024
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    seed: int = 0
    seed_locked: bool = False  # unlocked: every run draws a new seed
    feather: int = DEFAULT_FEATHER  # masked edits: the soft band outside the mask, pixels
    overlay_text: bool = False  # "Overlay my text": the boxes drawn over the image on export and copy
    layout_guide: bool = False  # a picture of the boxes sent as the first reference image
    # What the next model load asks for: bf16 | int8 | nf4 (glm_core.models.memory.QUANT_MODES). The
    # window keeps it between sessions with the model choice (app/settings.py), not in projects.
    quantization: str = "bf16"

    def __post_init__(self):
        object.__setattr__(self, "_observers", [])

    def __setattr__(self, name: str, value) -> None:
        old = getattr(self, name, None)
        object.__setattr__(self, name, value)
        if old != value and name in _FIELDS and hasattr(self, "_observers"):
            for observer in list(self._observers):
                observer(name, value)

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(name, value)` after each change; returns the function that stops it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def update(self, **values) -> None:
        """Change several settings as one: observers hear of each change only once all are made,
        so none of them sees a half-updated pair (a width that is new with a height that is old)."""
        unknown = [name for name in values if name not in _FIELDS]
        if unknown:
            raise AttributeError(f"no generation setting named {unknown[0]!r}")
        changed = [(name, value) for name, value in values.items() if getattr(self, name) != value]
        for name, value in changed:
            object.__setattr__(self, name, value)
        for name, value in changed:
            for observer in list(self._observers):
                observer(name, value)

    def values(self, names=REMEMBERED + PER_DOCUMENT) -> dict:
        return {name: getattr(self, name) for name in names}

    @property
    def request_seed(self) -> int | None:
        """The seed a request carries: the locked one, else None (the runner draws one)."""
        return self.seed if self.seed_locked else None

    def apply_recipe(self, recipe: Recipe) -> None:
        """Everything a recipe says but its prompt (an undoable document edit), seed locked, so
        Generate reproduces it."""
        self.update(width=recipe.width, height=recipe.height, steps=recipe.steps,
                    guidance=float(recipe.guidance), seed=recipe.seed, seed_locked=True)

    @classmethod
    def from_recipe(cls, recipe: Recipe) -> GenerationSettings:
        settings = cls(prompt=recipe.prompt)
        settings.apply_recipe(recipe)
        return settings


_FIELDS = frozenset(f.name for f in fields(GenerationSettings))
