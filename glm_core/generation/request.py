"""What the user asks for: a plain dataclass the GUI, the CLI and tests all build."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PIL import Image

from glm_core.generation.prior import PriorTokens

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 1.5
DEFAULT_FEATHER = 8  # px of soft edge outside the painted area of a masked edit


@dataclass
class GenerationRequest:
    prompt: str
    width: int = 1024
    height: int = 1024
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    seed: int | None = None  # None: the runner draws one and reports it in the recipe
    reference_images: list[Image.Image] = field(default_factory=list)
    # Set for a variation: the AR stage is skipped and the DiT reuses these tokens.
    prior: PriorTokens | None = None
    # Set for a masked edit ("L", white = change): reference_images[0] is the image to change, and
    # the result has its size (width and height are not used); see glm_core.generation.masking.
    mask: Image.Image | None = None
    # The soft blend band of a masked edit in pixels; None = DEFAULT_FEATHER.
    mask_feather: int | None = None
    # The texts the glyph encoder renders, exactly as typed (the boxes'); None = what the pipeline
    # reads from the prompt's quotes. See glm_core.glyphs.
    glyph_texts: list[str] | None = None
    # Reproducing a variation: the AR model writes the layout tokens with this seed, the DiT then
    # denoises with `seed` (a variation's recipe records both). None: one seed for both stages.
    layout_seed: int | None = None
    # The scene prompt as typed when `prompt` was composed from it and the text boxes (recorded in the
    # recipe beside the prompt sent); None: the prompt was sent as typed, or pinned by hand.
    typed_prompt: str | None = None

    @property
    def mode(self) -> str:
        if self.mask is not None:
            return "edit"
        return "i2i" if self.reference_images else "t2i"

    def variation(self, seed: int, prior: PriorTokens) -> GenerationRequest:
        return replace(self, seed=seed, prior=prior)
