"""Autosave and crash recovery.

Each running app (a session) owns two files in the autosave folder:

    session-<id>.json        the marker: pid and the process's start time, written at start
    session-<id>.glmstudio   the latest autosave (glm_core.project.file, written atomically)

close() deletes both. So at the next start, an autosave whose marker names a process that is
gone is the work of a session that crashed (or was killed, or lost power): crashed_sessions()
lists it for recovery. A pid alone is not enough, since the system reuses pids: the start time
tells a reused pid from the original process.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psutil

from glm_core.files import atomic_write_bytes, remove_stale_temp_files
from glm_core.paths import user_data_dir
from glm_core.project.file import PROJECT_SUFFIX, load_project, save_project
from glm_core.project.model import Project

_PREFIX = "session-"
_SESSION = re.compile(r"[0-9a-f]{16}")
_MAX_MARKER_BYTES = 4096


@dataclass(frozen=True)
class AutosaveEntry:
    """An autosave left behind by a session that did not close cleanly."""

    session_id: str
    path: Path
    saved_at: datetime  # when it was last written (the file's modification time)
    pid: int | None  # of the crashed process; None if its marker was lost


def _alive(pid: int, started: float | None) -> bool:
    """Whether the process that wrote a marker is still running."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False  # exited, merely not reaped by its parent yet
        # A different start time means the system gave the dead process's pid to another.
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # someone else's running process: never take its autosave


class AutosaveStore:
    """The autosave of this session, and recovery of crashed ones. Not thread-safe: call it
    from one thread (saving a large project takes a moment, so a worker thread is best)."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else user_data_dir() / "autosave"
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(self.folder)  # saves killed midway, by any earlier session
        self.session_id = secrets.token_hex(8)
        self._closed = False
        pid = os.getpid()
        marker = {"pid": pid, "process_started": psutil.Process(pid).create_time(),
                  "opened": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        atomic_write_bytes(self._marker(self.session_id), json.dumps(marker).encode())

    @property
    def path(self) -> Path:
        """This session's autosave file."""
        return self._autosave(self.session_id)

    def _marker(self, session_id: str) -> Path:
        return self.folder / f"{_PREFIX}{session_id}.json"

    def _autosave(self, session_id: str) -> Path:
        return self.folder / f"{_PREFIX}{session_id}{PROJECT_SUFFIX}"

    def save(self, project: Project) -> None:
        """Write the autosave atomically: a crash mid-save keeps the previous autosave."""
        if self._closed:
            raise RuntimeError("this autosave session is closed")
        save_project(project, self.path, overwrite=True)

    def close(self) -> None:
        """A clean shutdown: nothing is left to recover. Safe to call twice."""
        # The autosave first: a crash between the two leaves a marker without an autosave,
        # which crashed_sessions() tidies away, never an autosave that looks crashed.
        self.path.unlink(missing_ok=True)
        self._marker(self.session_id).unlink(missing_ok=True)
        self._closed = True

    def __enter__(self) -> AutosaveStore:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()  # after an exception the autosave stays, to be recovered

    def crashed_sessions(self) -> list[AutosaveEntry]:
        """Autosaves of sessions whose process is gone, newest first."""
        found = []
        for path in self.folder.glob(f"{_PREFIX}*"):
            name = path.name.removeprefix(_PREFIX)
            session_id, _, suffix = name.partition(".")
            if not _SESSION.fullmatch(session_id) or session_id == self.session_id:
                continue
            marker = self._read_marker(session_id)
            if "." + suffix == PROJECT_SUFFIX:
                if marker is None or not _alive(**marker):
                    with contextlib.suppress(OSError):  # deleted meanwhile
                        saved = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
                        found.append(AutosaveEntry(session_id, path, saved,
                                                   marker["pid"] if marker else None))
            elif suffix == "json" and not self._autosave(session_id).exists() \
                    and (marker is None or not _alive(**marker)):
                path.unlink(missing_ok=True)  # a crash before the first autosave: tidy up
        return sorted(found, key=lambda e: e.saved_at, reverse=True)

    def _read_marker(self, session_id: str) -> dict | None:
        """The marker's pid and start time, or None if it is missing or unreadable."""
        try:
            with open(self._marker(session_id), "rb") as f:
                data = json.loads(f.read(_MAX_MARKER_BYTES))
            pid, started = data["pid"], data["process_started"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31 \
                or not isinstance(started, (int, float, type(None))):
            return None
        return {"pid": pid, "started": started}

    def recover(self, entry: AutosaveEntry) -> Project:
        """The crashed session's document (ProjectError if the autosave is damaged). The entry
        stays until discard(): call it once this session has saved the document."""
        return load_project(self._own_path(entry))

    def discard(self, entry: AutosaveEntry) -> None:
        """Delete a crashed session's autosave and marker."""
        self._own_path(entry).unlink(missing_ok=True)
        self._marker(entry.session_id).unlink(missing_ok=True)
        # A save killed midway leaves its temporary file (named by files.temp_path); its
        # writer may be a reused pid, so the session's own are removed whatever the pid.
        for litter in self.folder.glob(f".{_PREFIX}{entry.session_id}.*.tmp"):
            litter.unlink(missing_ok=True)

    def _own_path(self, entry: AutosaveEntry) -> Path:
        # Rebuilt from the id rather than taken from entry.path: only files of this folder.
        if not _SESSION.fullmatch(entry.session_id) or entry.session_id == self.session_id:
            raise ValueError(f"{entry.session_id!r} is not a crashed session")
        return self._autosave(entry.session_id)
