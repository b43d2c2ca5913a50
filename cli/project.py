"""`python main.py project info FILE | export FILE --out PNG [--overlay] [--overwrite] [--dpi N] [--scale 2|4]
| align FILE --boxes ID,ID --to EDGE | distribute FILE --boxes ID,ID,ID --axis x|y`.

A saved .glmstudio project as the window sees it (glm_core/project/document.py): `info` prints a
JSON summary, `export` writes its image as File ▸ Export does (recipe embedded when known, the
text boxes drawn over it with --overlay). Project files come from strangers: anything damaged or
hostile is refused by glm_core.project.file with one line naming the problem (exit 1).
`align` and `distribute` arrange text boxes as the window's Arrange menu does (the arithmetic is
glm_core/project/arrange.py) and save the project in place, atomically.
`generate --project FILE` (cli/generate.py) makes new images from one.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from cli.common import CliError, print_text, require_renderer
from glm_core.project.arrange import ALIGN_EDGES, AXES


def add_project_parser(commands) -> None:
    project = commands.add_parser("project", help="summarise a saved .glmstudio project, or export its image")
    sub = project.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    info = sub.add_parser("info", help="print JSON: size, text boxes, prompts, settings, mask, history with recipes")
    info.add_argument("file", type=Path, metavar="FILE")
    export = sub.add_parser("export", help="write the project's image as a PNG (with its recipe when known)")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--out", type=Path, required=True, metavar="PNG", help="PNG file to write")
    export.add_argument("--overlay", action="store_true",
                        help="draw the text boxes as real text over the image (the window's \"Overlay my text\")")
    export.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    export.add_argument("--dpi", type=int, metavar="N",
                        help="print resolution written into the PNG (pHYs), e.g. 300; the print size is reported")
    export.add_argument("--scale", type=int, default=1, choices=(1, 2, 4),
                        help="enlarge 2x or 4x by Lanczos resampling (more pixels, no new detail)")
    align = sub.add_parser("align", help="line text boxes up (one box: with the canvas); saves the project")
    align.add_argument("file", type=Path, metavar="FILE")
    align.add_argument("--boxes", required=True, metavar="ID,ID", help="box ids as `project info` lists them")
    align.add_argument("--to", required=True, choices=ALIGN_EDGES, help="the edge or centre line to share")
    distribute = sub.add_parser("distribute", help="equal gaps between 3 or more text boxes; saves the project")
    distribute.add_argument("file", type=Path, metavar="FILE")
    distribute.add_argument("--boxes", required=True, metavar="ID,ID,ID", help="box ids as `project info` lists them")
    distribute.add_argument("--axis", required=True, choices=AXES, help="x: side by side, y: one above the other")


def run_project(args) -> int:
    return {"info": _info, "export": _export, "align": _arrange, "distribute": _arrange}[args.project_command](args)


def open_project(path: Path):
    """load_project with its refusals as one-line CliErrors."""
    from glm_core.project import ProjectError, load_project

    try:
        return load_project(path)
    except ProjectError as exc:
        raise CliError(" ".join(str(exc).split())) from exc
    except OSError as exc:
        raise CliError(f"cannot open {path}: {exc.strerror or exc}") from exc


def _info(args) -> int:
    from glm_core.project.document import base_layer, base_recipe, effective_prompt, panel_settings

    project = open_project(args.file)
    size = (project.width, project.height)
    prompt, notices = effective_prompt(project.scene_prompt, project.pinned_prompt, project.boxes, size)
    layer = base_layer(project)
    recipe = base_recipe(project)
    print_text(json.dumps({
        "file": str(args.file),
        "width": project.width, "height": project.height,
        "scene_prompt": project.scene_prompt,
        "pinned_prompt": project.pinned_prompt,
        "prompt": prompt,  # what `generate --project` (and the window's Generate) sends
        "prompt_notices": notices,
        "boxes": [asdict(box) for box in project.boxes],
        "image": None if layer is None else {
            "layer": layer.name, "width": layer.image.width, "height": layer.image.height,
            "recipe": None if recipe is None else recipe.to_dict()},
        "layers": [{"name": l.name, "width": l.image.width, "height": l.image.height, "mode": l.image.mode,
                    "visible": l.visible, "opacity": l.opacity, "x": l.x, "y": l.y} for l in project.layers],
        "has_mask": _mask_coverage(project.mask) > 0,
        "mask_coverage": round(_mask_coverage(project.mask), 4),
        "settings": panel_settings(project.settings),
        "history_count": len(project.history),
        # Oldest first, as `generate --project FILE --rerun N / --variation N` count them; what each
        # keeps for a re-run (its request's images and mask) and a variation (its AR tokens).
        "history": [{"id": e.id, "created": e.created, "source_id": e.source_id, "recipe": e.recipe.to_dict(),
                     "references": len(e.references), "mask": e.mask is not None, "feather": e.feather,
                     "ar_tokens": e.prior is not None} for e in project.history],
    }, ensure_ascii=False, indent=2))
    return 0


def _mask_coverage(mask) -> float:
    """The share of the canvas a masked edit changes (values from 128 up, as glm_core.generation.masking reads them)."""
    if mask is None:
        return 0.0
    histogram = mask.histogram()
    return sum(histogram[128:]) / max(1, mask.width * mask.height)


def _export(args) -> int:
    from glm_core.files import refuse_overwrite
    from glm_core.project.metadata import save_png
    from glm_core.project.document import base_image, base_recipe, has_text
    from glm_core.project.print_export import UPSCALE_METHOD, PrintSize, check_dpi, enlarge

    if args.dpi is not None:
        try:
            check_dpi(args.dpi)
        except ValueError as exc:
            raise CliError(f"--dpi {exc}") from exc
    project = open_project(args.file)
    image = base_image(project)
    if image is None:
        raise CliError(f"{args.file} has no image to export yet: generate one with "
                       f"`python main.py generate --project {args.file} --out FILE.png`")
    if not args.overwrite:
        try:
            refuse_overwrite(args.out)
        except FileExistsError as exc:
            raise CliError(str(exc)) from exc
    image = enlarge(image, args.scale)  # before the overlay, so the text is drawn sharp at the new size
    if args.overlay:
        renderer = require_renderer(args.text_renderer, "--overlay")
        if has_text(project.boxes):
            image = renderer.overlay(image, project.boxes, (project.width, project.height))
        else:
            print("note: --overlay: the project has no text box with text; the image is exported as is",
                  file=sys.stderr)
    try:
        save_png(image, args.out, base_recipe(project), overwrite=args.overwrite, dpi=args.dpi)
    except FileExistsError as exc:  # created by someone else meanwhile
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print_text(str(args.out))
    if args.scale > 1:
        print(f"note: enlarged {args.scale}x by {UPSCALE_METHOD}", file=sys.stderr)
    if args.dpi is not None:
        print(f"print size: {PrintSize(image.width, image.height, args.dpi).describe()}", file=sys.stderr)
    return 0


def _arrange(args) -> int:
    from glm_core.project import ProjectError, save_project
    from glm_core.project.arrange import align, distribute

    project = open_project(args.file)
    ids = [part.strip() for part in args.boxes.split(",") if part.strip()]
    known = {box.id: box for box in project.boxes}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise CliError(f"--boxes: no text box {', '.join(unknown)} in {args.file}; "
                       f"`python main.py project info {args.file}` lists the box ids")
    if len(set(ids)) != len(ids):
        raise CliError("--boxes names a box twice: list each box once")
    chosen = [known[i] for i in ids]
    try:
        if args.project_command == "align":
            changed = align(chosen, args.to, project.size)
        else:
            changed = distribute(chosen, args.axis)
    except ValueError as exc:
        raise CliError(f"--boxes: {exc}") from exc
    by_id = {box.id: box for box in changed}
    project.boxes = [by_id.get(box.id, box) for box in project.boxes]
    try:
        save_project(project, args.file, overwrite=True)
    except (ProjectError, OSError) as exc:
        raise CliError(f"cannot save {args.file}: {getattr(exc, 'strerror', None) or exc}") from exc
    moved = sum(1 for before, after in zip(chosen, changed) if before != after)
    print_text(f"{args.file}: {moved} of {len(chosen)} boxes moved")
    return 0
