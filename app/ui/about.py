"""Help ▸ About: the app's version, the Python / Qt / library versions, the model in use (from
the session's load report), the licences and links — as plain text a user can select and copy
into a bug report. Library versions come from the installed packages' metadata, so the window
still imports no torch."""

from __future__ import annotations

import platform
from importlib import metadata

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.models.model_source import describe_quant, describe_source
from glm_core import __version__
from glm_core.models.load_report import LoadReport
from glm_core.paths import APP_NAME

LIBRARIES = ("torch", "diffusers", "transformers", "accelerate", "bitsandbytes")
LINKS = (
    ("GLM-Image model", "https://huggingface.co/zai-org/GLM-Image"),
    ("Noto Sans CJK (the bundled font)", "https://github.com/notofonts/noto-cjk"),
    ("SIL Open Font License 1.1", "https://openfontlicense.org"),
)


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def model_lines(report: LoadReport | None) -> list[str]:
    if report is None:
        return ["Model: none loaded"]
    name = "Demo model (random weights, makes noise)" if report.is_demo else describe_source(report.model_id)
    lines = [f"Model: {name}" + (f" @ {report.revision[:12]}" if report.revision and not report.is_demo else ""),
             f"Weights: {describe_quant(report.quant, report.dtype)}",
             f"Device: {report.device.upper()} · offload {report.plan.offload}"]
    if not report.is_demo:
        lines.append(f"Folder: {report.folder}")
    return lines


def about_text(report: LoadReport | None) -> str:
    """Everything the dialog shows, as the plain text its Copy button copies."""
    lines = [f"{APP_NAME} {__version__}", "Posters with GLM-Image, on your own computer.", "",
             f"Python {platform.python_version()} ({platform.system()} {platform.machine()})",
             f"Qt {qVersion()} · PySide6 {PySide6.__version__}",
             " · ".join(f"{name} {_installed(name)}" for name in LIBRARIES), "",
             *model_lines(report), "",
             "Licence: MIT (GLM-Image Studio). The GLM-Image weights carry their own licence (see the model page).",
             "Bundled font: Studio Sans CJK, a subset of Noto Sans CJK SC 2.004 — © 2014-2021 Adobe, "
             "SIL Open Font License 1.1 (resources/fonts/LICENSE-OFL.txt).", ""]
    lines += [f"{title}: {url}" for title, url in LINKS]
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, report: LoadReport | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # opened without a nested event loop
        self.setWindowTitle(f"About {APP_NAME}")
        title = QLabel(f"<b>{APP_NAME}</b> {__version__}")
        self.text = QPlainTextEdit(about_text(report))
        self.text.setObjectName("aboutText")
        self.text.setReadOnly(True)  # selectable and copyable, not editable
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        links = QLabel(" · ".join(f'<a href="{url}">{title}</a>' for title, url in LINKS))
        links.setOpenExternalLinks(True)
        links.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy all of this, e.g. into a bug report")
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.text, 1)
        layout.addWidget(links)
        layout.addWidget(buttons)
        self.resize(720, 520)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
