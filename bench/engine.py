"""What the runner's events, previews and cancel hooks cost, against a plain `pipe()` call.

    python bench/engine.py [--runs 5] [--size 256] [--steps 8]

Runs the demo model (same seed, size and steps) through a plain pipeline call and through the
GenerationRunner, alternating, and prints medians and the ratio. Then times one preview of each
kind at the demo size and at a real 1024² latent size (synthetic latents and tokens).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-bench-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from glm_core.generation.events import DiffusionStep, PreviewImage  # noqa: E402
from glm_core.models.loader import LoadOptions, load_model  # noqa: E402
from glm_core.models.preview import LatentPreview, TokenMosaic  # noqa: E402
from glm_core.generation.request import GenerationRequest  # noqa: E402
from glm_core.generation.runner import GenerationRunner  # noqa: E402


def time_plain(pipe, request) -> float:
    started = time.perf_counter()
    pipe(prompt=request.prompt, height=request.height, width=request.width, num_inference_steps=request.steps,
         guidance_scale=request.guidance, generator=torch.Generator().manual_seed(request.seed))
    return time.perf_counter() - started


def time_runner(runner, request) -> tuple[float, int, int]:
    counts = {"previews": 0, "steps": 0}

    def sink(event):
        if isinstance(event, PreviewImage):
            counts["previews"] += 1
        elif isinstance(event, DiffusionStep):
            counts["steps"] += 1

    started = time.perf_counter()
    assert runner.run(request, sink) is not None
    return time.perf_counter() - started, counts["previews"], counts["steps"]


def median_ms(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = load_model(LoadOptions(source="demo", device="cpu"))
    runner = GenerationRunner(model)
    request = GenerationRequest(prompt="a “BENCH” poster", width=args.size, height=args.size, steps=args.steps, seed=1)
    time_runner(runner, request)  # warm-up: fits the latent preview once, as the app does on first use
    time_plain(model.pipe, request)

    plain, hooked, previews = [], [], 0
    for _ in range(args.runs):
        plain.append(time_plain(model.pipe, request))
        seconds, previews, _ = time_runner(runner, request)
        hooked.append(seconds)
    base, ours = statistics.median(plain), statistics.median(hooked)

    # Preview cost per call: demo size and a real 1024² generation (64x64 token grid, 128x128x16 latents).
    mosaic, latent_preview = model.previews.mosaic, model.previews.latent
    tokens_demo = np.random.randint(0, len(mosaic.palette), 16 * 16)
    latents_demo = torch.randn(1, 16, args.size // 8, args.size // 8)
    real_mosaic = TokenMosaic(TokenMosaic.palette_of(torch.randn(16384, 2048)))
    tokens_real = np.random.randint(0, 16384, 32 * 32)
    latents_real = torch.randn(1, 16, 128, 128)
    real_preview = LatentPreview(torch.randn(16, 3), torch.zeros(3), [0.0] * 16, [1.0] * 16)

    print(f"\nGenerationRunner vs plain pipe(): demo model, {args.size}x{args.size}, {args.steps} steps, "
          f"{args.runs} runs, {args.threads} thread(s)\n")
    print("| what | median | ratio |")
    print("| --- | ---: | ---: |")
    print(f"| plain pipe() | {base * 1000:.0f} ms | 1.00 |")
    print(f"| runner (events, {previews} previews, cancel hooks) | {ours * 1000:.0f} ms | {ours / base:.3f} |")
    print("\nPreview cost per call (median of 20)\n")
    print("| preview | demo size | real 1024² | share of a step at 1024² (~2 s on one H100) |")
    print("| --- | ---: | ---: | ---: |")
    mosaic_real = median_ms(lambda: real_mosaic.render(tokens_real, 64, 64, (1024, 1024)))
    latent_real = median_ms(lambda: real_preview.render(latents_real, (1024, 1024)))
    print(f"| AR token mosaic | {median_ms(lambda: mosaic.render(tokens_demo, 16, 16, (args.size, args.size))):.2f} ms "
          f"| {mosaic_real:.2f} ms | — |")
    print(f"| DiT x0 latent->RGB | {median_ms(lambda: latent_preview.render(latents_demo, (args.size, args.size))):.2f} ms "
          f"| {latent_real:.2f} ms | {latent_real / 2000 * 100:.2f}% |")


if __name__ == "__main__":
    main()
