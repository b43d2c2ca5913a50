"""`generate`'s arguments are refused before the model loads, in one line with exit 1: bad paths,
sizes against the chosen model's limits, counts, argparse's own errors, and values too long to
echo. Run in-process through cli.main.main, the same entry main.py uses."""

from __future__ import annotations

import re

import pytest

import glm_core.models.loader as loader
from cli.main import main

SMALL = ["--model", "demo", "--width", "64", "--height", "64", "--steps", "2", "--prompt", "a poster"]


@pytest.fixture
def loads(monkeypatch):
    """Counts model loads (the real loader still runs), to show a refusal came before any."""
    calls = []
    real = loader.load_model

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_model", counted)
    return calls


def refused(capsys, argv) -> str:
    """The one `error:` line of a refused command line."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's errors leave through sys.exit
        code = exc.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("where,expected", [
    ("missing/out.png", "does not exist"),
    ("a-file/out.png", "is a file, not a folder"),
    ("a-folder", "is a folder"),
])
def test_bad_out_paths_are_refused_before_the_model_loads(tmp_path, demo_folder, capsys, loads, where, expected):
    (tmp_path / "a-file").write_text("mine")
    (tmp_path / "a-folder").mkdir()
    line = refused(capsys, ["generate", *SMALL, "--out", str(tmp_path / where)])
    assert expected in line and "--out" in line and where.split("/")[0] in line
    assert loads == []


def test_an_existing_folder_is_refused_even_with_overwrite(tmp_path, demo_folder, capsys, loads):
    line = refused(capsys, ["generate", *SMALL, "--out", str(tmp_path), "--overwrite"])
    assert "is a folder" in line and loads == []
    assert tmp_path.is_dir()


def test_a_folder_that_takes_no_files_is_refused(tmp_path, demo_folder, capsys, loads):
    line = refused(capsys, ["generate", *SMALL, "--out", "/proc/poster.png"])
    assert "cannot write in /proc" in line and loads == []


def test_events_in_a_missing_folder_is_refused(tmp_path, demo_folder, capsys, loads):
    line = refused(capsys, ["generate", *SMALL, "--out", str(tmp_path / "o.png"),
                            "--events", str(tmp_path / "missing" / "e.jsonl")])
    assert "--events" in line and "does not exist" in line and loads == []


def test_an_existing_variation_file_is_refused_before_loading(tmp_path, demo_folder, capsys, loads):
    (tmp_path / "o-2.png").write_bytes(b"mine")
    line = refused(capsys, ["generate", *SMALL, "--out", str(tmp_path / "o.png"), "--variations", "2"])
    assert "o-2.png" in line and "--overwrite" in line and loads == []
    assert (tmp_path / "o-2.png").read_bytes() == b"mine"


@pytest.mark.parametrize("extra,expected", [
    (["--width", "4096"], "above the maximum 512"),
    (["--width", "70"], "multiple of 32"),
    (["--steps", "0"], "steps 0"),
    (["--guidance", "99"], "guidance 99"),
    (["--seed=-5"], "seed -5"),
    (["--prompt", "  "], "prompt is empty"),
    (["--variations", "-1"], "--variations -1"),
    (["--batch", "0"], "--batch 0 is below 1"),
    (["--batch", "2", "--variations", "1"], "--batch n or --variations n, not both"),
])
def test_numbers_are_checked_against_the_models_limits_before_it_loads(tmp_path, demo_folder, capsys, loads,
                                                                       extra, expected):
    line = refused(capsys, ["generate", *SMALL, *extra, "--out", str(tmp_path / "o.png")])
    assert expected in line.lower() and loads == []


@pytest.mark.parametrize("side", ["width", "height"])
def test_a_zero_side_suggests_nothing_beyond_the_models_limit(tmp_path, demo_folder, capsys, side):
    line = refused(capsys, ["generate", *SMALL, f"--{side}", "0", "--out", str(tmp_path / "o.png")])
    assert f"--{side} 0" in line
    assert all(int(number) <= 512 for number in re.findall(r"\d+", line))  # the demo model makes at most 512


@pytest.mark.parametrize("argv,expected", [
    (["--width", "abc"], "invalid int value: 'abc'"),
    (["--guidance", "1,5"], "with a dot"),
    (["--seed", "-1e3"], "--seed=-5"),
])
def test_argparse_errors_are_one_line_and_exit_1(tmp_path, capsys, argv, expected):
    line = refused(capsys, ["generate", "--prompt", "x", "--out", str(tmp_path / "o.png"), *argv])
    assert expected in line


@pytest.mark.parametrize("argv", [
    ["--model", "m" * 70_000],
    ["--out", "o" * 70_000 + ".png"],
    ["--width", "9" * 70_000 + "x"],
])
def test_a_70000_character_value_is_never_echoed_whole(tmp_path, demo_folder, capsys, argv):
    line = refused(capsys, ["generate", "--prompt", "x", "--model", "demo", "--out", str(tmp_path / "o.png"), *argv])
    assert len(line) < 1500 and "characters]" in line
