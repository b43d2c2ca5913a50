"""The window on the real engine process: killing the child mid-generation (what a CUDA fault or an
out-of-memory abort does) leaves the window responsive with the document and history intact, says
what happened in one line, and the next Generate starts a new engine and works."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from PySide6.QtCore import QTimer

from app.document.commands import AddBox
from glm_core.engine.process import ProcessEngine
from glm_core.project.textbox import TextBox


def generate_and_wait(qtbot, window):
    with qtbot.waitSignal(window.session.generationFinished, timeout=60_000) as finished:
        window.generate()
    return finished.args[0]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killing_the_engine_process_mid_generation_keeps_the_window_and_the_work(
        make_window, load_demo, qtbot, error_boxes):
    window = load_demo(make_window(engine=ProcessEngine()))
    first = generate_and_wait(qtbot, window)
    box = TextBox("BLUE NOTES", 4, 4, 56, 20)
    window.doc.undo_stack.push(AddBox(window.doc, box))
    engine = window.session.engine
    first_pid = engine.pid

    window.create_panel.size_picker.set_size(512, 512)  # long enough to be killed in the middle
    window.create_panel.steps.setValue(60)
    killed = []

    def kill_once():
        if not killed:
            killed.append(first_pid)
            os.kill(first_pid, signal.SIGKILL)

    window.session.progressed.connect(kill_once)
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(window.session.generationFailed, timeout=60_000) as failed:
        window.generate()
    window.session.progressed.disconnect(kill_once)

    message = failed.args[0]
    assert "SIGKILL" in message and "\n" not in message
    assert window.status.currentMessage() == message
    assert [box.text() for box in error_boxes(window)] == [message]
    # Nothing the user made is lost: the history, the text box, the picture on the canvas.
    assert window.session.history.items() == [first]
    assert window.doc.box(box.id).text == "BLUE NOTES"
    assert window.doc.base.history_id == first.id
    assert window.session.can_generate  # the model is reloaded by the next Generate
    before = len(ticks)
    qtbot.wait(200)
    assert len(ticks) > before  # the window's event loop kept turning
    timer.stop()

    for dialog in error_boxes(window):
        dialog.close()
    window.create_panel.size_picker.set_size(64, 64)
    window.create_panel.steps.setValue(2)
    second = generate_and_wait(qtbot, window)
    assert window.session.history.items()[0] is second and len(window.session.history.items()) == 2
    assert engine.pid not in (None, first_pid)
