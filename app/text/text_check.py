"""The text check in the window: after each generation every text box is read back with OCR (off
the GUI thread, after the result is already on the canvas), each box gets a ✓ or ✗ badge on the
canvas and in Layers, and a wrong box can be re-rendered alone.

The reading and the fix are glm_core's (glm_core/project/text_check.py, text_fix.py). A fix is a
masked edit run by the window's Session like Edit Masked, so it has progress and cancel, becomes
one history item and one "Apply result" undo step, and every pixel outside the boxes' feathered
masks keeps its bytes. The check is recorded in the result's recipe (`text_check`), which the
history, project files and exported PNGs keep.
"""

from __future__ import annotations

import importlib.util
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from PIL import Image
from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy

from app.document.commands import set_result_recipe
from app.jobs import NewestValue
from app.text.items import check_summary
from app.ui.error_dialog import show_error
from glm_core.project.document import has_text
from glm_core.project.request_builder import EditSource, build_request
from glm_core.project.text_check import BoxCheck, OcrUnavailable, check_text
from glm_core.project.text_fix import fix_request
from glm_core.generation.validation import InvalidRequest, nearest_valid_size, validate_request

log = logging.getLogger(__name__)

SWITCH_TIP = ("After each generation, read every text box back with OCR (on your computer) and mark it\n"
              "✓ when it reads exactly as typed, ✗ with what was read when not.")


@dataclass(frozen=True)
class CheckOutcome:
    image: Image.Image  # what was read
    history_id: int | None  # the result it belongs to, if any
    checks: dict[str, BoxCheck]  # box id: its check
    error: str = ""  # one line when the check could not run
    ocr_missing: bool = False  # the error is OCR failing to load: the switch goes off


def ocr_missing_reason() -> str:
    """Why OCR cannot load, in one line ("" when its packages are installed); cheap, no import."""
    missing = [name for name in ("rapidocr", "onnxruntime") if importlib.util.find_spec(name) is None]
    return (f"Text check unavailable: {' and '.join(missing)} not installed (run `pip install rapidocr "
            "onnxruntime`)") if missing else ""


def read_boxes(image: Image.Image, boxes, canvas_size, history_id: int | None) -> CheckOutcome:
    """Run on the check thread: glm_core's check, keyed by box id."""
    try:
        checks = check_text(image, boxes, canvas_size)
    except OcrUnavailable as exc:
        return CheckOutcome(image, history_id, {}, str(exc), ocr_missing=True)
    except Exception as exc:  # noqa: BLE001 - a failed check must not take the window with it
        log.exception("text check failed")
        return CheckOutcome(image, history_id, {}, f"The text check failed ({type(exc).__name__}: {exc})")
    return CheckOutcome(image, history_id, {boxes[c.index - 1].id: c for c in checks})


class TextCheck(QObject):
    checked = Signal(object)  # CheckOutcome, on the GUI thread, once its badges show
    _ready = Signal()  # from the check thread: the mailbox holds an outcome

    def __init__(self, window, text_tools):
        super().__init__(window)
        self.window, self.doc, self.tools = window, window.doc, text_tools
        self._mailbox: NewestValue[CheckOutcome] = NewestValue()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="text-check")
        self._results: dict[int, dict[str, BoxCheck]] = {}  # history id: its boxes' checks
        self._loose: tuple[Image.Image, dict[str, BoxCheck]] | None = None  # an image not in the history
        self.running = 0  # checks submitted and not yet shown
        self._build()
        self._connect()
        self._update()

    def _build(self) -> None:
        self.switch = QCheckBox("Check text after generating")
        self.switch.setObjectName("checkText")
        self.switch.setToolTip(SWITCH_TIP)
        self.check_now = QPushButton("Check text")
        self.check_now.setToolTip("Read every text box on the image now")
        self.fix_all = QPushButton("Fix all wrong text")
        self.fix_all.setObjectName("fixAllText")
        self.fix_all.setToolTip("Re-render only the boxes marked ✗ (one masked edit; the rest stays as it is)")
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        for widget in (self.switch, self.check_now, self.fix_all):
            # Cut rather than widen the strip: small windows keep fitting (as the dock's other switches).
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.switch, 1)
        row.addWidget(self.check_now)
        row.addWidget(self.fix_all)
        details = self.tools.preview.details
        details.insertLayout(details.count() - 1, row)  # above the stretch
        details.insertWidget(details.count() - 1, self.summary)
        # The Text dock: the selected box's check and its fix, under its fields.
        self.box_status = QLabel()
        self.box_status.setObjectName("boxCheck")
        self.box_status.setWordWrap(True)
        self.fix_box = QPushButton("Fix this box")
        self.fix_box.setObjectName("fixThisBox")
        panel = self.tools.text_panel.layout()
        panel.insertWidget(panel.count() - 1, self.box_status)
        panel.insertWidget(panel.count() - 1, self.fix_box)
        reason = ocr_missing_reason()
        self.switch.setChecked(self.window.settings.check_text and not reason)
        if reason:
            self._ocr_unavailable(reason)

    def _connect(self) -> None:
        w, doc = self.window, self.doc
        self.switch.toggled.connect(self._switched)
        self.check_now.clicked.connect(self.check_base)
        self.fix_all.clicked.connect(lambda: self.fix(self.wrong_boxes()))
        self.fix_box.clicked.connect(lambda: self.fix([self.tools.selection.current]))
        self._ready.connect(self._deliver)  # queued: emitted on the check thread
        w.session.generationFinished.connect(self._generated)  # after the window applied it
        w.session.activityChanged.connect(lambda _a: self._update())
        w.session.modelChanged.connect(lambda _r: self._update())
        doc.baseChanged.connect(self._show)
        doc.boxChanged.connect(self._box_changed)
        doc.boxRemoved.connect(lambda _id: self._show())
        self.tools.selection.changed.connect(lambda _id: self._update())
        w.canvas.viewport().installEventFilter(self)
        w.destroyed.connect(lambda: self._pool.shutdown(wait=True, cancel_futures=True))

    # -- checking --

    def _switched(self, on: bool) -> None:
        self.window.settings.check_text = on

    def _generated(self, item) -> None:
        if self.switch.isChecked() and self.switch.isEnabled() and has_text(self.doc.boxes):
            self._start(item.image, item.id)

    def check_base(self) -> None:
        """Read the boxes on the image now on the canvas."""
        base = self.doc.base
        if base is not None and has_text(self.doc.boxes):
            self._start(base.image, base.history_id)

    def _start(self, image: Image.Image, history_id: int | None) -> None:
        boxes, size = list(self.doc.boxes), self.doc.size  # a snapshot: the designer may go on editing
        self.running += 1
        self.summary.setText("Checking the text…")
        self._pool.submit(self._run, image, boxes, size, history_id)

    def _run(self, image, boxes, size, history_id) -> None:  # on the check thread
        if self._mailbox.put(read_boxes(image, boxes, size, history_id)):
            self._ready.emit()

    @Slot()
    def _deliver(self) -> None:
        outcome = self._mailbox.take()
        if outcome is None:
            return
        self.running = 0 if outcome.ocr_missing else max(0, self.running - 1)
        if outcome.error:
            if outcome.ocr_missing:
                self._ocr_unavailable(outcome.error)
            self.summary.setText(outcome.error)
        else:
            self._record(outcome)
        self._show()
        self.checked.emit(outcome)

    def _record(self, outcome: CheckOutcome) -> None:
        """Keep the check with its image, and in its recipe (history, project file, export)."""
        if outcome.history_id is None:
            self._loose = (outcome.image, outcome.checks)
            return
        self._results[outcome.history_id] = outcome.checks
        item = next((i for i in self.window.history.items() if i.id == outcome.history_id), None)
        if item is not None:
            item.recipe = replace(item.recipe, text_check=tuple(c.recipe_entry() for c in outcome.checks.values()))
            set_result_recipe(self.doc, item.id, item.recipe)

    def _ocr_unavailable(self, reason: str) -> None:
        with QSignalBlocker(self.switch):  # the saved choice stays for when OCR is installed
            self.switch.setChecked(False)
        self.switch.setEnabled(False)
        self.check_now.setEnabled(False)
        self.switch.setToolTip(reason)
        self.summary.setText(reason)

    # -- showing --

    def shown_checks(self) -> dict[str, BoxCheck]:
        """The checks of the image on the canvas, for boxes that still hold the text checked."""
        base = self.doc.base
        if base is None:
            return {}
        if base.history_id is not None:
            checks = self._results.get(base.history_id, {})
        else:
            checks = self._loose[1] if self._loose is not None and self._loose[0] is base.image else {}
        texts = {b.id: b.text for b in self.doc.boxes}
        return {box_id: c for box_id, c in checks.items() if texts.get(box_id) == c.text}

    def wrong_boxes(self) -> list[str]:
        return [box_id for box_id, c in self.shown_checks().items() if not c.ok and not c.note]

    def _box_changed(self, box_id: str) -> None:
        item = self.tools.layer.items.get(box_id)
        if item is not None and item.check is not None and self.doc.box(box_id).text != item.check.text:
            self._show()  # a changed text makes its old check meaningless

    def _show(self, *_args) -> None:
        checks = self.shown_checks()
        for box_id, item in self.tools.layer.items.items():
            item.set_check(checks.get(box_id))
        self.tools.layers_panel.set_checks(checks)
        if checks and not self.running:
            exact = sum(c.ok for c in checks.values())
            self.summary.setText(f"Text check: {exact} of {len(checks)} boxes read exactly"
                                 + ("" if exact == len(checks) else " — Fix all wrong text re-renders the others"))
        self._update()

    def _update(self) -> None:
        checks = self.shown_checks()
        can_fix = self.window.session.can_generate and self.doc.base is not None
        self.fix_all.setEnabled(can_fix and bool(self.wrong_boxes()))
        self.check_now.setEnabled(self.switch.isEnabled() and self.doc.base is not None)
        check = checks.get(self.tools.selection.current)
        self.box_status.setText("" if check is None else check_summary(check))
        self.box_status.setVisible(check is not None)
        self.fix_box.setVisible(check is not None and not check.ok)
        self.fix_box.setEnabled(can_fix)

    # -- the box's context menu --

    def box_menu(self, box_id: str) -> QMenu:
        menu = QMenu(self.window.canvas)
        check = self.shown_checks().get(box_id)
        if check is not None:  # what the check found, as a line the menu cannot run
            menu.addAction("✓ Reads exactly" if check.ok else f"✗ Read: {check.note or check.read or 'nothing'}"
                           ).setEnabled(False)
        action = menu.addAction("Fix this box", lambda: self.fix([box_id]))
        action.setEnabled(check is not None and not check.ok and not check.note and self.window.session.can_generate)
        return menu

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.ContextMenu:
            return False
        canvas = self.window.canvas
        point = canvas.mapToScene(event.pos())
        box_id = self.tools.layer.box_at(point.x(), point.y())
        if not box_id:
            return False
        self.tools.selection.set(box_id)
        self.box_menu(box_id).exec(event.globalPos())
        return True

    # -- fixing --

    def fix(self, box_ids: list[str]) -> None:
        """Re-render the boxes alone: one masked edit whose mask is the boxes grown and feathered
        (glm_core's fix_request), run as a generation. All wrong boxes go into one edit, so a fix
        is one history item and one undo step; the rest of the image keeps its bytes."""
        w, session, base = self.window, self.window.session, self.doc.base
        boxes = [self.doc.box(box_id) for box_id in box_ids if box_id in {b.id for b in self.doc.boxes}]
        if not session.can_generate:
            w.status.showMessage("Load a model first" if session.report is None else "Wait for the current run", 6000)
            return
        if base is None or not boxes:
            return
        report = session.report
        w.commit_pending_edits()
        size = nearest_valid_size(*base.image.size, report.min_side, report.max_side)
        start = build_request(self.doc, self.doc.settings, EditSource(base.image, None, size))
        seed = ((base.recipe.seed if base.recipe is not None else 0) + 1) % 2**32  # the next, as each fix round
        request = fix_request(start, self.doc.scene_prompt, boxes, self.doc.size, base.image, seed)
        try:
            validate_request(request, report.min_side, report.max_side)
        except InvalidRequest as exc:
            show_error(w, "This box can't be fixed yet", str(exc))
            return
        w.autosaver.autosave()
        self.summary.setText(f"Fixing {len(boxes)} box{'es' * (len(boxes) != 1)}…")
        session.generate(request)
