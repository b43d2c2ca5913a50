"""Crash-safe file writing, shared by image export and project saving.

A half-written PNG or project file after a crash, a full disk or a power cut would destroy the
user's previous copy. So every save goes to a temporary file in the same folder (os.replace is
only atomic within one file system), is flushed and fsynced, and only then renamed over the
target. If anything fails, the temporary file is removed and the old file is left untouched.

A process killed mid-save cannot remove its temporary file, so the name carries the writer's
pid, `.NAME.<pid>-<hex>.tmp`: remove_stale_temp_files deletes those whose writer is gone
(called by the next save of the same file and by the autosave store at start-up).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import psutil

_TEMP_NAME = re.compile(r"\..+\.(\d{1,10})-[0-9a-f]{8}\.tmp")


def temp_path(path: Path) -> Path:
    """The hidden temporary file a save of `path` writes first (see the module docstring)."""
    return path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def remove_stale_temp_files(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Delete the temporary files in `folder` (of saves of `name` only, when given) whose
    writing process is no longer running; returns what was deleted."""
    pattern = f".{glob.escape(name)}.*.tmp" if name is not None else ".*.tmp"
    removed = []
    for tmp in Path(folder).glob(pattern):
        match = _TEMP_NAME.fullmatch(tmp.name)
        if match is None or psutil.pid_exists(int(match.group(1))):
            continue  # not ours, or a save still running in another instance
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def refuse_overwrite(path: str | os.PathLike) -> None:
    """Raise FileExistsError (with a message saying what to do) if `path` already exists."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(
            f"'{path}' already exists: choose another file name, or allow overwriting "
            f"(--overwrite on the command line) to replace it."
        )


def atomic_save(
    path: str | os.PathLike,
    write_fn: Callable[[BinaryIO], object],
    *,
    overwrite: bool = True,
) -> None:
    """Call `write_fn(file)` on a temporary binary file, then move it onto `path` atomically.

    With overwrite=False an existing `path` is refused, even one created by another program
    while `write_fn` ran (a hard link cannot replace an existing file).
    """
    path = Path(path)
    if not overwrite:
        refuse_overwrite(path)  # fail before doing the (possibly slow) work
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temp_files(folder, path.name)  # left by an earlier save that was killed
    # A hidden, random name in the same folder: the same file system, and no clash with a
    # second save running at the same time. os.open with 0o666 lets the umask decide the
    # permissions, as for any normally created file (mkstemp would force 0600).
    tmp = temp_path(folder / path.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        if overwrite:
            os.replace(tmp, path)
        else:
            _move_no_clobber(tmp, path)
    except BaseException:
        # BaseException too: a KeyboardInterrupt mid-write must not leave litter behind.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> None:
    """Write `data` to `path` atomically (see atomic_save)."""
    atomic_save(path, lambda f: f.write(data), overwrite=overwrite)


def _move_no_clobber(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic, and fails if `path` exists
    except FileExistsError:
        refuse_overwrite(path)  # raises with the user-facing message
        raise
    except OSError:
        # File systems without hard links (FAT, some network shares): check, then rename.
        # There is a tiny race window here, which is the best these file systems allow.
        refuse_overwrite(path)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable. POSIX only; Windows cannot open folders, so skip."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
