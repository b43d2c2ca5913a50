"""The model panel: what is loaded (quantization in effect, offload plan, memory) and a switcher."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui.formatting import format_bytes
from app.models.model_source import SourceKind, describe_quant, source_kind
from app.ui.bindings import bind
from glm_core import OFFICIAL_REPO_ID
from glm_core.generation.settings import GenerationSettings
from glm_core.models.load_report import DEVICES, LoadOptions, LoadReport
from glm_core.models.memory import QUANT_MODES

DEMO_WARNING = "Demo model: random weights, for trying the interface. Its pictures are noise."
_SOURCES = {
    SourceKind.DEMO: "Demo model (random weights)",
    SourceKind.FOLDER: "Local model folder",
    SourceKind.HUB: "Downloaded from Hugging Face",
}
# Weight memory of GLM-Image (facts note): bf16 34.7 GB, int8 ~18 GB, nf4 ~11 GB.
_QUANT_LABELS = {"bf16": "bf16 · full quality", "int8": "int8 · about half the memory",
                 "nf4": "nf4 · about a third of the memory"}
_DEVICE_LABELS = {"auto": "Automatic", "cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (MPS)", "cpu": "CPU (slow)"}
OFFLOAD_LABELS = {
    "none": "None: everything stays on the device",
    "model": "Model: one model at a time on the device",
    "sequential": "Sequential: layer by layer (slow)",
}


def _combo(name: str, items: dict) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for key, label in items.items():
        combo.addItem(label, key)
    return combo


def _value_label(name: str) -> QLabel:
    label = QLabel("—")
    label.setObjectName(name)
    return label


class ModelPanel(QWidget):
    loadRequested = Signal(object)  # LoadOptions
    cancelRequested = Signal()
    browseRequested = Signal()
    manageRequested = Signal()  # open Model ▸ Manage Models… (download, verify, add folders)

    def __init__(self, settings: GenerationSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("modelPanel")
        self.settings = settings  # its quantization is the choice this panel shows and loads with
        self.state = QLabel("No model loaded")
        self.state.setObjectName("modelState")
        self.state.setWordWrap(True)
        self.demo_badge = QLabel(DEMO_WARNING)
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setWordWrap(True)
        self.demo_badge.hide()
        self.device_value = _value_label("deviceValue")
        self.quant_value = _value_label("quantValue")
        self.peak_value = _value_label("peakValue")
        self.offload_value = _value_label("offloadValue")
        self.notices = QLabel()
        self.notices.setObjectName("warning")
        self.notices.setWordWrap(True)
        self.notices.hide()
        loaded = QFormLayout()
        loaded.setVerticalSpacing(6)
        loaded.addRow("Device", self.device_value)
        loaded.addRow("Quantization", self.quant_value)
        loaded.addRow("Peak memory", self.peak_value)
        loaded.addRow("Offload", self.offload_value)

        self.source = _combo("sourceKind", _SOURCES)
        self.location = QLineEdit()
        self.location.setObjectName("sourceLocation")
        self.browse = QPushButton("Browse…")
        self.quant = _combo("quantChoice", {mode: _QUANT_LABELS[mode] for mode in QUANT_MODES})
        self.quant.setToolTip("Quantization shrinks the AR model and the DiT. On a CPU the DiT stays bf16.")
        bind(self.quant, settings, "quantization")
        self.device = _combo("deviceChoice", {device: _DEVICE_LABELS[device] for device in DEVICES})
        self.offload = _combo("offloadChoice", {"auto": "Automatic (fits the memory)", **OFFLOAD_LABELS})
        self.offload.setToolTip("Model offload keeps one model on the GPU at a time; sequential streams layers "
                                "(slowest; not for nf4/int8 or edits). Automatic picks what fits.")
        self.load_button = QPushButton("Load model")
        self.load_button.setObjectName("loadButton")
        self.cancel_button = QPushButton("Cancel loading")
        self.cancel_button.hide()
        # A link beside the section title: the panel shares a dock column, so it must not grow.
        self.manage_link = QLabel('<a href="manage">Manage models…</a>')
        self.manage_link.setObjectName("manageModelsLink")
        self.manage_link.setToolTip("Download GLM-Image, check or repair a model, add a model folder")
        self.manage_link.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.manage_link.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # no wider dock
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(self.browse)
        choose = QFormLayout()
        choose.setVerticalSpacing(6)
        choose.addRow("Model", self.source)
        choose.addRow("", where)
        choose.addRow("Quantization", self.quant)
        choose.addRow("Device", self.device)
        choose.addRow("Offload", self.offload)

        title_loaded = QLabel("Loaded model")
        title_loaded.setObjectName("sectionTitle")
        title_switch = QLabel("Switch model")
        title_switch.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(8)
        layout.addWidget(title_loaded)
        layout.addWidget(self.state)
        layout.addWidget(self.demo_badge)
        layout.addLayout(loaded)
        layout.addWidget(self.notices)
        layout.addSpacing(8)
        switch_row = QHBoxLayout()
        switch_row.addWidget(title_switch)
        switch_row.addWidget(self.manage_link, 1)
        layout.addLayout(switch_row)
        layout.addLayout(choose)
        layout.addWidget(self.load_button)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)

        self.source.currentIndexChanged.connect(self._on_source_kind)
        self.browse.clicked.connect(self.browseRequested)
        self.load_button.clicked.connect(lambda: self.loadRequested.emit(self.options()))
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.manage_link.linkActivated.connect(lambda _link: self.manageRequested.emit())
        self._on_source_kind()

    def set_engine_panel(self, engine_panel: QWidget) -> None:
        """Engine: This computer | Server… (app/models/engine_panel.py), above everything else."""
        self.layout().insertWidget(0, engine_panel)

    # -- choices --

    def set_choice(self, source: str, quant: str, device: str) -> None:
        """Show a model choice; the quantization goes to the settings, which the combo box follows."""
        kind = source_kind(source) if source else SourceKind.DEMO
        self.source.setCurrentIndex(self.source.findData(kind))
        if kind is not SourceKind.DEMO:
            self.location.setText(source)
        self.settings.quantization = quant
        self.device.setCurrentIndex(max(self.device.findData(device), 0))

    def set_folder(self, folder: str) -> None:
        self.source.setCurrentIndex(self.source.findData(SourceKind.FOLDER))
        self.location.setText(folder)

    def options(self) -> LoadOptions:
        kind = self.source.currentData()
        source = "demo" if kind is SourceKind.DEMO else self.location.text().strip()
        return LoadOptions(source=source, quant=self.settings.quantization, device=self.device.currentData(),
                           offload=self.offload.currentData())

    def _on_source_kind(self) -> None:
        kind = self.source.currentData()
        self.location.setEnabled(kind is not SourceKind.DEMO)
        self.browse.setVisible(kind is SourceKind.FOLDER)
        placeholders = {
            SourceKind.DEMO: "Built in, nothing to download",
            SourceKind.FOLDER: "Folder with model_index.json",
            SourceKind.HUB: OFFICIAL_REPO_ID,
        }
        self.location.setPlaceholderText(placeholders[kind])
        if kind is SourceKind.DEMO:
            self.location.clear()
        elif kind is SourceKind.HUB and not self.location.text():
            self.location.setText(OFFICIAL_REPO_ID)

    # -- state --

    def show_loading(self, loading: bool) -> None:
        self.load_button.setVisible(not loading)
        self.cancel_button.setVisible(loading)
        if loading:
            self.state.setText("Loading…")
            self._clear_details()

    def show_failed(self, message: str) -> None:
        self.state.setText(f"Loading failed: {message}")
        self._clear_details()

    def show_unloaded(self) -> None:
        self.state.setText("No model loaded")
        self._clear_details()

    def _clear_details(self) -> None:
        self.demo_badge.hide()
        self.notices.hide()
        for label in (self.device_value, self.quant_value, self.peak_value, self.offload_value):
            label.setText("—")
            label.setToolTip("")

    def show_plan(self, plan) -> None:
        """The memory plan for the picture about to be made (glm_core MemoryPlan)."""
        fits = "" if plan.fits() else " — does not fit"
        tiled = ", tiled decode" if plan.vae_tiling else ""
        self.peak_value.setText(f"≈ {format_bytes(plan.peak_bytes)} of {format_bytes(plan.free_bytes)} free{fits}")
        self.peak_value.setProperty("warning", not plan.fits())
        self.offload_value.setText(OFFLOAD_LABELS.get(plan.offload, plan.offload) + tiled)
        for label in (self.peak_value, self.offload_value):
            label.setToolTip(f"For {plan.job.label}: {plan.reason}")

    def show_report(self, report: LoadReport) -> None:
        if report.server:  # a GLM-Image server holds the model: no device, quantization or memory here
            self._clear_details()
            self.state.setText(f"<b>{report.model_id}</b> on {report.server} · connected in {report.seconds:.1f} s")
            self.device_value.setText("Server")
            self.quant_value.setText("the server's own")
            self.notices.setText("\n".join(f"⚠ {notice}" for notice in report.notices))
            self.notices.setVisible(bool(report.notices))
            return
        self.state.setText(f"<b>{report.model_id}</b> · {report.revision[:12]} · loaded in {report.seconds:.1f} s")
        self.demo_badge.setVisible(report.is_demo)
        self.device_value.setText(f"{report.device.upper()} · {report.dtype}")
        self.quant_value.setText(describe_quant(report.quant, report.dtype))
        self.show_plan(report.plan)
        self.notices.setText("\n".join(f"⚠ {notice}" for notice in report.notices))
        self.notices.setVisible(bool(report.notices))
