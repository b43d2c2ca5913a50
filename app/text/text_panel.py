"""The Text dock: the selected box's text, role, font, weight, colour, alignment and geometry.

Every edit is an EditBox command (typing merges into one step per visit to the text field).
The widgets are refilled from the document whenever the box changes, with their own signals
blocked, so an undo shows up here without echoing back as a new edit.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QSignalBlocker
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFontComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.document.commands import EditBox
from app.document.model import DocumentModel
from app.text.font_style import describe_font
from app.text.items import BoxSelection, gestures
from app.text.typography import BUNDLED_FAMILY, family_of, load_bundled_fonts
from glm_core.project.textbox import ALIGNMENTS, ROLES

WEIGHTS = ((100, "Thin"), (300, "Light"), (400, "Regular"), (500, "Medium"), (600, "Semibold"),
           (700, "Bold"), (900, "Black"))
_ALIGN_NAMES = {"left": "Left", "center": "Centre", "right": "Right"}


def _spin(low: float, high: float, suffix: str = "", decimals: int = 0):
    spin = QDoubleSpinBox() if decimals else QSpinBox()
    if decimals:
        spin.setDecimals(decimals)
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # one edit per finished number, not per digit typed
    return spin


class TextPanel(QWidget):
    def __init__(self, document: DocumentModel, selection: BoxSelection, parent=None):
        super().__init__(parent)
        self.setObjectName("textPanel")
        load_bundled_fonts()  # before the font list is built, so it lists the bundled family
        self.document = document
        self.selection = selection
        self._typing = 0  # gesture of the current visit to the text field

        self.hint = QLabel("Select a text box on the canvas, or press T and drag to add one.")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("boxText")
        self.text.setPlaceholderText("The exact words on the poster")
        self.text.setFixedHeight(74)
        self.text.installEventFilter(self)
        self.role = QComboBox()
        self.role.addItems([r.capitalize() for r in ROLES])
        self.role.setToolTip("What the text is for; the prompt names it (title, subtitle…)")
        self.font_box = QFontComboBox()
        # The longest font name must not widen the dock: names elide instead.
        self.font_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.font_box.setMinimumContentsLength(12)
        self.font_box.setToolTip(f"{BUNDLED_FAMILY} (bundled) covers Latin and Chinese; other fonts "
                             "are named in the prompt")
        self.weight = QComboBox()
        for value, name in WEIGHTS:
            self.weight.addItem(name, value)
        self.color = QPushButton()
        self.color.setObjectName("colorButton")
        self.color.setToolTip("Text colour")
        self.color_dialog: QColorDialog | None = None
        self.align = QButtonGroup(self)
        align_row = QHBoxLayout()
        align_row.setSpacing(4)
        for index, name in enumerate(ALIGNMENTS):
            button = QToolButton()
            button.setText(_ALIGN_NAMES[name])
            button.setCheckable(True)
            self.align.addButton(button, index)
            align_row.addWidget(button)
        align_row.addStretch(1)
        self.pos_x, self.pos_y = _spin(-20000, 20000, " px"), _spin(-20000, 20000, " px")
        self.size_w, self.size_h = _spin(1, 20000, " px"), _spin(1, 20000, " px")
        self.rotation = _spin(-180, 180, "°", decimals=1)

        style_row = QHBoxLayout()
        style_row.addWidget(self.weight, 1)
        style_row.addWidget(self.color, 1)
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(8)
        form.addRow("Text", self.text)
        form.addRow("Role", self.role)
        form.addRow("Font", self.font_box)
        form.addRow("Style", style_row)
        form.addRow("Align", align_row)
        form.addRow("Position", self._pair(self.pos_x, self.pos_y))
        form.addRow("Size", self._pair(self.size_w, self.size_h))
        form.addRow("Rotation", self.rotation)
        self.fields = QWidget()
        self.fields.setLayout(form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.addWidget(self.hint)
        layout.addWidget(self.fields)
        layout.addStretch(1)

        self.text.textChanged.connect(lambda: self._edit("text", text=self.text.toPlainText()))
        self.role.currentIndexChanged.connect(lambda i: self._edit("role", role=ROLES[i]))
        self.font_box.currentFontChanged.connect(self._font_chosen)
        self.weight.currentIndexChanged.connect(lambda i: self._edit("weight", weight=self.weight.itemData(i)))
        self.color.clicked.connect(self.pick_color)
        self.align.idClicked.connect(lambda i: self._edit("align", align=ALIGNMENTS[i]))
        self.pos_x.valueChanged.connect(lambda v: self._edit("move", x=float(v)))
        self.pos_y.valueChanged.connect(lambda v: self._edit("move", y=float(v)))
        self.size_w.valueChanged.connect(lambda v: self._edit("resize", width=float(v)))
        self.size_h.valueChanged.connect(lambda v: self._edit("resize", height=float(v)))
        self.rotation.valueChanged.connect(lambda v: self._edit("rotate", rotation=float(v)))
        selection.changed.connect(self._refill)
        document.boxChanged.connect(self._on_changed)
        self._refill()

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(a, 1)
        row.addWidget(b, 1)
        return row

    @property
    def box(self):
        current = self.selection.current
        return self.document.box(current) if current and any(b.id == current for b in self.document.boxes) else None

    def _on_changed(self, box_id: str) -> None:
        if box_id == self.selection.current:
            self._refill()

    def _refill(self, *_args) -> None:
        box = self.box
        self.hint.setVisible(box is None)
        self.fields.setEnabled(box is not None)
        if box is None:
            return
        widgets = (self.text, self.role, self.font_box, self.weight, self.pos_x, self.pos_y, self.size_w,
                   self.size_h, self.rotation)
        blockers = [QSignalBlocker(w) for w in widgets]
        if self.text.toPlainText() != box.text:  # rewriting equal text would reset the cursor
            self.text.setPlainText(box.text)
        self.role.setCurrentIndex(ROLES.index(box.role) if box.role in ROLES else 0)
        self.font_box.setCurrentFont(QFont(family_of(box)))
        nearest = min(range(len(WEIGHTS)), key=lambda i: abs(WEIGHTS[i][0] - box.weight))
        self.weight.setCurrentIndex(nearest)
        self.pos_x.setValue(round(box.x))
        self.pos_y.setValue(round(box.y))
        self.size_w.setValue(round(box.width))
        self.size_h.setValue(round(box.height))
        self.rotation.setValue(box.rotation)
        for blocker in blockers:
            blocker.unblock()
        self._show_color(box.color)
        if box.align in ALIGNMENTS:
            self.align.button(ALIGNMENTS.index(box.align)).setChecked(True)

    def _show_color(self, color: str) -> None:
        swatch = QPixmap(14, 14)
        swatch.fill(QColor(color))
        self.color.setIcon(QIcon(swatch))
        self.color.setText(color.upper())

    def _font_chosen(self, font: QFont) -> None:
        family = font.family()
        # The bundled font is the default and stays unnamed in prompts ("" on the box).
        if family == BUNDLED_FAMILY:
            self._edit("font", font_family="", font_style="")
        else:  # the family for the recipe, its look in words for the prompt
            self._edit("font", font_family=family, font_style=describe_font(family))

    def pick_color(self) -> None:
        box = self.box
        if box is None:
            return
        self.color_dialog = QColorDialog(QColor(box.color), self)
        self.color_dialog.colorSelected.connect(lambda c: self.set_color(c.name()))
        self.color_dialog.open()

    def set_color(self, color: str) -> None:
        self._edit("color", color=color)

    def _edit(self, kind: str, **changes) -> None:
        box = self.box
        if box is None:
            return
        new = replace(box, **changes)
        if new != box:
            gesture = self._typing if kind == "text" else None
            self.document.undo_stack.push(EditBox(self.document, new, kind, gesture=gesture))

    def eventFilter(self, watched, event) -> bool:
        if watched is self.text and event.type() == QEvent.Type.FocusIn:
            self._typing = next(gestures)  # a new visit: a new undo step
        return False
