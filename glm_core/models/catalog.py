"""The models this app knows: the official GLM-Image, other hub repos downloaded with it, and
local folders the user added, remembered in models.json, for the model dialog and the CLI.

Everything here is plain data and plain calls; long calls take `on_progress` and a
threading.Event `cancel` and are meant to run in a worker thread. Nothing here touches the
network except download() and repair(); with HF_HUB_OFFLINE=1 not even those.

    entries = known_models()                                   # list[ModelEntry], cheap, offline
    folder = download(OFFICIAL_REPO_ID, on_progress=cb, cancel=event, token=None)  # and remember it

Verify and repair are glm_core.models.verify; tokens glm_core.models.hub_token.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from glm_core.models import hub_cache
from glm_core.models.download_progress import DownloadProgress
from glm_core.files import atomic_write_bytes
from glm_core import OFFICIAL_REPO_ID
from glm_core.models.load_report import LoadError
from glm_core.models.model_folder import check_model_folder
from glm_core.models.download import download as _download
from glm_core.paths import user_data_dir

REGISTRY_FILE = "models.json"
log = logging.getLogger(__name__)
_registry_lock = threading.Lock()


@dataclass(frozen=True)
class ModelEntry:
    id: str  # hub repo id, or the folder path for a local folder: what LoadOptions(source=...) takes
    name: str  # for display
    source: str  # "hub" | "folder"
    revision: str | None  # hub: the revision used ("main" unless pinned); folder: None
    location: Path  # the model folder, or for a hub model not yet downloaded the cache folder it will go to
    total_bytes: int | None  # expected size; None when unknown
    present_bytes: int  # bytes on disk, partial downloads included
    complete: bool  # every file the pipeline needs is there (sizes from the listing; verify() checks deeper)
    free_bytes: int  # free space on the disk holding `location`
    size_is_estimate: bool = False  # total_bytes comes from the bundled facts, not from the hub's listing
    official: bool = False

    @property
    def fraction(self) -> float:
        return min(1.0, self.present_bytes / self.total_bytes) if self.total_bytes else (1.0 if self.complete else 0.0)


def known_models() -> list[ModelEntry]:
    """The official model first, then other downloaded repos, then local folders. Disk only."""
    registry = _read_registry()
    official_revision = _official_info().get("revision", "main")
    entries = [_hub_entry(OFFICIAL_REPO_ID, official_revision, official=True)]
    entries += [_hub_entry(r["id"], r.get("revision") or "main") for r in registry["repos"] if r["id"] != OFFICIAL_REPO_ID]
    entries += [_folder_entry(Path(f["path"]), f.get("name")) for f in registry["folders"]]
    return entries


def download(repo_id: str, revision: str | None = None, on_progress: Callable[[DownloadProgress], None] | None = None,
             cancel: threading.Event | None = None, token: str | None = None, **kwargs) -> Path:
    """See glm_core.models.download.download; a finished repo is also remembered for known_models()."""
    folder = _download(repo_id, revision, on_progress=on_progress, cancel=cancel, token=token, **kwargs)
    if repo_id != OFFICIAL_REPO_ID:
        _remember("repos", {"id": repo_id, "revision": revision})
    return folder


def add_local_folder(folder: str | Path, name: str | None = None) -> ModelEntry:
    """Remember a GLM-Image pipeline folder (checked first: LoadError says what is wrong)."""
    folder = Path(folder).expanduser().resolve()
    check_model_folder(folder)
    _remember("folders", {"path": str(folder), "name": name or folder.name})
    return _folder_entry(folder, name)


def forget_model(model_id: str) -> bool:
    """Drop a local folder or a downloaded repo from the list (files on disk are left alone)."""
    with _registry_lock:
        registry = _read_registry()
        before = len(registry["folders"]) + len(registry["repos"])
        registry["folders"] = [f for f in registry["folders"] if f["path"] != str(Path(model_id).expanduser().resolve())
                               and f["path"] != model_id]
        registry["repos"] = [r for r in registry["repos"] if r["id"] != model_id]
        changed = before != len(registry["folders"]) + len(registry["repos"])
        if changed:
            _write_registry(registry)
    return changed


def _official_info() -> dict:
    from glm_core.models.memory import known_model_info

    return known_model_info()


def _hub_entry(repo_id: str, revision: str, official: bool = False) -> ModelEntry:
    commit = hub_cache.cached_commit(repo_id, revision)
    listing = hub_cache.cached_listing(repo_id, commit) if commit else None
    snapshot = hub_cache.snapshot_folder(repo_id, commit) if commit else None
    if listing is not None:
        total = sum(f.size for f in listing)
        # The cached listing names LFS files by their pointer's id, so partial weights are not
        # matched by present_bytes; they are added from the .part files instead.
        present = hub_cache.present_bytes(repo_id, commit, listing) + hub_cache.partial_bytes(repo_id)
        complete = all((snapshot / f.path).exists() for f in listing)
        estimate = False
    else:
        total = _official_info().get("download_bytes") if official else None
        present, complete, estimate = hub_cache.partial_bytes(repo_id), False, official
    location = snapshot if snapshot is not None and snapshot.is_dir() else hub_cache.storage_folder(repo_id)
    return ModelEntry(
        id=repo_id, name="GLM-Image (official)" if official else repo_id, source="hub", revision=revision,
        location=location, total_bytes=total, present_bytes=min(present, total) if total else present,
        complete=complete, free_bytes=hub_cache.free_disk_bytes(location), size_is_estimate=estimate, official=official,
    )


def _folder_entry(folder: Path, name: str | None) -> ModelEntry:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    size = sum(p.stat().st_size for p in files)
    try:
        check_model_folder(folder)
        complete = True
    except LoadError:
        complete = False
    return ModelEntry(
        id=str(folder), name=name or folder.name, source="folder", revision=None, location=folder,
        total_bytes=size if folder.is_dir() else None, present_bytes=size, complete=complete,
        free_bytes=hub_cache.free_disk_bytes(folder),
    )


def _registry_path() -> Path:
    return user_data_dir() / REGISTRY_FILE


def _read_registry() -> dict:
    try:
        data = json.loads(_registry_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as exc:  # a damaged list must not hide the official model
        log.warning("ignoring unreadable %s (%s)", _registry_path(), exc)
        data = {}
    return {"version": 1, "folders": list(data.get("folders", [])), "repos": list(data.get("repos", []))}


def _write_registry(registry: dict) -> None:
    atomic_write_bytes(_registry_path(), json.dumps(registry, indent=2).encode("utf-8"))


def _remember(kind: str, item: dict) -> None:
    key = "path" if kind == "folders" else "id"
    with _registry_lock:
        registry = _read_registry()
        registry[kind] = [x for x in registry[kind] if x.get(key) != item[key]] + [item]
        _write_registry(registry)
