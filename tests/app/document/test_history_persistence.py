"""A reopened project's history re-runs what was made: an edit edits the same source with the same
mask and feather, and a Variation reuses the saved AR tokens (real window, demo model, real file)."""

from __future__ import annotations

import zipfile

import numpy as np
from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter

from app.document.commands import EditMask
from glm_core.generation.events import Phase
from glm_core.generation.masking import feather, prepare_mask


def run(qtbot, window, start):
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        start()
    return finished.args[0]


def paint_mask(doc, rect: QRect) -> None:
    painted = QImage(doc.mask.size(), QImage.Format.Format_Grayscale8)
    painted.fill(0)
    painter = QPainter(painted)
    painter.fillRect(rect, Qt.GlobalColor.white)
    painter.end()
    whole = QRect(0, 0, *doc.size)
    doc.undo_stack.push(EditMask(doc, whole, doc.mask.copy(whole), painted))


def phases_of(window):
    """The phases the engine reports from now on, as the session's progress shows them."""
    seen = []
    session = window.session
    session.progressed.connect(lambda: seen.append(session.tracker.phase))
    return seen


def test_reopened_edit_reruns_on_its_source_and_variation_reuses_saved_tokens(make_window, load_demo, qtbot, tmp_path):
    window = load_demo(make_window())
    generated = run(qtbot, window, window.generate)  # (b) text to image
    variation_before = run(qtbot, window, lambda: window.session.generate(
        generated.rerun_request().variation(1234, generated.prior)))
    window.open_item(generated)
    paint_mask(window.doc, QRect(8, 8, 20, 16))
    window.mask_tools.panel.feather.setValue(3)
    edit = run(qtbot, window, lambda: window.mask_tools.edit(masked=True))  # (a) a masked edit
    assert edit.recipe.mode == "edit"

    path = tmp_path / "poster.glmstudio"
    window.files.dialogs.save_project_path = lambda parent, suggested: path
    with qtbot.waitSignal(window.files.saved, timeout=10_000):
        window.actions.save.trigger()
    members = zipfile.ZipFile(path).namelist()
    # The edit's source (the generated image) is stored once among the inputs, with the mask.
    assert len([m for m in members if m.startswith("inputs/")]) == 2
    # The AR tokens of each run; the edit's also its source image's tokens and their grid.
    assert len([m for m in members if m.startswith("priors/")]) == 3 + 2

    reopened = make_window()
    load_demo(reopened)
    reopened.files.open_path(path)
    by_seed = {(item.recipe.mode, item.recipe.seed): item for item in reopened.history.items()}
    restored_edit = by_seed[("edit", edit.recipe.seed)]
    restored = by_seed[("t2i", generated.recipe.seed)]
    assert restored_edit.can_vary and restored.can_vary

    # Re-run the edit: a masked edit of the same source, not a new whole image.
    reopened.history_panel.select(restored_edit)
    rerun = run(qtbot, reopened, reopened.history_panel.rerun_action.trigger)
    assert rerun.recipe.mode == "edit" and rerun.request.mask is not None
    assert rerun.request.mask_feather == 3
    mask = np.asarray(rerun.request.mask)
    weights = np.asarray(feather(prepare_mask(Image.fromarray(mask), (64, 64)), 3))
    source, after = np.asarray(generated.image), np.asarray(rerun.image)
    keep = weights == 0
    assert keep.sum() > 64 * 64 / 2 and (source[keep] == after[keep]).all()
    assert mask[10, 10] == 255 and mask[40, 40] == 0  # the painted rectangle, kept
    assert np.array_equal(after, np.asarray(edit.image))  # same seed, same source: the same edit

    # Variation of the text-to-image result: DiT only, from the tokens in the file.
    phases = phases_of(reopened)
    varied = run(qtbot, reopened, lambda: reopened.session.generate(
        restored.rerun_request().variation(1234, restored.prior)))
    assert Phase.PRIOR not in phases and Phase.DIFFUSION in phases
    assert np.array_equal(np.asarray(varied.image), np.asarray(variation_before.image))


def test_a_project_with_hostile_tokens_is_refused_and_the_window_keeps_working(make_window, tmp_path, error_boxes):
    import io

    from glm_core.generation.prior import PriorTokens
    from glm_core.generation.recipe import Recipe
    from glm_core.project import HistoryEntry, Project, save_project

    recipe = Recipe(prompt="a door", seed=3, steps=2, guidance=1.5, width=64, height=64)
    prior = PriorTokens(np.zeros((1, 16), dtype=np.int64), None, None, 2, 2, seed=3)
    good = tmp_path / "good.glmstudio"
    save_project(Project(64, 64, history=[HistoryEntry(Image.new("RGB", (64, 64)), recipe, prior=prior)]), good)
    bad = tmp_path / "bad.glmstudio"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("priors/"):
                floats = io.BytesIO()
                np.save(floats, np.zeros((1, 16), dtype=np.float64))
                data = floats.getvalue()
            target.writestr(name, data)

    window = make_window(source=None)
    window.create_panel.prompt.set_text("my own words")
    assert not window.files.open_path(bad)
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "bad.glmstudio" in boxes[0].text() and "whole numbers" in boxes[0].text()
    boxes[0].close()
    assert window.history.rowCount() == 0 and window.doc.settings.prompt == "my own words"
    assert window.files.open_path(good) and window.history.item(0).can_vary
