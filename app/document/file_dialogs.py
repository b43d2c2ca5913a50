"""The app's file choosers and questions, in one object a test can replace method by method."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

PNG_FILTER = "PNG image (*.png)"
PROJECT_SUFFIX = ".glmstudio"  # glm_core.project.file.PROJECT_SUFFIX (not imported: no engine here)
PROJECT_FILTER = f"GLM-Image Studio project (*{PROJECT_SUFFIX})"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
IMAGES_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"
OPEN_FILTER = ";;".join([
    f"Projects and images (*{PROJECT_SUFFIX} " + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")",
    PROJECT_FILTER, IMAGES_FILTER,
])

# Answers of ask_save_changes and ask_restore_recipe.
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
RESTORE, IMAGE_ONLY = "restore", "image"


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

    def print_options(self, parent: QWidget, width: int, height: int):
        """Resolution and enlargement for File ▸ Export for Print (a PrintOptions), or None."""
        from app.document.print_dialog import PrintExportDialog

        dialog = PrintExportDialog(parent, width, height)
        return dialog.options() if dialog.exec() == PrintExportDialog.DialogCode.Accepted else None

    def open_path(self, parent: QWidget, folder: str) -> Path | None:
        """A project, or an image (a PNG made here restores its prompt and settings)."""
        path, _ = QFileDialog.getOpenFileName(parent, "Open", folder, OPEN_FILTER)
        return Path(path) if path else None

    def save_project_path(self, parent: QWidget, suggested: Path) -> Path | None:
        # Qt's own dialog confirms overwriting; the save itself is atomic.
        path, _ = QFileDialog.getSaveFileName(parent, "Save Project", str(suggested), PROJECT_FILTER)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() == PROJECT_SUFFIX else path.with_name(path.name + PROJECT_SUFFIX)

    def ask_save_changes(self, parent: QWidget, name: str) -> str:
        """Before closing or replacing a document with unsaved changes: SAVE, DISCARD or CANCEL."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to “{name}” before closing it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, parent)
        box.setInformativeText("If you don't save, your changes since the last save are lost.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: SAVE,
                QMessageBox.StandardButton.Discard: DISCARD}.get(QMessageBox.StandardButton(answer), CANCEL)

    def ask_restore_recipe(self, parent: QWidget, name: str) -> str | None:
        """A dropped PNG carries a recipe: RESTORE its prompt and settings too, IMAGE_ONLY, or None."""
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the recipe?",
                          f"“{name}” was made with GLM-Image Studio and carries its prompt and settings.",
                          QMessageBox.StandardButton.NoButton, parent)
        restore = box.addButton("Restore prompt and settings", QMessageBox.ButtonRole.AcceptRole)
        image = box.addButton("Just open the image", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(restore)
        box.exec()
        clicked = box.clickedButton()
        return RESTORE if clicked is restore else IMAGE_ONLY if clicked is image else None

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
