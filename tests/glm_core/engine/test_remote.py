"""The remote engine against a local fake GLM-Image server (tests/fake_image_server.py): what it
sends, what it makes of each answer, and cancel while the server is still working."""

from __future__ import annotations

import asyncio
import base64
import socket
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from fake_image_server import DROP, png_b64
from glm_core.engine.base import EngineState
from glm_core.engine.remote import RemoteEngine
from glm_core.engine.server_timings import ServerTimings
from glm_core.generation.events import Cancelled, Failed, Finished, Loaded, Phase, PhaseChanged, Waiting
from glm_core.generation.request import GenerationRequest


@pytest.fixture
def timings(tmp_path):
    return ServerTimings(tmp_path / "timings.json")


def engine_for(image_server, timings, **kwargs) -> RemoteEngine:
    return RemoteEngine(image_server.url, timings=timings, **kwargs)


def collect(stream) -> list:
    async def gather():
        return [event async for event in stream]
    return asyncio.run(gather())


def failure(events) -> str:
    assert isinstance(events[-1], Failed), events
    assert len([e for e in events if isinstance(e, (Finished, Failed, Cancelled))]) == 1
    return events[-1].message


def test_text_to_image_sends_the_whole_request_and_returns_the_checked_image(image_server, timings):
    engine = engine_for(image_server, timings)
    events = collect(engine.generate(GenerationRequest("a red fox", width=768, height=512, steps=12,
                                                       guidance=2.5, seed=42)))
    done = events[-1]
    assert isinstance(done, Finished), events
    assert done.image.size == (768, 512)
    assert PhaseChanged(Phase.SERVER) in events and any(isinstance(e, Waiting) for e in events)
    [sent] = image_server.image_requests()
    assert sent.path == "/v1/images/generations"
    assert sent.fields == {"model": "zai-org/GLM-Image", "prompt": "a red fox", "size": "768x512", "n": 1,
                           "seed": 42, "num_inference_steps": 12, "guidance_scale": 2.5, "response_format": "b64_json"}
    assert "authorization" not in sent.headers
    assert done.recipe.server == image_server.url and done.recipe.model_id == "zai-org/GLM-Image"
    assert (done.recipe.seed, done.recipe.steps, done.recipe.guidance) == (42, 12, 2.5)
    assert done.prior is None and engine.state is EngineState.READY


def test_a_seedless_request_gets_a_seed_that_the_recipe_records(image_server, timings):
    done = collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=512, height=512)))[-1]
    assert done.recipe.seed == image_server.image_requests()[0].fields["seed"]


def test_load_lists_the_models_and_reports_the_server(image_server, timings):
    image_server.models = ["other/model", "zai-org/GLM-Image"]
    engine = engine_for(image_server, timings)
    events = collect(engine.load(None))
    assert isinstance(events[-1], Loaded), events
    report = events[-1].report
    assert (report.server, report.model_id) == (image_server.url, "zai-org/GLM-Image")
    assert engine.capabilities.where == f"Server {image_server.url} (zai-org/GLM-Image)"
    assert engine.capabilities.edits and not engine.capabilities.variations
    assert not engine.capabilities.memory_plan and not engine.capabilities.live_progress


def test_a_model_the_server_does_not_serve_is_named_with_what_it_serves(image_server, timings):
    message = failure(collect(engine_for(image_server, timings, model="nope").load(None)))
    assert "does not serve 'nope'" in message and "zai-org/GLM-Image" in message


def test_the_api_key_goes_in_the_authorization_header(image_server, timings):
    collect(engine_for(image_server, timings, api_key="sk-secret").generate(GenerationRequest("x", width=512, height=512)))
    assert all(r.headers["authorization"] == "Bearer sk-secret" for r in image_server.requests)
    assert "sk-secret" not in repr(engine_for(image_server, timings, api_key="sk-secret"))


@pytest.mark.parametrize("status, detail, expected", [
    (400, "prompt is too long", "prompt is too long"),
    (422, [{"loc": ["body", "size"], "msg": "size must be a multiple of 32", "type": "value_error"}],
     "size must be a multiple of 32"),
    (503, "model is loading", "wait a moment and try again"),
])
def test_error_answers_become_one_line_naming_problem_and_fix(image_server, timings, status, detail, expected):
    image_server.reply = lambda record: (status, {"detail": detail})
    engine = engine_for(image_server, timings)
    message = failure(collect(engine.generate(GenerationRequest("x", width=512, height=512))))
    assert f"HTTP {status}" in message and expected in message and "\n" not in message
    assert engine.state is EngineState.READY  # the engine takes the next job
    image_server.reply = None
    assert isinstance(collect(engine.generate(GenerationRequest("x", width=512, height=512)))[-1], Finished)


def test_a_dropped_connection_says_the_server_closed_it(image_server, timings):
    image_server.reply = lambda record: DROP
    message = failure(collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=512, height=512))))
    assert "closed the connection" in message


def test_malformed_base64_is_refused(image_server, timings):
    image_server.reply = lambda record: (200, {"data": [{"b64_json": "not base64 at all!"}]})
    message = failure(collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=512, height=512))))
    assert "base64" in message


def test_bytes_that_are_no_image_are_refused(image_server, timings):
    image_server.reply = lambda record: (200, {"data": [{"b64_json": base64.b64encode(b"<html>oops</html>").decode()}]})
    message = failure(collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=512, height=512))))
    assert "is not an image" in message


def test_a_png_of_the_wrong_size_is_refused(image_server, timings):
    image_server.reply = lambda record: (200, {"data": [{"b64_json": png_b64(Image.new("RGB", (512, 512)))}]})
    message = failure(collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=1024, height=512))))
    assert "512x512 image for a 1024x512 request" in message


def test_an_unreachable_server_says_so_with_its_address(timings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = failure(collect(RemoteEngine(f"127.0.0.1:{port}", timings=timings).load(None)))
    assert message.startswith(f"Cannot reach http://127.0.0.1:{port}: is the server running?")


def test_cancel_abandons_a_slow_request_at_once(image_server, timings):
    image_server.delay = 30
    engine = engine_for(image_server, timings)
    threading.Timer(1.2, engine.cancel).start()  # from another thread, as the window's Cancel
    started = time.monotonic()
    events = collect(engine.generate(GenerationRequest("x", width=512, height=512)))
    assert time.monotonic() - started < 3
    assert events[-1] == Cancelled(Phase.SERVER)
    assert [e for e in events if isinstance(e, Waiting)][-1].elapsed >= 1  # it said it was waiting
    assert engine.state is EngineState.READY


def test_the_wait_shows_what_the_last_runs_of_that_size_took(image_server, timings):
    engine = engine_for(image_server, timings)
    first = collect(engine.generate(GenerationRequest("x", width=512, height=512, steps=9)))
    assert {e.expected for e in first if isinstance(e, Waiting)} == {None}
    second = collect(engine.generate(GenerationRequest("x", width=512, height=512, steps=9)))
    expected = [e.expected for e in second if isinstance(e, Waiting)][0]
    assert expected == pytest.approx(first[-1].seconds, abs=0.02)
    other = collect(engine.generate(GenerationRequest("x", width=512, height=512, steps=10)))
    assert {e.expected for e in other if isinstance(e, Waiting)} == {None}  # another step count: unknown


def test_a_masked_edit_sends_the_crop_and_keeps_every_pixel_outside_byte_for_byte(image_server, timings):
    rng = np.random.default_rng(1)
    source = Image.fromarray(rng.integers(0, 256, (1100, 1300, 3), dtype=np.uint8))
    mask = Image.new("L", source.size)
    mask.paste(255, (600, 500, 700, 580))
    request = GenerationRequest("a moon", reference_images=[source], mask=mask, mask_feather=4, seed=3)
    done = collect(engine_for(image_server, timings).generate(request))[-1]
    assert isinstance(done, Finished), done
    assert done.image.size == source.size
    [sent] = image_server.image_requests()
    assert sent.path == "/v1/images/edits" and [name for name, _ in sent.images] == ["image"]
    width, height = sent.images[0][1].size
    assert sent.fields["size"] == f"{width}x{height}" and width < 1300  # the crop, not the whole image
    assert sent.fields["response_format"] == "b64_json" and sent.fields["seed"] == "3"
    out, src = np.asarray(done.image), np.asarray(source)
    changed = np.any(out != src, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed[520:560, 620:680].all()  # inside the mask: the server's pixels
    assert xs.min() >= 600 - 4 and xs.max() < 700 + 4 and ys.min() >= 500 - 4 and ys.max() < 580 + 4
    assert done.recipe.mode == "edit"


def test_several_references_go_as_image_array(image_server, timings):
    refs = [Image.new("RGB", (512, 512), c) for c in ("red", "blue")]
    collect(engine_for(image_server, timings).generate(GenerationRequest("x", width=512, height=512, reference_images=refs)))
    assert [name for name, _ in image_server.image_requests()[0].images] == ["image[]", "image[]"]


def test_a_server_without_edits_refuses_an_edit_in_one_line(image_server, timings):
    image_server.edits = False
    engine = engine_for(image_server, timings)
    collect(engine.load(None))
    assert not engine.capabilities.edits
    refs = [Image.new("RGB", (512, 512))]
    message = failure(collect(engine.generate(GenerationRequest("x", width=512, height=512, reference_images=refs))))
    assert "cannot edit images" in message and not image_server.image_requests()


def test_one_job_at_a_time(image_server, timings):
    image_server.delay = 30
    engine = engine_for(image_server, timings)

    async def two():
        first = engine.generate(GenerationRequest("x", width=512, height=512))
        await first.__anext__()
        with pytest.raises(RuntimeError):
            await engine.generate(GenerationRequest("y", width=512, height=512)).__anext__()
        engine.cancel()
        return [e async for e in first]
    assert isinstance(asyncio.run(two())[-1], Cancelled)


def test_the_engine_module_imports_no_torch():
    import subprocess

    code = "import glm_core.engine.remote, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_timings_file_damage_is_ignored(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{not json")
    timings = ServerTimings(path)
    assert timings.expected("http://a", 512, 512, 30) is None
    timings.record("http://a", 512, 512, 30, 12.5)
    assert ServerTimings(path).expected("http://a", 512, 512, 30) == 12.5

