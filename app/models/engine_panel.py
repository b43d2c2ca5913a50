"""Model dock ▸ Engine: "This computer" or "Server…" (a GLM-Image server: SGLang, vLLM-Omni), with
its URL, API key, a connection test that lists the server's models and says whether it can edit.

The test is a coroutine on the window's asyncio loop (qasync, app/jobs.py): the GUI stays live
while the server is reached, and a server that never answers times out like a job. The API key is kept like the Hugging Face token (OS keyring only,
glm_core/models/hub_token.py); the settings remember the choice and the URL, never the key."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.jobs import event_loop
from app.settings import StudioSettings
from glm_core.engine.remote import RemoteEngine, ServerError, ServerInfo, key_account
from glm_core.models import hub_token

THIS_COMPUTER, SERVER = "local", "server"


class EnginePanel(QWidget):
    engineChosen = Signal(object)  # a RemoteEngine that answered its test, or None = this computer

    def __init__(self, settings: StudioSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("enginePanel")
        self.settings = settings
        self.choice = QComboBox()
        self.choice.setObjectName("engineChoice")
        self.choice.addItem("This computer", THIS_COMPUTER)
        self.choice.addItem("Server…", SERVER)
        self.url = QLineEdit(settings.engine_url)
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("http://gpu-box:30000 (SGLang) or :8091 (vLLM-Omni)")
        self.key = QLineEdit()
        self.key.setObjectName("serverKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("API key, if the server asks for one")
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testConnection")
        self.result = QLabel()
        self.result.setObjectName("engineResult")
        self.result.setWordWrap(True)
        self.server_fields = QWidget()
        fields = QFormLayout(self.server_fields)
        fields.setContentsMargins(0, 0, 0, 0)
        fields.addRow("URL", self.url)
        fields.addRow("API key", self.key)
        fields.addRow("", self.test_button)
        fields.addRow(self.result)
        row = QFormLayout()
        row.addRow("Engine", self.choice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.server_fields)

        self.choice.setCurrentIndex(max(self.choice.findData(settings.engine_kind), 0))
        self._show_fields()
        self.choice.currentIndexChanged.connect(self._on_choice)
        self.test_button.clicked.connect(self.test_connection)
        self._testing = False

    def _show_fields(self) -> None:
        self.server_fields.setVisible(self.choice.currentData() == SERVER)

    def _on_choice(self) -> None:
        self._show_fields()
        self.settings.engine_kind = self.choice.currentData()
        if self.choice.currentData() == THIS_COMPUTER:
            self.result.clear()
            self.engineChosen.emit(None)

    def test_connection(self) -> None:
        """Reach the server off the GUI thread; the answer shows inline and, if good, the engine is chosen."""
        url = self.url.text().strip()
        if not url:
            self._show_error("Give the server's URL first, e.g. http://gpu-box:30000")
            return
        if self._testing:
            return
        self._testing = True
        self.test_button.setEnabled(False)
        self.result.setProperty("warning", False)
        self.result.setText(f"Reaching {url}…")
        engine = RemoteEngine(url, api_key=self.key.text() or None)
        self._test = event_loop().create_task(self._connect(engine))

    async def _connect(self, engine: RemoteEngine) -> None:
        try:
            info, error = await engine.connect(), None
        except ServerError as exc:
            info, error = None, str(exc)
        try:
            self._show_answer(engine, info, error)
        except RuntimeError:  # the panel was closed while the server was asked: nobody to tell
            pass

    def _show_answer(self, engine: RemoteEngine, info: ServerInfo | None, error: str | None) -> None:
        self._testing = False
        self.test_button.setEnabled(True)
        if error is not None:
            self._show_error(error)
            return
        self.result.setProperty("warning", False)
        can_edit = "can edit images" if info.edits else "cannot edit images (new images only)"
        self.result.setText(f"Connected: {info.url} serves {', '.join(info.models)}. "
                            f"Using {info.model}; it {can_edit}.")
        self.settings.engine_url = info.url
        if self.key.text().strip() and not hub_token.save_token(self.key.text(), key_account(info.url)):
            self.result.setText(self.result.text() + " (No keyring here: the key is used until the app closes.)")
        self.engineChosen.emit(engine)

    def _show_error(self, message: str) -> None:
        self.result.setProperty("warning", True)
        self.result.setText(message)
