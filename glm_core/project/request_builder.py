"""The one place a GenerationRequest is assembled from a poster: Generate, Edit Masked and Edit
Whole in the window, Re-run and Variation of history items, `generate --project` and the plain
`generate` command all call `build_request`, so the same document and settings always ask for
the same image.

    document   anything with `boxes`, `size` and `pinned_prompt`: the window's DocumentModel, a
               saved Project, or a TextLayout (the command line's --box options, or none)
    settings   glm_core.generation.settings.GenerationSettings (the prompt as typed, size, …)
    edit       an EditSource for an edit of an existing image, else None

The prompt sent is derived (glm_core/project/document.effective_prompt): the pinned prompt, else
the typed prompt composed with the text boxes when a visible box has text, else the prompt as
typed. Only the typed prompt is kept (Recent, projects), so it is never composed twice. When the
prompt is composed from the boxes, the request also carries their texts exactly as typed
(`glyph_texts`, glm_core/generation/glyphs.py) for the glyph encoder, and the prompt as typed
(`typed_prompt`), which the recipe records beside the prompt sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image

from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest
from glm_core.generation.settings import GenerationSettings
from glm_core.project.document import effective_prompt, has_text
from glm_core.project.model import HistoryEntry
from glm_core.project.prompt_composer import box_glyph_texts
from glm_core.project.textbox import TextBox

# (boxes, canvas size, output size) -> a picture of the boxes; Qt draws it, so the caller hands it in.
GuideRenderer = Callable[[Sequence[TextBox], tuple[int, int], tuple[int, int]], Image.Image]


@dataclass
class TextLayout:
    """Text boxes on a canvas without a document: the command line's --box options."""

    size: tuple[int, int]
    boxes: list[TextBox] = field(default_factory=list)
    pinned_prompt: str | None = None


@dataclass(frozen=True)
class EditSource:
    """The image an edit changes: masked when `mask` ("L", white = change) is given, else whole."""

    image: Image.Image
    mask: Image.Image | None = None
    size: tuple[int, int] | None = None  # the result's size; None keeps the settings' size


def build_request(document, settings: GenerationSettings, edit: EditSource | None = None,
                  render_guide: GuideRenderer | None = None,
                  on_notice: Callable[[str], None] | None = None) -> GenerationRequest:
    """The request for `document` with `settings`. `render_guide` draws the layout guide (only a
    new image sends one, and only when the setting is on and a box has text); `on_notice` hears
    the prompt composer's notes (text too long, boxes overlapping…)."""
    prompt, notices = effective_prompt(settings.prompt, document.pinned_prompt, document.boxes, document.size)
    for notice in notices if on_notice is not None else ():
        on_notice(notice)
    request = GenerationRequest(prompt=prompt, width=settings.width, height=settings.height, steps=settings.steps,
                                guidance=round(float(settings.guidance), 2), seed=settings.request_seed)
    if document.pinned_prompt is None:  # composed from the boxes: the glyph encoder gets them as typed
        request.glyph_texts = box_glyph_texts(document.boxes, document.size)
        if has_text(document.boxes):
            request.typed_prompt = settings.prompt
    if edit is not None:
        request.reference_images = [edit.image]
        if edit.size is not None:
            request.width, request.height = edit.size
        if edit.mask is not None:
            request.mask, request.mask_feather = edit.mask, settings.feather
    elif settings.layout_guide and render_guide is not None and has_text(document.boxes):
        guide = render_guide(document.boxes, document.size, (request.width, request.height))
        request.reference_images = [guide.convert("RGB")]
    return request


def request_from_recipe(recipe: Recipe) -> GenerationRequest:
    """A request that reproduces `recipe` (its prompt was sent as it is: no boxes to compose).
    Reference images are not stored with a recipe: for recipe.reference_count > 0 the caller
    attaches them."""
    request = build_request(TextLayout((recipe.width, recipe.height)), GenerationSettings.from_recipe(recipe))
    request.glyph_texts = list(recipe.glyph_texts) or None
    request.layout_seed = recipe.layout_seed  # a variation: its layout tokens came from this seed
    request.typed_prompt = recipe.typed_prompt
    return request


def request_from_history(entry: HistoryEntry) -> GenerationRequest:
    """Re-run a saved history entry: its recipe with the reference images, mask and feather the
    entry kept, so an edit changes the same source again. An entry from a project saved before
    they were kept has none: it re-runs from the recipe alone, as a new image."""
    request = request_from_recipe(entry.recipe)
    request.reference_images = list(entry.references)
    request.mask, request.mask_feather = entry.mask, entry.feather
    return request
