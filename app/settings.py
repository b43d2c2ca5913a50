"""Persistent user choices, wrapped around QSettings so the rest of the app reads typed values.

Tests hand in a QSettings on a temporary ini file; the app uses the per-user native store, or an ini
file under GLM_STUDIO_HOME when that is set (glm_core/paths.settings_file), so nothing lands in ~/.config.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

from app.generation.progress import usable_rates
from glm_core.generation.batch import MAX_BATCH
from glm_core.models.load_report import DEVICES
from glm_core.models.memory import QUANT_MODES
from glm_core.paths import APP_NAME, settings_file

MAX_RECENT_PROMPTS = 20
MAX_RECENT_PROJECTS = 10


def _default_store() -> QSettings:
    path = settings_file()
    if path is None:
        return QSettings(APP_NAME, APP_NAME)
    return QSettings(str(path), QSettings.Format.IniFormat)


class StudioSettings:
    def __init__(self, store: QSettings | None = None):
        self._store = store if store is not None else _default_store()

    @classmethod
    def from_file(cls, path) -> StudioSettings:
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def sync(self) -> None:
        self._store.sync()

    # -- typed access (QSettings returns strings from ini files, so convert on read) --

    def _get(self, key: str, default, kind):
        value = self._store.value(key, default)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _get_choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(key, default, str)
        return value if value in choices else default

    def _get_bool(self, key: str, default: bool) -> bool:
        value = self._store.value(key, default)
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")

    # -- model --

    @property
    def model_source(self) -> str:
        """"" until the user chose one (first run), else "demo", a folder path or a repo id."""
        return self._get("model/source", "", str)

    @model_source.setter
    def model_source(self, value: str) -> None:
        self._store.setValue("model/source", value)

    @property
    def quant(self) -> str:
        return self._get_choice("model/quant", QUANT_MODES, "bf16")

    @quant.setter
    def quant(self, value: str) -> None:
        self._store.setValue("model/quant", value)

    @property
    def device(self) -> str:
        return self._get_choice("model/device", DEVICES, "auto")

    @device.setter
    def device(self, value: str) -> None:
        self._store.setValue("model/device", value)

    @property
    def engine_kind(self) -> str:
        """Where pictures are made: "local" (this computer) or "server" (Model dock ▸ Engine)."""
        return self._get_choice("engine/kind", ("local", "server"), "local")

    @engine_kind.setter
    def engine_kind(self, value: str) -> None:
        self._store.setValue("engine/kind", value)

    @property
    def engine_url(self) -> str:
        """The GLM-Image server last connected to; its API key lives in the OS keyring, never here."""
        return self._get("engine/url", "", str)

    @engine_url.setter
    def engine_url(self, value: str) -> None:
        self._store.setValue("engine/url", value)

    # -- text --

    @property
    def check_text(self) -> bool:
        """Read every text box back with OCR after each generation (the Layout dock's switch)."""
        return self._get_bool("text/check_after_generation", True)

    @check_text.setter
    def check_text(self, value: bool) -> None:
        self._store.setValue("text/check_after_generation", value)

    # -- prompts --

    @property
    def recent_prompts(self) -> list[str]:
        return self._string_list("prompt/recent")

    def remember_prompt(self, prompt: str) -> list[str]:
        prompt = prompt.strip()
        if not prompt:
            return self.recent_prompts
        items = [prompt] + [p for p in self.recent_prompts if p != prompt]
        items = items[:MAX_RECENT_PROMPTS]
        return self._set_string_list("prompt/recent", items)

    # -- generation parameters (restored on the next start) --

    def generation_values(self) -> dict:
        return {
            "width": self._get("generation/width", 1280, int),
            "height": self._get("generation/height", 1280, int),
            "steps": self._get("generation/steps", 30, int),
            "guidance": self._get("generation/guidance", 1.5, float),
            "seed": self._get("generation/seed", 0, int),
            "seed_locked": self._get_bool("generation/seed_locked", False),
        }

    def set_generation_values(self, values: dict) -> None:
        for key, value in values.items():
            self._store.setValue(f"generation/{key}", value)

    @property
    def batch_size(self) -> int:
        """The Create panel's Batch: how many results Generate makes."""
        return min(max(self._get("generation/batch", 1, int), 1), MAX_BATCH)

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._store.setValue("generation/batch", value)

    # -- progress: each model's measured pace, for the whole-run ETA (app/generation/progress.py) --

    def _all_progress_rates(self) -> dict:
        try:
            data = json.loads(self._get("progress/rates", "{}", str))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def progress_rates(self, model_key: str) -> dict[str, float]:
        return usable_rates(self._all_progress_rates().get(model_key))

    def remember_progress_rates(self, model_key: str, rates: dict[str, float]) -> None:
        data = self._all_progress_rates()
        data[model_key] = usable_rates(rates)
        self._store.setValue("progress/rates", json.dumps(data))

    # -- window --

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._store.setValue("window/geometry", geometry)
        self._store.setValue("window/state", state)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- files --

    @property
    def last_folder(self) -> str:
        return self._get("files/last_folder", "", str)

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._store.setValue("files/last_folder", value)

    @property
    def recent_projects(self) -> list[str]:
        """Project files opened or saved lately, newest first (paths as text)."""
        return self._string_list("files/recent_projects")[:MAX_RECENT_PROJECTS]

    def remember_project(self, path: str) -> list[str]:
        items = [path] + [p for p in self.recent_projects if p != path]
        return self._set_recent_projects(items[:MAX_RECENT_PROJECTS])

    def forget_project(self, path: str | None = None) -> list[str]:
        """Drop one path from the list, or all of them."""
        return self._set_recent_projects([] if path is None else [p for p in self.recent_projects if p != path])

    def _set_recent_projects(self, items: list[str]) -> list[str]:
        return self._set_string_list("files/recent_projects", items)

    # Lists are stored as JSON text: ini files turn a one-item list into a bare string.

    def _string_list(self, key: str) -> list[str]:
        try:
            items = json.loads(self._get(key, "[]", str))
        except json.JSONDecodeError:
            return []
        return [p for p in items if isinstance(p, str)] if isinstance(items, list) else []

    def _set_string_list(self, key: str, items: list[str]) -> list[str]:
        self._store.setValue(key, json.dumps(items, ensure_ascii=False))
        return items
