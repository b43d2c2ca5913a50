"""`python main.py check-text IMAGE --box TEXT --at X,Y,W,H … | --project FILE`, and the text
options of `generate` (--json with --print-prompt, --check-text, --fix-text N).

check-text prints `{"boxes": [{"index", "text", "read", "ok", "similarity", "box"}…]}` and exits
0 when every box reads exactly, 3 when any does not, 1 on an error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from cli.boxes import BoxPart, parse_boxes
from cli.common import CliError, print_text

EXIT_TEXT_WRONG = 3


def add_check_text_parser(commands) -> None:
    check = commands.add_parser("check-text", help="read each text box back from an image with OCR (JSON; exit 3 "
                                                   "when any box is not exact)")
    check.add_argument("image", type=Path, metavar="IMAGE")
    check.add_argument("--project", type=Path, metavar="FILE",
                       help="take the boxes from a .glmstudio project (placed on its canvas, scaled to IMAGE)")
    for option, metavar, text in (("--box", "TEXT", "the text a box should read (repeatable)"),
                                  ("--at", "X,Y,W,H", "its place in IMAGE's pixels")):
        check.add_argument(option, action=BoxPart, dest="box_parts", metavar=metavar, help=text)


def add_text_check_options(gen: argparse.ArgumentParser) -> None:
    gen.add_argument("--json", action="store_true",
                     help="with --print-prompt: print {\"prompt\", \"glyph_texts\"} (what the glyph encoder gets)")
    gen.add_argument("--check-text", action="store_true",
                     help="read each text box back from the image with OCR, report it (and in the recipe); "
                          f"exit {EXIT_TEXT_WRONG} when any box is not exact")
    gen.add_argument("--fix-text", type=int, default=0, metavar="N",
                     help="with the check: up to N rounds that re-render only the wrong boxes (masked edits; "
                          "every other pixel stays as it was)")


def prompt_json(request) -> str:
    from glm_core.generation.glyphs import extract_glyph_texts

    glyphs = request.glyph_texts if request.glyph_texts is not None else extract_glyph_texts(request.prompt)
    return json.dumps({"prompt": request.prompt, "glyph_texts": glyphs}, ensure_ascii=False, indent=2)


def run_check_text(args) -> int:
    from glm_core.generation.validation import ImageLoadError, load_image

    if args.project is not None and args.box_parts:
        raise CliError("give the boxes with --box … --at …, or take them from --project, not both")
    try:
        image = load_image(args.image)
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc
    if args.project is not None:
        from cli.project import open_project

        project = open_project(args.project)
        boxes, canvas = list(project.boxes), (project.width, project.height)
    else:
        boxes, canvas = parse_boxes(args.box_parts or []), image.size
    checks = _check(image, boxes, canvas)
    print_text(json.dumps({"boxes": [c.to_json() for c in checks]}, ensure_ascii=False, indent=2))
    return 0 if all(c.ok for c in checks) else EXIT_TEXT_WRONG


def _check(image, boxes, canvas):
    from glm_core.project.document import has_text
    from glm_core.project.text_check import OcrUnavailable, check_text

    if not has_text(boxes):
        raise CliError("no text box to check: give --box \"TEXT\" --at X,Y,W,H (or --project FILE with text boxes)")
    try:
        return check_text(image, boxes, canvas)
    except OcrUnavailable as exc:
        raise CliError(str(exc)) from exc


def prepare_text_check(args, job) -> None:
    """Refuse what cannot work before any model loads, and load OCR now (a missing OCR is one line)."""
    from glm_core.project.document import has_text
    from glm_core.project.text_check import OcrUnavailable, ocr_engine

    if args.fix_text < 0:
        raise CliError(f"--fix-text {args.fix_text}: give a number of rounds, 1 or more")
    if args.fix_text and args.overlay:
        raise CliError("--fix-text re-renders the model's own text, which --overlay covers with yours: drop one")
    if args.check_text or args.fix_text:
        if not has_text(job.layout.boxes):
            raise CliError("--check-text reads text boxes back: give --box \"TEXT\" --at X,Y,W,H "
                           "(or --project FILE with text boxes)")
        try:
            ocr_engine()
        except OcrUnavailable as exc:
            raise CliError(str(exc)) from exc


def check_and_fix(args, job, image, result, run, sink, limits):
    """The image to save, its recipe and the exit code after --check-text / --fix-text; the
    image is None when a fix round was cancelled or failed. `run(request)` generates; `limits`
    are the model's smallest and largest side."""
    from glm_core.generation.events import TextChecked
    from glm_core.project.text_check import check_text
    from glm_core.project.text_fix import fix_text

    recipe = result.recipe
    if not (args.check_text or args.fix_text):
        return image, recipe, 0
    checks = check_text(image, job.layout.boxes, job.layout.size)
    sink(TextChecked(tuple(checks), round=0))
    _report(checks, "check")
    if args.fix_text and not all(c.ok for c in checks):
        def generate(request):
            fixed = run(request)
            return None if fixed is None else fixed.image

        outcome = fix_text(image, job.layout.boxes, job.layout.size, checks, scene=job.scene, base=job.request,
                           seed=recipe.seed, rounds=args.fix_text, limits=limits,
                           generate=generate)
        if outcome is None:
            return None, recipe, 0
        image, checks = outcome.image, outcome.checks
        sink(TextChecked(tuple(checks), round=outcome.rounds))
        _report(checks, f"after {outcome.rounds} fix round{'s' * (outcome.rounds != 1)}")
    recipe = replace(recipe, text_check=tuple(c.recipe_entry() for c in checks))
    return image, recipe, 0 if all(c.ok for c in checks) else EXIT_TEXT_WRONG


def _report(checks, when: str) -> None:
    exact = sum(c.ok for c in checks)
    print(f"text {when}: {exact} of {len(checks)} boxes read exactly", file=sys.stderr)
    for c in checks:
        if not c.ok:
            seen = c.note or f"read {json.dumps(c.read, ensure_ascii=False)}"
            print(f"  box {c.index} {json.dumps(c.text, ensure_ascii=False)}: {seen}", file=sys.stderr)
