"""`generate --image --mask`: a masked edit from the command line, in process
(tests/cli/test_cli_generate.py covers the process itself)."""

from __future__ import annotations

import pytest
from PIL import Image

from cli.main import main
from glm_core.project.metadata import read_recipe
from mask_images import assert_outside_is_source, noise_image, rect_mask


def test_cli_masked_edit_end_to_end(tmp_path, demo_folder):
    """Arguments, files, run, PNG."""
    source, mask = noise_image(100, 70, 11), rect_mask((100, 70), (10, 10, 40, 40))
    source.save(tmp_path / "src.png")
    mask.convert("RGB").save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    code = main(["generate", "--model", "demo", "--steps", "2", "--seed", "3", "--prompt", "a “SALE” badge",
                 "--image", str(tmp_path / "src.png"), "--mask", str(tmp_path / "mask.png"), "--out", str(out),
                 "--quiet"])
    assert code == 0
    with Image.open(out) as saved:
        result = saved.convert("RGB")
    assert_outside_is_source(result, source, mask)
    recipe = read_recipe(out)
    assert recipe.mode == "edit" and (recipe.width, recipe.height) == (100, 70)


@pytest.mark.parametrize(
    "images,extra,mask_name,reason",
    [
        (0, [], "mask.png", "exactly one --image"),
        (2, [], "mask.png", "exactly one --image"),
        (1, ["--width", "64"], "mask.png", "keeps the image's own size"),
        (1, [], "gone.png", "gone.png"),
    ],
)
def test_cli_mask_usage_errors(tmp_path, capsys, images, extra, mask_name, reason):
    noise_image(64, 64).save(tmp_path / "src.png")
    rect_mask((64, 64), (0, 0, 8, 8)).save(tmp_path / "mask.png")
    code = main(["generate", "--model", "demo", "--prompt", "x", "--out", str(tmp_path / "o.png"),
                 "--mask", str(tmp_path / mask_name), *["--image", str(tmp_path / "src.png")] * images, *extra])
    assert code == 1 and reason in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
