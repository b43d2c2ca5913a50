"""Model download, verify and repair with the REAL huggingface_hub client against a fake hub on
127.0.0.1 (tests/fake_hub.py) serving the demo model as a repo.

Pointing the client at it: huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE into
module constants at import, and conftest.py imports it offline long before these tests run. The
constants are read again at call time where it matters (HfApi() takes constants.ENDPOINT when
built, hf_hub_url formats constants.HUGGINGFACE_CO_URL_TEMPLATE, snapshot_download defaults to
constants.HF_HUB_CACHE, every request checks constants.HF_HUB_OFFLINE), so the `online` fixture
monkeypatches those constants (plus the token file and the agent-registry cache, so nothing is
read from or written to the developer's HF_HOME). One test runs the CLI in a subprocess with the
real environment variables instead, which proves the env route end to end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

import pytest
from fake_hub import FakeHub, point_hub_client_at

from glm_core.models import catalog, download as model_download
from glm_core import OFFICIAL_REPO_ID
from glm_core.models.download_errors import NotEnoughDiskSpace, TokenRequired
from glm_core.models.download_progress import DownloadCancelled
from glm_core.models.loader import LoadError
from glm_core.models.verify import repair, verify

REPO = "test-org/glm-tiny"
GATED = "test-org/glm-gated"
TOKEN = "hf_TestTokenNeverPrinted123"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def hub(demo_folder):
    server = FakeHub()
    server.add_repo(REPO, demo_folder)
    server.add_repo(GATED, demo_folder, token=TOKEN)
    yield server
    server.close()


@pytest.fixture
def online(hub, tmp_path, monkeypatch):
    point_hub_client_at(hub, tmp_path, monkeypatch)
    return hub


def expected_files(hub) -> dict[str, bytes]:
    return hub.repos[REPO].files  # every demo file matches the loader's patterns


def gets(hub, path=None):
    return [r for r in hub.requests("resolve") if r["method"] == "GET" and (path is None or r["file"] == path)]


def test_full_download_then_offline_load_with_zero_requests(online, monkeypatch):
    from huggingface_hub import constants

    from glm_core.models.loader import LoadOptions, load_model

    events = []
    folder = catalog.download(REPO, on_progress=events.append)
    total = sum(len(b) for b in expected_files(online).values())
    assert events[-1].phase == "done" and events[-1].done_bytes == events[-1].total_bytes == total
    assert [e.done_bytes for e in events] == sorted(e.done_bytes for e in events)  # never goes back
    for path, data in expected_files(online).items():
        assert (folder / path).read_bytes() == data
        assert len(gets(online, path)) == 1, f"{path} fetched more than once"
    assert verify(folder).ok

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    online.reset()
    entry = next(e for e in catalog.known_models() if e.id == REPO)
    assert entry.complete and entry.present_bytes == entry.total_bytes == total and entry.location == folder
    assert catalog.download(REPO) == folder
    assert verify(REPO).ok
    loaded = load_model(LoadOptions(source=REPO, device="cpu"))
    assert loaded.report.model_id == REPO and loaded.report.revision == folder.name
    assert online.requests() == [], "offline must mean zero requests"


def test_cancel_mid_file_keeps_the_partial_and_the_next_download_resumes_it(online, monkeypatch):
    big = "transformer/diffusion_pytorch_model.safetensors"
    size = len(expected_files(online)[big])
    monkeypatch.setattr(model_download, "CHUNK_BYTES", 16 * 1024)
    online.faults.slow[big] = 0.01  # ~1.6 MB/s: about 0.6 s for this file
    cancel = threading.Event()

    def on_progress(p):
        if p.file == big and p.phase == "downloading":
            cancel.set()

    started = time.monotonic()
    with pytest.raises(DownloadCancelled):
        catalog.download(REPO, on_progress=on_progress, cancel=cancel)
    assert time.monotonic() - started < 2.0
    cache = Path(os.environ["GLM_STUDIO_HOME"]).parent / "hf" / "hub"
    part = next(cache.rglob(hashlib.sha256(expected_files(online)[big]).hexdigest() + ".glm-studio.part"))
    assert 0 < part.stat().st_size < size
    assert not list(cache.rglob("*.incomplete"))  # the hub's own temp files are cleaned up
    kept = part.stat().st_size

    online.reset()  # no more slowness
    folder = catalog.download(REPO)
    (resumed,) = gets(online, big)
    assert resumed["range"] == f"bytes={kept}-" and resumed["sent"] == size - kept
    assert (folder / big).read_bytes() == expected_files(online)[big]
    assert sum(r.get("sent", 0) for r in gets(online)) < sum(map(len, expected_files(online).values()))
    assert verify(folder).ok


def test_a_dropped_connection_and_a_server_error_are_retried(online, monkeypatch):
    vae = "vae/diffusion_pytorch_model.safetensors"
    size = len(expected_files(online)[vae])
    monkeypatch.setattr(model_download, "CHUNK_BYTES", 16 * 1024)
    online.faults.drop_after[vae] = 100_000  # the first GET is cut after 100 kB
    online.faults.fail_once["tree"] = 503  # and the first file listing fails
    events = []
    folder = catalog.download(REPO, on_progress=events.append, backoff_s=0.01)
    first, second = gets(online, vae)
    assert first["range"] is None and first["sent"] == 100_000
    start = int(second["range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < start <= 100_000 and second["sent"] == size - start  # resumed, not restarted
    assert "retrying" in {e.phase for e in events}
    assert (folder / vae).read_bytes() == expected_files(online)[vae]


def test_too_little_disk_space_is_refused_before_any_download(online, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 10**6, 10**6))
    with pytest.raises(NotEnoughDiskSpace) as refused:
        catalog.download(REPO)
    assert refused.value.free_bytes == 10**6
    assert "2.8 MB still to download" in str(refused.value) and "1.0 MB free" in str(refused.value)
    assert gets(online) == []
    assert all(e.free_bytes == 10**6 for e in catalog.known_models())


def test_verify_names_damaged_files_and_repair_fetches_only_those(online):
    folder = catalog.download(REPO)
    vae, text, sched = ("vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                        "scheduler/scheduler_config.json")
    dit = "transformer/diffusion_pytorch_model.safetensors"
    blob = (folder / vae).resolve()
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])  # truncated
    with open((folder / text).resolve(), "r+b") as fh:
        fh.write((2**40).to_bytes(8, "little"))  # impossible header length
    (folder / sched).unlink()  # missing
    with open((folder / dit).resolve(), "r+b") as fh:  # one flipped byte deep in the data
        fh.seek(-100, 2)
        byte = fh.read(1)
        fh.seek(-100, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))

    report = verify(REPO)
    kinds = {p.path: p.kind for p in report.problems}
    assert kinds == {vae: "truncated", text: "corrupt", sched: "missing"}
    assert all(path in report.message() for path in kinds) and "--repair" in report.message()
    deep = verify(folder, checksums=True)
    assert {p.path: p.kind for p in deep.problems}[dit] == "checksum"

    online.reset()
    fixed = repair(REPO, deep)
    assert fixed.ok and verify(folder, checksums=True).ok
    # The missing name's content was still in the cache: it is linked again, not downloaded.
    assert {r["file"] for r in gets(online)} == {vae, text, dit}
    assert (folder / sched).read_bytes() == expected_files(online)[sched]


def test_a_gated_repo_asks_for_a_token_and_never_shows_it(online, caplog):
    with pytest.raises(TokenRequired) as no_token:
        catalog.download(GATED)
    assert "gated" in str(no_token.value) and "token" in str(no_token.value) and f"{online.url}/{GATED}" in str(no_token.value)
    with pytest.raises(TokenRequired) as wrong:
        catalog.download(GATED, token="hf_wrong")
    assert "no access yet" in str(wrong.value)
    online.reset()
    folder = catalog.download(GATED, token=TOKEN)
    assert verify(folder).ok
    assert all(r["auth"] for r in online.requests() if r.get("repo") == GATED)
    assert TOKEN not in caplog.text + str(no_token.value) + str(wrong.value)


def test_known_models_lists_the_official_model_and_added_folders(online, demo_folder, tmp_path):
    official = catalog.known_models()[0]
    assert official.official and official.id == OFFICIAL_REPO_ID and official.size_is_estimate
    assert official.total_bytes == 35_000_000_000 and official.present_bytes == 0 and not official.complete
    assert official.free_bytes > 0

    entry = catalog.add_local_folder(demo_folder, name="tiny")
    assert entry.complete and entry.total_bytes == sum(p.stat().st_size for p in demo_folder.rglob("*") if p.is_file())
    assert [e.name for e in catalog.known_models() if e.source == "folder"] == ["tiny"]
    assert catalog.forget_model(str(demo_folder)) and all(e.source == "hub" for e in catalog.known_models())
    with pytest.raises(LoadError, match="model_index.json"):
        catalog.add_local_folder(tmp_path)


def test_the_token_goes_to_the_os_keyring_only(monkeypatch):
    import types

    from glm_core.models import hub_token

    store = {}
    fake = types.ModuleType("keyring")
    fake.get_keyring = lambda: object()
    fake.get_password = lambda service, account: store.get((service, account))
    fake.set_password = lambda service, account, value: store.__setitem__((service, account), value)
    fake.delete_password = lambda service, account: store.pop((service, account))
    backends, fail = types.ModuleType("keyring.backends"), types.ModuleType("keyring.backends.fail")
    fail.Keyring = type("Keyring", (), {})
    backends.fail = fail
    monkeypatch.setitem(sys.modules, "keyring", fake)
    monkeypatch.setitem(sys.modules, "keyring.backends", backends)
    monkeypatch.setitem(sys.modules, "keyring.backends.fail", fail)
    assert hub_token.save_token(f" {TOKEN} ") and hub_token.saved_token() == TOKEN
    assert hub_token.resolve_token(None) == TOKEN and hub_token.resolve_token("hf_other") == "hf_other"
    hub_token.forget_token()
    assert hub_token.saved_token() is None
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed: nothing is stored anywhere
    assert not hub_token.save_token(TOKEN) and hub_token.saved_token() is None


def test_cli_models_commands(online, capsys):
    from cli.main import main

    assert main(["models", "download", REPO, "--quiet"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert main(["models", "verify", REPO]) == 0 and "sound" in capsys.readouterr().out
    assert main(["models", "list"]) == 0 and "complete" in capsys.readouterr().out
    (folder / "vae" / "config.json").unlink()
    assert main(["models", "verify", str(folder)]) == 1
    assert "vae/config.json: missing" in capsys.readouterr().err
    assert main(["models", "verify", REPO, "--repair"]) == 0
    assert "repairing" in capsys.readouterr().err and (folder / "vae" / "config.json").is_file()
    assert main(["models", "download", GATED]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "--ask-token" in err and err.count("\n") <= 3
    assert main(["models", "verify", "/no/such/model"]) == 1


def test_cli_download_in_a_subprocess_uses_the_hub_environment_variables(hub, tmp_path):
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0",
           "GLM_STUDIO_HOME": str(tmp_path / "studio"), "HF_TOKEN": ""}
    done = subprocess.run([sys.executable, "main.py", "models", "download", REPO], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.is_relative_to(tmp_path / "hf" / "hub") and "done" in done.stderr
    digest = hashlib.sha256((folder / "vae/diffusion_pytorch_model.safetensors").read_bytes()).hexdigest()
    assert digest == hashlib.sha256(hub.repos[REPO].files["vae/diffusion_pytorch_model.safetensors"]).hexdigest()
