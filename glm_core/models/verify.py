"""Is a model folder whole? Components, safetensors headers, sizes (and optionally checksums),
read from the disk only; and repair of a hub download by fetching just the damaged files again.

A safetensors file is an 8-byte little-endian header length, a JSON header mapping each tensor to
its dtype, shape and [begin, end) byte range, then the data. Reading only the header catches a
truncated download, a file that is not safetensors at all and a header that disagrees with itself,
in milliseconds for 35 GB. Bit rot inside the data needs checksums=True: the hub names a weight
blob by its sha256, so that is compared (seconds per GB).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from glm_core.models import hub_cache
from glm_core.models.download_progress import DownloadCancelled

MAX_HEADER_BYTES = 100 * 2**20  # the format's own reference reader refuses bigger headers
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
               "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1}
WEIGHT_COMPONENTS = ("text_encoder", "vision_language_encoder", "vae", "transformer")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RepairError(RuntimeError):
    pass


@dataclass(frozen=True)
class FileProblem:
    path: str  # relative to the model folder, '/'-separated; '' for the folder as a whole
    kind: str  # missing | truncated | corrupt | size | checksum | component
    detail: str


@dataclass
class VerifyReport:
    folder: Path | None
    repo_id: str | None = None  # set for hub downloads: these can be repaired
    commit: str | None = None
    problems: list[FileProblem] = field(default_factory=list)
    files_checked: int = 0
    notes: list[str] = field(default_factory=list)  # limits of this check, e.g. no sizes to compare with

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_paths(self) -> list[str]:
        return [p.path for p in self.problems if p.path and "*" not in p.path]

    def message(self) -> str:
        if self.ok:
            return f"{self.folder}: every component present, {self.files_checked} weight files sound."
        if self.folder is None:  # nothing to look at: the one problem says why
            return self.problems[0].detail
        lines = [f"{p.path}: {p.detail}" if p.path else p.detail for p in self.problems[:8]]
        if len(self.problems) > 8:
            lines.append(f"… and {len(self.problems) - 8} more")
        fix = (f"repair it (python main.py models verify --repair {self.repo_id})" if self.repo_id
               else "copy or download the model again")
        return f"{len(self.problems)} problem(s) in {self.folder}; {fix}:\n  " + "\n  ".join(lines)

    def _add(self, path: str, kind: str, detail: str) -> None:
        if path and any(p.path == path for p in self.problems):
            return  # one problem per file is enough to re-fetch it
        self.problems.append(FileProblem(path, kind, detail))


def verify(target: str | Path, revision: str | None = None, checksums: bool = False,
           cancel: threading.Event | None = None) -> VerifyReport:
    """Check a model folder, or the cached download of a hub repo id. Never uses the network.
    `cancel.set()` raises DownloadCancelled (checksums of 35 GB take minutes)."""
    folder = Path(target).expanduser()
    if not folder.is_dir():
        repo_id = str(target)
        if repo_id.count("/") != 1 or repo_id.startswith((".", "/", "~")):
            return VerifyReport(None, problems=[FileProblem("", "missing", f"'{target}' is not a folder or a hub id")])
        commit = hub_cache.cached_commit(repo_id, revision)
        folder = hub_cache.snapshot_folder(repo_id, commit) if commit else None
        if folder is None or not folder.is_dir():
            return VerifyReport(None, repo_id, commit, [FileProblem("", "missing", f"{repo_id} is not downloaded")])
    parsed = hub_cache.parse_snapshot_folder(folder)
    report = VerifyReport(folder, *(parsed or (None, None)))
    _check_components(report)
    if parsed:
        listing = hub_cache.cached_listing(*parsed)
        if listing is None:
            report.notes.append("no file listing is cached for this download: sizes were not compared with the hub")
        for f in listing or []:
            path = folder / f.path
            if not path.exists():  # a dangling link counts as missing
                report._add(f.path, "missing", "missing")
            elif path.stat().st_size != f.size:
                size = path.stat().st_size
                report._add(f.path, "truncated" if size < f.size else "size", f"has {size} bytes, the hub lists {f.size}")
    for path in sorted(folder.rglob("*.safetensors")):
        rel = path.relative_to(folder).as_posix()
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled()  # a half-done check must not look like a clean one
        report.files_checked += 1
        problem = check_safetensors(path)
        if problem:
            report._add(rel, *problem)
        elif checksums:
            _check_sum(report, path, rel, cancel)
    return report


def _check_components(report: VerifyReport) -> None:
    from glm_core.models.load_report import LoadError
    from glm_core.models.model_folder import check_model_folder

    folder = report.folder
    try:
        check_model_folder(folder)
    except LoadError as exc:
        report._add("", "component", str(exc))
    for name in WEIGHT_COMPONENTS:
        part = folder / name
        if not part.is_dir():
            continue
        if not any(part.glob("*.safetensors")):
            report._add(f"{name}/*.safetensors", "missing", f"{name} has no weights")
        for index in part.glob("*.safetensors.index.json"):
            try:
                shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
            except (OSError, ValueError, KeyError, AttributeError) as exc:
                report._add(index.relative_to(folder).as_posix(), "corrupt", f"unreadable shard index ({exc})")
                continue
            for shard in sorted(shards):
                if not (part / shard).exists():
                    report._add(f"{name}/{shard}", "missing", f"missing (listed in {index.name})")


def check_safetensors(path: Path) -> tuple[str, str] | None:
    """(kind, detail) of what is wrong with a safetensors file, judged from its header; None if sound."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return "truncated", f"only {size} bytes: not even a safetensors header"
            length = int.from_bytes(head, "little")
            if length > MAX_HEADER_BYTES or 8 + length > size:
                return "corrupt", f"header length {length} does not fit a {size}-byte file"
            header = json.loads(fh.read(length).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return "corrupt", f"unreadable safetensors header ({type(exc).__name__})"
    if not isinstance(header, dict):
        return "corrupt", "the safetensors header is not a table of tensors"
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, stop = (int(x) for x in info["data_offsets"])
            numel = 1
            for dim in info["shape"]:
                numel *= int(dim)
        except (TypeError, KeyError, ValueError):
            return "corrupt", f"tensor {name!r} has a malformed header entry"
        itemsize = DTYPE_BYTES.get(info.get("dtype"))
        if stop < begin or (itemsize is not None and stop - begin != numel * itemsize):
            return "corrupt", f"tensor {name!r}: byte range {begin}..{stop} does not match its shape"
        end = max(end, stop)
    expected = 8 + length + end
    if size < expected:
        return "truncated", f"has {size} bytes, its header describes {expected}"
    if size > expected:
        return "size", f"has {size - expected} bytes more than its header describes"
    return None


def _check_sum(report: VerifyReport, path: Path, rel: str, cancel) -> None:
    name = path.resolve().name if path.is_symlink() else ""
    if not _SHA256.match(name):
        return  # only hub blobs carry their hash in their name
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 2**20):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled()
            digest.update(chunk)
    if digest.hexdigest() != name:
        report._add(rel, "checksum", "its content does not match its sha256 (damaged on disk)")


def repair(repo_id: str, report: VerifyReport, on_progress: Callable | None = None,
           cancel: threading.Event | None = None, token: str | None = None) -> VerifyReport:
    """Delete the damaged files of a hub download (their blobs too), fetch them again, verify again."""
    from glm_core.models.download import download

    if report.repo_id is not None and report.repo_id != repo_id:
        raise RepairError(f"This report is about {report.repo_id}, not {repo_id}.")
    if report.folder is not None and report.repo_id is None:
        raise RepairError(f"'{report.folder}' is not a hub download: copy or download the model again.")
    if report.ok:
        return report
    if report.folder is not None:
        for rel in report.bad_paths:
            _remove(report.folder / rel)
        for link in report.folder.rglob("*"):  # other names for a deleted blob now dangle
            if link.is_symlink() and not link.exists():
                link.unlink()
    folder = download(repo_id, revision=report.commit, on_progress=on_progress, cancel=cancel, token=token)
    return verify(folder)


def _remove(path: Path) -> None:
    if path.is_symlink():
        blob = path.resolve()
        path.unlink()
        blob.unlink(missing_ok=True)  # the damaged content itself, or the hub would link it again
    elif path.is_file():
        path.unlink()
