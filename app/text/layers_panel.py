"""The Layers dock: text boxes front to back, with visibility and lock toggles, drag to reorder.

The document keeps boxes back to front (the last draws on top); the list shows them the way
designers read layers, front first. Toggles are painted by a delegate (not item widgets, which
drag-and-drop would lose) and clicks on them become EditBox commands; a drop becomes one
ReorderBoxes. The list is rebuilt from the document after every change, so it never drifts.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QRect, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.document.commands import EditBox, RemoveBox, ReorderBoxes
from app.document.model import DocumentModel
from app.ui.resources import icon
from app.text.items import CHECK_OK, CHECK_WRONG, BoxSelection, badge_mark, check_summary, gestures
from glm_core.project.text_check import BoxCheck

ID_ROLE = Qt.ItemDataRole.UserRole
LAYER_MIME = "application/x-glm-studio-layer"
ICON = 16
ROW_HEIGHT = 30


def toggle_rects(row: QRect) -> tuple[QRect, QRect]:
    """Where the eye and the lock sit in a row (the delegate paints them, clicks hit them)."""
    top = row.top() + (row.height() - ICON) // 2
    eye = QRect(row.left() + 8, top, ICON, ICON)
    return eye, eye.translated(ICON + 8, 0)


class _Delegate(QStyledItemDelegate):
    def __init__(self, panel: LayersPanel):
        super().__init__(panel)
        self.panel = panel
        self.icons = {name: icon(name) for name in ("eye", "eye-off", "lock", "unlock")}

    def sizeHint(self, option, index) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter, option, index) -> None:
        box = self.panel.box_for(index.data(ID_ROLE))
        if box is None:
            return
        if box.id in self.panel.selection.ids:  # one of several selected on the canvas: highlighted too
            option = QStyleOptionViewItem(option)
            option.state |= QStyle.StateFlag.State_Selected
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        eye, lock = toggle_rects(option.rect)
        self.icons["eye" if box.visible else "eye-off"].paint(painter, eye)
        if box.locked:
            self.icons["lock"].paint(painter, lock)
        else:
            painter.setOpacity(0.35)  # unlocked is the usual state: shown faintly
            self.icons["unlock"].paint(painter, lock)
            painter.setOpacity(1.0)
        text_rect = option.rect.adjusted(lock.right() + 10 - option.rect.left(), 0, -8, 0)
        check = self.panel.checks.get(box.id)
        if check is not None:  # the text check's mark at the row's end
            mark = QRect(text_rect.right() - ICON, text_rect.top() + (text_rect.height() - ICON) // 2, ICON, ICON)
            painter.save()
            painter.setPen(CHECK_OK if check.ok else CHECK_WRONG)
            font = painter.font()
            font.setBold(True)
            painter.setFont(font)
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, badge_mark(check))
            painter.restore()
            text_rect.setRight(mark.left() - 6)
        first = box.text.strip().split("\n")[0] or "(empty)"
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_color = palette.color(palette.ColorRole.HighlightedText if selected else palette.ColorRole.Text)
        dim = QColor(text_color)
        dim.setAlphaF(0.6)
        painter.setPen(text_color if box.visible else dim)
        metrics = painter.fontMetrics()
        role = f"  {box.role}"
        room = max(text_rect.width() - metrics.horizontalAdvance(role), 20)
        name = metrics.elidedText(first, Qt.TextElideMode.ElideRight, room)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        painter.setPen(dim)
        role_rect = text_rect.adjusted(metrics.horizontalAdvance(name), 0, 0, 0)
        painter.drawText(role_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, role)

    def editorEvent(self, event, model, option, index) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            eye, lock = toggle_rects(option.rect)
            point = event.position().toPoint()
            if eye.adjusted(-4, -4, 4, 4).contains(point):
                self.panel.toggle(index.data(ID_ROLE), "visible")
                return True
            if lock.adjusted(-4, -4, 4, 4).contains(point):
                self.panel.toggle(index.data(ID_ROLE), "locked")
                return True
        return False


class _LayerList(QListWidget):
    """Drags carry the box id in our own MIME type; a drop becomes one ReorderBoxes and the list
    is rebuilt from the document (the list never moves rows itself)."""

    def __init__(self, panel: LayersPanel):
        super().__init__()
        self.panel = panel
        self.setObjectName("layersList")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def mousePressEvent(self, event) -> None:
        """Shift or Ctrl+click adds a box to the selection (or takes it out), as on the canvas."""
        item = self.itemAt(event.position().toPoint())
        adding = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
        if item is not None and event.modifiers() & adding and event.button() == Qt.MouseButton.LeftButton:
            self.panel.selection.toggle(item.data(ID_ROLE))
            event.accept()
            return
        super().mousePressEvent(event)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME, *super().mimeTypes()]

    def mimeData(self, items) -> QMimeData:
        data = super().mimeData(items)
        if items:
            data.setData(LAYER_MIME, QByteArray(items[0].data(ID_ROLE).encode()))
        return data

    def _ours(self, event) -> bool:
        return event.mimeData().hasFormat(LAYER_MIME)

    def dragEnterEvent(self, event) -> None:
        if event.source() is self:
            super().dragEnterEvent(event)
        if self._ours(event):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.source() is self:
            super().dragMoveEvent(event)  # the drop indicator line
        if self._ours(event):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        box_id = bytes(event.mimeData().data(LAYER_MIME)).decode()
        ids = self.panel.ids()
        if box_id not in ids:
            event.ignore()
            return
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        if index.isValid():
            row = index.row() + (1 if pos.y() > self.visualRect(index).center().y() else 0)
        else:
            row = self.count()
        # Reported as a copy: after a move the drag's source would delete the dragged row itself.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        self.panel.move_row(ids.index(box_id), row)


class LayersPanel(QWidget):
    def __init__(self, document: DocumentModel, selection: BoxSelection, parent=None):
        super().__init__(parent)
        self.setObjectName("layersPanel")
        self.document = document
        self.selection = selection
        self.checks: dict[str, BoxCheck] = {}  # box id: its text check on the shown image
        self.list = _LayerList(self)
        self.list.setItemDelegate(_Delegate(self))
        self.raise_button = self._button("chevron-up", "Bring the selected box forward", lambda: self.shift(1))
        self.lower_button = self._button("chevron-down", "Send the selected box backward", lambda: self.shift(-1))
        self.delete_button = self._button("trash", "Delete the selected box (Delete on the canvas)",
                                          self.delete_selected)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.raise_button, self.lower_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 8, 6, 8)
        layout.setSpacing(6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._current_changed)
        selection.changed.connect(self._select)
        selection.idsChanged.connect(self._repaint)
        # A changed box only repaints its row: rebuilding under a click on a toggle would pull
        # the row out from under the delegate handling it.
        for signal in (document.boxAdded, document.boxRemoved, document.boxesReordered):
            signal.connect(self.rebuild)
        document.boxChanged.connect(self._repaint)
        self.rebuild()

    def add_tool_rows(self, rows) -> None:
        """Rows of small buttons above the list (Align and Distribute), each following its action."""
        grid = QGridLayout()
        grid.setSpacing(2)
        for row, actions in enumerate(rows):
            for column, action in enumerate(actions):
                button = QToolButton()
                button.setDefaultAction(action)
                button.setAutoRaise(True)
                button.setIconSize(QSize(16, 16))
                button.setFixedSize(26, 26)  # a narrow Layers dock still shows them all
                grid.addWidget(button, row, column)
        grid.setColumnStretch(grid.columnCount(), 1)
        self.layout().insertLayout(0, grid)

    def _button(self, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        if icon_name:
            button.setIcon(icon(icon_name))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _repaint(self, *_args) -> None:
        self.list.viewport().update()

    def box_for(self, box_id: str):
        return next((b for b in self.document.boxes if b.id == box_id), None)

    def ids(self) -> list[str]:
        """Front to back, as listed."""
        return [self.list.item(row).data(ID_ROLE) for row in range(self.list.count())]

    def set_checks(self, checks: dict[str, BoxCheck]) -> None:
        """Show each box's text check (✓ or ✗, what was read in the row's tooltip)."""
        self.checks = checks
        self.rebuild()

    def rebuild(self, *_args) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for box in reversed(self.document.boxes):
            item = QListWidgetItem()
            item.setData(ID_ROLE, box.id)
            check = self.checks.get(box.id)
            item.setToolTip(box.text if check is None else f"{box.text}\n{check_summary(check)}")
            # Rows must not accept drops themselves, or a drop would nest one row inside another.
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._select(self.selection.current)

    def _select(self, box_id: str) -> None:
        ids = self.ids()
        self.list.blockSignals(True)
        self.list.setCurrentRow(ids.index(box_id) if box_id in ids else -1)
        self.list.blockSignals(False)
        has = box_id in ids
        for button in (self.raise_button, self.lower_button, self.delete_button):
            button.setEnabled(has)

    def _current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        self.selection.set(current.data(ID_ROLE) if current is not None else "")

    def toggle(self, box_id: str, field: str) -> None:
        box = self.box_for(box_id)
        if box is None:
            return
        kind, text = {"visible": ("visible", "Show text box" if not box.visible else "Hide text box"),
                      "locked": ("lock", "Unlock text box" if box.locked else "Lock text box")}[field]
        # Each click its own step: hide-then-show must not merge into one empty edit.
        after = replace(box, **{field: not getattr(box, field)})
        self.document.undo_stack.push(EditBox(self.document, after, kind, text, gesture=next(gestures)))

    def move_row(self, source: int, before: int) -> None:
        """Move the row at `source` to just before row `before` (rows as listed, front first)."""
        ids = self.ids()
        if not 0 <= source < len(ids):
            return
        moving = ids.pop(source)
        ids.insert(before - 1 if before > source else before, moving)
        back_to_front = list(reversed(ids))
        if back_to_front != [b.id for b in self.document.boxes]:
            self.document.undo_stack.push(ReorderBoxes(self.document, back_to_front))

    def shift(self, steps: int) -> None:
        """Move the selected box `steps` places towards the front (negative: backward)."""
        order = [b.id for b in self.document.boxes]
        current = self.selection.current
        if current not in order:
            return
        index = order.index(current)
        target = min(max(index + steps, 0), len(order) - 1)
        if target != index:
            order.insert(target, order.pop(index))
            self.document.undo_stack.push(ReorderBoxes(self.document, order,
                                                       "Bring forward" if steps > 0 else "Send backward"))

    def delete_selected(self) -> None:
        box = self.box_for(self.selection.current)
        if box is not None and not box.locked:
            self.document.undo_stack.push(RemoveBox(self.document, box.id))
