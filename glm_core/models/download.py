"""Download a hub model into huggingface_hub's cache: only the files the pipeline needs, with
progress, cancel, retry, resume, a disk-space check up front and clear token errors.

Why weights do not go through snapshot_download alone (checked in huggingface_hub 1.33): it
writes each file to a process-unique temporary file and deletes it on any failure, so a
cancelled or crashed 5 GB shard starts again from zero; only its own retries inside one request
resume (Range). With ~35 GB in a few big shards downloading in parallel, a cancel late in the
download would throw most of it away. So LFS files (the weights) are fetched here with the hub's
own `http_get` into <etag>.glm-studio.part next to the blobs, resumed with a Range request after
a cancel, a failed attempt or a restart, checked against their sha256, and moved to where the hub
expects the finished blob. snapshot_download then runs as usual: it fetches the small files,
links everything into the snapshot folder and records refs and the file listing, so the cache is
plain huggingface_hub cache that the loader (and any HF tool) reads offline.

Transport: plain HTTP, with Xet switched off for our downloads. With hf_xet, progress arrives on
a thread hf_xet owns and an exception raised there is swallowed (huggingface_hub#4632), so Cancel
would not stop the transfer. A few parallel HTTP connections fill a home connection anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from glm_core.models import hub_cache, hub_token
from glm_core.models.download_errors import Damaged, DownloadError, NotEnoughDiskSpace, final_error, short
from glm_core.models.download_progress import DownloadCancelled, DownloadProgress, ProgressTracker, fmt_bytes

log = logging.getLogger(__name__)

DISK_MARGIN_BYTES = 2 * 10**9  # leave room for the OS, the app's outputs and the hub's small temporary files
CHUNK_BYTES = 2**20  # the hub reads 10 MiB per update: progress and cancel would lag by that much per file
MAX_WORKERS = 4  # files at a time; more only splits the same bandwidth


_one_at_a_time = threading.Lock()  # the hub settings below are process-wide


@contextlib.contextmanager
def _hub_settings():
    from huggingface_hub import constants

    saved = constants.DOWNLOAD_CHUNK_SIZE, constants.HF_HUB_DISABLE_XET
    constants.DOWNLOAD_CHUNK_SIZE, constants.HF_HUB_DISABLE_XET = CHUNK_BYTES, True
    try:
        yield
    finally:
        constants.DOWNLOAD_CHUNK_SIZE, constants.HF_HUB_DISABLE_XET = saved


def download(
    repo_id: str,
    revision: str | None = None,
    on_progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    token: str | None = None,
    *,
    retries: int = 3,
    backoff_s: float = 2.0,
    max_workers: int = MAX_WORKERS,
) -> Path:
    """Download (or finish downloading) `repo_id` and return its snapshot folder.

    `on_progress` is called from download threads, never two at a time. `cancel.set()` stops
    within one network chunk per file and raises DownloadCancelled; what arrived is kept and the
    next call resumes it. Dropped connections and server errors are retried `retries` times,
    waiting backoff_s, 2*backoff_s, ... With HF_HUB_OFFLINE=1 only the cache is read."""
    from huggingface_hub import constants

    cancel = cancel or threading.Event()
    tracker = ProgressTracker(on_progress, cancel)
    if constants.HF_HUB_OFFLINE:
        return _from_cache(repo_id, revision, tracker)
    token = hub_token.resolve_token(token)
    if not _one_at_a_time.acquire(blocking=False):
        raise DownloadError("Another model download is already running: wait for it to finish or cancel it.")
    try:
        with _hub_settings():
            for attempt in range(retries + 1):
                try:
                    return _attempt(repo_id, revision, token, tracker, max_workers)
                except DownloadCancelled:
                    raise
                except Exception as exc:  # noqa: BLE001 - sorted into final and retryable below
                    final = final_error(exc, repo_id, revision, token is not None)
                    if final is exc:
                        raise
                    if final is not None:
                        raise final from exc
                    if attempt == retries:
                        with contextlib.suppress(DownloadError):  # the hub is unreachable, but it may all be here
                            return _from_cache(repo_id, revision, tracker)
                        raise DownloadError(
                            f"Downloading {repo_id} failed {retries + 1} times ({short(exc)}). Check the "
                            "connection and start it again: it resumes where it stopped."
                        ) from exc
                    delay = backoff_s * 2**attempt
                    log.warning("download of %s failed (%s); retrying in %.1f s", repo_id, short(exc), delay)
                    tracker.set_phase("retrying")
                    if cancel.wait(delay):
                        raise DownloadCancelled() from None
    finally:
        _one_at_a_time.release()
    raise AssertionError("unreachable")


def _attempt(repo_id: str, revision: str | None, token: str | None, tracker: ProgressTracker, workers: int) -> Path:
    from huggingface_hub import HfApi, snapshot_download

    from glm_core.models.loader import MODEL_FILE_PATTERNS

    api = HfApi()
    tracker.set_phase("checking")
    resolved = api.resolve_revision(repo_id, revision=revision, token=token)  # also records refs/<revision>
    commit = resolved.resolved
    files = list_model_files(api, repo_id, commit, token)
    total = sum(f.size for f in files)
    present = hub_cache.present_bytes(repo_id, commit, files)
    check_disk_space(repo_id, total - present)
    tracker.start(total, present)
    _fetch_weights(repo_id, commit, files, token, tracker, workers)
    tracker.set_phase("finishing")
    folder = snapshot_download(
        repo_id, revision=resolved, allow_patterns=MODEL_FILE_PATTERNS, token=token,
        tqdm_class=tracker.snapshot_bar(), max_workers=workers,
    )
    tracker.finish()
    return Path(folder)


def list_model_files(api, repo_id: str, commit: str, token: str | None) -> list[hub_cache.RemoteFile]:
    """The files the pipeline needs at `commit`, with sizes and (weights) sha256, from the hub's tree listing."""
    from huggingface_hub.hf_api import RepoFile

    entries = [e for e in api.list_repo_tree(repo_id, recursive=True, revision=commit, token=token) if isinstance(e, RepoFile)]
    wanted = set(hub_cache.model_files([e.path for e in entries]))
    return [
        hub_cache.RemoteFile(e.path, e.lfs.size if e.lfs else e.size, e.blob_id, e.lfs.sha256 if e.lfs else None)
        for e in entries if e.path in wanted
    ]


def check_disk_space(repo_id: str, remaining: int) -> None:
    if remaining <= 0:
        return
    folder = hub_cache.storage_folder(repo_id)
    free = hub_cache.free_disk_bytes(folder)
    needed = remaining + DISK_MARGIN_BYTES
    if free < needed:
        raise NotEnoughDiskSpace(
            f"Not enough disk space for {repo_id}: {fmt_bytes(remaining)} still to download plus "
            f"{fmt_bytes(DISK_MARGIN_BYTES)} headroom, but only {fmt_bytes(free)} free on the disk "
            f"holding {folder.parent}. Free some space, or move the model cache with HF_HOME.",
            needed, free, folder,
        )


def _fetch_weights(repo_id, commit, files, token, tracker: ProgressTracker, workers: int) -> None:
    snapshot = hub_cache.snapshot_folder(repo_id, commit)
    todo = [f for f in files if f.sha256 and not (snapshot / f.path).exists()]
    if not todo:
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_fetch_one, repo_id, commit, f, token, tracker) for f in todo]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            tracker.stop.set()  # the others stop at their next chunk; their partial files stay
            for future in futures:
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
            tracker.stop.clear()


def _fetch_one(repo_id: str, commit: str, f: hub_cache.RemoteFile, token: str | None, tracker: ProgressTracker) -> None:
    from filelock import FileLock, Timeout
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import are_symlinks_supported, http_get
    from huggingface_hub.utils import build_hf_headers

    tracker.check()
    url = hf_hub_url(repo_id, f.path, revision=commit)
    meta = get_hf_file_metadata(url, token=token)
    blob = hub_cache.storage_folder(repo_id) / "blobs" / (meta.etag or f.blob_name)  # named as the hub will look for it
    if blob.exists():
        return
    part = blob.with_name(blob.name + hub_cache.PART_SUFFIX)
    part.parent.mkdir(parents=True, exist_ok=True)
    headers = build_hf_headers(token=token)
    if _host(meta.location) != _host(url):
        headers.pop("authorization", None)  # a signed CDN link must not receive the token
    # Beside the hub's own locks, so no lock file is left among the blobs.
    lock_path = hub_cache.cache_dir() / ".locks" / hub_cache.storage_folder(repo_id).name / f"{blob.name}.glm-studio.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadError(f"{f.path} is being downloaded by another program right now: wait for it, then retry.") from None
    try:
        with open(part, "ab") as out:
            if out.tell() > f.size:  # longer than the file: not ours to trust
                out.truncate(0)
            http_get(meta.location, out, resume_size=out.tell(), headers=headers, expected_size=f.size,
                     displayed_filename=f.path, tqdm_class=tracker.file_bar(f.path))
        tracker.set_phase("verifying", f.path)
        if f.sha256 and _sha256(part, tracker) != f.sha256:
            part.unlink()
            raise Damaged(f"{f.path} arrived damaged (checksum mismatch)")
        if are_symlinks_supported(hub_cache.cache_dir()):
            os.replace(part, blob)  # snapshot_download links it into the snapshot
        else:  # the hub would copy a pre-existing blob (twice the disk): put the file where it will look first
            pointer = hub_cache.snapshot_folder(repo_id, commit) / f.path
            pointer.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, pointer)
        tracker.set_phase("downloading", f.path)
    finally:
        lock.release()


def _sha256(path: Path, tracker: ProgressTracker) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 2**20):
            tracker.check()  # hashing a 5 GB shard takes seconds: stay cancellable
            digest.update(chunk)
    return digest.hexdigest()


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


def _from_cache(repo_id: str, revision: str | None, tracker: ProgressTracker) -> Path:
    """Offline: the cached snapshot if it is complete; zero network requests."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    from glm_core.models.loader import MODEL_FILE_PATTERNS

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=MODEL_FILE_PATTERNS, local_files_only=True))
    except LocalEntryNotFoundError as exc:
        raise DownloadError(
            f"{repo_id} is not completely in the model cache, and the app is offline (HF_HUB_OFFLINE=1): "
            "connect and unset HF_HUB_OFFLINE to download it."
        ) from exc
    tracker.set_phase("done")
    return folder
