"""Pictures and checks the masked-edit tests share (glm_core's masking tests and the command line's)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from glm_core.generation.masking import feather, prepare_mask
from glm_core.generation.request import DEFAULT_FEATHER


def noise_image(width, height, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def rect_mask(size, box) -> Image.Image:
    """`box` = (left, top, right, bottom), right/bottom exclusive."""
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=255)
    return mask


def assert_outside_is_source(result_image, source, mask, radius=DEFAULT_FEATHER):
    out, src = np.asarray(result_image), np.asarray(source)
    assert out.shape == src.shape
    weights = np.asarray(feather(prepare_mask(mask, source.size), radius))
    assert np.array_equal(out[weights == 0], src[weights == 0])
    # Independently of the feather code: every pixel more than `radius` away along x and along y.
    near = prepare_mask(mask, source.size).filter(ImageFilter.MaxFilter(2 * radius + 1))
    far = np.asarray(near) == 0
    assert far.any() and np.array_equal(out[far], src[far])
    return out, src, weights
