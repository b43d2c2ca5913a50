"""`generate`'s work once its arguments are checked: load the model (or reach the --engine server),
generate, check the text, save the image and the rest of its batch. Both go through the one engine
interface (glm_core/engine/base.py): InProcessEngine here, RemoteEngine for a server. It all runs
in run_cancellable's worker (cli/common.py), so Ctrl+C cancels it in every phase the same way
(cli/generate.py removes what it wrote)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

from cli.common import EXIT_CANCELLED, CliError

POLL_SECONDS = 0.05  # how often a job looks at Ctrl+C (run_cancellable's event)


def _overlay_boxes(job) -> tuple[dict, ...]:
    """The boxes --overlay draws, as the recipe records them (so --from-recipe draws them again)."""
    from dataclasses import asdict

    return tuple(asdict(box) for box in job.layout.boxes)


def make(args, job, overlay, outputs: list[Path], sink, written: list[Path], cancel) -> int:
    """Load, generate, check and save; the exit code. Each saved file is added to `written` at
    once, so a Ctrl+C in any phase can take them all back."""
    engine = _engine(args)
    try:
        report = _load(engine, args, sink, cancel)
        if report is None:
            return EXIT_CANCELLED
        return _generate_and_save(engine, report, args, job, overlay, outputs, sink, written, cancel)
    finally:
        # A job's thread may still be freeing its hooks after its last event: it must end before
        # this process does (a thread inside torch at exit aborts with "terminate called").
        asyncio.run(engine.close())


def _generate_and_save(engine, report, args, job, overlay, outputs, sink, written, cancel) -> int:
    from cli.text_check import check_and_fix
    from glm_core.generation.batch import plan_batch
    from glm_core.generation.events import Finished
    from glm_core.project.metadata import save_png

    def stopped() -> int:  # a run gave no image: cancelled, or failed (its event said why)
        return EXIT_CANCELLED if cancel.is_set() else sink.exit_code()

    def run(request) -> Finished | None:
        done = _drain(engine, lambda: engine.generate(request), sink, cancel)
        return done if isinstance(done, Finished) else None

    limits = (report.min_side, report.max_side)
    finish = overlay or (lambda image: image)
    steps = plan_batch(job.request, len(outputs), engine_varies=engine.capabilities.variations)  # as Batch N
    result = run(steps[0].request(job.request, None))
    if result is None:
        return stopped()
    image, recipe, text_exit = check_and_fix(args, job, finish(result.image), result, run, sink, limits)  # --check-text
    if image is None:
        return stopped()
    recorded = {"references": job.references, "overlay": _overlay_boxes(job) if overlay else ()}
    save_png(image, args.out, replace(recipe, **recorded), overwrite=args.overwrite)
    written.append(args.out)
    print(args.out)
    for step, path in zip(steps[1:], outputs[1:]):
        varied = run(step.request(job.request, result.prior))
        if varied is None:
            return stopped()
        save_png(finish(varied.image), path, replace(varied.recipe, **recorded), overwrite=args.overwrite)
        written.append(path)
        print(path)
    return EXIT_CANCELLED if cancel.is_set() else text_exit


def _engine(args):
    """A GLM-Image server's engine with --engine (no torch here), else the model in this process."""
    if args.engine is not None:
        from cli.generate_remote import remote_engine

        return remote_engine(args)
    from glm_core.engine.in_process import InProcessEngine

    return InProcessEngine()


def _load(engine, args, sink, cancel):
    """The LoadReport once the model is loaded or the server reached; None on Ctrl+C. A load that
    fails is a CliError: its one line is the reason."""
    from glm_core.generation.events import Cancelled, Failed, Loaded
    from glm_core.models.load_report import LoadOptions

    def progress(event) -> None:  # the load's steps go to --events; how it ended is said below
        if not isinstance(event, (Failed, Cancelled)):
            sink(event)

    options = None if args.engine is not None else LoadOptions(
        source=args.model, quant=args.quant, device=args.device, offload=args.offload)
    ended = _drain(engine, lambda: engine.load(options), progress, cancel)
    if isinstance(ended, Failed):
        raise CliError(ended.message)
    if not isinstance(ended, Loaded):
        return None
    for notice in ended.report.notices:
        print(f"note: {notice}", file=sys.stderr)
    return ended.report


def _drain(engine, begin, sink, cancel):
    """Every event of the stream `begin()` starts (on this call's own loop) into `sink`; the last
    one. Ctrl+C (`cancel`) cancels the engine."""
    async def consume():
        last = None
        watch = asyncio.ensure_future(_watch(cancel, engine))
        try:
            async for event in begin():
                sink(event)
                last = event
        finally:
            watch.cancel()
        return last
    return asyncio.run(consume())


async def _watch(cancel, engine) -> None:
    while not cancel.is_set():
        await asyncio.sleep(POLL_SECONDS)
    engine.cancel()
