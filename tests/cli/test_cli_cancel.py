"""Ctrl+C on `python main.py generate`, in every phase: a real process on the demo model gets a
real SIGINT, exits 130, says "cancelled" and leaves no file at --out.

The AR and DiT phases are caught from the --events file. Loading, decoding and saving are too
quick on the demo model to hit by timing, so a small launcher (LAUNCHER below) makes one step of
that phase announce itself in a marker file and then take a second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAUNCHER = """
import sys, time
from pathlib import Path

phase, marker, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])

def slowed(original):
    def wrapper(*args, **kwargs):
        marker.write_text(phase)
        time.sleep(seconds)
        return original(*args, **kwargs)
    return wrapper

if phase == "load":
    import transformers
    transformers.T5EncoderModel.from_pretrained = slowed(transformers.T5EncoderModel.from_pretrained)
elif phase == "decode":
    import diffusers
    diffusers.AutoencoderKL.decode = slowed(diffusers.AutoencoderKL.decode)
elif phase == "save":
    import glm_core.project.metadata as metadata
    metadata.atomic_save = slowed(metadata.atomic_save)

from cli.main import main
sys.exit(main(sys.argv[4:]))
"""


def start(tmp_path, phase: str, *args, seconds: float = 1.0):
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, str(launcher), phase, str(tmp_path / "marker"), str(seconds),
               "generate", "--model", "demo", "--device", "cpu", "--prompt", "a “SALE” poster", "--seed", "1",
               "--out", str(tmp_path / "out.png"), "--events", str(tmp_path / "events.jsonl"), "--quiet", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, process, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"ended before the phase: {process.communicate()}"
        assert time.monotonic() < deadline, "the phase never came"
        time.sleep(0.005)


def events(tmp_path) -> list[dict]:
    path = tmp_path / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def seen(tmp_path, kind: str):
    return lambda: any(e["event"] == kind for e in events(tmp_path))


def marked(tmp_path):
    return lambda: (tmp_path / "marker").exists()


PHASES = {
    # phase: (how to know it is running, extra arguments)
    "load": (marked, ["--width", "64", "--height", "64", "--steps", "2"]),
    "prior": (lambda tmp_path: seen(tmp_path, "TokenProgress"), ["--width", "512", "--height", "512", "--steps", "2"]),
    "diffusion": (lambda tmp_path: seen(tmp_path, "DiffusionStep"), ["--width", "128", "--height", "128", "--steps", "200"]),
    "decode": (marked, ["--width", "64", "--height", "64", "--steps", "2"]),
    "save": (marked, ["--width", "64", "--height", "64", "--steps", "2", "--variations", "1"]),
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_ctrl_c_in_each_phase_exits_130_cancelled_with_no_output(tmp_path, demo_folder, phase):
    running, args = PHASES[phase]
    process = start(tmp_path, phase, *args)
    wait_for(running(tmp_path), process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr
    assert "cancelled" in stderr and "Traceback" not in stderr and "terminate called" not in stderr
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "out-1.png").exists()
    if phase in ("prior", "diffusion"):  # stopped within a token / a step: the runner says where
        assert [e["phase"] for e in events(tmp_path) if e["event"] == "Cancelled"] == [phase]
    if phase == "decode":  # every step was done: the signal came while the VAE decoded
        assert sum(e["event"] == "DiffusionStep" for e in events(tmp_path)) == 2


def test_a_second_ctrl_c_exits_at_once_without_an_abort(tmp_path, demo_folder):
    process = start(tmp_path, "load", "--width", "64", "--height", "64", "--steps", "2", seconds=60)
    wait_for(marked(tmp_path), process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the first one is being handled: the worker is still inside the slow load
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 130 and time.monotonic() - sent < 10
    assert "cancelled" in stderr and "Traceback" not in stderr and "terminate called" not in stderr
    assert not (tmp_path / "out.png").exists()
