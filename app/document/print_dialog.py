"""File ▸ Export for Print…: the resolution written into the PNG, the print size it gives in
pixels, centimetres and inches, and 2x / 4x enlargement labelled for what it is (resampling)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget

from glm_core.project.print_export import MAX_DPI, MIN_DPI, SCALES, UPSCALE_METHOD, PrintSize


@dataclass(frozen=True)
class PrintOptions:
    dpi: int
    scale: int  # 1, 2 or 4


class PrintExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, width: int, height: int, dpi: int = 300):
        super().__init__(parent)
        self.setWindowTitle("Export for Print")
        self._width, self._height = width, height
        self.dpi = QSpinBox()
        self.dpi.setRange(MIN_DPI, MAX_DPI)
        self.dpi.setValue(dpi)
        self.dpi.setSuffix(" dpi")
        self.dpi.setToolTip("Written into the PNG; print shops usually ask for 150-300 dpi")
        self.scale = QComboBox()
        for scale in SCALES:
            self.scale.addItem("1x (as generated)" if scale == 1 else f"{scale}x — resampled, no new detail", scale)
        self.scale.setToolTip(f"2x and 4x use {UPSCALE_METHOD}: no AI upscaler is installed")
        self.size = QLabel()
        self.size.setObjectName("printSize")
        form = QFormLayout(self)
        form.addRow("Resolution", self.dpi)
        form.addRow("Enlarge", self.scale)
        form.addRow("Print size", self.size)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.dpi.valueChanged.connect(self._show_size)
        self.scale.currentIndexChanged.connect(self._show_size)
        self._show_size()

    def options(self) -> PrintOptions:
        return PrintOptions(self.dpi.value(), self.scale.currentData())

    def _show_size(self) -> None:
        options = self.options()
        size = PrintSize(self._width * options.scale, self._height * options.scale, options.dpi)
        self.size.setText(size.describe().replace(" = ", "\n"))
