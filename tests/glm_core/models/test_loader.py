"""The one loader users run on real weights, exercised on the demo model saved with save_pretrained."""

from __future__ import annotations

import json
import shutil

import bitsandbytes as bnb
import pytest
from diffusers import GlmImagePipeline, GlmImageTransformer2DModel
from transformers import GlmImageForConditionalGeneration

from glm_core.generation.events import Finished
from glm_core.models.loader import LoadError, LoadOptions, check_model_folder, load_model, save_model
from glm_core.generation.request import GenerationRequest
from glm_core.generation.runner import GenerationRunner


def small_request():
    return GenerationRequest(prompt="a “TEST” poster", width=64, height=64, steps=2, seed=1)


def test_demo_model_loads_with_the_real_classes(demo_model):
    pipe, report = demo_model.pipe, demo_model.report
    assert isinstance(pipe, GlmImagePipeline)
    assert isinstance(pipe.vision_language_encoder, GlmImageForConditionalGeneration)
    assert isinstance(pipe.transformer, GlmImageTransformer2DModel)
    assert report.is_demo and report.device == "cpu"
    assert report.quant == {"vision_language_encoder": "bf16", "transformer": "bf16"}
    assert report.plan.offload == "none" and report.plan.peak_bytes > 0
    assert (report.min_side, report.max_side) == (32, 512)


def test_demo_folder_holds_safetensors_only(demo_folder):
    weights = {p.suffix for p in demo_folder.rglob("*") if p.is_file() and p.stat().st_size > 100_000}
    assert weights == {".safetensors"}


@pytest.mark.parametrize("mode,layer", [("nf4", bnb.nn.Linear4bit), ("int8", bnb.nn.Linear8bitLt)])
def test_quantized_ar_model_generates_and_the_dit_fallback_is_reported(mode, layer):
    model = load_model(LoadOptions(source="demo", quant=mode, device="cpu"))
    ar_layers = [m for m in model.pipe.vision_language_encoder.modules() if isinstance(m, layer)]
    assert ar_layers, f"no {mode} layers in the AR model"
    assert model.report.quant == {"vision_language_encoder": mode, "transformer": "bf16"}
    assert any("DiT" in notice and mode in notice for notice in model.report.notices)

    events = []
    result = GenerationRunner(model).run(small_request(), events.append)
    assert result is not None and isinstance(events[-1], Finished)
    assert f"ar={mode}" in result.recipe.quantization


def test_a_saved_quantized_copy_reloads_without_requantizing(tmp_path):
    model = load_model(LoadOptions(source="demo", quant="nf4", device="cpu"))
    folder = save_model(model, tmp_path / "demo-nf4")
    config = json.loads((folder / "vision_language_encoder" / "config.json").read_text())
    assert config["quantization_config"]["load_in_4bit"]

    reloaded = load_model(LoadOptions(source=str(folder), quant="bf16", device="cpu"))
    assert reloaded.report.quant["vision_language_encoder"] == "nf4"
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in reloaded.pipe.vision_language_encoder.modules())
    assert GenerationRunner(reloaded).run(small_request(), lambda e: None) is not None


def test_forced_device_that_is_missing_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not available"):
        load_model(LoadOptions(source="demo", device="cuda"))


def test_unknown_quantization_is_a_clear_error():
    with pytest.raises(LoadError, match="choose one of"):
        load_model(LoadOptions(source="demo", quant="fp3"))


def test_missing_folder_names_the_path(tmp_path):
    with pytest.raises(LoadError, match="not found"):
        load_model(LoadOptions(source=str(tmp_path / "nowhere")))


def test_uncached_hub_model_offline_says_how_to_download():
    with pytest.raises(LoadError, match="models download"):
        load_model(LoadOptions(source="zai-org/GLM-Image"))


def test_folder_checks_name_what_is_wrong(tmp_path, demo_folder):
    with pytest.raises(LoadError, match="model_index.json"):
        check_model_folder(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(demo_folder, broken)
    shutil.rmtree(broken / "transformer")
    with pytest.raises(LoadError, match="missing transformer"):
        check_model_folder(broken)
    (broken / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    with pytest.raises(LoadError, match="not a GLM-Image pipeline"):
        check_model_folder(broken)


def test_pickle_weights_are_never_loaded(tmp_path, demo_folder):
    """A folder whose DiT ships only a .bin (pickle) file is refused, not unpickled."""
    folder = tmp_path / "pickled"
    shutil.copytree(demo_folder, folder)
    weights = folder / "transformer" / "diffusion_pytorch_model.safetensors"
    weights.rename(weights.with_name("diffusion_pytorch_model.bin"))
    with pytest.raises((LoadError, OSError, EnvironmentError)):
        load_model(LoadOptions(source=str(folder), device="cpu"))
