"""Every way to start a generation builds its request through glm_core's one build_request:
Generate, Edit Masked, Re-run and Variation in the window, and `generate --project` /
`--from-recipe` on the command line ask for the same image from the same poster."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter

from app.document.commands import AddBox, EditMask
from cli.generate import build_job
from cli.main import build_parser
from glm_core.project import load_project, save_project
from glm_core.project.metadata import save_png
from glm_core.project.request_builder import EditSource, build_request, request_from_recipe
from glm_core.project.textbox import TextBox

TYPED = "A poster for a jazz night titled “BLUE NOTES”"


def comparable(request) -> dict:
    """A request as plain values: images by mode, size and pixels (PNG round trips keep those)."""
    values = {}
    for f in fields(request):
        value = getattr(request, f.name)
        if f.name == "reference_images":
            value = [(i.mode, i.size, i.tobytes()) for i in value]
        elif f.name == "mask" and value is not None:
            value = (value.mode, value.size, value.tobytes())
        values[f.name] = value
    return values


def cli_request(*argv, limits=None):
    job = build_job(build_parser().parse_args(["generate", *argv]), for_run=True)
    if limits is not None:
        job.fit(*limits)
    return job.request


def sent_requests(window, monkeypatch) -> list:
    """From now on the window's runs are recorded instead of queued (the queue and the worker have
    their own tests)."""
    sent = []
    monkeypatch.setattr(window.staging, "submit", lambda request, count=1: sent.append(request))
    return sent


def test_generate_edit_rerun_variation_and_cli_build_equal_requests(demo_window, qtbot, tmp_path, monkeypatch):
    window, doc = demo_window, demo_window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("SUMMER JAZZ", 0, 0, doc.size[0], doc.size[1] / 3)))
    doc.settings.update(seed=4242, seed_locked=True)

    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        window.generate()
    item = finished.args[0]
    built = build_request(doc, doc.settings)
    assert comparable(item.request) == comparable(built)
    assert "SUMMER JAZZ" in built.prompt and built.prompt != doc.settings.prompt  # composed, derived
    assert doc.settings.prompt == TYPED  # what the document keeps is the prompt as typed

    project_file = tmp_path / "poster.glmstudio"
    save_project(window.project_snapshot(), project_file)
    assert comparable(cli_request("--project", str(project_file), "--out", "x.png")) == comparable(built)

    sent = sent_requests(window, monkeypatch)
    window.history_panel.rerunRequested.emit(item)
    window.history_panel.variationRequested.emit(item)
    rerun, variation = sent
    assert comparable(rerun) == comparable(built)
    assert comparable(variation) == {**comparable(built), "seed": variation.seed, "prior": item.prior}

    # Edit Masked: the result on the canvas, a painted mask; the CLI edits the saved project.
    painted = QImage(doc.mask.size(), QImage.Format.Format_Grayscale8)
    painted.fill(0)
    painter = QPainter(painted)
    painter.fillRect(QRect(8, 8, 16, 16), Qt.GlobalColor.white)
    painter.end()
    whole = QRect(0, 0, *doc.size)
    doc.undo_stack.push(EditMask(doc, whole, doc.mask.copy(whole), painted))
    window.mask_tools.edit(masked=True)
    edit = sent[-1]
    assert edit.mask is not None and len(sent) == 3
    report = window.session.report
    masked_file = tmp_path / "masked.glmstudio"
    save_project(window.project_snapshot(), masked_file)
    assert comparable(edit) == comparable(build_request(
        doc, doc.settings, EditSource(doc.base.image, load_project(masked_file).mask, doc.base.image.size)))
    from_cli = cli_request("--project", str(masked_file), "--edit", "masked", "--out", "x.png",
                           limits=(report.min_side, report.max_side))
    assert comparable(from_cli) == comparable(edit)

    # A re-run of an item restored from a project (no request kept) goes through the builder too,
    # exactly as `generate --from-recipe` does.
    png = tmp_path / "result.png"
    save_png(item.image, png, item.recipe)
    restored = type(item)(**{**item.__dict__, "request": None, "prior": None})
    window.history_panel.rerunRequested.emit(restored)
    expected = request_from_recipe(item.recipe)  # the recipe's prompt and the glyph texts it sent
    assert comparable(sent[-1]) == comparable(expected) == comparable(cli_request("--from-recipe", str(png),
                                                                                 "--out", "x.png"))


def test_a_recent_prompt_after_a_text_box_generation_sends_the_boxes_text_once(demo_window, qtbot):
    window, doc = demo_window, demo_window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("SUMMER JAZZ", 0, 0, doc.size[0], doc.size[1] / 3)))
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000):
        window.generate()
    recent = window.create_panel.prompt.recent_menu.actions()[0]
    assert recent.toolTip() == TYPED  # Recent keeps what was typed, not the composed prompt

    window.create_panel.prompt.set_text("something else")
    recent.trigger()
    prompt = window.generation_request().prompt
    assert prompt.count("SUMMER JAZZ") == 1 and prompt.count("BLUE NOTES") == 1


def test_overlay_and_layout_guide_are_undoable_edits_that_mark_the_document_unsaved(make_window):
    window = make_window(source=None)
    preview, doc = window.text_tools.preview, window.doc
    for check, name in ((preview.overlay, "overlay_text"), (preview.guide, "layout_guide")):
        assert not window.files.is_dirty
        check.click()
        assert getattr(doc.settings, name) and window.files.is_dirty and window.isWindowModified()
        window.actions.undo.trigger()
        assert not check.isChecked() and not getattr(doc.settings, name) and not window.files.is_dirty
        window.actions.redo.trigger()
        assert check.isChecked() and getattr(doc.settings, name) and window.files.is_dirty
        window.actions.undo.trigger()
