"""`generate --project FILE --rerun N | --variation N`: a saved history entry again, as the window's
Re-run and Variation (the same request, glm_core/project/request_builder.request_from_history)."""

from __future__ import annotations

import secrets

from cli.common import CliError
from cli.generate import Job
from glm_core.generation.validation import MAX_SEED
from glm_core.project.request_builder import TextLayout, request_from_history


def add_rerun_options(gen) -> None:
    gen.add_argument("--rerun", type=int, metavar="N",
                     help="with --project, run its history entry N again (0 = oldest, as `project info` lists "
                          "them; -1 = newest): same prompt, seed, source image, mask and feather")
    gen.add_argument("--variation", type=int, metavar="N",
                     help="with --project, a DiT-only variation of history entry N from its saved AR tokens "
                          "(--seed, or a new random one)")


def check_rerun_options(args) -> None:
    """--rerun/--variation take everything from the entry: refused with anything that would change it."""
    if args.rerun is None and args.variation is None:
        return
    given = [name for name in ("prompt", "edit", "mask", "width", "height", "steps", "guidance", "feather")
             if getattr(args, name) is not None] + ["box"] * bool(args.box_parts) + ["image"] * bool(args.image)
    if not args.project or args.rerun is not None and args.variation is not None:
        raise CliError("--rerun N or --variation N picks a history entry of --project FILE.glmstudio")
    if given or args.layout_guide or args.rerun is not None and args.seed is not None:
        raise CliError(f"--rerun/--variation repeat a history entry as it was made: drop "
                       f"--{(given or ['layout-guide' if args.layout_guide else 'seed'])[0]}")


def history_job(project, args) -> Job:
    """--rerun N / --variation N: a saved history entry again, as the window's Re-run and Variation."""
    index = args.rerun if args.rerun is not None else args.variation
    option = "--rerun" if args.rerun is not None else "--variation"
    if not -len(project.history) <= index < len(project.history):
        raise CliError(f"{option} {index}: {args.project} has {len(project.history)} history entries "
                       f"(0 = oldest; `project info` lists them)")
    entry = project.history[index]
    request = request_from_history(entry)
    if args.variation is not None:
        if entry.prior is None:
            raise CliError(f"--variation {index}: that history entry keeps no AR tokens (saved by an older "
                           f"version): use --rerun {index}, or re-run it in the window and save")
        request = request.variation(args.seed if args.seed is not None else secrets.randbelow(MAX_SEED + 1),
                                    entry.prior)
    recipe = entry.recipe
    scene = recipe.prompt if recipe.typed_prompt is None else recipe.typed_prompt  # before its boxes
    return Job(request, TextLayout((recipe.width, recipe.height)), scene=scene)
