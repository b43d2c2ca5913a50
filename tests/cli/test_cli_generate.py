"""`python main.py …` end to end, as a designer's batch script runs it: a real process, real PNGs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glm_core.project.metadata import read_recipe

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, check=False):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


SMALL = ["--model", "demo", "--width", "64", "--height", "64", "--steps", "2"]


def test_generate_writes_a_png_with_its_recipe_events_and_variations(tmp_path, demo_folder):
    out, log = tmp_path / "poster.png", tmp_path / "events.jsonl"
    done = cli("generate", "--prompt", "a “SUMMER SALE” poster", "--seed", "42", "--out", out,
               "--events", log, "--variations", "1", *SMALL, check=True)

    recipe = read_recipe(out)
    assert recipe.prompt == "a “SUMMER SALE” poster" and recipe.seed == 42 and recipe.steps == 2
    assert recipe.model_id == "glm-image-studio/demo-tiny"
    assert read_recipe(tmp_path / "poster-1.png").seed == 43
    assert "denoising" in done.stderr  # the progress bar

    events = [json.loads(line) for line in log.read_text().splitlines()]
    kinds = [e["event"] for e in events]
    loading = kinds.index("Loaded")  # the load's steps first, then the run
    assert set(kinds[:loading]) == {"LoadStep"} and kinds[loading + 1] == "PhaseChanged" and kinds.count("Finished") == 2
    first = kinds.index("Finished")
    assert "TokenProgress" not in kinds[first:]  # the variation reuses the layout tokens
    # Counts may be coalesced on the way (the newest replaces one not yet taken); each grid ends complete.
    last = {e["grid"]: (e["index"], e["total"]) for e in events[:first] if e["event"] == "TokenProgress"}
    assert last == {"layout": (256, 256), "full": (4, 4)}  # layout grid 16x16, full grid 2x2
    assert events[kinds.index("Finished")]["recipe"]["seed"] == 42


def test_recipe_round_trip_regenerates_the_same_image(tmp_path, demo_folder):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    cli("generate", "--prompt", "blue “JAZZ” night", "--seed", "5", "--out", first, *SMALL, check=True)
    shown = cli("recipe", first, check=True)
    assert json.loads(shown.stdout)["prompt"] == "blue “JAZZ” night"
    cli("generate", "--from-recipe", first, "--model", "demo", "--out", second, check=True)
    from PIL import Image

    assert Image.open(first).tobytes() == Image.open(second).tobytes()


def test_existing_output_is_never_silently_overwritten(tmp_path, demo_folder):
    out = tmp_path / "taken.png"
    out.write_bytes(b"mine")
    done = cli("generate", "--prompt", "x", "--out", out, *SMALL)
    assert done.returncode == 1 and "--overwrite" in done.stderr
    assert out.read_bytes() == b"mine"


@pytest.mark.parametrize(
    "args,reason",
    [
        (["--prompt", "x", "--width", "100", "--height", "64"], "multiple of 32"),
        (["--prompt", "", "--width", "64", "--height", "64"], "prompt"),
        (["--prompt", "x", "--width", "64", "--height", "64", "--image", "missing.png"], "missing.png"),
    ],
)
def test_failures_exit_non_zero_with_one_line_reason(tmp_path, demo_folder, args, reason):
    done = cli("generate", "--model", "demo", "--steps", "2", "--out", tmp_path / "o.png", *args)
    assert done.returncode == 1
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and reason in error_lines[0].lower()
    assert not (tmp_path / "o.png").exists()


def test_plan_reports_the_quantization_in_effect_without_loading(demo_folder):
    done = cli("plan", "--model", "demo", "--quant", "nf4", check=True)
    report = json.loads(done.stdout)
    assert report["quantization"] == {"vision_language_encoder": "nf4", "transformer": "bf16"}
    assert report["model"] == "glm-image-studio/demo-tiny" and report["device"] == "cpu"
    assert "DiT" in " ".join(report["notices"])


def test_what_if_planning_for_glm_image_needs_no_download():
    """What a user asks before a 35 GB download: the bundled configs answer."""
    def plan(*args):
        return json.loads(cli("plan", "--model", "zai-org/GLM-Image", *args, check=True).stdout)

    eight = plan("--quant", "nf4", "--vram", "8")
    assert eight["offload"] == "model" and eight["peak_gb"] <= 8 and eight["fits"]
    big = plan("--quant", "bf16", "--vram", "80")
    assert big["offload"] == "none" and abs(big["peak_gb"] + 0.6 - 37.8 * 2**30 / 1e9) <= 0.1 * 37.8 * 2**30 / 1e9
    poster = plan("--quant", "nf4", "--vram", "8", "--width", "2048", "--height", "2048")
    assert poster["fits"] and poster["peak_gb"] <= 8 and poster["vae_tiling"]
    edit = plan("--quant", "nf4", "--vram", "8", "--references", "1")
    assert edit["peak_gb"] > eight["peak_gb"]  # the DiT keeps a key/value cache of the reference
    too_small = plan("--quant", "nf4", "--vram", "6")
    assert not too_small["fits"] and "does not fit" in too_small["reason"] and "smaller size" in too_small["reason"]
    cpu_only = plan("--quant", "int8", "--vram", "16", "--device", "cpu")
    assert cpu_only["quantization"]["transformer"] == "bf16" and cpu_only["notices"]


def test_plan_refuses_sequential_offload_for_quantized_weights_in_one_line():
    done = cli("plan", "--model", "zai-org/GLM-Image", "--quant", "nf4", "--vram", "8", "--offload", "sequential")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "--offload model" in done.stderr


def test_batch_is_one_layout_then_variations_but_a_masked_edit_writes_a_layout_per_seed(tmp_path, demo_folder):
    from PIL import Image

    log = tmp_path / "events.jsonl"
    cli("generate", "--prompt", "a “JAZZ” poster", "--seed", "7", "--batch", "3", "--out", tmp_path / "p.png",
        "--events", log, *SMALL, check=True)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    kinds = [e["event"] for e in events]
    ar_passes = [e for e in events if e["event"] == "PhaseChanged" and e["phase"] == "prior"]
    assert kinds.count("Finished") == 3 and len(ar_passes) == 1
    made = [read_recipe(tmp_path / name) for name in ("p.png", "p-1.png", "p-2.png")]
    assert [(r.seed, r.layout_seed) for r in made] == [(7, None), (8, 7), (9, 7)]

    source, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.new("RGB", (64, 64), "navy").save(source)
    painted = Image.new("L", (64, 64), 0)
    painted.paste(255, (16, 16, 48, 48))
    painted.save(mask)
    cli("generate", "--image", source, "--mask", mask, "--prompt", "a red moon", "--seed", "7", "--batch", "2",
        "--out", tmp_path / "e.png", "--model", "demo", "--steps", "2", check=True)
    edits = [read_recipe(tmp_path / name) for name in ("e.png", "e-1.png")]
    assert [(r.seed, r.layout_seed) for r in edits] == [(7, None), (8, None)]  # each its own layout
