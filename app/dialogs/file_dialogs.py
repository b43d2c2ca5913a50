"""The app's file choosers and questions, in one object a test can replace method by method."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

PNG_FILTER = "PNG image (*.png)"


class FileDialogs:
    def export_path(self, parent: QWidget, suggested: Path) -> Path | None:
        # Overwriting is confirmed by the caller, right before the atomic write.
        path, _ = QFileDialog.getSaveFileName(
            parent, "Export PNG", str(suggested), PNG_FILTER, options=QFileDialog.Option.DontConfirmOverwrite
        )
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")

    def open_path(self, parent: QWidget, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open PNG with recipe", folder, PNG_FILTER)
        return Path(path) if path else None

    def model_folder(self, parent: QWidget) -> str | None:
        folder = QFileDialog.getExistingDirectory(parent, "Choose a GLM-Image model folder")
        return folder or None

    def confirm_overwrite(self, parent: QWidget, path: Path) -> bool:
        answer = QMessageBox.question(
            parent,
            "Replace file?",
            f"“{path.name}” already exists in {path.parent}.\nReplace it with this image?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
