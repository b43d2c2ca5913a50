"""Consumer cards: does the planner's choice really run at 1024² on 8 / 12 / 16 / 24 GB GPUs?

    python bench/cards.py [--cards 8,12,16,24] [--jobs t2i,edit,variation] [--quant nf4] [--steps 4] [--write-docs]
    python bench/cards.py --cards 8,12 --jobs t2i    # a shorter run
    python bench/cards.py --tiny                     # the same code path on the CPU with tiny configs (smoke test)

No download, no network. GLM-Image is built once with random weights at its real dimensions, in the
real diffusers folder layout (bench/real_size_model.py; --folder, ~35 GB, reused while complete).
Then, for each emulated card, this process's CUDA memory is capped to the card's size, the folder is
loaded through glm_core.models.loader.load_model with offload "auto", and each job runs through
glm_core.generation.runner.GenerationRunner under the planner's choice for that request. Each row records the
plan and its predicted peak, the measured peak, seconds per phase (from the runner's events) and AR
tokens/s, or the one line that says why it failed.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched; fail fast, never wait on a network

import torch  # noqa: E402
from PIL import Image  # noqa: E402

import real_size_model  # noqa: E402 - bench/ is on sys.path when this file runs as a script
from glm_core.models import memory  # noqa: E402
from glm_core.models.demo_model import DEMO_MARKER, ensure_demo_model  # noqa: E402
from glm_core.generation.events import DiffusionStep, Failed, Finished, Phase, PhaseChanged, TokenProgress  # noqa: E402
from glm_core.models.loader import LoadOptions, load_model, quiet_libraries  # noqa: E402
from glm_core.generation.request import GenerationRequest  # noqa: E402
from glm_core.generation.runner import GenerationRunner  # noqa: E402

CARDS_GB = (8, 12, 16, 24)
JOBS = ("t2i", "edit", "variation")  # run in this order: a variation re-diffuses the t2i tokens
SIZE, TINY_SIZE = 1024, 64
GIB = 2**30  # an "8 GB" card has 8 GiB of memory
PROMPT = "A bakery poster with the headline “FRESH BREAD DAILY” above a basket of loaves"
EDIT_PROMPT = "The same poster in autumn colours, headline “HARVEST SALE”"
SEEDS = {"t2i": 1, "edit": 2, "variation": 3}
DOCS = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench/cards.py:start -->", "<!-- bench/cards.py:end -->"
NOT_MEASURED = "not measured"


def sync(device: str) -> None:
    if device == "cuda":  # CUDA runs asynchronously: time only finished work
        torch.cuda.synchronize()


def free_cached() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def reset_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def peak_bytes(device: str) -> int | None:
    return torch.cuda.max_memory_allocated() if device == "cuda" else None


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:120]}"


class Clock:
    """Progress lines stamped with the seconds since the run began."""

    def __init__(self):
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, text: str) -> None:
        print(f"[{self.elapsed():5.0f} s] {text}", flush=True)


class Timeline:
    """The runner's events with the time each arrived: phase boundaries, every AR token, every DiT step.
    The runner calls this on its own thread as things happen, so a synchronize here timestamps
    finished GPU work, not queued work."""

    def __init__(self, device: str):
        self.device = device
        self.phases: dict[Phase, float] = {}
        self.tokens: list[float] = []
        self.steps: list[float] = []
        self.finished: float | None = None
        self.failure: Failed | None = None

    def __call__(self, event) -> None:
        if isinstance(event, (PhaseChanged, DiffusionStep, Finished)):
            sync(self.device)
        now = time.perf_counter()
        if isinstance(event, PhaseChanged):
            self.phases[event.phase] = now
        elif isinstance(event, TokenProgress):  # the token is already on the CPU: no sync needed
            self.tokens.append(now)
        elif isinstance(event, DiffusionStep):
            self.steps.append(now)
        elif isinstance(event, Finished):
            self.finished = now
        elif isinstance(event, Failed):
            self.failure = event

    def measures(self) -> dict:
        out = {}
        if Phase.PRIOR in self.phases and Phase.DIFFUSION in self.phases:
            out["ar_s"] = self.phases[Phase.DIFFUSION] - self.phases[Phase.PRIOR]
            out["tokens"] = len(self.tokens)
        if len(self.tokens) > 1:  # decode speed: from the first token (after the prompt pass) to the last
            out["tokens_s"] = (len(self.tokens) - 1) / (self.tokens[-1] - self.tokens[0])
        if len(self.steps) > 1:
            # The first step also encodes the glyphs, builds a reference's KV cache and (model offload)
            # moves the DiT in: the steps after it are what each further step costs.
            out["step_s"] = (self.steps[-1] - self.steps[0]) / (len(self.steps) - 1)
        elif self.steps and Phase.DIFFUSION in self.phases:
            out["step_s"] = self.steps[0] - self.phases[Phase.DIFFUSION]
        if Phase.DECODE in self.phases and self.finished is not None:
            out["decode_s"] = self.finished - self.phases[Phase.DECODE]
        return out


def reference_image(size: int) -> Image.Image:
    """A deterministic size x size picture to edit (its content does not matter to memory or speed)."""
    ramp = Image.linear_gradient("L").resize((size, size))
    return Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp.transpose(Image.Transpose.ROTATE_180)))


def make_request(kind: str, size: int, steps: int, t2i_result) -> GenerationRequest:
    if kind == "t2i":
        return GenerationRequest(PROMPT, width=size, height=size, steps=steps, seed=SEEDS[kind])
    if kind == "edit":
        return GenerationRequest(EDIT_PROMPT, width=size, height=size, steps=steps, seed=SEEDS[kind],
                                 reference_images=[reference_image(size)])
    return t2i_result.request.variation(SEEDS[kind], prior=t2i_result.prior)  # DiT only


def plan_label(plan: memory.MemoryPlan) -> str:
    return memory.OFFLOAD_LABELS[plan.offload] + (", tiled decode" if plan.vae_tiling else "")


def run_job(kind: str, model, runner: GenerationRunner, args, device: str, t2i_result, clock: Clock):
    """One row: plan this request as the app does, run it, and measure. Returns (row, result or None)."""
    request = make_request(kind, args.size, args.steps, t2i_result)
    job = memory.Job(request.width, request.height, len(request.reference_images))
    if args.offload == "auto":
        # The planner's free choice for this request on this card ("auto" lets it pick the mode). The
        # model was placed for 1024² text-to-image at load; where this request needs another placement,
        # re-place it, as the app does when the user accepts the remedy it offers.
        choice = model.plan_for(job, "auto")
        if choice.offload != model.report.plan.offload:
            clock.say(f"  {kind}: re-placing the model for {job.label}: {memory.OFFLOAD_LABELS[choice.offload]}")
            model.set_offload(choice.offload)
    plan = model.plan_for(job)
    row = {"job": kind, "plan": plan_label(plan), "predicted": plan.peak_bytes}
    clock.say(f"  {kind}: {job.label}, {args.steps} steps, {row['plan']}, "
              f"predicted peak {plan.peak_bytes / memory.GB:.2f} GB")
    timeline = Timeline(device)
    reset_peak(device)
    result = runner.run(request, timeline)
    row.update(timeline.measures(), peak=peak_bytes(device))
    if result is None:
        failure = timeline.failure
        row["result"] = failure.message if failure else "no result and no Failed event"
        if failure and failure.details:
            print("\n".join(failure.details.strip().splitlines()[-4:]), flush=True)  # where it broke, for the log
    else:
        row["result"] = "OK"
    return row, result


def cap_memory(card_gb: int, context_bytes: int) -> int:
    """Let the caching allocator use what an `card_gb` card would leave it: the card's memory less the
    CUDA context, which this process holds outside the allocator and which a real card holds too."""
    total = torch.cuda.get_device_properties(0).total_memory
    allowed = min(card_gb * GIB - context_bytes, total)
    torch.cuda.set_per_process_memory_fraction(allowed / total)
    return allowed


def run_card(card_gb: int | None, args, folder: Path, device: str, context_bytes: int, clock: Clock, on_row) -> None:
    """Load for this card and run every job; each finished row goes to `on_row(row)`."""
    card = f"{card_gb} GB" if card_gb else "CPU"
    if card_gb:
        allowed = cap_memory(card_gb, context_bytes)
        clock.say(f"{card} card: allocator capped at {allowed / GIB:.2f} GiB "
                  f"(the CUDA context takes {context_bytes / GIB:.2f} GiB of the card)")
    reset_peak(device)
    started = time.perf_counter()
    try:
        model = load_model(LoadOptions(source=str(folder), quant=args.quant, device=device, offload=args.offload))
    except Exception as exc:  # noqa: BLE001 - a card that cannot even load is a row of results too
        model, why = None, f"load failed: {one_line(exc)}"
    load = {"load_s": time.perf_counter() - started, "load_peak": peak_bytes(device)}  # for the card's first row
    if model is None:  # outside the except block: the exception's frames no longer hold half-loaded weights
        clock.say(f"{card}: {why}")
        free_cached()
        for kind in args.jobs:
            on_row({"card": card, "job": kind, **load, "result": why})
            load = {}
        return
    report = model.report
    clock.say(f"{card}: loaded in {load['load_s']:.0f} s ({report.quant_label}, {report.plan.summary})"
              + "".join(f"\n    notice: {notice}" for notice in report.notices))
    runner = GenerationRunner(model)
    t2i_result = None
    for kind in args.jobs:
        if kind == "variation" and t2i_result is None:
            on_row({"card": card, "job": kind, "result": "skipped: the t2i job gave no tokens to vary"})
            continue
        try:
            row, result = run_job(kind, model, runner, args, device, t2i_result, clock)
        except Exception as exc:  # noqa: BLE001 - e.g. re-placing the model ran out of memory: the next rows still run
            row, result = {"job": kind, "result": one_line(exc)}, None
        if kind == "t2i":
            t2i_result = result
        on_row({"card": card, **load, **row})
        load = {}
        free_cached()  # rows start alike: no cached blocks carried from the one before
    del runner, model, t2i_result
    free_cached()


def cell(value, scale: float = 1.0, digits: int = 1) -> str:
    return "—" if value is None else f"{value / scale:.{digits}f}"


def table(cards: list[str], jobs: list[str], rows: dict, tiny: bool) -> str:
    unit, unit_name, digits = (1e6, "MB", 0) if tiny else (memory.GB, "GB", 2)
    lines = [f"| card | job | plan | predicted peak {unit_name} | measured peak {unit_name} | load s | "
             f"load peak {unit_name} | AR s | AR tokens/s | DiT s/step | decode s | result |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for card in cards:
        for job in jobs:
            row = rows.get((card, job))
            if row is None:  # not run (yet): nothing to show, and no number to invent
                lines.append(f"| {card} | {job} | " + " | ".join([NOT_MEASURED] * 10) + " |")
                continue
            lines.append(" | ".join([
                f"| {card}", job, row.get("plan", "—"), cell(row.get("predicted"), unit, digits),
                cell(row.get("peak"), unit, digits), cell(row.get("load_s"), 1, 0),
                cell(row.get("load_peak"), unit, digits),
                cell(row.get("ar_s")), cell(row.get("tokens_s")), cell(row.get("step_s"), 1, 2),
                cell(row.get("decode_s"), 1, 2), row["result"] + " |",
            ]))
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the block between the markers in docs/PERFORMANCE.md (parse_args checked they are there)."""
    old = DOCS.read_text(encoding="utf-8")
    DOCS.write_text(old[: old.index(START)] + f"{START}\n{text}\n{END}" + old[old.index(END) + len(END):],
                    encoding="utf-8")


def prepare_folder(args, clock: Clock) -> Path:
    if args.tiny:
        demo = ensure_demo_model(args.folder / "demo")
        configs = real_size_model.folder_configs(demo)
        folder = real_size_model.ensure_folder(args.folder / "model", configs, "cpu", torch.float32, log=clock.say)
        # The demo's marker gives the folder the demo's size limits (32..512 px) and fp32 in the loader.
        shutil.copy2(demo / DEMO_MARKER, folder / DEMO_MARKER)
        return folder
    folder = real_size_model.ensure_folder(args.folder, real_size_model.real_configs(), "cuda", torch.bfloat16,
                                           log=clock.say)
    free_cached()  # the build held ~35 GB on the GPU
    return folder


def context_bytes() -> int:
    """What this process's CUDA context takes on the device (outside the allocator the cap limits)."""
    torch.zeros(1, device="cuda")  # the context starts with the first allocation
    free, total = torch.cuda.mem_get_info()
    return total - free - torch.cuda.memory_reserved()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", default=",".join(map(str, CARDS_GB)), help="card sizes in GB to emulate")
    parser.add_argument("--jobs", default=",".join(JOBS), help=f"any of {', '.join(JOBS)}")
    parser.add_argument("--quant", default="nf4", choices=memory.QUANT_MODES)
    parser.add_argument("--offload", default="auto", choices=("auto",) + memory.OFFLOAD_MODES,
                        help="auto: the planner's choice per request (default); else force one mode")
    parser.add_argument("--steps", type=int, default=4, help="DiT steps per job")
    parser.add_argument("--folder", type=Path, help="where the random-weight model is built and reused")
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU, 64², no cap (smoke test)")
    parser.add_argument("--write-docs", action="store_true", help=f"write the table into docs/{DOCS.name}")
    args = parser.parse_args()
    args.cards = [int(c) for c in args.cards.split(",") if c]
    asked = [j for j in args.jobs.split(",") if j]
    if unknown := set(asked) - set(JOBS):
        parser.error(f"unknown jobs {sorted(unknown)}; choose from {', '.join(JOBS)}")
    if "variation" in asked and "t2i" not in asked:
        parser.error("a variation re-diffuses the t2i job's tokens: add t2i to --jobs")
    args.jobs = [j for j in JOBS if j in asked]
    if args.tiny and args.write_docs:
        parser.error("--write-docs records the real-size run only; drop --tiny")
    if args.write_docs and not all(marker in DOCS.read_text(encoding="utf-8") for marker in (START, END)):
        parser.error(f"{DOCS} lacks the lines {START} and {END} that the table goes between")
    if not (args.tiny or torch.cuda.is_available()):
        parser.error("the real-size run needs a CUDA GPU; use --tiny for a CPU smoke test")
    args.size = TINY_SIZE if args.tiny else SIZE
    default_folder = "glm-image-tiny-bench" if args.tiny else "glm-image-real-size"
    args.folder = args.folder or Path(tempfile.gettempdir()) / default_folder
    return args


def main() -> int:
    args = parse_args()
    clock = Clock()
    quiet_libraries()
    import bitsandbytes
    import diffusers
    import transformers

    device = "cpu" if args.tiny else "cuda"
    if args.tiny:  # tiny ops: with another process on a core, extra threads slow them ~100x
        torch.set_num_threads(1)
    context = 0 if args.tiny else context_bytes()  # measured before anything else is on the GPU
    folder = prepare_folder(args, clock)
    ready_s = clock.elapsed()
    cards = [None] if args.tiny else args.cards
    card_names = ["CPU"] if args.tiny else [f"{c} GB" for c in args.cards]
    where = ("CPU, no memory cap; the demo model's tiny configs built by bench/real_size_model.py" if args.tiny else
             f"{torch.cuda.get_device_name()}; each card emulated with torch.cuda.set_per_process_memory_fraction "
             f"(the card's GiB less this process's CUDA context, {context / GIB:.2f} GiB); GLM-Image with random "
             "weights at the real dimensions, in the real folder layout")
    rows: dict[tuple[str, str], dict] = {}

    def render() -> str:
        return (
            f"{where}; --quant {args.quant}, --offload {args.offload}; {args.size}x{args.size}, "
            f"{args.steps} DiT steps; "
            f"torch {torch.__version__}, transformers {transformers.__version__}, diffusers {diffusers.__version__}, "
            f"bitsandbytes {bitsandbytes.__version__}; {time.strftime('%Y-%m-%d')}; model folder ready after "
            f"{ready_s:.0f} s, {clock.elapsed():.0f} s in all.\n\n"
            f"{table(card_names, args.jobs, rows, args.tiny)}"
        )

    def on_row(row: dict) -> None:
        rows[(row["card"], row["job"])] = row
        shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
        clock.say(f"  row: {shown}")
        if args.write_docs:  # after every row: a run cut short still leaves what it measured
            write_docs(render())

    for card_gb in cards:
        run_card(card_gb, args, folder, device, context, clock, on_row)

    print("\n" + render(), flush=True)
    if args.write_docs:
        write_docs(render())
        print(f"\nwritten to {DOCS}")
    failed = [key for key, row in rows.items() if row.get("result") != "OK"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
