"""Temporary files of atomic saves: one naming scheme (`.NAME.<pid>-<hex>.tmp`), and those whose
writer is gone (a save killed midway) are removed at start-up and by the next save."""

from __future__ import annotations

import os
import subprocess
import sys

from glm_core.files import atomic_write_bytes, remove_stale_temp_files, temp_path
from glm_core.project.autosave import AutosaveStore


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_save_writes_through_a_temp_file_named_with_its_pid(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append(os.path.basename(src)),
                                                         real_replace(src, dst)))
    atomic_write_bytes(tmp_path / "poster.png", b"data")
    [name] = seen
    assert name.startswith(f".poster.png.{os.getpid()}-") and name.endswith(".tmp")
    assert temp_path(tmp_path / "poster.png").name.startswith(f".poster.png.{os.getpid()}-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poster.png"]


def test_start_up_removes_temp_files_of_dead_processes_and_keeps_live_ones(tmp_path):
    dead = tmp_path / f".session-0123456789abcdef.glmstudio.{dead_pid()}-1234abcd.tmp"
    live = tmp_path / f".session-fedcba9876543210.glmstudio.{os.getpid()}-5678abcd.tmp"
    stranger = tmp_path / ".notes.tmp"  # not a name we write: not ours to delete
    for path in (dead, live, stranger):
        path.write_bytes(b"half a save")
    store = AutosaveStore(tmp_path)
    assert not dead.exists() and live.exists() and stranger.exists()
    store.close()


def test_the_next_save_of_a_file_removes_what_a_killed_save_left(tmp_path):
    litter = tmp_path / f".poster.png.{dead_pid()}-deadbeef.tmp"
    other = tmp_path / f".other.png.{dead_pid()}-deadbeef.tmp"
    litter.write_bytes(b"half")
    other.write_bytes(b"half")
    atomic_write_bytes(tmp_path / "poster.png", b"data")
    assert not litter.exists() and other.exists()  # only the saved file's own litter
    assert remove_stale_temp_files(tmp_path) == [other]
