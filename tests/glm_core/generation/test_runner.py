"""Generation on the demo model: events, previews, cancel, variations, edits, bad input."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from glm_core.generation.events import Cancelled, DiffusionStep, Failed, Finished, Phase, PhaseChanged, PreviewImage, TokenProgress
from glm_core.generation.request import GenerationRequest


def request(**overrides) -> GenerationRequest:
    values = dict(prompt="a poster that says “GRAND OPENING”", width=64, height=64, steps=3, guidance=1.5, seed=11)
    values.update(overrides)
    return GenerationRequest(**values)


def grid_sizes(demo_model, width, height):
    token_h, token_w, layout_h, layout_w = demo_model.pipe.processor._get_target_shape(height, width)
    return layout_h * layout_w, token_h * token_w


@pytest.mark.parametrize("width,height", [(64, 64), (128, 64)])
def test_text_to_image_reports_every_token_and_step_in_order(runner, demo_model, events, width, height):
    result = runner.run(request(width=width, height=height), events)

    assert result is not None and result.image.size == (width, height)
    layout_total, full_total = grid_sizes(demo_model, width, height)
    tokens = events.of(TokenProgress)
    assert [(t.grid, t.index) for t in tokens] == [("layout", i) for i in range(1, layout_total + 1)] + [
        ("full", i) for i in range(1, full_total + 1)
    ]
    assert [s.step for s in events.of(DiffusionStep)] == [1, 2, 3]
    phases = [e.phase for e in events.of(PhaseChanged)]
    assert phases == [Phase.PRIOR, Phase.DIFFUSION, Phase.DECODE]
    assert isinstance(events[0], PhaseChanged) and isinstance(events[-1], Finished)
    previews = events.of(PreviewImage)
    assert {p.phase for p in previews} == {Phase.PRIOR, Phase.DIFFUSION}
    assert all(p.image.size == (width, height) for p in previews)
    finished = events[-1]
    assert finished.recipe.seed == 11 and finished.recipe.width == width and finished.recipe.mode == "t2i"
    assert finished.recipe.model_id == demo_model.report.model_id


def test_runner_matches_a_plain_pipeline_call(runner, demo_model, events):
    """The hooks observe; they must not change the picture."""
    result = runner.run(request(seed=5), events)
    plain = demo_model.pipe(
        prompt=request().prompt, height=64, width=64, num_inference_steps=3, guidance_scale=1.5,
        generator=torch.Generator().manual_seed(5),
    ).images[0]
    assert np.array_equal(np.asarray(result.image), np.asarray(plain))


def test_same_seed_same_image_and_a_new_seed_differs(runner, events):
    first = runner.run(request(seed=3), events)
    again = runner.run(request(seed=3), events)
    other = runner.run(request(seed=4), events)
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))


def test_no_seed_draws_one_and_records_it(runner, events):
    result = runner.run(request(seed=None), events)
    assert 0 <= result.recipe.seed < 2**32


def test_token_mosaic_fills_in_as_tokens_arrive(runner, events):
    runner.run(request(), events)
    prior_previews = [p.image for p in events.of(PreviewImage) if p.phase == Phase.PRIOR]
    # The last layout mosaic is complete: no cell left in the "not yet written" grey.
    assert len(prior_previews) >= 2
    first, complete = np.asarray(prior_previews[0]), np.asarray(prior_previews[-1])
    unwritten = np.all(first == 40, axis=-1).mean()
    assert unwritten > np.all(complete == 40, axis=-1).mean()


def test_variation_skips_the_ar_stage(runner, demo_model, events, monkeypatch):
    base = runner.run(request(seed=8), events)
    calls = []
    original = demo_model.pipe.vision_language_encoder.generate
    monkeypatch.setattr(demo_model.pipe.vision_language_encoder, "generate", lambda *a, **k: calls.append(1) or original(*a, **k))
    varied_events = type(events)()
    varied = runner.run(request().variation(seed=9, prior=base.prior), varied_events)
    same_seed = runner.run(request().variation(seed=8, prior=base.prior), type(events)())

    assert calls == []
    assert varied_events.of(TokenProgress) == []
    assert Phase.PRIOR not in [e.phase for e in varied_events.of(PhaseChanged)]
    assert varied.recipe.seed == 9
    assert not np.array_equal(np.asarray(varied.image), np.asarray(base.image))
    assert np.array_equal(np.asarray(same_seed.image), np.asarray(base.image))


@pytest.mark.parametrize("count", [1, 2])
def test_image_to_image_with_references(runner, demo_model, events, count):
    refs = [Image.new("RGB", (64, 64), "red"), Image.new("RGB", (96, 64), "blue")][:count]
    result = runner.run(request(reference_images=refs, width=96, height=64), events)
    assert result is not None, [e for e in events if isinstance(e, Failed)]
    assert result.image.size == (96, 64)
    assert result.recipe.mode == "i2i" and result.recipe.reference_count == count
    _, full_total = grid_sizes(demo_model, 96, 64)
    assert {t.grid for t in events.of(TokenProgress)} == {"full"}
    assert len(events.of(TokenProgress)) == full_total
    assert result.prior.image_token_ids is not None


def test_huge_reference_is_scaled_to_the_target_size(runner, events):
    result = runner.run(request(reference_images=[Image.new("RGB", (1600, 1200), "green")]), events)
    assert result is not None and result.image.size == (64, 64)


def _cancel_on(runner, kind, predicate=lambda e: True):
    seen = []

    def sink(event):
        seen.append(event)
        if isinstance(event, kind) and predicate(event):
            runner.cancel()

    return seen, sink


def test_cancel_during_the_ar_stage_stops_within_a_token(runner, demo_model):
    seen, sink = _cancel_on(runner, TokenProgress, lambda e: e.index == 10)
    assert runner.run(request(), sink) is None
    tokens = [e for e in seen if isinstance(e, TokenProgress)]
    assert len(tokens) <= 11
    assert isinstance(seen[-1], Cancelled) and seen[-1].phase == Phase.PRIOR
    assert not any(isinstance(e, DiffusionStep) for e in seen)


def test_cancel_during_diffusion_skips_the_decode(runner, demo_model, monkeypatch):
    decodes = []
    original = demo_model.pipe.vae.decode
    monkeypatch.setattr(demo_model.pipe.vae, "decode", lambda *a, **k: decodes.append(1) or original(*a, **k))
    seen, sink = _cancel_on(runner, DiffusionStep, lambda e: e.step == 1)
    assert runner.run(request(steps=5), sink) is None
    assert [e.step for e in seen if isinstance(e, DiffusionStep)] == [1]
    assert isinstance(seen[-1], Cancelled) and seen[-1].phase == Phase.DIFFUSION
    assert decodes == []


def test_cancel_from_another_thread_then_the_next_request_works(runner, events):
    started = threading.Event()

    def sink(event):
        if isinstance(event, TokenProgress):
            started.set()

    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", runner.run(request(), sink)))
    worker.start()
    assert started.wait(30)
    runner.cancel()
    worker.join(30)
    assert not worker.is_alive() and box["result"] is None

    result = runner.run(request(), events)
    assert result is not None and isinstance(events[-1], Finished)


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"prompt": "   "}, "prompt"),
        ({"width": 100}, "multiple of 32"),
        ({"width": 1024}, "512"),
        ({"steps": 0}, "steps"),
        ({"guidance": 99.0}, "guidance"),
    ],
)
def test_bad_requests_fail_with_a_clear_message_and_the_model_stays_usable(runner, events, overrides, expected):
    assert runner.run(request(**overrides), events) is None
    failed = events.of(Failed)
    assert len(failed) == 1 and expected in failed[0].message.lower()
    assert runner.run(request(), events) is not None
