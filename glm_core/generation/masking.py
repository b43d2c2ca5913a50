"""Masked edit: change only the painted part of an image (Qt-free).

How it runs (the runner calls `plan_edit`, then the pieces below):
1. The mask is made binary at the source's size (`prepare_mask`) and feathered (`feather`).
2. `crop_plan` picks the region to regenerate: the whole image, or, when the feathered mask is
   small, a crop around it with context, at a size the model takes (sides multiples of 32).
3. The region runs as image-to-image with itself as the reference. After every DiT step,
   `MaskBlend` (latent_blend.py: the only part that needs torch) resets the latents outside the
   mask to the source re-noised to the current sigma,
   x_t = (1 - sigma) * x0_source + sigma * noise, with the generation's own starting noise.
4. `composite` puts the decoded pixels back through the feathered mask, so every pixel the
   feather does not reach is the source's, byte for byte.

Rules:
- Mask values: 128..255 = change, 0..127 = keep (white = change). Transparent pixels = keep.
- A mask of another size is scaled (nearest) to the image when its aspect ratio matches within
  1% (a mask painted on a preview); otherwise the edit is refused.
- An empty mask is refused ('Paint a mask first'); a full mask regenerates the whole image.
- Feather: 255 on the painted area, then a linear ramp over `radius` pixels (octagonal
  distance); pixels further away (in particular every pixel more than `radius` pixels away,
  measured along x or y) get weight 0 and keep the source's bytes.
- The output always has the source's exact size, whatever that is (100x70, 3000x2000 …): the
  region is scaled to the model size, generated, scaled back and composited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from PIL import Image, ImageChops

from glm_core.generation.request import DEFAULT_FEATHER, GenerationRequest
from glm_core.generation.validation import (
    MULTIPLE, ImageLoadError, InvalidRequest, _upright, load_image, nearest_valid_size, open_image,
)

DEFAULT_PADDING = 64  # px of context around the feathered mask when cropping
CROP_BELOW = 0.25  # crop when the padded region covers at most this share of the image
MAX_ASPECT = 4  # the widest region the AR processor accepts as a reference (see fit_reference)
THRESHOLD = 128  # mask values from here up mean "change"
ASPECT_TOLERANCE = 0.01


def load_mask(path) -> Image.Image:
    """Open a mask file as "L" with the same safety checks and messages as a reference image."""
    flat = load_image(path)  # refuses missing, damaged, huge files; applies EXIF rotation
    with open_image(path) as im:
        if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
            try:  # transparent = keep: luminance times alpha (load_image flattens onto white)
                rgba = _upright(im).convert("RGBA")
            except (OSError, ValueError) as exc:
                raise ImageLoadError(f"The mask '{path}' cannot be read: save it as a PNG.") from exc
            return ImageChops.multiply(rgba.convert("L"), rgba.getchannel("A"))
    return flat.convert("L")


def prepare_mask(mask: Image.Image, source_size: tuple[int, int]) -> Image.Image:
    """The mask as "L" at `source_size`, 255 = change and 0 = keep; raises InvalidRequest."""
    if mask.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = mask.convert("RGBA")
        grey = ImageChops.multiply(rgba.convert("L"), rgba.getchannel("A"))
    else:
        grey = mask.convert("L")
    (mw, mh), (sw, sh) = grey.size, source_size
    if (mw, mh) != (sw, sh):
        if abs((mw / mh) / (sw / sh) - 1) > ASPECT_TOLERANCE:
            raise InvalidRequest(
                f"The mask is {mw}x{mh} but the image is {sw}x{sh}: paint the mask on this image "
                f"(a mask of the same shape at another size is scaled to fit).")
        grey = grey.resize((sw, sh), Image.NEAREST)
    binary = grey.point(lambda v: 255 if v >= THRESHOLD else 0)
    if binary.getbbox() is None:
        raise InvalidRequest("Paint a mask first: the mask has no painted area, so nothing would change.")
    return binary


def feather(mask: Image.Image, radius: int) -> Image.Image:
    """Blend weights ("L"): 255 where painted, 255 * (radius + 1 - d) / (radius + 1) at d steps
    away (d = 1..radius, octagonal distance), exactly 0 beyond."""
    painted = np.asarray(mask) >= THRESHOLD
    weights = np.where(painted, 255, 0).astype(np.uint8)
    box = mask.getbbox()
    if radius <= 0 or box is None:
        return Image.fromarray(weights, "L")
    # Only the bounding box grown by the radius can change.
    left, top = max(0, box[0] - radius), max(0, box[1] - radius)
    right, bottom = min(mask.width, box[2] + radius), min(mask.height, box[3] + radius)
    reached, out = painted[top:bottom, left:right].copy(), weights[top:bottom, left:right]
    for step in range(1, radius + 1):
        grown = reached.copy()
        grown[1:] |= reached[:-1]
        grown[:-1] |= reached[1:]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        if step % 2:  # diagonal moves every other step: an octagon, close to a circle
            grown[1:, 1:] |= reached[:-1, :-1]
            grown[1:, :-1] |= reached[:-1, 1:]
            grown[:-1, 1:] |= reached[1:, :-1]
            grown[:-1, :-1] |= reached[1:, 1:]
        out[grown & ~reached] = round(255 * (radius + 1 - step) / (radius + 1))
        reached = grown
    return Image.fromarray(weights, "L")


def composite(generated: Image.Image, source: Image.Image, weights: Image.Image) -> Image.Image:
    """Weight 0 -> the source's bytes, 255 -> the generated bytes, between: a rounded linear blend
    (monotonic in the weight)."""
    return Image.composite(generated.convert(source.mode), source, weights)


@dataclass(frozen=True)
class CropPlan:
    box: tuple[int, int, int, int]  # the source region to regenerate: left, top, right, bottom (exclusive)
    size: tuple[int, int]  # the size the model generates it at

    @property
    def crop_size(self) -> tuple[int, int]:
        return self.box[2] - self.box[0], self.box[3] - self.box[1]


def crop_plan(bbox, image_size, min_side: int, max_side: int, padding: int = DEFAULT_PADDING,
              crop_below: float = CROP_BELOW) -> CropPlan:
    """The region around `bbox` (grown by `padding`, at least min_side/2 per side so it is scaled
    up at most about 2x, at most MAX_ASPECT:1, all inside the image) when it covers at most
    `crop_below` of the image, else the whole image; and a model size for it: multiples of 32
    within [min_side, max_side] and at most MAX_ASPECT:1, close to the region's own size."""
    width, height = image_size
    left, top = max(0, bbox[0] - padding), max(0, bbox[1] - padding)
    right, bottom = min(width, bbox[2] + padding), min(height, bbox[3] + padding)
    least = min_side // 2
    grow_w = max(least, math.ceil((bottom - top) / MAX_ASPECT))
    left, right = _grow(left, right, grow_w, width)
    grow_h = max(least, math.ceil((right - left) / MAX_ASPECT))
    top, bottom = _grow(top, bottom, grow_h, height)
    if (right - left) * (bottom - top) > crop_below * width * height:
        left, top, right, bottom = 0, 0, width, height
    return CropPlan((left, top, right, bottom), model_size(right - left, bottom - top, min_side, max_side))


def _grow(lo: int, hi: int, need: int, limit: int) -> tuple[int, int]:
    """Widen [lo, hi) to `need` around its centre, shifted to stay in [0, limit)."""
    need = min(need, limit)
    if hi - lo >= need:
        return lo, hi
    lo = max(0, min(limit - need, (lo + hi - need) // 2))
    return lo, lo + need


def model_size(width: int, height: int, min_side: int, max_side: int) -> tuple[int, int]:
    """The valid generation size nearest width x height, no wider than MAX_ASPECT:1 (a thinner
    region is stretched to that ratio and unstretched on the way back)."""
    w, h = max(width, height / MAX_ASPECT), max(height, width / MAX_ASPECT)
    gw, gh = nearest_valid_size(max(1, round(w)), max(1, round(h)), min_side, max_side)
    if gw > MAX_ASPECT * gh:  # rounding to 32 can overshoot the ratio by a little
        gh = math.ceil(gw / MAX_ASPECT / MULTIPLE) * MULTIPLE
    elif gh > MAX_ASPECT * gw:
        gw = math.ceil(gh / MAX_ASPECT / MULTIPLE) * MULTIPLE
    return gw, gh


@dataclass(frozen=True)
class MaskEdit:
    source: Image.Image  # RGB, any size
    mask: Image.Image  # "L" at the source's size, 255 = change
    feather_px: int = DEFAULT_FEATHER
    padding: int = DEFAULT_PADDING


@dataclass(frozen=True)
class EditPlan:
    """One masked edit, planned for a model's size limits."""
    edit: MaskEdit
    weights: Image.Image  # the feathered mask over the whole source
    crop: CropPlan

    @cached_property
    def reference(self) -> Image.Image:  # the region as the model sees it
        return self.edit.source.crop(self.crop.box).resize(self.crop.size, Image.LANCZOS)

    def work_request(self, request: GenerationRequest) -> GenerationRequest:
        """The image-to-image request that regenerates the region."""
        width, height = self.crop.size
        return replace(request, width=width, height=height, reference_images=[self.reference], mask=None)

    def blend(self, pipe, noise):
        """The per-step latent blend for this region (torch, so imported only by the runner)."""
        from glm_core.generation.latent_blend import MaskBlend

        region = self.weights.crop(self.crop.box).resize(self.crop.size, Image.BILINEAR)
        return MaskBlend.for_pipe(pipe, self.reference, region, noise)

    def finish(self, generated: Image.Image) -> Image.Image:
        """The generated region scaled back and composited into a copy of the source."""
        box = self.crop.box
        region = generated.convert("RGB").resize(self.crop.crop_size, Image.LANCZOS)
        out = self.edit.source.copy()
        out.paste(composite(region, out.crop(box), self.weights.crop(box)), box[:2])
        return out

    def previews_in_place(self, on_event):
        """Wrap an event sink so previews show the whole source with the region composited in."""
        from glm_core.generation.events import PreviewImage

        def sink(event):
            if isinstance(event, PreviewImage):
                event = PreviewImage(self.finish(event.image), event.phase)
            on_event(event)
        return sink


def plan_edit(request: GenerationRequest, min_side: int, max_side: int,
              feather_px: int = DEFAULT_FEATHER, padding: int = DEFAULT_PADDING) -> EditPlan:
    """Check a masked-edit request and plan it; raises InvalidRequest with the fix."""
    if len(request.reference_images) != 1:
        raise InvalidRequest(f"A masked edit changes one image: give exactly one image to edit "
                             f"(got {len(request.reference_images)}).")
    source = request.reference_images[0].convert("RGB")
    edit = MaskEdit(source, prepare_mask(request.mask, source.size), feather_px, padding)
    weights = feather(edit.mask, feather_px)
    return EditPlan(edit, weights, crop_plan(weights.getbbox(), source.size, min_side, max_side, padding))
