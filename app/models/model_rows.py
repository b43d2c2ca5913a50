"""The model manager's table: one row per known model, in small widgets."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QTableWidget, QTableWidgetItem, QWidget

from app.models.model_texts import revision_text, size_text, source_text
from app.ui.formatting import format_bytes
from glm_core.models.download_progress import DownloadProgress
from glm_core.models.catalog import ModelEntry

COLUMNS = ("Name", "Source", "Revision", "Size", "Downloaded", "Location", "Free disk")
NAME, SOURCE, REVISION, SIZE, DOWNLOADED, LOCATION, FREE = range(len(COLUMNS))

# Beside the app's studio.qss: a calmer row selection (links stay readable) and a disabled primary button.
TABLE_STYLE = """
QTableWidget#modelTable { outline: 0; background: #1c1e22; alternate-background-color: #212328;
                          border: 1px solid #2e3137; border-radius: 6px; }
QTableWidget#modelTable::item { padding: 0 6px; }
QTableWidget#modelTable::item:selected { background: #2f3a57; color: #e6e8ec; }
QHeaderView::section { background: #202227; color: #9aa0aa; border: none; border-bottom: 1px solid #2e3137;
                       padding: 5px 6px; }
QPushButton#primaryButton:disabled { background: #2c3550; border-color: #2c3550; color: #7d869c; }
"""


class DownloadedCell(QWidget):
    """'Complete', 'Not downloaded', or a progress bar with its percentage for a partial download."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.label = QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.setSpacing(8)
        row.addWidget(self.bar, 1)
        row.addWidget(self.label)

    def show_entry(self, entry: ModelEntry, last: DownloadProgress | None = None) -> None:
        if entry.complete:
            self._text("✓ Complete" if entry.source == "hub" else "✓ Ready")
        elif entry.source == "folder":
            self._text("Incomplete")
        elif last is not None and last.total_bytes and last.done_bytes:
            self.show_progress(last.done_bytes, last.total_bytes)  # more exact than the cache's estimate
        elif entry.present_bytes and entry.total_bytes:
            self.show_progress(entry.present_bytes, entry.total_bytes, estimate=entry.size_is_estimate)
        else:
            self._text("Not downloaded")

    def show_progress(self, done: int, total: int, estimate: bool = False) -> None:
        fraction = min(1.0, done / total) if total else 0.0
        self.bar.setValue(int(1000 * fraction))
        self.bar.show()
        self.label.setText(format_bytes(done) if estimate else f"{fraction:.0%}")
        self.setToolTip(f"{format_bytes(done)} of {'~' if estimate else ''}{format_bytes(total)} on disk")

    def _text(self, text: str) -> None:
        self.bar.hide()
        self.label.setText(text)
        self.setToolTip("")

    @property
    def text(self) -> str:
        return self.label.text()


class LocationCell(QLabel):
    """The folder as a link; clicking opens it in the file manager."""

    openRequested = Signal(Path)

    def __init__(self, folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.folder = folder
        name = folder.name if len(str(folder)) > 40 else str(folder)
        shown = name if name == str(folder) else f"…/{name}"
        self.setText(f'<a href="open">{html.escape(shown)}</a>')
        self.setToolTip(f"{folder}\nClick to open the folder")
        self.setContentsMargins(6, 0, 6, 0)
        self.linkActivated.connect(lambda _link: self.openRequested.emit(self.folder))


def existing_folder(folder: Path) -> Path:
    """The folder, or its nearest parent that exists (a hub model not yet downloaded has no folder)."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            return candidate
    return folder


def make_table() -> QTableWidget:
    table = QTableWidget(0, len(COLUMNS))
    table.setObjectName("modelTable")
    table.setHorizontalHeaderLabels(COLUMNS)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for column, width in ((NAME, 180), (SOURCE, 110), (REVISION, 135), (SIZE, 90), (DOWNLOADED, 160),
                          (LOCATION, 200), (FREE, 90)):
        table.setColumnWidth(column, width)
    header.setSectionResizeMode(LOCATION, header.ResizeMode.Stretch)
    for column in (SIZE, FREE):  # numbers: right-aligned, headers too
        table.horizontalHeaderItem(column).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    table.verticalHeader().setDefaultSectionSize(34)
    return table


def fill_row(table: QTableWidget, row: int, entry: ModelEntry, last: DownloadProgress | None,
             open_folder: Callable[[Path], None]) -> DownloadedCell:
    texts = {NAME: entry.name, SOURCE: source_text(entry), REVISION: revision_text(entry), SIZE: size_text(entry, last),
             FREE: format_bytes(entry.free_bytes)}
    for column, text in texts.items():
        item = QTableWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, entry.id)
        if column in (SIZE, FREE):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column == NAME:
            item.setToolTip(entry.id)
        table.setItem(row, column, item)
    cell = DownloadedCell()
    cell.show_entry(entry, last)
    table.setCellWidget(row, DOWNLOADED, cell)
    where = LocationCell(entry.location)
    where.openRequested.connect(open_folder)
    table.setCellWidget(row, LOCATION, where)
    return cell
