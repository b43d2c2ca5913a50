"""`python main.py <command>`: everything the window does, for batches, scripts and tests.

Exit codes: 0 done, 1 failed (one line on stderr says why), 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import math
import re
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


class _BoxPart(argparse.Action):
    """Records --box and its per-box options in command-line order; `_boxes` pairs them up later,
    so a mistake (--at before any --box, a bad number) is a one-line CliError, not argparse's usage dump."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), (option_string, values)])


def _boxes(parts) -> list:
    from glm_core.textbox import ROLES, TextBox

    boxes: list[dict] = []
    for option, value in parts:
        if option == "--box":
            boxes.append({"text": value})
            continue
        if not boxes:
            raise CliError(f"{option} {value} comes before any --box: write --box \"TEXT\" --at X,Y,W,H {option} …")
        box = boxes[-1]
        if option == "--at":
            try:
                x, y, w, h = (float(part) for part in value.split(","))
            except ValueError:
                raise CliError(f"--at {value} is not X,Y,W,H in pixels, e.g. --at 64,40,896,160") from None
            if not all(map(math.isfinite, (x, y, w, h))) or w <= 0 or h <= 0:
                raise CliError(f"--at {value}: the width and height must be positive pixel counts")
            box.update(x=x, y=y, width=w, height=h)
        elif option == "--color":
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                raise CliError(f"--color {value} is not a #rrggbb colour, e.g. #ffd700")
            box["color"] = value.lower()
        elif option == "--role":
            if value not in ROLES:
                raise CliError(f"--role {value} is not one of {', '.join(ROLES)}")
            box["role"] = value
        elif option == "--weight":
            if not value.isdigit() or not 100 <= int(value) <= 900:
                raise CliError(f"--weight {value} is not a weight from 100 (light) to 900 (black)")
            box["weight"] = int(value)
        else:
            box["font_family"] = value
    for box in boxes:
        if "x" not in box:
            raise CliError(f"--box \"{box['text']}\" needs --at X,Y,W,H (pixels) right after it")
    return [TextBox(**box) for box in boxes]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="GLM-Image Studio: local poster generation.")
    parser.add_argument("--version", action="version", version=f"GLM-Image Studio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("gui", help="open the desktop window (the default with no command)")

    gen = commands.add_parser("generate", help="make an image and save it as a PNG with its recipe")
    gen.add_argument("--prompt", help="what the image shows; quote exact text with “…”")
    gen.add_argument("--from-recipe", type=Path, metavar="PNG", help="start from the recipe stored in a PNG")
    gen.add_argument("--out", type=Path, help="PNG file to write (required unless --print-prompt)")
    gen.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    _model_arguments(gen)
    gen.add_argument("--width", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--height", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--steps", type=int, help="DiT denoising steps (default 30)")
    gen.add_argument("--guidance", type=float, help="guidance scale (default 1.5)")
    gen.add_argument("--seed", type=int, help="random seed (default: a new random one)")
    gen.add_argument("--image", type=Path, action="append", default=[], help="reference image for an edit (repeatable)")
    gen.add_argument("--mask", type=Path, metavar="PNG",
                     help="masked edit of the one --image: white (>= 128) = change, black = keep; "
                          "the result keeps the image's size")
    gen.add_argument("--variations", type=int, default=0, metavar="N",
                     help="also write N DiT-only variations (new seeds, same AR tokens) as OUT-1.png …")
    gen.add_argument("--events", type=Path, metavar="FILE", help="write one JSON object per event to FILE")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    boxes = gen.add_argument_group("text boxes", "exact text placed on the poster; --prompt then describes the scene. "
                                   "--at, --font, --color, --weight and --role apply to the --box before them.")
    for option, metavar, text in (
        ("--box", "TEXT", "a text box (repeatable)"), ("--at", "X,Y,W,H", "its place in pixels"),
        ("--font", "FAMILY", "its font family"), ("--color", "#RRGGBB", "its colour (default white)"),
        ("--weight", "100-900", "its weight (default 700, bold)"), ("--role", "ROLE", "title, subtitle, body, caption or label"),
    ):
        boxes.add_argument(option, action=_BoxPart, dest="box_parts", metavar=metavar, help=text)
    gen.add_argument("--print-prompt", action="store_true", help="print the prompt to be used (notes on stderr) and exit")

    info = commands.add_parser("recipe", help="print the recipe stored in a PNG as JSON")
    info.add_argument("png", type=Path)

    plan = commands.add_parser("plan", help="load a model and print what was loaded and the memory plan")
    _model_arguments(plan)

    from glm_core.models_cli import add_models_parser  # models list | download | verify (glm_core/models_cli.py)

    add_models_parser(commands)
    return parser


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=OFFICIAL_REPO_ID, help=f"demo | a model folder | a hub id (default {OFFICIAL_REPO_ID})")
    parser.add_argument("--quant", default="bf16", choices=["bf16", "int8", "nf4"], help="weight quantization")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument("--offload", default="auto", choices=["auto", "none", "model", "sequential"])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from glm_core.models_cli import run_models

    handlers = {"generate": _generate, "recipe": _print_recipe, "plan": _plan, "models": run_models}
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
    elif args.prompt is not None or args.box_parts:
        request = GenerationRequest(prompt=args.prompt or "")
    else:
        raise CliError("give --prompt \"…\" (or --from-recipe PNG)")
    for name in ("prompt", "width", "height", "steps", "guidance", "seed"):
        value = getattr(args, name)
        if value is not None:
            setattr(request, name, value)
    if args.box_parts:  # the boxes carry the exact text; the prompt so far only describes the scene
        from glm_core.prompt_composer import compose_prompt

        composed = compose_prompt(request.prompt, _boxes(args.box_parts), request.width, request.height)
        for notice in composed.notices:
            print(f"note: {notice}", file=sys.stderr)
        request.prompt = composed.prompt
    try:
        request.reference_images = [load_image(path) for path in args.image]
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc
    if args.mask is not None:
        _add_mask(request, args)
    return request


def _add_mask(request, args) -> None:
    from glm_core.masking import load_mask
    from glm_core.validation import ImageLoadError

    if len(args.image) != 1:
        raise CliError(f"--mask needs exactly one --image, the image to edit (got {len(args.image)})")
    if args.width is not None or args.height is not None:
        raise CliError("--width/--height do not apply with --mask: a masked edit keeps the image's own size")
    try:
        request.mask = load_mask(args.mask)
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc


def _generate(args) -> int:
    if args.print_prompt:  # before the runner import below (transformers): show the prompt and stop
        print(_build_request(args).prompt)
        return 0
    from glm_core.files import refuse_overwrite
    from glm_core.metadata import save_png
    from glm_core.runner import GenerationRunner

    request = _build_request(args)
    if args.out is None:
        raise CliError("give --out FILE.png (or --print-prompt to only see the prompt)")
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


def run_cancellable(fn):
    """Run fn(cancel) in a thread so Ctrl+C here sets `cancel` and waits for the work to wind
    down cleanly; fn's result or exception comes back to the caller."""
    cancel, box = threading.Event(), {}

    def work():
        try:
            box["result"] = fn(cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cancel.set()
        worker.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _run_interruptibly(runner, request, sink):
    return run_cancellable(lambda cancel: runner.run(request, sink, cancel=cancel))


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
