"""Masked edit: mask rules, feather, crop geometry, the latent blend, and edits on the demo model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from glm_core.generation import masking
from glm_core.generation.latent_blend import MaskBlend
from glm_core.generation.events import Failed, Finished, PhaseChanged, PreviewImage
from glm_core.generation.masking import (
    CROP_BELOW, MAX_ASPECT, composite, crop_plan, feather, load_mask, plan_edit,
    prepare_mask,
)
from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import InvalidRequest, validate_request

from mask_images import assert_outside_is_source, noise_image, rect_mask

DEMO_LIMITS = (32, 512)


def edit_request(source, mask, **overrides) -> GenerationRequest:
    values = dict(prompt="a poster with a “NEW” sticker", steps=2, guidance=1.5, seed=7,
                  reference_images=[source], mask=mask)
    values.update(overrides)
    return GenerationRequest(**values)


def chebyshev_distance(painted: np.ndarray) -> np.ndarray:
    """Brute force, for small arrays: max(|dx|, |dy|) to the nearest painted pixel."""
    ys, xs = np.nonzero(painted)
    gy, gx = np.mgrid[: painted.shape[0], : painted.shape[1]]
    d = np.maximum(abs(gy[..., None] - ys), abs(gx[..., None] - xs))
    return d.min(axis=-1)


# -- mask rules ------------------------------------------------------------------------------------

def test_mask_is_thresholded_at_128_white_means_change():
    grey = Image.fromarray(np.array([[0, 127, 128, 255]], dtype=np.uint8), "L")
    assert np.asarray(prepare_mask(grey, (4, 1))).tolist() == [[0, 0, 255, 255]]


def test_transparent_mask_pixels_mean_keep(tmp_path):
    strokes = Image.new("RGBA", (8, 8), (0, 0, 0, 0))  # white strokes on a transparent sheet
    ImageDraw.Draw(strokes).rectangle([2, 2, 4, 4], fill=(255, 255, 255, 255))
    prepared = np.asarray(prepare_mask(strokes, (8, 8)))
    assert prepared.sum() == 9 * 255 and prepared[3, 3] == 255
    strokes.save(tmp_path / "m.png")
    assert np.array_equal(np.asarray(prepare_mask(load_mask(tmp_path / "m.png"), (8, 8))), prepared)


def test_empty_mask_is_refused():
    for empty in (Image.new("L", (64, 64), 0), Image.new("L", (64, 64), 127)):
        with pytest.raises(InvalidRequest, match="Paint a mask first"):
            prepare_mask(empty, (64, 64))


def test_mask_of_the_same_shape_is_scaled_other_shapes_are_refused():
    half = rect_mask((50, 35), (10, 10, 20, 20))
    scaled = prepare_mask(half, (100, 70))
    assert scaled.size == (100, 70) and scaled.getbbox() == (20, 20, 40, 40)
    with pytest.raises(InvalidRequest, match="mask is 64x64 but the image is 100x70"):
        prepare_mask(Image.new("L", (64, 64), 255), (100, 70))


def test_load_mask_reports_a_missing_file_by_name(tmp_path):
    with pytest.raises(Exception, match="nope.png"):
        load_mask(tmp_path / "nope.png")


# -- feather and composite ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(4, 24), st.integers(4, 24), st.integers(0, 6), st.data())
def test_feather_is_255_inside_zero_beyond_the_radius_and_falls_off_with_distance(w, h, radius, data):
    cells = data.draw(st.lists(st.tuples(st.integers(0, w - 1), st.integers(0, h - 1)), min_size=1, max_size=5))
    mask = Image.new("L", (w, h), 0)
    for x, y in cells:
        mask.putpixel((x, y), 255)
    weights = np.asarray(feather(mask, radius)).astype(int)
    painted = np.asarray(mask) > 0
    distance = chebyshev_distance(painted)
    assert (weights[painted] == 255).all()
    assert (weights[distance > radius] == 0).all()
    if radius:
        assert (weights[distance == 1] > 0).all()  # every direct neighbour is in the band
        assert (weights[~painted] < 255).all()
    else:
        assert np.array_equal(weights, np.asarray(mask))


def test_feather_band_is_monotonic_along_a_line_and_composite_blends_by_it():
    mask = rect_mask((80, 40), (30, 10, 50, 30))
    weights = feather(mask, 8)
    row = np.asarray(weights)[20].astype(int)
    # Towards the mask from the left: non-decreasing; from the mask to the right: non-increasing.
    assert (np.diff(row[:31]) >= 0).all() and (np.diff(row[49:]) <= 0).all()
    assert row[21] == 0 and 0 < row[22] < row[29] < 255 and row[30] == 255
    black, white = Image.new("RGB", (80, 40), "black"), Image.new("RGB", (80, 40), "white")
    out = np.asarray(composite(white, black, weights))[..., 0]
    assert np.array_equal(out, np.asarray(weights))  # generated share == weight, exactly


def test_composite_keeps_source_bytes_at_weight_0_and_generated_bytes_at_255():
    src, gen = noise_image(33, 17, 1), noise_image(33, 17, 2)
    weights = Image.fromarray(np.random.default_rng(3).integers(0, 256, (17, 33), dtype=np.uint8), "L")
    w, out = np.asarray(weights), np.asarray(composite(gen, src, weights)).astype(int)
    s, g = np.asarray(src).astype(int), np.asarray(gen).astype(int)
    assert np.array_equal(out[w == 0], s[w == 0]) and np.array_equal(out[w == 255], g[w == 255])
    expected = (g * w[..., None] + s * (255 - w[..., None])) / 255
    assert np.abs(out - expected).max() <= 1


# -- crop geometry -------------------------------------------------------------------------------------

@st.composite
def crops(draw):
    width, height = draw(st.integers(1, 4000)), draw(st.integers(1, 4000))
    x0, y0 = draw(st.integers(0, width - 1)), draw(st.integers(0, height - 1))
    x1, y1 = draw(st.integers(x0 + 1, width)), draw(st.integers(y0 + 1, height))
    limits = draw(st.sampled_from([DEMO_LIMITS, (512, 2048)]))
    return (x0, y0, x1, y1), (width, height), limits, draw(st.integers(0, 200))


@settings(max_examples=400, deadline=None)
@given(crops())
def test_crop_plan_geometry(case):
    bbox, (width, height), (lo, hi), padding = case
    plan = crop_plan(bbox, (width, height), lo, hi, padding)
    left, top, right, bottom = plan.box
    assert 0 <= left < right <= width and 0 <= top < bottom <= height  # inside the image
    wanted = (max(0, bbox[0] - padding), max(0, bbox[1] - padding),
              min(width, bbox[2] + padding), min(height, bbox[3] + padding))
    assert left <= wanted[0] and top <= wanted[1] and right >= wanted[2] and bottom >= wanted[3]
    if plan.box != (0, 0, width, height):  # a crop is only made for a small region
        assert (right - left) * (bottom - top) <= CROP_BELOW * width * height
        assert right - left >= min(width, lo // 2) and bottom - top >= min(height, lo // 2)
    gw, gh = plan.size
    validate_request(GenerationRequest(prompt="x", width=gw, height=gh), lo, hi)  # a valid model size
    assert max(gw, gh) <= MAX_ASPECT * min(gw, gh)
    # A region the real model can take as it is keeps its size up to rounding to 32.
    cw, ch = plan.crop_size
    if lo == 512 and lo <= min(cw, ch) and max(cw, ch) <= min(hi, 3.5 * min(cw, ch)):
        assert abs(gw - cw) <= 16 and abs(gh - ch) <= 16


def test_small_mask_is_cropped_with_context_and_a_big_one_uses_the_whole_image():
    small = crop_plan((300, 300, 303, 301), (512, 512), *DEMO_LIMITS, padding=64)
    assert small.box == (236, 236, 367, 365) and small.size == (128, 128)
    whole = crop_plan((10, 10, 400, 400), (512, 512), *DEMO_LIMITS, padding=64)
    assert whole.box == (0, 0, 512, 512) and whole.size == (512, 512)
    odd = crop_plan((10, 10, 60, 60), (100, 70), *DEMO_LIMITS, padding=64)
    assert odd.box == (0, 0, 100, 70) and odd.size == (96, 64)  # not a multiple of 32: scaled
    edge = crop_plan((0, 0, 4, 4), (2000, 1500), 512, 2048, padding=64)
    assert edge.box == (0, 0, 256, 256) and edge.size == (512, 512)  # touching a corner: stays inside


# -- the latent blend --------------------------------------------------------------------------------

def test_mask_blend_follows_the_re_noised_source_outside_and_leaves_the_inside():
    g = torch.Generator().manual_seed(0)
    source, noise, latents = (torch.randn(1, 4, 6, 6, generator=g) for _ in range(3))
    mask = torch.zeros(1, 1, 6, 6)
    mask[..., 2:4, 2:4] = 1
    blend = MaskBlend(source, noise, mask)
    inside = mask.bool().expand_as(latents)
    for sigma in (1.0, 0.6, 0.0):
        out = blend(latents, sigma)
        assert torch.equal(out[inside], latents[inside])
        assert torch.allclose(out[~inside], ((1 - sigma) * source + sigma * noise)[~inside])
    assert torch.equal(MaskBlend(source, noise, torch.ones(1, 1, 6, 6))(latents, 0.3), latents)


# -- edits on the demo model ------------------------------------------------------------------------

def test_edit_changes_the_inside_and_keeps_every_pixel_outside_mask_and_feather(runner, events, monkeypatch):
    calls = []
    real_composite = masking.composite
    monkeypatch.setattr(masking, "composite", lambda *a: calls.append(a) or real_composite(*a))
    source, mask = noise_image(96, 64), rect_mask((96, 64), (30, 20, 60, 44))
    result = runner.run(edit_request(source, mask), events)
    assert result is not None, events.of(Failed)
    out, src, weights = assert_outside_is_source(result.image, source, mask)
    inside = weights == 255
    assert (out[inside] != src[inside]).any(axis=-1).mean() > 0.9
    # The band blends generated and source by the weight (which rises monotonically toward the mask).
    generated, region_source, region_weights = (np.asarray(a).astype(int) for a in calls[-1])
    w = region_weights[..., None]
    assert np.abs(out - (generated * w + region_source * (255 - w)) / 255).max() <= 1
    band = (weights > 0) & (weights < 255)
    assert band.any() and (out[band] != src[band]).any()
    assert result.recipe.mode == "edit" and (result.recipe.width, result.recipe.height) == (96, 64)
    assert result.recipe.reference_count == 1
    assert all(p.image.size == (96, 64) for p in events.of(PreviewImage))  # previews: the whole image


def test_latents_outside_the_mask_end_at_the_encoded_source(runner, demo_model, monkeypatch):
    vae = demo_model.pipe.vae
    decoded = []
    real_decode = vae.decode
    monkeypatch.setattr(vae, "decode", lambda latents, *a, **k: decoded.append(latents) or real_decode(latents, *a, **k))
    source, mask = noise_image(64, 64, 4), rect_mask((64, 64), (0, 0, 16, 64))
    assert runner.run(edit_request(source, mask), lambda e: None) is not None
    pixels = demo_model.pipe.image_processor.preprocess(source, height=64, width=64)
    with torch.no_grad():
        encoded = vae.encode(pixels).latent_dist.mode()
    final = decoded[-1]
    # Mask + 8 px feather covers pixels 0..23, i.e. latent columns 0..2; columns 3.. follow the source.
    assert torch.allclose(final[..., 3:], encoded[..., 3:], atol=1e-4)
    assert not torch.allclose(final[..., :2], encoded[..., :2], atol=1e-2)


def test_full_image_mask_regenerates_everything_like_image_to_image(runner):
    source = noise_image(64, 64, 5)
    edit = runner.run(edit_request(source, Image.new("L", (64, 64), 255)), lambda e: None)
    plain = runner.run(GenerationRequest(prompt=edit_request(source, None).prompt, width=64, height=64, steps=2,
                                         seed=7, reference_images=[source]), lambda e: None)
    assert edit.recipe.mode == "edit" and plain.recipe.mode == "i2i"
    assert np.array_equal(np.asarray(edit.image), np.asarray(plain.image))


def test_mask_touching_the_edges(runner):
    source = noise_image(128, 96, 6)
    mask = rect_mask((128, 96), (0, 0, 128, 10))  # the whole top strip, touching three edges
    mask.paste(255, (120, 0, 128, 96))  # and the right edge
    result = runner.run(edit_request(source, mask), lambda e: None)
    out, src, weights = assert_outside_is_source(result.image, source, mask)
    assert (out[weights == 255] != src[weights == 255]).any()


def test_tiny_mask_on_a_large_image_is_generated_on_a_crop_and_pasted_back(runner, demo_model, events):
    source = noise_image(512, 512, 7)
    mask = Image.new("L", (512, 512), 0)
    for xy in ((300, 300), (301, 300), (302, 300)):  # three pixels
        mask.putpixel(xy, 255)
    request = edit_request(source, mask)
    plan = plan_edit(request, demo_model.report.min_side, demo_model.report.max_side)
    assert plan.crop.box != (0, 0, 512, 512) and plan.crop.size[0] < 512
    result = runner.run(request, events)
    assert result.image.size == (512, 512)
    out, src, weights = assert_outside_is_source(result.image, source, mask)
    assert (out[300, 300:303] != src[300, 300:303]).any()
    assert int((weights > 0).sum()) < 400  # the unchanged part is nearly all of the image


def test_image_not_a_multiple_of_32_keeps_its_exact_size(runner):
    source = noise_image(100, 70, 8)
    mask = rect_mask((100, 70), (40, 25, 70, 50))
    result = runner.run(edit_request(source, mask), lambda e: None)
    assert result.image.size == (100, 70)
    assert_outside_is_source(result.image, source, mask)


def test_image_above_the_model_limit_is_edited_through_a_crop_or_a_scale(runner):
    source = noise_image(700, 520, 9)  # the demo model takes at most 512 per side
    for box in ((600, 400, 620, 420), (50, 50, 650, 480)):
        mask = rect_mask(source.size, box)
        result = runner.run(edit_request(source, mask), lambda e: None)
        assert result is not None and result.image.size == (700, 520)
        out, src, weights = assert_outside_is_source(result.image, source, mask)


def test_a_variation_of_an_edit_reuses_the_tokens(runner):
    source, mask = noise_image(64, 64, 10), rect_mask((64, 64), (20, 20, 40, 40))
    first = runner.run(edit_request(source, mask), lambda e: None)
    varied = runner.run(edit_request(source, mask).variation(seed=8, prior=first.prior), lambda e: None)
    assert varied.recipe.mode == "edit" and not np.array_equal(np.asarray(varied.image), np.asarray(first.image))
    assert_outside_is_source(varied.image, source, mask)


@pytest.mark.parametrize(
    "mask,references,expected",
    [
        (Image.new("L", (64, 64), 0), 1, "Paint a mask first"),
        (Image.new("L", (32, 48), 255), 1, "mask is 32x48 but the image is 64x64"),
        (Image.new("L", (64, 64), 255), 2, "exactly one image"),
        (Image.new("L", (64, 64), 255), 0, "exactly one image"),
    ],
)
def test_bad_edits_fail_before_anything_runs(runner, events, demo_model, monkeypatch, mask, references, expected):
    monkeypatch.setattr(demo_model.pipe.vision_language_encoder, "generate", lambda *a, **k: pytest.fail("AR ran"))
    request = edit_request(noise_image(64, 64), mask, reference_images=[noise_image(64, 64)] * references)
    assert runner.run(request, events) is None
    assert events.of(PhaseChanged) == [] and events.of(Finished) == []
    assert expected in events.of(Failed)[0].message
