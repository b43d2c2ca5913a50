"""Documents in the window: project files, undo/redo, unsaved changes, autosave and crash recovery."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from app.document.commands import AddBox, EditBox, EditMask, SetBase, SetPrompts
from app.document.base_image import Document
from app.generation.history import HistoryItem, make_thumbnail
from app.ui.images import pil_to_qimage, qimage_to_pil
from app.generation.history_panel import NO_VARIATION_TIP, VARIATION_TIP
from glm_core.project.autosave import AutosaveStore
from glm_core.project.metadata import save_png
from glm_core.project import Project, load_project, save_project
from glm_core.generation.prior import PriorTokens
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import TextBox


def noise(width: int, height: int, seed: int, mode: str = "RGB") -> Image.Image:
    channels = len(mode)
    return Image.frombytes(mode, (width, height), random.Random(seed).randbytes(width * height * channels))


def recipe(seed: int, width: int = 96, height: int = 64, prompt: str = "") -> Recipe:
    return Recipe(prompt or f"A poster, take {seed}, title “NIGHT {seed}”", seed, 30 + seed, 1.5 + seed / 10,
                  width, height, model_id="zai-org/GLM-Image")


def history_item(seed: int, prior=None) -> HistoryItem:
    image = noise(96, 64, seed)
    qimage = pil_to_qimage(image)
    return HistoryItem(image, qimage, make_thumbnail(qimage), recipe(seed), prior=prior, seconds=2.5)


def mask_stroke(doc, rect: QRect, seed: int) -> None:
    after = pil_to_qimage(noise(rect.width(), rect.height(), seed, "L"))
    doc.undo_stack.push(EditMask(doc, rect, doc.mask.copy(rect), after))


def build_document(window) -> tuple[HistoryItem, HistoryItem]:
    """A base image from the history, 2 boxes, a mask stroke, 2 history items, both prompts."""
    doc = window.doc
    tokens = PriorTokens(np.arange(16).reshape(1, 16), None, None, 2, 2, seed=1)
    first, second = history_item(1, prior=tokens), history_item(2)  # the second has no AR tokens
    window.history.add(first)
    window.history.add(second)
    doc.undo_stack.push(SetBase(doc, Document(second.image, second.qimage, second.recipe, second.id)))
    doc.undo_stack.push(AddBox(doc, TextBox("NIGHT 2", 8.5, 4, 80, 20, weight=900, color="#ff8800")))
    doc.undo_stack.push(AddBox(doc, TextBox("Saturday · 9 pm", 10, 40, 60, 12, role="caption", align="left",
                                            font_family="Studio Sans CJK", rotation=-3.5, locked=True)))
    mask_stroke(doc, QRect(20, 10, 30, 25), seed=7)
    doc.undo_stack.push(SetPrompts(doc, "A neon jazz poster", "A neon jazz poster with the title “NIGHT 2”"))
    panel = window.create_panel
    panel.steps.setValue(42)
    panel.guidance.setValue(2.5)
    panel.seed.set_seed(1234, locked=True)
    panel.size_picker.set_size(1568, 1056)
    return first, second


def document_state(window):
    doc = window.doc
    base = doc.base
    return {
        "size": doc.size,
        "base": None if base is None else (base.image.mode, base.image.size, base.image.tobytes(), base.recipe,
                                           base.qimage.size().toTuple()),
        "boxes": list(doc.boxes),
        "mask": (doc.mask.size().toTuple(), qimage_to_pil(doc.mask).tobytes()),
        "prompts": (doc.scene_prompt, doc.pinned_prompt),
        "history": [(it.image.tobytes(), it.recipe, it.created, it.uid) for it in window.history.items()],
        "panel": window.doc.settings.values(),
        "editor": window.create_panel.prompt.edit.toPlainText(),
    }


def save_to(qtbot, window, path: Path, action=None) -> None:
    window.files.dialogs.save_project_path = lambda parent, suggested: path
    with qtbot.waitSignal(window.files.saved, timeout=10_000):
        (action or window.actions.save).trigger()


def open_project(window, path: Path) -> None:
    window.files.dialogs.open_path = lambda parent, folder: path
    window.actions.open.trigger()


def test_save_and_open_round_trip_every_property(make_window, qtbot, tmp_path):
    window = make_window(source=None)
    first, second = build_document(window)
    assert window.isWindowModified() and first.can_vary
    window.text_tools.preview.overlay.setChecked(True)  # "Overlay my text" belongs to the poster
    before = document_state(window)
    target = tmp_path / "jazz.glmstudio"

    save_to(qtbot, window, target)
    assert not window.isWindowModified()
    assert "jazz.glmstudio" in window.windowTitle()
    project = load_project(target)
    assert [layer.name for layer in project.layers] == ["Result"]

    other = make_window(source=None)
    other.create_panel.steps.setValue(3)
    other.create_panel.seed.set_seed(None, locked=False)
    open_project(other, target)
    after = document_state(other)
    assert after == before  # pixels, boxes, mask bytes, prompts, history, settings: all exact
    base = other.doc.base
    assert base.history_id == other.history.items()[0].id  # still tied to its history entry
    assert [it.uid for it in other.history.items()] == [second.uid, first.uid]
    assert other.canvas.document_size == (96, 64) and other.canvas.has_image
    assert not other.isWindowModified() and other.doc.undo_stack.count() == 0
    assert other.files.path == target and "jazz.glmstudio" in other.windowTitle()
    assert str(target) == other.settings.recent_projects[0]
    assert other.text_tools.preview.overlay.isChecked() and not other.text_tools.preview.guide.isChecked()

    # Restored items keep their recipe and their AR tokens: an item without tokens can Re-run but
    # not make variations (and says why); one with them can.
    panel = other.history_panel
    panel.set_availability(True, True)
    panel.select(other.history.items()[0])
    assert panel.rerun_action.isEnabled() and not panel.variation_action.isEnabled()
    assert panel.variation_action.toolTip() == NO_VARIATION_TIP
    panel.select(other.history.items()[1])
    assert panel.variation_action.isEnabled() and panel.variation_action.toolTip() == VARIATION_TIP


def test_an_opened_pngs_recipe_and_a_long_prompt_survive_the_project(make_window, qtbot, tmp_path):
    window = make_window(source=None)
    long_prompt = "A poster with the title “LONG” " + "and many details, " * 300  # > one settings value
    png = tmp_path / "made-here.png"
    save_png(noise(64, 48, 5), png, recipe(5, 64, 48, long_prompt))
    window.files.open_path(png)
    assert window.doc.base.recipe.prompt == long_prompt
    assert window.doc.scene_prompt == long_prompt  # restored into the prompt: one undo step with the image
    assert window.doc.undo_stack.count() == 1
    target = tmp_path / "long.glmstudio"
    save_to(qtbot, window, target, window.actions.save_as)

    other = make_window(source=None)
    open_project(other, target)
    assert other.doc.base.recipe == window.doc.base.recipe
    assert other.doc.base.image.tobytes() == window.doc.base.image.tobytes()
    assert other.create_panel.prompt.edit.toPlainText() == long_prompt


def test_undo_redo_actions_texts_shortcuts_and_history_dock(make_window, qtbot):
    window = make_window(source=None)
    a, doc = window.actions, window.doc
    assert a.undo.shortcut() == QKeySequence("Ctrl+Z")
    assert {QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")} <= set(a.redo.shortcuts())
    assert not a.undo.isEnabled() and not a.redo.isEnabled()
    box = TextBox("TITLE", 0, 0, 50, 20)
    doc.undo_stack.push(AddBox(doc, box))
    for x in (5, 10, 15):
        doc.undo_stack.push(EditBox(doc, TextBox("TITLE", x, 0, 50, 20, id=box.id), "move"))
    assert a.undo.text().replace("&", "") == "Undo Move text box"

    window.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(window.isActiveWindow)
    window.canvas.setFocus()
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_Z, ctrl)
    assert doc.box(box.id).x == 0  # the three moves were one step
    assert a.redo.text().replace("&", "") == "Redo Move text box"
    qtbot.keyClick(window, Qt.Key.Key_Y, ctrl)
    assert doc.box(box.id).x == 15
    qtbot.keyClick(window, Qt.Key.Key_Z, ctrl)
    qtbot.keyClick(window, Qt.Key.Key_Z, ctrl | shift)
    assert doc.box(box.id).x == 15

    dock = window.undo_dock
    assert not dock.isVisible() and window.undo_view.stack() is doc.undo_stack
    assert dock.toggleViewAction() in window.menus.view.actions()
    assert a.undo in window.menus.edit.actions() and a.redo in window.menus.edit.actions()
    dock.toggleViewAction().trigger()
    assert dock.isVisible() and window.undo_view.model().rowCount() == 3  # "Opened" + 2 steps


def test_prompt_typing_is_one_undo_step_and_undo_restores_the_editor(make_window, qtbot):
    window = make_window(source=None)
    editor = window.create_panel.prompt.edit
    editor.setPlainText("A poster of a lighthouse")
    window.actions.undo.trigger()  # takes the pending typing first, then undoes it
    assert editor.toPlainText() == "" and window.doc.scene_prompt == ""
    window.actions.redo.trigger()
    assert editor.toPlainText() == "A poster of a lighthouse"
    editor.setPlainText("A poster of a lighthouse at dawn")
    qtbot.waitUntil(lambda: window.doc.scene_prompt == "A poster of a lighthouse at dawn", timeout=3000)
    assert window.doc.undo_stack.undoText() == "Edit prompt" and window.doc.undo_stack.count() == 2

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    editor.setFocus()
    editor.setPlainText("A poster of a lighthouse at dusk")
    window.undo_view.setFocus()  # leaving the editor (e.g. for the Undo History) commits at once
    assert window.doc.scene_prompt == "A poster of a lighthouse at dusk"
    assert window.doc.undo_stack.count() == 3


def test_dirty_flag_and_close_asks_save_discard_cancel(make_window, qtbot, tmp_path):
    window = make_window(source=None)
    assert not window.isWindowModified() and window.windowTitle().startswith("Untitled")
    doc = window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("A", 0, 0, 10, 10)))
    assert window.isWindowModified()
    doc.undo_stack.undo()
    assert not window.isWindowModified()  # back at the saved state
    doc.undo_stack.redo()

    asked = []
    window.files.dialogs.ask_save_changes = lambda parent, name: asked.append(name) or answer
    answer = "cancel"
    assert not window.close() and window.isVisible()
    assert asked == ["Untitled"]

    answer = "save"  # ... to a folder that does not exist: the error is shown, the window stays
    window.files.dialogs.save_project_path = lambda parent, suggested: tmp_path / "missing" / "x.glmstudio"
    assert not window.close() and window.isVisible()

    target = tmp_path / "closing.glmstudio"
    window.files.dialogs.save_project_path = lambda parent, suggested: target
    assert window.close()
    assert [b.text for b in load_project(target).boxes] == ["A"]

    other = make_window(source=None)
    other.history.add(history_item(3))  # a new result is an unsaved change too
    assert other.isWindowModified()
    other.files.dialogs.ask_save_changes = lambda parent, name: "discard"
    assert other.close()


def test_new_asks_to_save_then_starts_blank(make_window, tmp_path):
    window = make_window(source=None)
    build_document(window)
    asked = []
    window.files.dialogs.ask_save_changes = lambda parent, name: asked.append(name) or "cancel"
    window.actions.new_document.trigger()
    assert asked == ["Untitled"] and len(window.doc.boxes) == 2
    window.files.dialogs.ask_save_changes = lambda parent, name: "discard"
    window.actions.new_document.trigger()
    doc = window.doc
    assert (doc.base, doc.boxes, doc.scene_prompt, doc.pinned_prompt) == (None, [], "", None)
    assert doc.mask_is_empty() and doc.size == window.create_panel.size_picker.size
    assert window.history.rowCount() == 0 and doc.undo_stack.count() == 0
    assert not window.isWindowModified() and not window.canvas.has_image
    assert window.create_panel.prompt.edit.toPlainText() == ""


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_damaged_hostile_or_newer_projects_leave_the_document_untouched(make_window, tmp_path, error_boxes):
    window = make_window(source=None)
    build_document(window)
    before = document_state(window)
    count = window.doc.undo_stack.count()
    manifest = {"format": "glm-image-studio-project", "format_version": 2}
    bad = {
        "damaged.glmstudio": None,
        "newer.glmstudio": {"manifest.json": json.dumps({**manifest, "format_version": 99}).encode()},
        "hostile.glmstudio": {"manifest.json": json.dumps(manifest).encode(), "project.json": json.dumps({
            "width": 64, "height": 64, "layers": [{"id": "../../../etc/passwd", "name": "x", "visible": True,
                                                   "opacity": 1, "x": 0, "y": 0}],
            "boxes": [], "history": [], "mask": False, "scene_prompt": "", "pinned_prompt": None,
            "settings": {}}).encode()},
    }
    window.files.dialogs.ask_save_changes = lambda parent, name: "discard"
    texts = {}
    for name, members in bad.items():
        path = tmp_path / name
        if members is None:
            path.write_bytes(b"PK\x03\x04 this is not a zip at all")
        else:
            _zip(path, members)
        open_project(window, path)
        boxes = error_boxes(window)
        assert len(boxes) == 1 and name in boxes[0].text(), name
        texts[name] = boxes[0].text()
        boxes[0].close()
        assert document_state(window) == before and window.doc.undo_stack.count() == count
        assert window.files.path is None and window.isWindowModified()
    assert "made by a newer GLM-Image Studio" in texts["newer.glmstudio"]
    assert "damaged" in texts["damaged.glmstudio"] and "id" in texts["hostile.glmstudio"]


def drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(window.canvas.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window.canvas.viewport(), QDropEvent(*args))


def test_dropping_a_project_asks_to_save_changes_then_opens_it(make_window, qtbot, tmp_path):
    source = make_window(source=None)
    build_document(source)
    target = tmp_path / "dropped.glmstudio"
    save_to(qtbot, source, target)

    window = make_window(source=None)
    window.doc.undo_stack.push(AddBox(window.doc, TextBox("unsaved", 0, 0, 5, 5)))
    asked = []
    window.files.dialogs.ask_save_changes = lambda parent, name: asked.append(name) or answer
    answer = "cancel"
    drop(window, target)
    assert asked == ["Untitled"] and [b.text for b in window.doc.boxes] == ["unsaved"]
    answer = "discard"
    drop(window, target)
    assert document_state(window) == document_state(source)
    assert window.files.path == target and not window.isWindowModified()


def test_dropping_images(make_window, tmp_path, error_boxes):
    window = make_window(source=None)
    png = tmp_path / "with-recipe.png"
    save_png(noise(64, 48, 9), png, recipe(9, 64, 48))
    asked = []
    window.files.dialogs.ask_restore_recipe = lambda parent, name: asked.append(name) or answer

    answer = None  # cancelled: nothing happens
    drop(window, png)
    assert window.doc.base is None
    answer = "image"  # just the image: the prompt stays
    drop(window, png)
    assert asked == ["with-recipe.png"] * 2
    assert window.doc.base.recipe == recipe(9, 64, 48) and window.doc.scene_prompt == ""
    assert window.create_panel.prompt.edit.toPlainText() == ""
    answer = "restore"
    drop(window, png)
    assert window.create_panel.prompt.text == recipe(9).prompt and window.create_panel.steps.value() == 39
    assert window.doc.undo_stack.undoText() == "Open with-recipe.png"
    window.actions.undo.trigger()  # image and prompt go back together
    assert window.create_panel.prompt.edit.toPlainText() == ""

    photo = tmp_path / "photo.jpg"
    noise(80, 60, 4).save(photo, quality=95)
    drop(window, photo)
    assert len(asked) == 3  # nothing to restore: no question
    assert window.doc.base.recipe is None and window.doc.size == (80, 60) and window.canvas.has_image

    fake = tmp_path / "fake.webp"
    fake.write_bytes(b"RIFF....WEBPVP8 broken")
    drop(window, fake)
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "fake.webp" in boxes[0].text()
    assert window.doc.size == (80, 60)


def test_open_recent_is_remembered_capped_and_drops_missing_files(make_window, settings, qtbot, tmp_path,
                                                                 error_boxes):
    for n in range(12):
        settings.remember_project(str(tmp_path / f"p{n}.glmstudio"))
    assert len(settings.recent_projects) == 10 and settings.recent_projects[0].endswith("p11.glmstudio")
    settings.forget_project()

    window = make_window(source=None)
    window.doc.undo_stack.push(AddBox(window.doc, TextBox("kept", 0, 0, 5, 5)))
    kept, gone = tmp_path / "kept.glmstudio", tmp_path / "gone.glmstudio"
    save_to(qtbot, window, kept, window.actions.save_as)
    save_to(qtbot, window, gone, window.actions.save_as)
    menu = window.menus.recent
    names = [a.text() for a in menu.actions() if a.text()]
    assert names[:2] == ["&1 gone.glmstudio", "&2 kept.glmstudio"]

    gone.unlink()
    menu.actions()[0].trigger()
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "removed from Open Recent" in boxes[0].text()
    assert settings.recent_projects == [str(kept)]
    assert [a.text() for a in menu.actions() if a.text()][0] == "&1 kept.glmstudio"
    menu.actions()[0].trigger()
    assert window.files.path == kept


def test_save_runs_off_the_gui_thread_with_a_busy_indicator(make_window, qtbot, tmp_path, monkeypatch):
    import app.document.file_commands as file_commands

    release, threads = threading.Event(), []
    real_save = file_commands.save_project

    def slow_save(project, path, overwrite=False):
        threads.append(threading.current_thread())
        assert release.wait(10)
        real_save(project, path, overwrite=overwrite)

    monkeypatch.setattr(file_commands, "save_project", slow_save)
    window = make_window(source=None)
    doc = window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("A", 0, 0, 10, 10)))
    window.files.dialogs.save_project_path = lambda parent, suggested: tmp_path / "slow.glmstudio"
    window.actions.save.trigger()
    qtbot.waitUntil(lambda: bool(threads))
    assert threads[0] is not threading.main_thread()
    assert window.status.save_indicator.isVisible() and not window.actions.save.isEnabled()
    doc.undo_stack.push(AddBox(doc, TextBox("B", 0, 0, 10, 10)))  # the GUI stays usable meanwhile
    with qtbot.waitSignal(window.files.saved, timeout=10_000):
        release.set()
    assert not window.status.save_indicator.isVisible() and window.actions.save.isEnabled()
    assert [b.text for b in load_project(tmp_path / "slow.glmstudio").boxes] == ["A"]
    assert window.isWindowModified()  # "B" came after the snapshot


def test_autosave_every_interval_when_dirty_and_clean_close_removes_it(make_window, qtbot, tmp_path):
    store = AutosaveStore(tmp_path / "autosave")
    window = make_window(source=None, autosave=store, autosave_interval_ms=50)
    qtbot.wait(150)
    assert not store.path.exists()  # nothing changed: nothing written
    doc = window.doc
    doc.undo_stack.push(AddBox(doc, TextBox("autosaved", 0, 0, 10, 10)))
    qtbot.waitUntil(store.path.exists, timeout=5000)
    qtbot.waitUntil(lambda: not window.autosaver.running)
    assert [b.text for b in load_project(store.path).boxes] == ["autosaved"]

    # One at a time: a tick while an autosave runs is skipped, not queued.
    release = threading.Event()
    real_save = store.save
    store.save = lambda project: (release.wait(10), real_save(project))
    doc.undo_stack.push(AddBox(doc, TextBox("second", 0, 0, 10, 10)))
    assert window.autosaver.autosave()
    assert not window.autosaver.autosave()
    release.set()
    qtbot.waitUntil(lambda: not window.autosaver.running)

    save_to(qtbot, window, tmp_path / "saved.glmstudio")  # saved to a file: the autosave goes
    qtbot.waitUntil(lambda: not store.path.exists())
    window.close()
    assert not list((tmp_path / "autosave").iterdir())  # clean close: no marker, no autosave


def test_autosave_runs_before_each_generation(make_window, qtbot, tmp_path):
    store = AutosaveStore(tmp_path / "autosave")
    window = make_window(source=None, autosave=store)
    session = window.session
    session.report = SimpleNamespace(min_side=64, max_side=2048, sizes={})  # as if a model were loaded
    started = []
    session.generate = lambda request: started.append((request.prompt, window.autosaver.running))
    window.create_panel.prompt.set_text("A poster of a lighthouse")
    window.create_panel.size_picker.set_size(512, 512)
    window.generate()
    # The typed prompt became an undo step and the autosave was under way before the run began.
    assert started == [("A poster of a lighthouse", True)]
    qtbot.waitUntil(lambda: not window.autosaver.running)
    assert load_project(store.path).scene_prompt == "A poster of a lighthouse"
    session.report = None


def write_crashed_session(folder: Path, session_id: str, project: Project) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    save_project(project, folder / f"session-{session_id}.glmstudio")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    marker = {"pid": dead.pid, "process_started": 1.0, "opened": "2025-01-01T00:00:00+00:00"}
    (folder / f"session-{session_id}.json").write_text(json.dumps(marker))


def test_crash_recovery_offers_recover_and_discard(make_window, qtbot, tmp_path):
    folder = tmp_path / "autosave"
    source = make_window(source=None)
    build_document(source)
    source.files.path = tmp_path / "poster.glmstudio"
    write_crashed_session(folder, "0123456789abcdef", source.project_snapshot(include_path=True))
    write_crashed_session(folder, "fedcba9876543210", Project(width=32, height=32, scene_prompt="older"))
    an_hour_ago = time.time() - 3600
    os.utime(folder / "session-fedcba9876543210.glmstudio", (an_hour_ago, an_hour_ago))

    window = make_window(source=None, autosave=AutosaveStore(folder))
    window.start()
    dialog = window.recovery_dialog
    assert dialog is not None and dialog.isVisible()
    assert len(dialog.entries()) == 2 and dialog.list.item(0).text().startswith("Autosaved today at")
    assert dialog.list.item(1).text().endswith("(1 hour ago)")  # newest first, with the time saved
    assert window.models.first_run_dialog is None  # the first-run question waits for this one

    dialog.list.setCurrentRow(1)
    older = dialog.selected()
    dialog.discard_button.click()  # the older one goes for good
    qtbot.waitUntil(lambda: not older.path.exists())
    assert dialog.isVisible() and len(dialog.entries()) == 1
    dialog.recover_button.click()
    assert not dialog.isVisible() and window.models.first_run_dialog is not None

    assert document_state(window) == document_state(source)
    assert window.isWindowModified()  # recovered work is unsaved until saved
    assert window.files.path == tmp_path / "poster.glmstudio"
    # Once this session has autosaved it, the crashed session's files go (the autosave, then its
    # marker: both on the writer's thread, so wait for both).
    qtbot.waitUntil(lambda: not any((folder / f"session-0123456789abcdef.{suffix}").exists()
                                    for suffix in ("glmstudio", "json")), timeout=5000)
    recovered = load_project(window.autosaver.store.path)  # written before the old one went
    assert [b.text for b in recovered.boxes] == [b.text for b in source.doc.boxes]
