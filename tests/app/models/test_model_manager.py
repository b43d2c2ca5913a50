"""Model ▸ Manage Models… against a fake hub on 127.0.0.1 (tests/fake_hub.py) with the REAL
huggingface_hub client: the fake hub serves the demo model as zai-org/GLM-Image, so the official row
downloads, verifies and loads it. The client is pointed at the hub as in tests/test_models.py."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import namedtuple
from pathlib import Path

import pytest
from fake_hub import FakeHub, point_hub_client_at

from app.models.model_manager import ModelManagerDialog
from app.models.download_worker import CANCELLED, DONE, FAILED
from glm_core.models import catalog, download as model_download
from glm_core import OFFICIAL_REPO_ID
from glm_core.models.download_errors import NotEnoughDiskSpace, TokenRequired

OFFICIAL = OFFICIAL_REPO_ID
TOKEN = "hf_GuiTokenNeverShown456"
BIG = "transformer/diffusion_pytorch_model.safetensors"
VAE = "vae/diffusion_pytorch_model.safetensors"
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def hub(demo_folder):
    server = FakeHub()
    server.add_repo(OFFICIAL, demo_folder)
    yield server
    server.close()


@pytest.fixture
def online(hub, tmp_path, monkeypatch):
    point_hub_client_at(hub, tmp_path, monkeypatch)
    monkeypatch.setattr("glm_core.models.hub_token.storage_name", lambda: None)  # no keyring unless a test adds one
    monkeypatch.setattr(model_download, "CHUNK_BYTES", 16 * 1024)  # progress and cancel per 16 KiB
    hub.repos[OFFICIAL].token = None
    return hub


@pytest.fixture
def manager(qtbot, online):
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    dialog.close()
    assert not dialog.runner.busy
    assert not [t for t in threading.enumerate() if t.name.startswith("model-")], "a task thread outlived the dialog"


def run(qtbot, dialog, button, status=DONE):
    with qtbot.waitSignal(dialog.taskFinished, timeout=TIMEOUT) as done:
        button.click()
    assert done.args[0].status == status, done.args[0].message
    return done.args[0]


def gets(hub, path=None):
    return [r for r in hub.requests("resolve") if r["method"] == "GET" and (path is None or r["file"] == path)]


def test_download_with_progress_then_verify_and_use_loads_it(make_window, online, qtbot):
    window = make_window(source=None)
    window.actions.manage_models.trigger()
    dialog = window.models.manager_dialog
    assert dialog is not None and dialog.isVisible()
    official = dialog.selected()
    assert official.id == OFFICIAL and dialog.cell(OFFICIAL).text == "Not downloaded"
    texts = [dialog.table.item(0, c).text() for c in (0, 1, 2, 3)]
    assert texts == ["GLM-Image (official)", "Hugging Face", "main", "~35.0 GB"]
    assert dialog.table.item(0, 6).text().endswith("B") and "free on its disk" in dialog.status.text()
    assert not dialog.use_button.isEnabled() and not dialog.repair_button.isEnabled()

    online.faults.slow[BIG] = 0.004  # long enough to see a few progress reports
    seen = []
    dialog.runner.progressed.connect(lambda _id, p: seen.append((p, dialog.status.text(), dialog.progress.value())))
    outcome = run(qtbot, dialog, dialog.download_button)
    assert isinstance(outcome.result, Path) and (outcome.result / BIG).is_file()
    downloading = [(p, text) for p, text, _ in seen if p.phase == "downloading" and p.done_bytes]
    assert downloading and all(" of " in text and "Downloading" in text for _, text in downloading)
    assert [p.done_bytes for p, _, _ in seen] == sorted(p.done_bytes for p, _, _ in seen)
    assert any(v > 0 for _, _, v in seen)
    assert dialog.cell(OFFICIAL).text == "✓ Complete" and "Downloaded to" in dialog.message.text()
    assert dialog.table.item(0, 3).text() == "2.8 MB" and "·" in dialog.table.item(0, 2).text()  # main · commit

    run(qtbot, dialog, dialog.verify_button)
    assert "sound" in dialog.message.text()
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
        dialog.use_button.click()
    assert window.session.report.model_id == OFFICIAL
    assert window.settings.model_source == OFFICIAL
    assert window.models.manager_dialog is None  # closed and handed back


def test_cancel_keeps_the_partial_download_and_resume_continues_it(manager, online, qtbot, tmp_path):
    online.faults.slow[BIG] = 0.01
    shots = []

    def cancel_in_the_middle(_id, p):
        if p.file == BIG and p.phase == "downloading" and not shots:
            shots.append(manager.grab().save(str(tmp_path / "mid-download.png")))
            manager.cancel_button.click()

    manager.runner.progressed.connect(cancel_in_the_middle)
    run(qtbot, manager, manager.download_button, CANCELLED)
    assert shots == [True]
    assert "kept" in manager.message.text() and "Resume" in manager.message.text()
    cell = manager.cell(OFFICIAL)
    assert cell.bar.isVisibleTo(cell) and cell.text.endswith("%")
    assert manager.download_button.text() == "Resume" and manager.download_button.isEnabled()
    cache = Path(os.environ["GLM_STUDIO_HOME"]).parent / "hf" / "hub"
    part = next(cache.rglob("*.glm-studio.part"))
    kept = part.stat().st_size
    assert kept > 0

    online.reset()
    manager.runner.progressed.disconnect(cancel_in_the_middle)
    run(qtbot, manager, manager.download_button)
    (resumed,) = gets(online, BIG)
    assert resumed["range"] == f"bytes={kept}-"
    assert manager.cell(OFFICIAL).text == "✓ Complete"


def test_a_gated_repo_asks_for_a_token_and_can_remember_it(manager, online, qtbot, monkeypatch, caplog):
    online.repos[OFFICIAL].token = TOKEN
    stored = []
    monkeypatch.setattr("glm_core.models.hub_token.storage_name", lambda: "keyring (Test)")
    monkeypatch.setattr("glm_core.models.hub_token.save_token", lambda token: stored.append(token) or True)
    outcome = run(qtbot, manager, manager.download_button, FAILED)
    assert isinstance(outcome.error, TokenRequired)
    prompt = manager.token_prompt
    assert prompt is not None and prompt.isVisible() and "gated" in manager.message.text()
    assert prompt.remember.isEnabled() and "keyring (Test)" in prompt.remember.text()
    prompt.field.setText(TOKEN)
    online.reset()
    with qtbot.waitSignal(manager.taskFinished, timeout=TIMEOUT) as done:
        prompt.buttons.button(prompt.buttons.StandardButton.Ok).click()
    assert done.args[0].status == DONE
    assert stored == [TOKEN]
    assert all(r["auth"] for r in online.requests() if r.get("repo") == OFFICIAL)
    assert TOKEN not in caplog.text + manager.message.text() + manager.status.text()


def test_without_a_keyring_the_token_is_not_stored(manager, online, qtbot):
    online.repos[OFFICIAL].token = TOKEN
    run(qtbot, manager, manager.download_button, FAILED)
    prompt = manager.token_prompt
    assert not prompt.remember.isEnabled() and not prompt.remember.isChecked()
    prompt.field.setText("hf_wrong")
    with qtbot.waitSignal(manager.taskFinished, timeout=TIMEOUT) as done:
        prompt.accept()
    assert done.args[0].status == FAILED and "no access yet" in done.args[0].message
    assert manager.token_prompt is not prompt and manager.token_prompt.isVisible()  # asks again


def test_a_damaged_file_is_named_by_verify_and_repair_fetches_it(manager, online, qtbot):
    folder = catalog.download(OFFICIAL)
    manager.refresh()
    blob = (folder / VAE).resolve()
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])
    run(qtbot, manager, manager.verify_button)
    assert VAE in manager.message.text() and "Repair" in manager.message.text()
    assert manager.message.objectName() == "warning" and manager.repair_button.isEnabled()

    online.reset()
    run(qtbot, manager, manager.repair_button)
    assert "Repaired" in manager.message.text() and not manager.repair_button.isEnabled()
    assert {r["file"] for r in gets(online)} == {VAE}
    expected = hashlib.sha256(online.repos[OFFICIAL].files[VAE]).hexdigest()
    assert hashlib.sha256((folder / VAE).read_bytes()).hexdigest() == expected


def test_too_little_disk_space_is_refused_up_front(manager, online, qtbot, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 10**6, 10**6))
    manager.refresh()
    assert manager.table.item(0, 6).text() == "1.0 MB" and "not enough" in manager.status.text()
    outcome = run(qtbot, manager, manager.download_button, FAILED)
    assert isinstance(outcome.error, NotEnoughDiskSpace)
    text = manager.message.text()
    assert "Not enough disk space" in text and "needs 2.0 GB" in text and "only 1.0 MB is free" in text
    assert gets(online) == []


def test_closing_during_a_download_cancels_it_and_joins_the_thread(make_window, online, qtbot):
    window = make_window(source=None)
    window.model_panel.manage_link.linkActivated.emit("manage")  # the Model panel's "Manage models…"
    dialog = window.models.manager_dialog
    assert dialog is not None and dialog.isVisible()
    online.faults.slow[BIG] = 0.01
    with qtbot.waitSignal(dialog.runner.progressed, timeout=TIMEOUT,
                          check_params_cb=lambda _id, p: p.file == BIG and p.done_bytes > 0):
        dialog.download_button.click()
    thread = dialog.runner._running.thread
    window.close()  # the main window goes: the dialog over it cancels and waits first
    assert not thread.is_alive() and not dialog.runner.busy
    assert not [t for t in threading.enumerate() if t.name.startswith("model-")]
    cache = Path(os.environ["GLM_STUDIO_HOME"]).parent / "hf" / "hub"
    assert any(p.stat().st_size for p in cache.rglob("*.glm-studio.part"))  # kept for a resume


def test_add_and_remove_a_local_folder(manager, demo_folder):
    manager._dialogs.model_folder = lambda parent: str(demo_folder)
    manager.add_button.click()
    entry = manager.selected()
    assert entry.source == "folder" and manager.cell(entry.id).text == "✓ Ready"
    assert manager.table.item(1, 1).text() == "Local folder" and manager.use_button.isEnabled()
    manager.remove_button.click()
    assert [e.source for e in manager.entries] == ["hub"] and "stay on disk" in manager.message.text()
    assert not manager.remove_button.isEnabled()  # the official model cannot be removed


def test_first_run_download_opens_the_manager_and_uses_the_model(make_window, online, qtbot):
    window = make_window(source=None)
    window.start()
    first_run = window.models.first_run_dialog
    with qtbot.waitSignal(window.session.modelChanged, timeout=60_000, check_params_cb=lambda r: r is not None):
        first_run.download_button.click()
        manager = first_run.model_manager
        assert manager.isVisible() and manager.runner.task == ("download", OFFICIAL)
        qtbot.waitUntil(lambda: not manager.runner.busy, timeout=TIMEOUT)
        assert manager.cell(OFFICIAL).text == "✓ Complete"
        manager.use_button.click()
    assert window.settings.model_source == OFFICIAL and window.session.report.model_id == OFFICIAL
