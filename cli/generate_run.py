"""`generate`'s work once its arguments are checked: load the model, generate, check the text,
save the image and its variations. It all runs in run_cancellable's worker (cli/common.py), so
Ctrl+C cancels it in every phase the same way (cli/generate.py removes what it wrote)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from cli.common import EXIT_CANCELLED, CliError


def load(args, cancel):
    """The model, loaded in run_cancellable's worker; None when Ctrl+C came between components."""
    from glm_core.models.loader import LoadCancelled, LoadError, LoadOptions, load_model

    options = LoadOptions(source=args.model, quant=args.quant, device=args.device, offload=args.offload)
    try:
        model = load_model(options, cancel=cancel)
    except LoadCancelled:
        return None
    except (LoadError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc
    for notice in model.report.notices:
        print(f"note: {notice}", file=sys.stderr)
    return model


def _overlay_boxes(job) -> tuple[dict, ...]:
    """The boxes --overlay draws, as the recipe records them (so --from-recipe draws them again)."""
    from dataclasses import asdict

    return tuple(asdict(box) for box in job.layout.boxes)


def make(args, job, overlay, outputs: list[Path], sink, written: list[Path], cancel) -> int:
    """Load, generate, check and save, in run_cancellable's worker; the exit code. Each saved
    file is added to `written` at once, so a Ctrl+C in any phase can take them all back."""
    from cli.text_check import check_and_fix
    from glm_core.generation.batch import plan_batch
    from glm_core.generation.runner import GenerationRunner
    from glm_core.project.metadata import save_png

    def stopped() -> int:  # a run gave no image: cancelled, or failed (its event said why)
        return EXIT_CANCELLED if cancel.is_set() else sink.exit_code()

    model = load(args, cancel)
    if model is None:
        return EXIT_CANCELLED
    finish = overlay or (lambda image: image)
    steps = plan_batch(job.request, len(outputs), engine_varies=True)  # as the window's Batch N
    request = steps[0].request(job.request, None)
    runner = GenerationRunner(model)
    result = runner.run(request, sink, cancel=cancel)
    if result is None:
        return stopped()
    image, recipe, text_exit = check_and_fix(args, job, finish(result.image), result,  # --check-text
                                             lambda r: runner.run(r, sink, cancel=cancel), sink,
                                             (model.report.min_side, model.report.max_side))
    if image is None:
        return stopped()
    recorded = {"references": job.references, "overlay": _overlay_boxes(job) if overlay else ()}
    recipe = replace(recipe, **recorded)
    save_png(image, args.out, recipe, overwrite=args.overwrite)
    written.append(args.out)
    print(args.out)
    for step, path in zip(steps[1:], outputs[1:]):
        varied = runner.run(step.request(job.request, result.prior), sink, cancel=cancel)
        if varied is None:
            return stopped()
        save_png(finish(varied.image), path, replace(varied.recipe, **recorded), overwrite=args.overwrite)
        written.append(path)
        print(path)
    return EXIT_CANCELLED if cancel.is_set() else text_exit
