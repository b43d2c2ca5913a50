"""What of a hub model is on this disk: read from huggingface_hub's own cache, never from the network.

Layout (huggingface_hub 1.x): <HF_HUB_CACHE>/models--org--name/ holds refs/<branch> (a commit hash),
snapshots/<commit>/<path> (symlinks into blobs/, or plain copies where symlinks are unsupported),
blobs/<etag> (sha256 for LFS files, the git blob id for the others) and trees/<commit>.json (the
file listing with sizes, written by snapshot_download). Our own resumable partial downloads live
next to the blobs as <etag>.glm-studio.part, so deleting the repo folder removes them too.
Hub paths are read from `huggingface_hub.constants` at call time, so tests can point them elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PART_SUFFIX = ".glm-studio.part"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repo, '/'-separated
    size: int
    blob_id: str  # git blob id (of the LFS pointer, for LFS files)
    sha256: str | None = None  # LFS files only: the content hash, also the blob's name in the cache

    @property
    def blob_name(self) -> str:
        return self.sha256 or self.blob_id


def cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE).expanduser()


def storage_folder(repo_id: str) -> Path:
    from huggingface_hub.file_download import repo_folder_name

    return cache_dir() / repo_folder_name(repo_id=repo_id, repo_type="model")


def cached_commit(repo_id: str, revision: str | None = None) -> str | None:
    """The commit a branch or tag points to in the cache (a commit hash is its own answer)."""
    revision = revision or "main"
    if _COMMIT.match(revision):
        return revision
    ref = storage_folder(repo_id) / "refs" / revision
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def snapshot_folder(repo_id: str, commit: str) -> Path:
    return storage_folder(repo_id) / "snapshots" / commit


def parse_snapshot_folder(folder: Path) -> tuple[str, str] | None:
    """(repo id, commit) when `folder` is a model snapshot inside a hub cache, else None."""
    folder = Path(folder)
    if folder.parent.name != "snapshots" or not _COMMIT.match(folder.name):
        return None
    repo_folder = folder.parent.parent.name
    if not repo_folder.startswith("models--"):
        return None
    return repo_folder.removeprefix("models--").replace("--", "/", 1), folder.name


def model_files(paths):
    """Only the files the pipeline needs (the loader's patterns): never .bin/.pt or READMEs."""
    from huggingface_hub.utils import filter_repo_objects

    from glm_core.models.loader import MODEL_FILE_PATTERNS

    return list(filter_repo_objects(paths, allow_patterns=MODEL_FILE_PATTERNS))


def cached_listing(repo_id: str, commit: str) -> list[RemoteFile] | None:
    """The model files of `commit` as the hub listed them at download time (None: never listed)."""
    from huggingface_hub import get_cached_repo_tree
    from huggingface_hub.errors import CachedRepoTreeNotFoundError

    try:
        files = get_cached_repo_tree(repo_id, revision=commit, cache_dir=cache_dir())
    except (CachedRepoTreeNotFoundError, OSError, ValueError):
        return None
    wanted = set(model_files([f.path for f in files]))
    return [RemoteFile(f.path, f.size, f.blob_id) for f in files if f.path in wanted]


def part_path(repo_id: str, blob_name: str) -> Path:
    return storage_folder(repo_id) / "blobs" / f"{blob_name}{PART_SUFFIX}"


def present_bytes(repo_id: str, commit: str | None, files: list[RemoteFile]) -> int:
    """Bytes of `files` already on disk: finished files in full, our partial downloads as far as they got."""
    storage = storage_folder(repo_id)
    total = 0
    for f in files:
        pointer = storage / "snapshots" / commit / f.path if commit else None
        if (pointer is not None and pointer.exists()) or (storage / "blobs" / f.blob_name).is_file():
            total += f.size
            continue
        part = part_path(repo_id, f.blob_name)
        if part.is_file():
            total += min(part.stat().st_size, f.size)
    return total


def partial_bytes(repo_id: str) -> int:
    """All our partial downloads of a repo, whatever commit they belong to (for listings without sizes)."""
    blobs = storage_folder(repo_id) / "blobs"
    return sum(p.stat().st_size for p in blobs.glob(f"*{PART_SUFFIX}")) if blobs.is_dir() else 0


def free_disk_bytes(path: Path) -> int:
    """Free space on the disk that holds `path` (or would: the nearest existing parent)."""
    import shutil

    path = Path(path).expanduser().absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0
