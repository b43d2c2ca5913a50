"""The text check in the real window: OCR badges after a generation on the demo model, the exact
overlay export reading ✓, Fix this box as one masked edit, and the switch."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PIL import Image

from app.document.commands import AddBox
from app.text.typography import overlay_pil
from cli.main import main as cli_main
from glm_core.project.metadata import read_recipe
from glm_core.project.text_fix import REACH, box_mask
from glm_core.project.textbox import TextBox


@pytest.fixture(scope="module", autouse=True)
def ocr():
    from glm_core.project.text_check import OcrUnavailable, ocr_engine

    try:
        return ocr_engine()  # loaded once for the process, as the window's check thread uses it
    except OcrUnavailable as exc:
        pytest.skip(str(exc))


def add_box(window, box: TextBox) -> str:
    window.doc.undo_stack.push(AddBox(window.doc, box))
    return box.id


def generated_and_checked(qtbot, window, start):
    """Run `start` (a generation or a fix) and wait for the result, then for its text check."""
    check = window.text_tools.check
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        start()
    item = finished.args[0]
    assert window.doc.base.history_id == item.id  # the result shows before the check is done
    with qtbot.waitSignal(check.checked, timeout=60_000) as checked:
        pass
    return item, checked.args[0]


def sized(window, width, height):
    window.create_panel.size_picker.set_size(width, height)


def test_badges_show_what_was_read_and_the_check_goes_into_history_export_and_project(
        demo_window, qtbot, tmp_path, capsys):
    window = demo_window
    tools, check = window.text_tools, window.text_tools.check
    assert check.switch.isChecked() and check.switch.isEnabled()  # on by default
    box_id = add_box(window, TextBox("BLUE NOTES", 4, 4, 56, 20))
    item, outcome = generated_and_checked(qtbot, window, window.generate)

    shown = outcome.checks[box_id]
    assert not shown.ok  # the demo model draws noise, never the title
    badge = tools.layer.items[box_id]
    assert badge.check == shown and badge.toolTip().startswith("✗ Wrong text:")
    assert tools.layers_panel.checks == {box_id: shown}
    assert "✗" in tools.layers_panel.list.item(0).toolTip()
    assert check.summary.text().startswith("Text check: 0 of 1 boxes read exactly")
    assert check.fix_all.isEnabled()

    entry = {"text": "BLUE NOTES", "read": shown.read, "ok": False, "similarity": shown.similarity}
    assert window.history.items()[0].recipe.text_check == (entry,)
    assert window.doc.base.recipe.text_check == (entry,)
    window.undo()
    window.redo()  # the undo step holds the completed recipe too
    assert window.doc.base.recipe.text_check == (entry,)

    target = tmp_path / "poster.png"
    window.files.dialogs.export_path = lambda parent, suggested: target
    with qtbot.waitSignal(window.files.exporter.saved, timeout=10_000):
        window.actions.export_png.trigger()
    assert read_recipe(target).text_check == (entry,)

    project = tmp_path / "poster.glmstudio"
    window.files.dialogs.save_project_path = lambda parent, suggested: project
    with qtbot.waitSignal(window.files.saved, timeout=10_000):
        window.actions.save_as.trigger()
    capsys.readouterr()
    assert cli_main(["project", "info", str(project)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["history"][0]["recipe"]["text_check"] == [entry]
    assert info["image"]["recipe"]["text_check"] == [entry]


def test_the_exact_overlay_export_reads_as_a_tick(make_window, qtbot, tmp_path):
    window = make_window(source=None)
    boxes = [TextBox("GRAND OPENING", 40, 30, 560, 90, color="#1d2a44"),
             TextBox("夏日特惠 50%", 120, 150, 400, 80, color="#b3261e")]
    exported = tmp_path / "overlay.png"
    overlay_pil(Image.new("RGB", (640, 256), (250, 246, 236)), boxes, (640, 256)).save(exported)
    window.files.open_path(exported)
    assert window.doc.size == (640, 256)
    for box in boxes:
        add_box(window, box)
    check = window.text_tools.check
    with qtbot.waitSignal(check.checked, timeout=60_000) as checked:
        check.check_now.click()
    outcome = checked.args[0]
    assert [c.ok for c in outcome.checks.values()] == [True, True], outcome.checks
    for box in boxes:
        assert window.text_tools.layer.items[box.id].toolTip().startswith("✓")
    assert check.summary.text() == "Text check: 2 of 2 boxes read exactly"
    assert not check.fix_all.isEnabled()  # nothing to fix


def test_fix_this_box_is_one_undo_step_and_one_history_item_and_changes_only_near_the_box(demo_window, qtbot):
    window = demo_window
    sized(window, 160, 160)
    box = TextBox("JAZZ", 6, 6, 40, 16)
    add_box(window, box)
    first, outcome = generated_and_checked(qtbot, window, window.generate)
    assert not outcome.checks[box.id].ok
    stack = window.doc.undo_stack
    steps, items = stack.count(), window.history.rowCount()

    window.text_tools.selection.set(box.id)  # the Text dock shows the box's check and its fix
    check = window.text_tools.check
    assert check.box_status.text().startswith("✗") and check.fix_box.isEnabled()
    action = next(a for a in check.box_menu(box.id).actions() if a.text() == "Fix this box")
    assert action.isEnabled()
    fixed, after = generated_and_checked(qtbot, window, action.trigger)

    assert fixed.recipe.mode == "edit" and fixed.recipe.glyph_texts == ("JAZZ",)
    assert window.history.rowCount() == items + 1
    assert stack.count() == steps + 1 and stack.text(stack.count() - 1) == "Apply result"
    assert after.checks[box.id].text == "JAZZ"  # the fixed image was read again
    before, now = np.asarray(first.image), np.asarray(fixed.image)
    near = np.asarray(box_mask([box], (160, 160), (160, 160), REACH)) > 0
    assert (before[~near] == now[~near]).all()  # bit-identical away from the box
    assert (before[near] != now[near]).any()  # the box's area was re-rendered

    window.undo()  # one step back: the unfixed image, with its own badges
    assert window.doc.base.history_id == first.id
    assert window.text_tools.layer.items[box.id].check == outcome.checks[box.id]


def test_with_the_switch_off_no_check_runs_and_the_choice_is_kept(demo_window, qtbot, settings):
    window = demo_window
    check = window.text_tools.check
    check.switch.setChecked(False)
    assert settings.check_text is False
    box_id = add_box(window, TextBox("BLUE NOTES", 4, 4, 56, 20))
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        window.generate()
    assert check.running == 0  # nothing was handed to the check thread
    qtbot.wait(200)
    assert window.text_tools.layer.items[box_id].check is None
    assert finished.args[0].recipe.text_check == ()
    assert not check.fix_all.isEnabled()


def test_without_ocr_the_switch_is_off_with_the_reason_and_generating_still_works(
        make_window, load_demo, qtbot, monkeypatch, settings):
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # what Python does for a package that is not there
    window = load_demo(make_window())
    check = window.text_tools.check
    assert not check.switch.isEnabled() and not check.switch.isChecked()
    reason = check.switch.toolTip()
    assert reason.startswith("Text check unavailable: rapidocr not installed") and "pip install rapidocr" in reason
    assert "\n" not in reason and check.summary.text() == reason
    assert settings.check_text is True  # the saved choice waits for OCR to be installed
    add_box(window, TextBox("BLUE NOTES", 4, 4, 56, 20))
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000):
        window.generate()
    assert window.doc.base is not None and check.running == 0
    assert not check.check_now.isEnabled()
