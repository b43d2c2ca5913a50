"""`generate --project FILE --rerun N | --variation N`: the window's Re-run and Variation of a saved
history entry from the command line (demo model, real project file, real PNGs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cli.main import main as cli_main
from glm_core.generation.masking import feather, prepare_mask
from glm_core.generation.request import GenerationRequest
from glm_core.project import HistoryEntry, Project, save_project
from glm_core.project.history_inputs import request_inputs

PROMPT = "A poster for a jazz night titled “BLUE NOTES”"


def entry(result) -> HistoryEntry:
    return HistoryEntry(result.image, result.recipe, prior=result.prior, **request_inputs(result.request))


@pytest.fixture(scope="module")
def made(demo_model, tmp_path_factory):
    """A project whose history is (0) a text-to-image result and (1) a masked edit of it, and a
    variation of (0) made before saving."""
    from glm_core.generation.runner import GenerationRunner

    runner, ignore = GenerationRunner(demo_model), lambda event: None
    generated = runner.run(GenerationRequest(PROMPT, width=64, height=64, steps=2, seed=5), ignore)
    mask = Image.new("L", (64, 64))
    mask.paste(255, (8, 8, 28, 24))
    edit = runner.run(GenerationRequest("a red moon", steps=2, seed=9, reference_images=[generated.image],
                                        mask=mask, mask_feather=3), ignore)
    varied = runner.run(generated.request.variation(1234, generated.prior), ignore)
    path = tmp_path_factory.mktemp("rerun") / "poster.glmstudio"
    save_project(Project(64, 64, history=[entry(generated), entry(edit)]), path)
    return path, generated, edit, varied, mask


def run(*args) -> int:
    return cli_main([str(a) for a in args])


def test_rerun_of_a_saved_masked_edit_edits_the_same_source(made, tmp_path):
    path, generated, edit, _varied, mask = made
    out = tmp_path / "again.png"
    assert run("generate", "--project", path, "--rerun", 1, "--model", "demo", "--quiet", "--out", out) == 0
    again = np.asarray(Image.open(out).convert("RGB"))
    keep = np.asarray(feather(prepare_mask(mask, (64, 64)), 3)) == 0
    assert (again[keep] == np.asarray(generated.image)[keep]).all()  # a masked edit, not a new image
    assert np.array_equal(again, np.asarray(edit.image))


def test_variation_of_a_saved_entry_runs_only_the_dit_on_its_saved_tokens(made, tmp_path):
    path, _generated, _edit, varied, _mask = made
    out, events = tmp_path / "varied.png", tmp_path / "events.jsonl"
    assert run("generate", "--project", path, "--variation", 0, "--seed", 1234, "--model", "demo", "--quiet",
               "--events", events, "--out", out) == 0
    phases = [e["phase"] for e in map(json.loads, events.read_text().splitlines()) if e["event"] == "PhaseChanged"]
    assert "prior" not in phases and "diffusion" in phases
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(varied.image))


@pytest.mark.parametrize("args, words", [
    (["--rerun", 2], "--rerun 2: "),
    (["--variation", 0, "--prompt", "x"], "drop --prompt"),
    (["--rerun", 0, "--seed", 3], "drop --seed"),
])
def test_wrong_history_options_fail_in_one_line(made, tmp_path, capsys, args, words):
    path = made[0]
    assert run("generate", "--project", path, *args, "--model", "demo", "--out", tmp_path / "x.png") != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err


def test_variation_of_an_entry_without_tokens_says_to_rerun(made, tmp_path, capsys):
    path, generated = made[0], made[1]
    old = tmp_path / "old.glmstudio"
    save_project(Project(64, 64, history=[HistoryEntry(generated.image, generated.recipe)]), old)
    assert run("generate", "--project", old, "--variation", 0, "--model", "demo", "--out", tmp_path / "x.png") != 0
    err = capsys.readouterr().err
    assert "keeps no AR tokens" in err and "use --rerun 0" in err


def test_project_info_says_what_each_history_entry_keeps(made, capsys):
    capsys.readouterr()
    assert run("project", "info", made[0]) == 0
    history = json.loads(capsys.readouterr().out)["history"]
    assert [(e["recipe"]["mode"], e["references"], e["mask"], e["feather"], e["ar_tokens"]) for e in history] == [
        ("t2i", 0, False, None, True), ("edit", 1, True, 3, True)]
