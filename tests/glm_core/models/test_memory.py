"""Memory estimates against the real GLM-Image configs (built on the meta device, no weights)."""

import json

import pytest

from glm_core.models.memory import (
    QUANT_MODES,
    activation_bytes,
    component_sizes_from_folder,
    known_model_info,
    known_model_sizes,
    plan_memory,
)

GB = 10**9
AR, DIT = "vision_language_encoder", "transformer"
NF4_BOTH = {AR: "nf4", DIT: "nf4"}


@pytest.fixture(scope="module")
def sizes():
    return known_model_sizes()  # builds the 10B AR model on meta once (~2 s)


def near(value, expected, rel):
    return abs(value - expected) <= rel * expected


def test_param_counts_match_the_real_model(sizes):
    assert near(sizes[AR].params, 10.11e9, 0.02)
    assert near(sizes[AR].linear_params, 9.36e9, 0.02)
    assert near(sizes[DIT].params, 6.93e9, 0.02)
    assert near(sizes[DIT].linear_params, 6.86e9, 0.02)
    assert near(sizes["text_encoder"].params, 0.22e9, 0.05)
    assert sizes["vae"].params < 0.1e9


def test_weight_bytes_per_mode(sizes):
    assert near(sizes[AR].weight_bytes("nf4"), 6.5e9, 0.10)
    assert near(sizes[DIT].weight_bytes("nf4"), 3.8e9, 0.10)
    assert near(sizes[AR].weight_bytes("int8"), 10.9e9, 0.10)
    assert near(sizes[DIT].weight_bytes("int8"), 6.9e9, 0.10)
    assert near(sum(s.weight_bytes("bf16") for s in sizes.values()), 34.7e9, 0.10)
    for s in sizes.values():
        nf4, int8, bf16 = (s.weight_bytes(m) for m in ("nf4", "int8", "bf16"))
        assert nf4 <= int8 <= bf16
    with pytest.raises(ValueError):
        sizes[AR].weight_bytes("fp8")
    assert QUANT_MODES == ("bf16", "int8", "nf4")


def test_nf4_on_an_8gb_card_offloads_whole_models_and_fits(sizes):
    plan = plan_memory(sizes, NF4_BOTH, 8 * GB, 1024, 1024)
    assert plan.offload == "model"
    assert plan.fits()
    assert "8.0 GB" in plan.reason


def test_bf16_on_an_80gb_card_needs_no_offload(sizes):
    plan = plan_memory(sizes, {}, 80 * GB, 1024, 1024)
    assert plan.offload == "none" and plan.fits()
    assert plan.peak_bytes == plan.weights_bytes + plan.activation_bytes
    assert "34.7 GB" in plan.reason


def test_bf16_on_an_8gb_card_streams_layers(sizes):
    plan = plan_memory(sizes, {}, 8 * GB, 1024, 1024)
    assert plan.offload == "sequential"
    assert plan.fits()


def test_bf16_on_a_24gb_card_must_offload(sizes):
    # A 24 GB card runs out of memory unless at least the AR model is offloaded (sglang#20359).
    plan = plan_memory(sizes, {}, 24 * GB, 1024, 1024)
    assert plan.offload != "none"
    assert plan.fits()


@pytest.mark.parametrize("side, official_gib", [(512, 34.3), (1024, 37.8), (2048, 45.1)])
def test_bf16_peak_is_close_to_the_official_h100_figures(sizes, side, official_gib):
    # The official peaks are GiB (34.3 GB would be below the 34.7e9 B of weights otherwise)
    # and include the CUDA context (~0.6 GB), which free memory measured in-process excludes.
    plan = plan_memory(sizes, {}, 80 * GB, side, side)
    assert near(plan.peak_bytes + 0.6e9, official_gib * 2**30, 0.10)


def test_working_memory_grows_with_size(sizes):
    small, mid, large = (activation_bytes(sizes, s, s) for s in (512, 1024, 2048))
    assert 0 < small < mid < large
    assert large < 20e9  # a few GB, not tens: the weights dominate
    assert activation_bytes(sizes, 1568, 1056) == activation_bytes(sizes, 1056, 1568)


def test_forced_offload_is_honoured(sizes):
    plan = plan_memory(sizes, {}, 80 * GB, 1024, 1024, offload="sequential")
    assert plan.offload == "sequential" and "requested" in plan.reason and plan.fits()
    plan = plan_memory(sizes, {}, 8 * GB, 1024, 1024, offload="none")
    assert plan.offload == "none" and "requested" in plan.reason and not plan.fits()
    with pytest.raises(ValueError):
        plan_memory(sizes, {}, 8 * GB, 1024, 1024, offload="disk")


def test_quantizing_only_the_ar_model_leaves_the_rest_bf16(sizes):
    ar_only = plan_memory(sizes, {AR: "nf4"}, 80 * GB, 1024, 1024)
    both = plan_memory(sizes, NF4_BOTH, 80 * GB, 1024, 1024)
    bf16 = plan_memory(sizes, {}, 80 * GB, 1024, 1024)
    assert both.weights_bytes < ar_only.weights_bytes < bf16.weights_bytes
    assert bf16.weights_bytes - ar_only.weights_bytes == (
        sizes[AR].weight_bytes("bf16") - sizes[AR].weight_bytes("nf4")
    )


def test_sizes_from_a_diffusers_folder(sizes, tmp_path):
    info = known_model_info()
    (tmp_path / "model_index.json").write_text(json.dumps(info["model_index"]))
    for name, config in info["components"].items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps(config))
    (tmp_path / "scheduler").mkdir()  # a component without weights is ignored
    (tmp_path / "scheduler" / "scheduler_config.json").write_text("{}")
    assert component_sizes_from_folder(tmp_path) == sizes


def test_bundled_model_facts():
    info = known_model_info()
    assert info["repo_id"] == "zai-org/GLM-Image"
    assert near(info["download_bytes"], 35e9, 0.05)
    recommended = {tuple(s) for s in info["recommended_sizes"]}
    assert {(1280, 1280), (1568, 1056), (1056, 1568), (1728, 960), (960, 1728), (1024, 1024)} <= recommended
    assert all(w % 32 == 0 and h % 32 == 0 for w, h in recommended)
