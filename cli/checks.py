"""`generate`'s arguments checked before the model loads: where the files go, and the numbers
against the model's own limits (read from its folder, not from its weights), so a bad path or
size fails in one line at once instead of after minutes of loading and generating."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from cli.common import CliError, shorten


def model_size_limits(source: str) -> tuple[int, int]:
    """(smallest, largest) side in pixels that the model `source` (demo, a folder, a hub id) makes."""
    from glm_core.models.demo_model import DEMO_SIZE_LIMITS, is_demo_folder
    from glm_core.models.load_report import REAL_SIZE_LIMITS
    from glm_core.models.loader import LoadError, LoadOptions, resolve_source

    try:
        folder, _model_id, _revision = resolve_source(LoadOptions(source=source))
    except LoadError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:  # a name the file system refuses outright, e.g. too long
        raise CliError(f"--model {shorten(source)}: {exc.strerror or exc}: give demo, a model folder or a hub id") from exc
    return DEMO_SIZE_LIMITS if is_demo_folder(folder) else REAL_SIZE_LIMITS


def check_counts(args) -> None:
    """Counts and sizes that are wrong whatever the model: refused before anything is read."""
    if args.variations < 0:
        raise CliError(f"--variations {args.variations} is below 0: give how many extra images to make, e.g. --variations 2")
    if args.batch is not None and args.batch < 1:
        raise CliError(f"--batch {args.batch} is below 1: give how many images to make, e.g. --batch 4")
    if args.batch is not None and args.variations:
        raise CliError("give --batch N or --variations N, not both (--variations N is --batch N+1)")
    for name in ("width", "height"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CliError(f"--{name} {value} is not a size in pixels: give a positive multiple of 32")


def image_count(args) -> int:
    """How many images `generate` writes: --batch N, or --variations N more than one."""
    return args.batch if args.batch is not None else args.variations + 1


def check_request(request, limits: tuple[int, int], masked: bool) -> None:
    """Size, steps, guidance, seed and prompt against the model's limits, in one line. A masked
    edit's size is the crop the runner picks later, so only its other values are checked here."""
    from glm_core.generation.validation import InvalidRequest, validate_request

    low, high = limits
    if masked:
        request = replace(request, width=low, height=low)
    elif min(request.width, request.height) < 1:  # before validation, whose example size ignores the limits
        raise CliError(f"size {request.width}x{request.height} is not a size in pixels: sides must be "
                       f"multiples of 32 from {low} to {high}, e.g. {high}x{high}")
    try:
        validate_request(request, min_side=low, max_side=high)
    except InvalidRequest as exc:
        raise CliError(" ".join(shorten(problem, 300) for problem in exc.problems)) from exc


def check_output_paths(outputs: list[Path], events: Path | None, overwrite: bool) -> None:
    """Every file `generate` will write can be written: its folder exists and takes files, it is
    not a folder itself, and it is new unless --overwrite."""
    for option, path in [("--out", p) for p in outputs] + ([("--events", events)] if events else []):
        try:
            _check_output_path(option, path, overwrite)
        except OSError as exc:  # a name the file system refuses outright, e.g. too long
            raise CliError(f"{option} {shorten(path)}: {exc.strerror or exc}: choose another name") from exc


def _check_output_path(option: str, path: Path, overwrite: bool) -> None:
    from glm_core.files import refuse_overwrite

    name = shorten(path)
    if path.is_dir():
        raise CliError(f"{option} {name} is a folder: give a file name inside it, e.g. {shorten(path / 'poster.png')}")
    folder = path.parent
    if not folder.exists():
        raise CliError(f"{option} {name}: the folder {shorten(folder)} does not exist: create it first, "
                       "or choose another place")
    if not folder.is_dir():
        raise CliError(f"{option} {name}: {shorten(folder)} is a file, not a folder: choose another place")
    _check_writable(option, name, folder)
    if option == "--out" and not overwrite:
        try:
            refuse_overwrite(path)
        except FileExistsError as exc:
            raise CliError(shorten(str(exc), 400)) from exc


def _check_writable(option: str, name: str, folder: Path) -> None:
    """Write and remove a probe file: permission bits do not tell (root ignores them, /proc
    refuses files whatever they say)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".glmstudio-probe-", dir=folder)
    except OSError as exc:
        raise CliError(f"{option} {name}: cannot write in {shorten(folder)} ({exc.strerror or exc}): "
                       "choose a folder you can write to") from exc
    os.close(handle)
    os.unlink(probe)


def file_references(images: list[Path], mask: Path | None) -> tuple[dict[str, str], ...]:
    """What a recipe records of an edit's files (Recipe.references), so --from-recipe can ask
    for them again and tell a different file from the one used."""
    named = [("image", path) for path in images] + ([("mask", mask)] if mask is not None else [])
    return tuple({"role": role, "name": path.name, "sha256": _sha256(path)} for role, path in named)


def check_recipe_references(recipe, source: Path, images: list[Path], mask: Path | None) -> None:
    """--from-recipe on an edit: the files it was made from must be given again, and be those
    files; without them the run would silently become a different job."""
    recorded = [r for r in recipe.references if r["role"] == "image"]
    recorded_mask = next((r for r in recipe.references if r["role"] == "mask"), None)
    if (recorded or recipe.mode == "edit") and not images:
        names = " ".join(f"--image {shorten(r['name'], 60)}" for r in recorded) or "--image FILE"
        raise CliError(f"{shorten(source.name)} is an edit of another image: give it again with {names}"
                       + (f" --mask {shorten(recorded_mask['name'], 60)}" if recorded_mask else ""))
    if recorded_mask is not None and mask is None:
        raise CliError(f"{shorten(source.name)} is a masked edit: give its mask again with "
                       f"--mask {shorten(recorded_mask['name'], 60)}")
    given = file_references(images, mask) if recipe.references else ()
    for was, now in zip(recipe.references, given):
        if was["sha256"] != now["sha256"]:
            raise CliError(f"--{now['role']} {shorten(now['name'], 60)} is not the file {shorten(source.name)} was made "
                           f"from ({shorten(was['name'], 60)}, sha256 {was['sha256'][:12]}…): give that file")


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise CliError(f"cannot read {shorten(path)}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
