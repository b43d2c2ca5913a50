"""Batch N, the queue and the staging strip, end to end on the demo model in a real window."""

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QGraphicsPixmapItem, QToolButton

from glm_core.generation.events import Phase
from glm_core.generation.request import GenerationRequest

WAIT_MS = 60_000


class Runs:
    """The phases each queued job went through, in the order the jobs started."""

    def __init__(self, window):
        self.phases: list[list[Phase]] = []
        self.labels: list[str] = []
        window.staging.queue.jobStarted.connect(lambda job: (self.phases.append([]), self.labels.append(job.label)))
        window.session.progressed.connect(lambda: self.phases[-1].append(window.session.tracker.phase))
        # After the indicator's own refresh (connected first): what the status bar says now.
        window.staging.queue.changed.connect(lambda: self.labels.append(window.staging.indicator.text()))

    @property
    def ar_passes(self) -> int:
        return sum(Phase.PRIOR in phases for phases in self.phases)


def run_batch(qtbot, window, count: int, trigger=None):
    window.create_panel.batch.setValue(count)
    (trigger or window.generate)()
    wait_idle(qtbot, window)
    return window.staging.strip.items()


def wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.staging.queue.queue.jobs and not window.session.busy, timeout=WAIT_MS)


def shown_on_canvas(window) -> QImage:
    item = next(i for i in window.canvas.scene().items() if isinstance(i, QGraphicsPixmapItem))
    return item.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB32)


def same_pixels(a: QImage, b: QImage) -> bool:
    return a.convertToFormat(QImage.Format.Format_RGB32) == b.convertToFormat(QImage.Format.Format_RGB32)


def test_batch_of_three_is_one_ar_pass_and_three_results_on_the_strip(demo_window, qtbot):
    window = demo_window
    runs = Runs(window)
    results = run_batch(qtbot, window, 3)

    assert len(results) == 3 and runs.ar_passes == 1 and len(runs.phases) == 3
    first = results[0]
    assert all(item.prior is first.prior for item in results[1:])  # the later ones reuse its AR tokens
    assert [item.recipe.seed for item in results] == [first.recipe.seed + i for i in range(3)]
    assert [item.recipe.layout_seed for item in results[1:]] == [first.recipe.seed] * 2
    assert "Batch 2/3" in runs.labels and "Batch 1/3 · 2 waiting" in runs.labels  # beside the progress
    assert sorted(i.id for i in window.history.items()) == sorted(i.id for i in results)  # all in the history
    strip = window.staging.strip
    assert strip.isVisible() and strip.title.text() == "1 of 3"
    assert window.doc.base is None and window.doc.undo_stack.undoText() == "Edit prompt"  # nothing applied yet
    assert same_pixels(shown_on_canvas(window), first.qimage)  # the selected one, as a preview
    page = window.canvas.mapFromScene(QRectF(0, 0, *window.canvas.document_size)).boundingRect()
    assert window.canvas.viewport().geometry().bottom() < strip.geometry().top()  # the strip is below the picture
    assert window.canvas.viewport().rect().contains(page)  # and hides none of the poster
    assert not window.staging.queue_view.isVisible()  # the queue is empty again


def test_step_with_arrows_then_enter_applies_one_undoable_step(demo_window, qtbot):
    window = demo_window
    results = run_batch(qtbot, window, 2)
    steps = window.doc.undo_stack.count()  # the prompt, committed by Generate
    strip = window.staging.strip
    qtbot.keyClick(strip.list, Qt.Key.Key_Right)
    assert strip.current() is results[1] and strip.title.text() == "2 of 2"
    assert same_pixels(shown_on_canvas(window), results[1].qimage) and window.doc.base is None

    qtbot.keyClick(strip.list, Qt.Key.Key_Return)
    assert window.doc.base.history_id == results[1].id
    assert window.doc.undo_stack.count() == steps + 1 and window.doc.undo_stack.undoText() == "Apply result"
    assert not strip.isVisible() and window.history.rowCount() == 2  # the other stays in the history

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.base is None and not window.canvas.has_image


def test_escape_keeps_them_all_in_the_history_and_closes_the_strip(demo_window, qtbot):
    window = demo_window
    results = run_batch(qtbot, window, 2)
    qtbot.keyClick(window.staging.strip.list, Qt.Key.Key_Escape)
    assert not window.staging.strip.isVisible() and window.staging.strip.items() == []
    assert window.canvas.viewport().height() == window.canvas.height()  # the picture has the room back
    assert sorted(i.id for i in window.history.items()) == sorted(i.id for i in results)
    assert window.doc.base is None and not window.canvas.has_image  # back to the document as it was


def test_delete_discards_the_selected_one_and_discard_all_asks_first(demo_window, qtbot):
    window = demo_window
    first, second, third = run_batch(qtbot, window, 3)
    strip = window.staging.strip
    qtbot.keyClick(strip.list, Qt.Key.Key_Delete)  # one: no question
    assert strip.items() == [second, third] and window.history.row_of(first) < 0
    assert strip.current() is not None and same_pixels(shown_on_canvas(window), strip.current().qimage)

    asked = []
    window.staging.ask_discard = lambda parent, count: asked.append(count) or False  # "Cancel"
    strip.discard_all_button.click()
    assert asked == [2] and strip.items() == [second, third] and window.history.rowCount() == 2
    window.staging.ask_discard = lambda parent, count: True
    strip.discard_all_button.click()
    assert window.history.rowCount() == 0 and not strip.isVisible()


def cancel_buttons(window) -> list[QToolButton]:
    return window.staging.queue_view.findChildren(QToolButton, "cancelJob")


def test_a_cancelled_waiting_job_never_runs(demo_window, qtbot):
    window = demo_window
    runs = Runs(window)
    window.create_panel.batch.setValue(3)
    window.generate()
    view = window.staging.queue_view
    assert view.isVisible() and [label.split(" · ")[-1] for label in view.labels()] == ["running", "waiting", "waiting"]
    cancel_buttons(window)[1].click()  # the × of "Batch 2/3"
    wait_idle(qtbot, window)
    results = window.staging.strip.items()
    assert len(runs.phases) == 2 and len(results) == 2
    assert results[1].recipe.seed == results[0].recipe.seed + 2  # Batch 3/3 ran; 2/3 never did


def test_cancelling_the_running_job_goes_on_with_the_next(demo_window, qtbot):
    window = demo_window
    runs = Runs(window)
    window.create_panel.batch.setValue(2)
    with qtbot.waitSignal(window.session.previewShown, timeout=WAIT_MS):
        window.generate()
    with qtbot.waitSignal(window.session.cancelled, timeout=1000):
        cancel_buttons(window)[0].click()  # the running one's ×
    wait_idle(qtbot, window)
    results = window.staging.strip.items()
    assert len(runs.phases) == 2 and len(results) == 1
    assert runs.ar_passes == 2  # the first's AR tokens never came: Batch 2/2 wrote its own layout
    assert window.history.items() == results


def test_escape_cancels_the_run_and_everything_queued(demo_window, qtbot):
    window = demo_window
    window.create_panel.batch.setValue(3)
    with qtbot.waitSignal(window.session.previewShown, timeout=WAIT_MS):
        window.generate()
    with qtbot.waitSignal(window.session.cancelled, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.staging.queue.queue.jobs == [] and not window.staging.queue_view.isVisible()
    qtbot.wait(300)
    assert not window.session.busy and window.history.rowCount() == 0


def test_generate_while_running_queues_the_next_request(demo_window, qtbot):
    window = demo_window
    window.generate()
    assert window.session.busy and window.actions.generate.isEnabled()
    assert window.create_panel.generate_button.isVisible() and window.create_panel.generate_button.isEnabled()
    window.create_panel.prompt.set_text("A second poster")
    window.generate()  # not an error: it waits
    assert len(window.staging.queue.queue.jobs) == 2
    wait_idle(qtbot, window)
    prompts = [item.recipe.prompt for item in window.history.items()]
    assert prompts == ["A second poster", "A poster for a jazz night titled “BLUE NOTES”"]  # newest first
    assert window.doc.base.history_id == window.history.item(0).id  # a batch of one applies as before
    assert not window.staging.strip.isVisible()


def test_a_masked_edit_batch_writes_a_layout_per_seed(demo_window, qtbot):
    window = demo_window
    runs = Runs(window)
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    edit = GenerationRequest("a red moon", steps=2, seed=5, reference_images=[Image.new("RGB", (64, 64), "navy")],
                             mask=mask)
    window.staging.submit(edit, 3)
    wait_idle(qtbot, window)
    results = window.staging.strip.items()
    assert runs.ar_passes == 3 and [item.recipe.seed for item in results] == [5, 6, 7]
    assert len({id(item.prior) for item in results}) == 3


def test_batch_is_remembered_and_the_panel_stays_narrow(make_window, settings):
    window = make_window(source=None)
    window.create_panel.batch.setValue(4)
    assert settings.batch_size == 4
    assert make_window(source=None).create_panel.batch.value() == 4
    assert window.create_panel.minimumSizeHint().width() <= 340  # the Create dock's width


def test_accepting_while_the_batch_runs_sends_the_rest_to_the_history_only(demo_window, qtbot):
    window = demo_window
    window.activateWindow()
    window.create_panel.prompt.edit.setFocus()
    strip = window.staging.strip
    window.create_panel.batch.setValue(3)
    window.generate()
    qtbot.waitUntil(lambda: len(strip.items()) == 1, timeout=WAIT_MS)
    assert QApplication.focusWidget() is window.create_panel.prompt.edit  # typing is never interrupted
    first = strip.items()[0]
    strip.accept_button.click()
    wait_idle(qtbot, window)
    assert not strip.isVisible() and window.history.rowCount() == 3
    assert window.doc.base.history_id == first.id
    assert same_pixels(shown_on_canvas(window), first.qimage)  # the document, not the last run's preview
