"""Where the app keeps its files. GLM_STUDIO_HOME moves everything (tests, portable installs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

APP_NAME = "GLM-Image Studio"


def _home() -> Path | None:
    value = os.environ.get("GLM_STUDIO_HOME")
    return Path(value) if value else None


def user_data_dir() -> Path:
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_log_dir() -> Path:
    home = _home()
    path = home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_cache_dir() -> Path:
    home = _home()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_file() -> Path | None:
    """The window's settings as an ini file under GLM_STUDIO_HOME when it is set; None means the
    per-user native store (~/.config on Linux, the registry on Windows, a plist on macOS)."""
    home = _home()
    if not home:
        return None
    home.mkdir(parents=True, exist_ok=True)
    return home / "settings.ini"


@contextmanager
def onnxruntime_cache() -> Iterator[None]:
    """Import onnxruntime inside this: it writes a device id under $XDG_CACHE_HOME (else ~/.cache)
    when imported, pointed here at the app's own cache so nothing lands outside GLM_STUDIO_HOME."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(user_cache_dir() / "onnxruntime")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved
