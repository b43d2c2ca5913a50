"""Autosave and crash recovery (glm_core.project.autosave)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from PIL import Image

from glm_core.project.autosave import AutosaveEntry, AutosaveStore
from glm_core.paths import user_data_dir
from glm_core.project import ImageLayer, Project, ProjectError, load_project
from glm_core.project.textbox import TextBox

ROOT = Path(__file__).resolve().parents[3]


def document(title: str = "夜市 Night Market 🏮") -> Project:
    layer = Image.frombytes("RGBA", (4, 3), bytes(range(48)))
    return Project(width=8, height=6,
                   layers=[ImageLayer(layer, name="photo", x=2, y=1, id="1a2b3c4d")],
                   boxes=[TextBox(title, 0, 0, 8, 2, id="title")], mask=Image.new("L", (8, 6), 255),
                   scene_prompt="lanterns", settings={"steps": 30, "seed_lock": True})


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def crash(store: AutosaveStore, pid: int, started: float | None = 1.0) -> None:
    """Make `store` look like a session whose process died: its marker names another process
    and it is never closed."""
    marker = store.folder / f"session-{store.session_id}.json"
    marker.write_text(json.dumps({"pid": pid, "process_started": started}))


def test_crashed_session_is_recovered(tmp_path):
    crashed = AutosaveStore(tmp_path)
    crashed.save(document())
    crash(crashed, dead_pid())

    store = AutosaveStore(tmp_path)
    entries = store.crashed_sessions()
    assert [e.session_id for e in entries] == [crashed.session_id]
    assert entries[0].path == crashed.path and entries[0].pid is not None
    assert store.recover(entries[0]) == document()
    store.discard(entries[0])
    assert store.crashed_sessions() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{store.session_id}.json"]


def test_reused_pid_still_counts_as_crashed(tmp_path):
    """The dead session's pid now belongs to another live process (here: this one)."""
    crashed = AutosaveStore(tmp_path)
    crashed.save(document())
    crash(crashed, os.getpid(), started=psutil.Process().create_time() - 3600)
    assert [e.session_id for e in AutosaveStore(tmp_path).crashed_sessions()] == \
        [crashed.session_id]


def test_running_session_is_not_offered_for_recovery(tmp_path):
    running = AutosaveStore(tmp_path)  # another window of the app, still open
    running.save(document())
    assert AutosaveStore(tmp_path).crashed_sessions() == []


def test_clean_close_leaves_nothing_to_recover(tmp_path):
    store = AutosaveStore(tmp_path)
    store.save(document())
    store.save(document("second"))
    assert load_project(store.path).boxes[0].text == "second"
    store.close()
    store.close()  # twice is harmless
    assert list(tmp_path.iterdir()) == []
    assert AutosaveStore(tmp_path).crashed_sessions() == []
    with pytest.raises(RuntimeError, match="closed"):
        store.save(document())


def test_context_manager_closes_only_on_success(tmp_path):
    with AutosaveStore(tmp_path) as store:
        store.save(document())
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ZeroDivisionError), AutosaveStore(tmp_path) as store:
        store.save(document())
        1 / 0
    assert store.path.exists()  # an error on the way out is a crash: the work is kept


def test_killed_process_is_recovered(tmp_path):
    """A real crash: the app process dies without any cleanup after autosaving."""
    script = (
        "import os, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_autosave_store import document\n"
        "from glm_core.project.autosave import AutosaveStore\n"
        "store = AutosaveStore(sys.argv[1])\n"
        "store.save(document('unsaved work'))\n"
        "os._exit(1)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(Path(__file__).parent)],
                            cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert result.returncode == 1, result.stderr.decode()
    store = AutosaveStore(tmp_path)
    [entry] = store.crashed_sessions()
    assert store.recover(entry) == document("unsaved work")


def test_crash_before_the_first_autosave_is_tidied_away(tmp_path):
    crashed = AutosaveStore(tmp_path)  # wrote its marker, never saved
    crash(crashed, dead_pid())
    store = AutosaveStore(tmp_path)
    assert store.crashed_sessions() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{store.session_id}.json"]


def test_autosave_without_a_readable_marker_is_offered(tmp_path):
    crashed = AutosaveStore(tmp_path)
    crashed.save(document())
    (tmp_path / f"session-{crashed.session_id}.json").write_text("{not json")
    [entry] = AutosaveStore(tmp_path).crashed_sessions()
    assert entry.pid is None


def test_damaged_autosave_raises_project_error_and_can_be_discarded(tmp_path):
    crashed = AutosaveStore(tmp_path)
    crashed.save(document())
    crash(crashed, dead_pid())
    crashed.path.write_bytes(crashed.path.read_bytes()[:100])
    (tmp_path / f".{crashed.path.name}.1234abcd.tmp").write_bytes(b"half a save")
    store = AutosaveStore(tmp_path)
    [entry] = store.crashed_sessions()
    with pytest.raises(ProjectError, match="damaged"):
        store.recover(entry)
    store.discard(entry)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"session-{store.session_id}.json"]


def test_newest_crash_first(tmp_path):
    older, newer = AutosaveStore(tmp_path), AutosaveStore(tmp_path)
    for store in (older, newer):
        store.save(document())
        crash(store, dead_pid())
    os.utime(older.path, (1_000_000, 1_000_000))
    ids = [e.session_id for e in AutosaveStore(tmp_path).crashed_sessions()]
    assert ids == [newer.session_id, older.session_id]


def test_discard_only_touches_crashed_sessions_of_its_folder(tmp_path):
    store = AutosaveStore(tmp_path)
    store.save(document())
    own = AutosaveEntry(store.session_id, store.path, None, None)
    with pytest.raises(ValueError):
        store.discard(own)
    with pytest.raises(ValueError):
        store.recover(replace(own, session_id="../../x"))
    assert store.path.exists()


def test_default_folder_is_in_user_data(tmp_path):
    store = AutosaveStore()
    try:
        assert store.folder == user_data_dir() / "autosave"
    finally:
        store.close()
