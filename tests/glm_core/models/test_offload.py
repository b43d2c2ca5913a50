"""Every offload mode x every job kind on the demo model, with accelerate's hooks really installed.

bf16 runs on the stand-in accelerator (tests/standin_accelerator.py): weights offloaded to the CPU
and an execution device that is not the CPU, so feeding a model on the wrong device fails here as
it does on CUDA. bitsandbytes layers cannot live on the stand-in (their parameter classes refuse
a tensor subclass), so the nf4/int8 rows run with the hooks installed on the CPU: the offload
machinery and the quantized layers together, without the device check.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from glm_core.generation.events import Failed, Finished, PreviewImage
from glm_core.models.loader import LoadError, LoadOptions, load_model
from glm_core.generation.request import GenerationRequest
from glm_core.generation.runner import GenerationRunner
from standin_accelerator import StandInAccelerator

SIZE = 32  # the smallest the demo takes: the AR model still writes its 16x16 layout grid


def job(kind: str) -> GenerationRequest:
    prompt = "a poster that says “OPEN”"
    if kind == "t2i":
        return GenerationRequest(prompt=prompt, width=SIZE, height=SIZE, steps=2, seed=7)
    source = Image.new("RGB", (64, 64), "teal")
    if kind == "edit":
        return GenerationRequest(prompt=prompt, width=64, height=64, steps=2, seed=7, reference_images=[source])
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (8, 8, 24, 24))
    return GenerationRequest(prompt=prompt, steps=2, seed=7, reference_images=[source], mask=mask)


def run(model, request):
    events = []
    result = GenerationRunner(model).run(request, events.append)
    return result, events


@pytest.fixture(scope="module")
def plain_results(demo_model):
    """What each job gives with no offload on the CPU: offloading must not change the picture."""
    results = {kind: run(demo_model, job(kind))[0] for kind in ("t2i", "edit", "masked")}
    results["variation"] = run(demo_model, job("t2i").variation(8, results["t2i"].prior))[0]
    return results


@pytest.fixture(scope="module", params=["none", "model", "sequential"])
def standin_model(request):
    with StandInAccelerator():
        model = load_model(LoadOptions(source="demo", device="standin", offload=request.param))
    assert model.report.plan.offload == request.param
    return model


@pytest.mark.parametrize("kind", ["t2i", "edit", "masked", "variation"])
def test_every_offload_mode_runs_every_job_on_a_separate_device(standin_model, plain_results, kind):
    with StandInAccelerator():
        request = job("t2i").variation(8, plain_results["t2i"].prior) if kind == "variation" else job(kind)
        result, events = run(standin_model, request)
    offload = standin_model.report.plan.offload
    if offload == "sequential" and kind in ("edit", "masked"):
        # The VQ reads its codebook directly, which sequential offload keeps on `meta`: refused up
        # front with the way out, never a crash half-way.
        failed = events[-1]
        assert isinstance(failed, Failed) and "model offload" in failed.message
        assert [r.offload for r in failed.remedies] == ["model"]
        return
    assert isinstance(events[-1], Finished), getattr(events[-1], "details", events[-1])
    difference = np.abs(np.asarray(result.image, dtype=int) - np.asarray(plain_results[kind].image, dtype=int))
    assert difference.max() <= 2, difference.max()  # the same picture (kernels may sum in another order)
    assert any(isinstance(e, PreviewImage) for e in events)  # palettes made at load time, before the hooks


@pytest.mark.parametrize("quant", ["nf4", "int8"])
@pytest.mark.parametrize("offload", ["none", "model"])
def test_quantized_models_run_under_offload_hooks(quant, offload):
    model = load_model(LoadOptions(source="demo", device="cpu", quant=quant, offload=offload))
    assert model.report.plan.offload == offload
    assert hasattr(model.pipe.transformer, "_hf_hook") == (offload == "model")  # honoured on the CPU too
    first, events = run(model, job("t2i"))
    assert isinstance(events[-1], Finished), events[-1]
    for kind in ("edit", "masked"):
        result, events = run(model, job(kind))
        assert isinstance(events[-1], Finished), events[-1]
    varied, events = run(model, job("t2i").variation(9, first.prior))
    assert isinstance(events[-1], Finished) and varied.image.size == (SIZE, SIZE)


def test_sequential_offload_of_quantized_weights_is_refused_naming_what_works():
    with pytest.raises(LoadError, match="--offload model"):
        load_model(LoadOptions(source="demo", device="cpu", quant="nf4", offload="sequential"))


def test_out_of_memory_during_a_run_offers_the_next_plan_down(demo_folder):
    with StandInAccelerator() as card:
        model = load_model(LoadOptions(source="demo", device="standin", offload="none"))
        # Something else takes the card after loading: only the weights still fit.
        weights = card.allocated_bytes
        card.set_capacity(weights + 64 * 1024)
        result, events = run(model, job("t2i"))
        failed = events[-1]
        assert result is None and isinstance(failed, Failed) and "out of memory" in failed.message.lower()
        assert failed.remedies[0].offload == "model"
        model.set_offload(failed.remedies[0].offload)  # the user's one click
        assert card.allocated_bytes < weights / 20  # offloaded: no model resident between runs
        result, events = run(model, job("t2i"))
        assert isinstance(events[-1], Finished), events[-1]
        assert card.peak_bytes <= card.capacity


def test_a_grid_is_always_full_even_when_the_model_wants_to_stop_early(demo_folder):
    """The trained model can write the end token before the last grid position; the demo never
    does, so this one is made to want nothing else."""
    model = load_model(LoadOptions(source="demo", device="cpu"))
    ar = model.pipe.vision_language_encoder
    ar.generation_config.suppress_tokens = None
    end_token = ar.config.image_end_token_id

    def prefer_the_end(_module, _inputs, logits):
        logits[..., end_token] += 1e4
        return logits

    ar.lm_head.register_forward_hook(prefer_the_end)
    result, events = run(model, job("t2i"))
    assert isinstance(events[-1], Finished), events[-1]
    codes = result.prior.token_ids
    assert codes.size == 4 * (SIZE // 32) ** 2 * 1 and int(codes.max()) < ar.config.vq_config.num_embeddings


def test_previews_are_cached_per_model_on_disk(demo_folder, monkeypatch):
    from glm_core.paths import user_cache_dir
    from glm_core.models.preview import TokenMosaic

    load_model(LoadOptions(source="demo", device="cpu"))
    assert list((user_cache_dir() / "previews").glob("*.npz"))

    def no_recompute(_codebook):
        raise AssertionError("palette computed again")

    monkeypatch.setattr(TokenMosaic, "palette_of", staticmethod(no_recompute))
    model = load_model(LoadOptions(source="demo", device="cpu"))
    assert model.previews.mosaic.palette.shape == (model.pipe.vision_language_encoder.config.vq_config.num_embeddings, 3)


def test_a_request_too_big_for_the_card_is_refused_before_it_runs(demo_folder):
    with StandInAccelerator() as card:
        card.set_capacity(3 * 2**20)  # the planner counts half a GB of GPU workspace: nothing fits
        model = load_model(LoadOptions(source="demo", device="standin", offload="none"))
        result, events = run(model, job("t2i"))
    failed = events[-1]
    assert result is None and isinstance(failed, Failed) and failed.message.startswith("Not enough memory")
    assert not any(isinstance(e, PreviewImage) for e in events)  # refused before any work


@pytest.mark.parametrize("requested, device, expected", [
    ("nf4", "cuda", {"vision_language_encoder": "nf4", "transformer": "nf4"}),
    ("int8", "cuda", {"vision_language_encoder": "int8", "transformer": "int8"}),
    ("nf4", "cpu", {"vision_language_encoder": "nf4", "transformer": "bf16"}),
    ("int8", "mps", {"vision_language_encoder": "nf4", "transformer": "nf4"}),
    ("nf4", "mps", {"vision_language_encoder": "nf4", "transformer": "nf4"}),
])
def test_each_fallback_is_taken_and_said(requested, device, expected):
    from glm_core.models.loader import choose_quant

    quant, notices = choose_quant(requested, device, {})
    assert quant == expected
    assert bool(notices) == (expected != {"vision_language_encoder": requested, "transformer": requested})


@pytest.mark.parametrize("mode", ["nf4", "int8"])
def test_a_copy_saved_with_a_quantized_dit_reloads_on_a_machine_without_gpu(demo_folder, tmp_path, monkeypatch, mode):
    """A copy saved on a GPU keeps its DiT quantized; diffusers will not load that on the CPU, so the
    loader unpacks it (the fallback a fresh CPU load takes anyway) and says so."""
    import shutil

    from diffusers import BitsAndBytesConfig, GlmImageTransformer2DModel
    from diffusers.quantizers.bitsandbytes import bnb_quantizer

    copy = tmp_path / f"saved-{mode}"
    shutil.copytree(demo_folder, copy)
    # Make the file a GPU machine would have written: bitsandbytes quantizes on the CPU here once
    # diffusers' GPU check is out of the way.
    quantizer = bnb_quantizer.BnB4BitDiffusersQuantizer if mode == "nf4" else bnb_quantizer.BnB8BitDiffusersQuantizer
    with monkeypatch.context() as patch:
        patch.setattr(quantizer, "validate_environment", lambda self, *args, **kwargs: None)
        config = (BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True)
                  if mode == "nf4" else BitsAndBytesConfig(load_in_8bit=True))
        quantized = GlmImageTransformer2DModel.from_pretrained(
            demo_folder / "transformer", quantization_config=config, torch_dtype=torch.float32, device_map="cpu")
    shutil.rmtree(copy / "transformer")
    quantized.save_pretrained(copy / "transformer")

    model = load_model(LoadOptions(source=str(copy), device="cpu"))
    assert model.report.quant["transformer"] == "bf16"
    assert any("saved as " + mode in notice and "unpacked" in notice for notice in model.report.notices)
    original = GlmImageTransformer2DModel.from_pretrained(demo_folder / "transformer", torch_dtype=torch.float32)
    name = "transformer_blocks.0.attn1.to_q.weight"
    before, after = original.state_dict()[name], model.pipe.transformer.state_dict()[name]
    relative_error = ((after - before).norm() / before.norm()).item()
    assert relative_error < (0.15 if mode == "nf4" else 0.02), relative_error
    result, events = run(model, job("t2i"))
    assert isinstance(events[-1], Finished), events[-1]
