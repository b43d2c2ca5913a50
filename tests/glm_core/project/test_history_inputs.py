"""History entries keep what a re-run needs (inputs by content, AR tokens as .npy members), and a
project file's copies of them are untrusted: every bad member is refused in one line naming it."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from glm_core.generation.prior import PriorTokens
from glm_core.generation.recipe import Recipe
from glm_core.project import HistoryEntry, Project, ProjectError, load_project, save_project
from glm_core.project.request_builder import request_from_history

EDIT = Recipe(prompt="a red door", seed=7, steps=2, guidance=1.5, width=64, height=64, mode="edit",
              reference_count=1)
T2I = Recipe(prompt="a blue door", seed=8, steps=2, guidance=1.5, width=64, height=64)


def source_image() -> Image.Image:
    return Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))


def edit_mask() -> Image.Image:
    mask = Image.new("L", (64, 64))
    mask.paste(255, (8, 8, 30, 24))
    return mask


def t2i_prior() -> PriorTokens:
    return PriorTokens(np.arange(4 * 2 * 2, dtype=np.int64).reshape(1, 16), None, None, 2, 2, seed=8)


def edit_prior() -> PriorTokens:
    return PriorTokens(np.arange(16, dtype=np.int64).reshape(1, 16) + 3, [np.arange(16, dtype=np.int64)],
                       [np.array([[1, 4, 4]], dtype=np.int64)], 2, 2, seed=7)


def project() -> Project:
    source, mask = source_image(), edit_mask()
    edits = [HistoryEntry(source, EDIT, references=(source,), mask=mask, feather=5, prior=edit_prior()),
             HistoryEntry(source.copy(), EDIT, references=(source.copy(),), mask=mask.copy(), feather=2)]
    return Project(64, 64, history=[HistoryEntry(source, T2I, prior=t2i_prior()), *edits])


def members_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_inputs_and_tokens_survive_the_file_and_a_shared_source_is_stored_once(tmp_path):
    path = tmp_path / "p.glmstudio"
    save_project(project(), path)
    names = members_of(path)
    assert len([n for n in names if n.startswith("inputs/")]) == 2  # one source, one mask, for two edits
    t2i, edit, second = load_project(path).history
    assert t2i.references == () and t2i.mask is None
    assert np.array_equal(t2i.prior.token_ids, t2i_prior().token_ids) and t2i.prior.seed == 8
    assert np.array_equal(edit.references[0], source_image()) and np.array_equal(edit.mask, edit_mask())
    assert edit.feather == 5 and second.feather == 2 and second.prior is None
    saved = edit.prior
    assert np.array_equal(saved.image_token_ids[0], edit_prior().image_token_ids[0])
    assert np.array_equal(saved.image_grid_thw[0], [[1, 4, 4]]) and (saved.grid_h, saved.grid_w) == (2, 2)

    request = request_from_history(edit)  # what Re-run sends: the same source, mask and feather
    assert request.mode == "edit" and request.mask_feather == 5 and request.seed == 7
    assert request.reference_images[0] is edit.references[0]


def test_a_project_from_before_inputs_were_kept_opens_and_reruns_from_its_recipe(tmp_path):
    path = tmp_path / "old.glmstudio"
    save_project(project(), path)
    files = members_of(path)
    doc = json.loads(files["project.json"])
    for entry in doc["history"]:
        for key in ("references", "mask", "feather", "prior"):
            del entry[key]
    files = {name: data for name, data in files.items() if not name.startswith(("inputs/", "priors/"))}
    files["project.json"] = json.dumps(doc).encode()
    write_zip(path, files)
    entries = load_project(path).history
    assert all(e.prior is None and e.references == () and e.mask is None for e in entries)
    assert request_from_history(entries[1]).mode == "t2i"  # as before: the recipe alone


def write_zip(path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def huge_header() -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<i8", "fortran_order": False, "shape": (1, 10**12)})
    return buf.getvalue() + bytes(64)


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def hostile(files: dict[str, bytes], change: str) -> tuple[dict[str, bytes], str]:
    """Change one thing in a saved project's members; the words the refusal must contain."""
    doc = json.loads(files["project.json"])
    t2i_id, edit_id = doc["history"][0]["id"], doc["history"][1]["id"]
    tokens = f"priors/{t2i_id}.token_ids.npy"
    if change == "float tokens":
        files[tokens] = npy(np.zeros((1, 16), dtype=np.float32))
        return files, f"'{tokens}' should hold whole numbers"
    if change == "huge shape":
        files[tokens] = huge_header()
        return files, "has shape (1, 1000000000000)"
    if change == "negative tokens":
        files[tokens] = npy(np.full((1, 16), -5, dtype=np.int64))
        return files, "token_ids holds values from -5"
    if change == "pickled objects":
        files[tokens] = npy(np.array([[object()]], dtype=object), allow_pickle=True)
        return files, "should hold whole numbers, not object"
    if change == "tokens and grid disagree":
        files[tokens] = npy(np.zeros((1, 12), dtype=np.int64))
        return files, "a 2x2 grid needs 16"
    if change == "image tokens and their grid disagree":
        files[f"priors/{edit_id}.image_grid_thw.0.npy"] = npy(np.array([[1, 8, 8]]))
        return files, "its grids (image_grid_thw.0) need 64"
    if change == "missing tokens":
        del files[tokens]
        return files, f"'{tokens}' is missing"
    if change == "grid of zero":
        doc["history"][0]["prior"]["grid_h"] = 0
        files["project.json"] = json.dumps(doc).encode()
        return files, "history[0].prior.grid_h should be a whole number from 1"
    if change == "mask of the wrong size":
        files[f"inputs/{doc['history'][1]['mask']}.png"] = png(Image.new("L", (32, 32), 255))
        return files, "the mask is 32x32 pixels; it should match the image it edits, 64x64"
    raise AssertionError(change)


@pytest.mark.parametrize("change", ["float tokens", "huge shape", "negative tokens", "pickled objects",
                                    "tokens and grid disagree", "image tokens and their grid disagree",
                                    "missing tokens", "grid of zero", "mask of the wrong size"])
def test_hostile_history_inputs_are_refused_in_one_line(tmp_path, change):
    path = tmp_path / "hostile.glmstudio"
    save_project(project(), path)
    files, expected = hostile(members_of(path), change)
    write_zip(path, files)
    with pytest.raises(ProjectError) as refused:
        load_project(path)
    message = str(refused.value)
    assert message.startswith("'hostile.glmstudio' cannot be opened:") and "\n" not in message
    assert expected in message, message
    if "AR tokens" in message:  # the fix is named
        assert message.endswith("open an autosave or a backup copy")
