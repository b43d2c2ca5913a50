"""`python main.py generate | recipe | plan`: make images (with text boxes, from a recipe or a
project, masked edits, variations), print a PNG's recipe, load a model and print its memory plan.

Nothing on the `--print-prompt` path imports Qt or torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cli.boxes import BoxPart, parse_boxes
from cli.common import EXIT_CANCELLED, CliError, print_text, require_renderer, run_cancellable
from cli.progress import EventSink
from glm_core import OFFICIAL_REPO_ID

from glm_core.project.request_builder import EditSource, TextLayout, build_request

if TYPE_CHECKING:
    from glm_core.generation.request import GenerationRequest


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size: write WIDTHxHEIGHT, e.g. 1024x1024") from None
    return width, height


def add_generate_parsers(commands) -> None:
    """generate, recipe and plan."""
    gen = commands.add_parser("generate", help="make an image and save it as a PNG with its recipe")
    gen.add_argument("--prompt", help="what the image shows; quote exact text with “…”")
    gen.add_argument("--from-recipe", type=Path, metavar="PNG", help="start from the recipe stored in a PNG")
    gen.add_argument("--project", type=Path, metavar="FILE",
                     help="start from a saved .glmstudio project: its prompt (pinned, or the scene with its "
                          "text boxes), size, steps, guidance and locked seed; options given here win")
    gen.add_argument("--edit", choices=["masked", "whole"],
                     help="with --project, edit its image as the prompt says: masked = only its painted mask "
                          "(plus --feather), whole = the whole image")
    gen.add_argument("--out", type=Path, help="PNG file to write (required unless --print-prompt)")
    gen.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    _model_arguments(gen)
    from cli.generate_remote import add_engine_arguments

    add_engine_arguments(gen)  # --engine URL, --api-key-env, --server-model
    gen.add_argument("--width", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--height", type=int, help="pixels, a multiple of 32 (default 1024)")
    gen.add_argument("--steps", type=int, help="DiT denoising steps (default 30)")
    gen.add_argument("--guidance", type=float, help="guidance scale (default 1.5)")
    gen.add_argument("--seed", type=int, help="random seed (default: a new random one)")
    gen.add_argument("--image", type=Path, action="append", default=[], help="reference image for an edit (repeatable)")
    gen.add_argument("--mask", type=Path, metavar="PNG",
                     help="masked edit of the one --image: white (>= 128) = change, black = keep; "
                          "the result keeps the image's size")
    gen.add_argument("--feather", type=int, metavar="PX",
                     help="masked edits: the soft band outside the mask, 0 to 128 pixels (default 8)")
    gen.add_argument("--batch", type=int, metavar="N",
                     help="write N images: OUT.png, then OUT-1.png … with the next seeds; after the first, "
                          "DiT-only variations (same AR tokens), or full runs for a masked edit (as the window's Batch)")
    gen.add_argument("--variations", type=int, default=0, metavar="N",
                     help="also write N more images as OUT-1.png …: the same as --batch N+1")
    gen.add_argument("--events", type=Path, metavar="FILE", help="write one JSON object per event to FILE")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    boxes = gen.add_argument_group("text boxes", "exact text placed on the poster; --prompt then describes the scene. "
                                   "--at, --font, --font-style, --color, --weight and --role apply to the --box before them.")
    for option, metavar, text in (
        ("--box", "TEXT", "a text box (repeatable)"), ("--at", "X,Y,W,H", "its place in pixels"),
        ("--font", "FAMILY", "its font family (drawn text and the recipe; never named in the prompt)"),
        ("--font-style", "WORDS", "its font's look for the prompt, e.g. \"classic serif\", \"clean condensed sans-serif\""), ("--color", "#RRGGBB", "its colour (default white)"),
        ("--weight", "100-900", "its weight (default 700, bold)"), ("--role", "ROLE", "title, subtitle, body, caption or label"),
    ):
        boxes.add_argument(option, action=BoxPart, dest="box_parts", metavar=metavar, help=text)
    boxes.add_argument("--overlay", action="store_true",
                       help="draw the text boxes as real text over the result (and each variation) at full "
                            "resolution before saving: every word exact, as the window's \"Overlay my text\"")
    boxes.add_argument("--layout-guide", action="store_true",
                       help="send a picture of the text boxes (fonts, colours, positions) as a reference image")
    gen.add_argument("--print-prompt", action="store_true", help="print the prompt to be used (notes on stderr) and exit")
    from cli.text_check import add_text_check_options

    add_text_check_options(gen)  # --json, --check-text, --fix-text (cli/text_check.py)
    from cli.rerun import add_rerun_options

    add_rerun_options(gen)  # --rerun N, --variation N (cli/rerun.py)

    info = commands.add_parser("recipe", help="print the recipe stored in a PNG as JSON")
    info.add_argument("png", type=Path)

    plan = commands.add_parser(
        "plan", help="the memory plan for a model, card and picture, from the model's configs (nothing is "
                     "loaded or downloaded)")
    _model_arguments(plan)
    plan.add_argument("--vram", type=float, metavar="GB",
                      help="plan for a GPU with this much memory (default: what this machine's device has free)")
    plan.add_argument("--width", type=int, default=1024, help="pixels (default 1024)")
    plan.add_argument("--height", type=int, default=1024, help="pixels (default 1024)")
    plan.add_argument("--references", type=int, default=0, metavar="N",
                      help="reference images: an edit's source, a masked edit's crop, the layout guide (default 0)")


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=OFFICIAL_REPO_ID, help=f"demo | a model folder | a hub id (default {OFFICIAL_REPO_ID})")
    parser.add_argument("--quant", default="bf16", choices=["bf16", "int8", "nf4"], help="weight quantization")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    parser.add_argument("--offload", default="auto", choices=["auto", "none", "model", "sequential"])


def run_generate_command(args) -> int:
    return {"generate": _generate, "recipe": _print_recipe, "plan": _plan}[args.command](args)


@dataclass
class Job:
    """What `generate` runs, and what its text options need."""

    request: GenerationRequest
    layout: TextLayout  # the text boxes and the canvas (pixels) they are placed in
    fit_to: tuple[int, int] | None = None  # an edit: take this size, made valid for the model
    scene: str = ""  # the prompt as typed, before the boxes were added (a text fix describes its boxes alone)
    references: tuple[dict[str, str], ...] = ()  # the edit's files, for its recipe (Recipe.references)

    def fit(self, min_side: int, max_side: int) -> None:
        """Once the model's limits are known: an edit keeps its image's size where the model
        takes it, as the window's edits do."""
        if self.fit_to is not None:
            from glm_core.generation.validation import nearest_valid_size

            self.request.width, self.request.height = nearest_valid_size(*self.fit_to, min_side, max_side)


def build_job(args, for_run: bool = True) -> Job:
    """The request `generate` runs, from the same builder as the window's Generate. With
    for_run=False (--print-prompt) only the prompt counts: no layout guide is drawn and no mask
    is read, so nothing imports Qt or torch."""
    from cli.checks import check_recipe_references, file_references
    from glm_core.generation.settings import GenerationSettings
    from glm_core.generation.validation import ImageLoadError, is_valid_text, load_image
    from glm_core.project.document import generation_settings, restored_prompt
    from glm_core.project.metadata import RecipeError, read_recipe

    _check_options(args)
    if args.prompt is not None and not is_valid_text(args.prompt):  # before any model loads
        raise CliError("--prompt holds bytes that are not UTF-8 text: retype it in a UTF-8 terminal")
    project = None
    if args.from_recipe:
        try:
            recipe = read_recipe(args.from_recipe)
        except (OSError, RecipeError) as exc:
            raise CliError(f"cannot read a recipe from {args.from_recipe}: {exc}") from exc
        if recipe is None:
            raise CliError(f"{args.from_recipe} carries no recipe: give --prompt instead.")
        check_recipe_references(recipe, args.from_recipe, args.image, args.mask)
        settings = GenerationSettings.from_recipe(recipe)
        settings.prompt = restored_prompt(recipe, parse_boxes(args.box_parts))  # --box: the typed one
    elif args.project:
        from cli.project import open_project

        project = open_project(args.project)
        if args.rerun is not None or args.variation is not None:
            from cli.rerun import history_job

            return history_job(project, args)
        settings = generation_settings(project)  # the Create panel's values, as the window restores them
    elif args.prompt is not None or args.box_parts:
        settings = GenerationSettings(prompt=args.prompt or "")
    else:
        raise CliError("give --prompt \"…\" (or --from-recipe PNG, or --project FILE)")
    for name in ("prompt", "width", "height", "steps", "guidance", "feather"):
        value = getattr(args, name)
        if value is not None:
            setattr(settings, name, value)
    if args.seed is not None:
        settings.update(seed=args.seed, seed_locked=True)
    settings.layout_guide = args.layout_guide
    try:
        images = [load_image(path) for path in args.image]
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc

    edit, fit_to = None, None
    if project is not None:  # --prompt replaces the scene and --box the boxes, and with them a pinned prompt
        pinned = project.pinned_prompt if args.prompt is None and not args.box_parts else None
        boxes = parse_boxes(args.box_parts) if args.box_parts else list(project.boxes)
        layout = TextLayout(project.size, boxes, pinned)
        if args.edit:
            edit, fit_to = _project_edit(project, args)
    elif args.mask is not None:  # the boxes sit on the image being edited
        mask = _read_mask(args, read=for_run)
        edit = EditSource(images.pop(0), mask)
        fit_to = edit.image.size
        layout = TextLayout(edit.image.size, parse_boxes(args.box_parts))
    else:
        layout = TextLayout((settings.width, settings.height), parse_boxes(args.box_parts))
    guide = _layout_guide(layout, args.text_renderer) if for_run and args.layout_guide else None
    request = build_request(layout, settings, edit, render_guide=guide,
                            on_notice=lambda notice: print(f"note: {notice}", file=sys.stderr))
    request.reference_images += images  # an image-to-image run's own references, after the guide
    if args.from_recipe and request.glyph_texts is None:
        request.glyph_texts = list(recipe.glyph_texts) or None  # what the recorded run's glyph encoder got
    if args.from_recipe and args.seed is None:
        request.layout_seed = recipe.layout_seed  # a variation: its layout tokens came from this seed
    if args.from_recipe and recipe.overlay and not args.box_parts:  # drawn over the result again, not composed
        layout, args.overlay = TextLayout((recipe.width, recipe.height), _recorded_boxes(recipe, args.from_recipe)), True
    references = file_references(args.image, args.mask) if for_run else ()
    if args.from_recipe and args.prompt is None and recipe.typed_prompt is not None:
        request.typed_prompt = recipe.typed_prompt  # the scene before its boxes, recorded again
    return Job(request, layout, fit_to, scene=settings.prompt if request.typed_prompt is None else request.typed_prompt,
               references=references)


def _recorded_boxes(recipe, source: Path) -> list:
    """A recipe's overlay boxes, each checked as a project file's are (the PNG is untrusted)."""
    from glm_core.project.model import ProjectError, box_from_json

    try:
        return [box_from_json(data, f"overlay[{i}]") for i, data in enumerate(recipe.overlay)]
    except ProjectError as exc:
        raise CliError(f"{source.name}: its recipe's overlay is damaged ({exc}): give --box options instead") from exc


def _check_options(args) -> None:
    """Options that cannot go together, refused before anything is read or loaded."""
    if args.project and args.from_recipe:
        raise CliError("give --project or --from-recipe, not both")
    from cli.rerun import check_rerun_options

    check_rerun_options(args)
    if args.edit and not args.project:
        raise CliError("--edit edits a project's image: add --project FILE.glmstudio "
                       "(for a PNG, use --image, with --mask for a masked edit)")
    if args.edit and (args.image or args.mask):
        raise CliError("--edit takes the image (and mask) from the project: drop --image and --mask")
    masked = args.mask is not None or args.edit == "masked"
    if masked and (args.width is not None or args.height is not None):
        raise CliError("--width/--height do not apply to a masked edit: it keeps the image's own size")
    if args.feather is not None:
        if not masked:
            raise CliError("--feather applies to masked edits (--mask, or --project with --edit masked)")
        if not 0 <= args.feather <= 128:
            raise CliError(f"--feather {args.feather} is out of range: use 0 to 128 pixels")
    if args.layout_guide and (args.mask is not None or args.edit):
        raise CliError("--layout-guide is for new images: an edit sends only the image it changes "
                       "(as the window does)")


def _project_edit(project, args) -> tuple[EditSource, tuple[int, int] | None]:
    """--edit: the project's image, with its mask (masked) or whole; and, unless --width/--height
    say otherwise, the size to fit once the model's limits are known (Job.fit)."""
    from glm_core.project.document import base_image

    image = base_image(project)
    if image is None:
        raise CliError(f"{args.project} has no image to edit: generate one first, or drop --edit")
    if args.edit == "whole":
        fit_to = image.size if args.width is None and args.height is None else None
        return EditSource(image), fit_to
    if project.mask is None:
        raise CliError(f"{args.project} has no mask: paint the area to change in the window, "
                       "or use --edit whole")
    return EditSource(image, project.mask), image.size


def _read_mask(args, read: bool = True):
    """The --mask of the one --image; None when not `read` (--print-prompt: no torch)."""
    if len(args.image) != 1:
        raise CliError(f"--mask needs exactly one --image, the image to edit (got {len(args.image)})")
    if not read:
        return None
    from glm_core.generation.masking import load_mask  # torch, for the edit itself
    from glm_core.generation.validation import ImageLoadError

    try:
        return load_mask(args.mask)
    except (OSError, ImageLoadError) as exc:
        raise CliError(str(exc)) from exc


def _layout_guide(layout: TextLayout, renderer):
    """As the window's "Layout guide": the caller's renderer draws the boxes (the builder puts
    the picture first among the references); None with a note when no box has text."""
    from glm_core.project.document import has_text

    renderer = require_renderer(renderer, "--layout-guide")
    if not has_text(layout.boxes):
        print("note: --layout-guide: no text box has text, so no guide is sent", file=sys.stderr)
        return None
    return renderer.layout_guide


def _overlay(job: Job, renderer):
    """image -> image with the boxes drawn over it (the window's "Overlay my text"), or None."""
    from glm_core.project.document import has_text

    renderer = require_renderer(renderer, "--overlay")
    if not has_text(job.layout.boxes):
        print("note: --overlay: no text box has text, so the image is saved as generated", file=sys.stderr)
        return None
    return lambda image: renderer.overlay(image, job.layout.boxes, job.layout.size)


def _generate(args) -> int:
    if args.print_prompt:  # before the runner import below (transformers): show the prompt and stop
        from cli.text_check import prompt_json

        request = build_job(args, for_run=False).request
        print_text(prompt_json(request) if args.json else request.prompt)
        return 0
    from cli.checks import check_counts, check_output_paths, check_request, image_count, model_size_limits
    from cli.generate_remote import check_engine_options
    from cli.generate_run import make
    from cli.text_check import prepare_text_check
    from glm_core.models.load_report import REAL_SIZE_LIMITS

    if args.out is None:
        raise CliError("give --out FILE.png (or --print-prompt to only see the prompt)")
    check_counts(args)
    check_engine_options(args)
    outputs = [args.out] + [args.out.with_name(f"{args.out.stem}-{i}{args.out.suffix}") for i in range(1, image_count(args))]
    check_output_paths(outputs, args.events, args.overwrite)
    job = build_job(args)
    overlay = _overlay(job, args.text_renderer) if args.overlay else None
    prepare_text_check(args, job)
    # From the model's folder (nothing is loaded yet); a server runs the real model.
    limits = REAL_SIZE_LIMITS if args.engine else model_size_limits(args.model)
    job.fit(*limits)
    request = job.request
    check_request(request, limits, masked=request.mask is not None)
    if request.mask is not None:  # an empty mask fails now, not after loading the model
        from glm_core.generation.masking import prepare_mask
        from glm_core.generation.validation import InvalidRequest

        try:
            prepare_mask(request.mask, request.reference_images[0].size)
        except InvalidRequest as exc:
            raise CliError(str(exc)) from exc
    sink, written = EventSink(args.events, quiet=args.quiet), []
    try:
        code = run_cancellable(lambda cancel: make(args, job, overlay, outputs, sink, written, cancel))
    finally:
        sink.close()
    if code == EXIT_CANCELLED:  # whatever this run wrote goes: a cancelled job leaves no result behind
        for path in written:
            path.unlink(missing_ok=True)
        print("cancelled", file=sys.stderr)
    return code


def _print_recipe(args) -> int:
    from glm_core.project.metadata import RecipeError, read_recipe

    try:
        recipe = read_recipe(args.png)
    except (OSError, RecipeError) as exc:
        raise CliError(f"cannot read {args.png}: {exc}") from exc
    if recipe is None:
        raise CliError(f"{args.png} carries no recipe")
    print_text(json.dumps(recipe.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _plan(args) -> int:
    """What-if planning: sizes from the model's configs (a local folder, the demo, or the bundled
    configs of zai-org/GLM-Image before any download), memory from --vram or the device."""
    from glm_core.models import device as devices
    from glm_core.models import memory
    from glm_core.models.loader import (
        QUANTIZABLE, LoadError, LoadOptions, _already_quantized, choose_quant, quiet_libraries, resolve_source,
    )

    quiet_libraries()  # the demo model may be built first: no progress bars on stdout
    if args.vram is not None and not 0 < args.vram < 10_000:
        raise CliError(f"--vram {args.vram} is not a memory size in GB, e.g. --vram 8")
    if min(args.width, args.height) < 32 or args.references < 0:
        raise CliError("--width and --height must be at least 32 pixels and --references 0 or more")
    try:
        folder, model_id, _revision = resolve_source(LoadOptions(source=args.model))
        sizes, saved = memory.component_sizes_from_folder(folder), {c: _already_quantized(folder, c) for c in QUANTIZABLE}
    except LoadError as exc:
        if args.model != OFFICIAL_REPO_ID:
            raise CliError(str(exc)) from exc
        model_id, sizes, saved = OFFICIAL_REPO_ID, memory.known_model_sizes(), {}  # not downloaded: its bundled configs
    if args.vram is not None:
        device = "cuda" if args.device == "auto" else args.device
        free = int(args.vram * memory.GB)
    else:
        try:
            device = devices.resolve_device(args.device)
        except devices.DeviceUnavailable as exc:
            raise CliError(str(exc)) from exc
        free = devices.free_memory_bytes(device)
    try:
        quant, notices = choose_quant(args.quant, device, saved)
    except LoadError as exc:
        raise CliError(str(exc)) from exc
    job = memory.Job(args.width, args.height, args.references)
    if args.offload == "sequential" and (why := memory.sequential_allowed(quant, job)):
        raise CliError(f"--offload sequential: {why}. Use --offload model (or auto).")
    plan = memory.plan_memory(sizes, quant, free, offload=args.offload, job=job)
    print(json.dumps({
        "model": model_id, "device": device, "quantization": quant, "free_gb": round(free / memory.GB, 2),
        "width": job.width, "height": job.height, "references": job.references,
        "offload": plan.offload, "vae_tiling": plan.vae_tiling, "peak_gb": round(plan.peak_bytes / memory.GB, 2),
        "fits": plan.fits(), "reason": plan.reason, "notices": notices,
    }, indent=2))
    return 0
