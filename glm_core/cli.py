"""`python main.py <command>`: everything the window does, for batches, scripts and tests.

Exit codes: 0 done, 1 failed (one line on stderr says why), 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from glm_core import __version__
from glm_core.loader import OFFICIAL_REPO_ID

EXIT_FAILED = 1
EXIT_CANCELLED = 130


class CliError(Exception):
    """A failure the user can fix; its message is printed as the one-line reason."""


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size: write WIDTHxHEIGHT, e.g. 1024x1024") from None
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="GLM-Image Studio: local poster generation.")
    parser.add_argument("--version", action="version", version=f"GLM-Image Studio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("gui", help="open the desktop window (the default with no command)")

    gen = commands.add_parser("generate", help="make an image and save it as a PNG with its recipe")
    gen.add_argument("--prompt", help="what the image shows; quote exact text with “…”")
    gen.add_argument("--from-recipe", type=Path, metavar="PNG", help="start from the recipe stored in a PNG")
    gen.add_argument("--out", type=Path, required=True, help="PNG file to write")
    gen.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    _model_arguments(gen)
    gen.add_argument("--width", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--height", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--steps", type=int, help="DiT denoising steps (default 30)")
    gen.add_argument("--guidance", type=float, help="guidance scale (default 1.5)")
    gen.add_argument("--seed", type=int, help="random seed (default: a new random one)")
    gen.add_argument("--image", type=Path, action="append", default=[], help="reference image for an edit (repeatable)")
    gen.add_argument("--variations", type=int, default=0, metavar="N",
                     help="also write N DiT-only variations (new seeds, same AR tokens) as OUT-1.png …")
    gen.add_argument("--events", type=Path, metavar="FILE", help="write one JSON object per event to FILE")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")

    info = commands.add_parser("recipe", help="print the recipe stored in a PNG as JSON")
    info.add_argument("png", type=Path)

    plan = commands.add_parser("plan", help="load a model and print what was loaded and the memory plan")
    _model_arguments(plan)
    return parser


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=OFFICIAL_REPO_ID, help=f"demo | a model folder | a hub id (default {OFFICIAL_REPO_ID})")
    parser.add_argument("--quant", default="bf16", choices=["bf16", "int8", "nf4"], help="weight quantization")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument("--offload", default="auto", choices=["auto", "none", "model", "sequential"])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"generate": _generate, "recipe": _print_recipe, "plan": _plan}
    try:
        return handlers[args.command](args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _load(args):
    from glm_core.loader import LoadError, LoadOptions, load_model

    options = LoadOptions(source=args.model, quant=args.quant, device=args.device, offload=args.offload)
    try:
        model = load_model(options)
    except (LoadError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc
    for notice in model.report.notices:
        print(f"note: {notice}", file=sys.stderr)
    return model


def _build_request(args):
    from glm_core.metadata import RecipeError, read_recipe, request_from_recipe
    from glm_core.request import GenerationRequest
    from glm_core.validation import ImageLoadError, load_image

    if args.from_recipe:
        try:
            recipe = read_recipe(args.from_recipe)
        except (OSError, RecipeError) as exc:
            raise CliError(f"cannot read a recipe from {args.from_recipe}: {exc}") from exc
        if recipe is None:
            raise CliError(f"{args.from_recipe} carries no recipe: give --prompt instead.")
        request = request_from_recipe(recipe)
    elif args.prompt is not None:
        request = GenerationRequest(prompt=args.prompt)
    else:
        raise CliError("give --prompt \"…\" (or --from-recipe PNG)")
    for name in ("prompt", "width", "height", "steps", "guidance", "seed"):
        value = getattr(args, name)
        if value is not None:
            setattr(request, name, value)
    try:
        request.reference_images = [load_image(path) for path in args.image]
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc
    return request


def _generate(args) -> int:
    from glm_core.files import refuse_overwrite
    from glm_core.metadata import save_png
    from glm_core.runner import GenerationRunner

    request = _build_request(args)
    outputs = [args.out] + [args.out.with_name(f"{args.out.stem}-{i}{args.out.suffix}") for i in range(1, args.variations + 1)]
    if not args.overwrite:
        try:
            for path in outputs:
                refuse_overwrite(path)
        except FileExistsError as exc:
            raise CliError(str(exc)) from exc
    model = _load(args)
    runner = GenerationRunner(model)
    sink = _EventSink(args.events, quiet=args.quiet)
    try:
        result = _run_interruptibly(runner, request, sink)
        if result is None:
            return sink.exit_code()
        save_png(result.image, args.out, result.recipe, overwrite=args.overwrite)
        print(args.out)
        for index, path in enumerate(outputs[1:], start=1):
            variation = request.variation(seed=(result.recipe.seed + index) % 2**32, prior=result.prior)
            varied = _run_interruptibly(runner, variation, sink)
            if varied is None:
                return sink.exit_code()
            save_png(varied.image, path, varied.recipe, overwrite=args.overwrite)
            print(path)
    finally:
        sink.close()
    return 0


def _run_interruptibly(runner, request, sink):
    """The runner works in a thread so Ctrl+C here can cancel it cleanly."""
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", runner.run(request, sink)), daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        runner.cancel()
        worker.join()
    return box.get("result")


def _print_recipe(args) -> int:
    from glm_core.metadata import RecipeError, read_recipe

    try:
        recipe = read_recipe(args.png)
    except (OSError, RecipeError) as exc:
        raise CliError(f"cannot read {args.png}: {exc}") from exc
    if recipe is None:
        raise CliError(f"{args.png} carries no recipe")
    print(json.dumps(recipe.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _plan(args) -> int:
    report = _load(args).report
    print(json.dumps({
        "model": report.model_id, "revision": report.revision, "device": report.device, "dtype": report.dtype,
        "quantization": report.quant, "offload": report.plan.offload, "peak_gb": round(report.plan.peak_bytes / 1e9, 2),
        "reason": report.plan.reason, "notices": report.notices, "demo": report.is_demo,
        "size_limits": [report.min_side, report.max_side], "load_seconds": round(report.seconds, 2),
    }, indent=2))
    return 0


class _EventSink:
    """Writes events as JSON lines and draws a progress bar on stderr."""

    def __init__(self, events_path: Path | None, quiet: bool):
        self.file = open(events_path, "w", encoding="utf-8") if events_path else None  # noqa: SIM115
        self.quiet = quiet
        self.last = None

    def __call__(self, event) -> None:
        from glm_core.events import DiffusionStep, Failed, TokenProgress

        self.last = event
        if self.file:
            self.file.write(json.dumps(event_to_json(event), ensure_ascii=False) + "\n")
        if isinstance(event, Failed):
            self._clear_line()
            print(f"error: {event.message}", file=sys.stderr)
        elif not self.quiet and isinstance(event, (TokenProgress, DiffusionStep)):
            if isinstance(event, TokenProgress):
                label, done, total = f"tokens ({event.grid})", event.index, event.total
            else:
                label, done, total = "denoising", event.step, event.total
            if done == total or done % max(1, total // 50) == 0:
                filled = int(30 * done / total)
                sys.stderr.write(f"\r{label:<16} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
                if done == total:
                    sys.stderr.write("\n")
                sys.stderr.flush()

    def _clear_line(self):
        if not self.quiet:
            sys.stderr.write("\r" + " " * 70 + "\r")

    def exit_code(self) -> int:
        from glm_core.events import Cancelled

        if isinstance(self.last, Cancelled):
            print("cancelled", file=sys.stderr)
            return EXIT_CANCELLED
        return EXIT_FAILED

    def close(self):
        if self.file:
            self.file.close()


def event_to_json(event) -> dict:
    """Plain JSON for an event; images are described, not embedded."""
    from dataclasses import fields

    from glm_core.events import Phase
    from glm_core.recipe import Recipe

    data = {"event": type(event).__name__}
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, Phase):
            value = value.value
        elif isinstance(value, Recipe):
            value = value.to_dict()
        elif hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
            data["width"], data["height"] = value.size
            continue
        data[f.name] = value
    return data
