"""`python main.py generate --engine URL …` against a local fake GLM-Image server: a real process,
real PNGs, the request the server got."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glm_core.project.metadata import read_recipe

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, env=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_text_to_image_on_a_server(tmp_path, image_server):
    out, log = tmp_path / "poster.png", tmp_path / "events.jsonl"
    done = cli("generate", "--engine", image_server.url, "--prompt", "a “SUMMER” poster", "--width", "768",
               "--height", "512", "--steps", "20", "--guidance", "3", "--seed", "7", "--out", out, "--events", log,
               "--api-key-env", "TEST_SERVER_KEY", env={"TEST_SERVER_KEY": "sk-test"})
    assert done.returncode == 0, done.stderr
    [sent] = image_server.image_requests()
    assert sent.fields["size"] == "768x512" and sent.fields["seed"] == 7
    assert sent.fields["num_inference_steps"] == 20 and sent.fields["guidance_scale"] == 3
    assert sent.fields["response_format"] == "b64_json"
    assert sent.headers["authorization"] == "Bearer sk-test"
    recipe = read_recipe(out)
    assert recipe.server == image_server.url and recipe.model_id == "zai-org/GLM-Image" and recipe.seed == 7
    assert Image.open(out).size == (768, 512)
    kinds = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert kinds[0] == "LoadStep" and "Loaded" in kinds and "Waiting" in kinds and kinds[-1] == "Finished"


def test_a_server_run_needs_no_torch_here(tmp_path, image_server):
    out = tmp_path / "a.png"
    code = ("import sys; sys.modules['torch'] = None\n"  # any import of torch now fails
            "from cli.main import main\n"
            f"sys.exit(main(['generate', '--engine', {image_server.url!r}, '--prompt', 'x', '--width', '512', "
            f"'--height', '512', '--out', {str(out)!r}, '--quiet']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    assert out.exists()


def test_masked_edit_on_a_server_keeps_every_pixel_outside_the_mask(tmp_path, image_server):
    rng = np.random.default_rng(5)
    source = rng.integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    Image.fromarray(source).save(tmp_path / "photo.png")
    mask = np.zeros((900, 1200), dtype=np.uint8)
    mask[300:400, 500:650] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "edited.png"
    done = cli("generate", "--engine", image_server.url, "--prompt", "a lantern", "--image", tmp_path / "photo.png",
               "--mask", tmp_path / "mask.png", "--feather", "6", "--seed", "1", "--out", out)
    assert done.returncode == 0, done.stderr
    [sent] = image_server.image_requests()
    assert sent.path == "/v1/images/edits" and sent.fields["response_format"] == "b64_json"
    result = np.asarray(Image.open(out).convert("RGB"))
    assert result.shape == source.shape
    changed = np.any(result != source, axis=2)
    band = np.zeros_like(changed)
    band[300 - 6:400 + 6, 500 - 6:650 + 6] = True
    assert changed[300:400, 500:650].all()  # the server's pixels inside
    assert not changed[~band].any()  # outside mask + feather: the source's bytes
    assert read_recipe(out).mode == "edit"


@pytest.mark.parametrize("extra, reason", [
    (["--variations", "2"], "--variations"),
    (["--quant", "nf4"], "--quant"),
    (["--offload", "model"], "--offload"),
    (["--device", "cpu"], "--device"),
    (["--model", "demo"], "--server-model"),
])
def test_options_a_server_cannot_honour_are_refused_in_one_line(tmp_path, image_server, extra, reason):
    done = cli("generate", "--engine", image_server.url, "--prompt", "x", "--out", tmp_path / "a.png", *extra)
    assert done.returncode == 1 and reason in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not image_server.requests


def test_server_options_without_engine_are_refused(tmp_path):
    done = cli("generate", "--prompt", "x", "--out", tmp_path / "a.png", "--server-model", "m")
    assert done.returncode == 1 and "add --engine URL" in done.stderr


def test_a_server_error_is_one_line_and_no_file(tmp_path, image_server):
    image_server.reply = lambda record: (503, {"detail": "model is loading"})
    done = cli("generate", "--engine", image_server.url, "--prompt", "x", "--width", "512", "--height", "512",
               "--out", tmp_path / "a.png", "--quiet")
    assert done.returncode == 1 and not (tmp_path / "a.png").exists()
    assert "HTTP 503: model is loading" in done.stderr


def test_an_empty_api_key_variable_is_named(tmp_path, image_server):
    done = cli("generate", "--engine", image_server.url, "--prompt", "x", "--out", tmp_path / "a.png",
               "--api-key-env", "NO_SUCH_VARIABLE_SET")
    assert done.returncode == 1 and "NO_SUCH_VARIABLE_SET" in done.stderr and not image_server.requests


def test_ctrl_c_abandons_the_server_request_at_once(tmp_path, image_server):
    import signal
    import time

    image_server.delay = 60
    log, out = tmp_path / "events.jsonl", tmp_path / "a.png"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "generate", "--engine", image_server.url, "--prompt", "x",
         "--width", "512", "--height", "512", "--out", str(out), "--events", str(log), "--quiet"],
        env=dict(os.environ, HF_HUB_OFFLINE="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (log.exists() and '"Waiting"' in log.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130 and "cancelled" in stderr and not out.exists()
    assert time.monotonic() - sent < 3  # not the server's 60 s
    assert json.loads(log.read_text().splitlines()[-1]) == {"event": "Cancelled", "phase": "server"}
