"""What keeping re-run inputs and AR tokens costs a project file: size, save and open time.

    python bench/project_history.py [--edits 10] [--side 1024]

A project with one generated image and N masked edits of it, at the real model's token counts
(a 1024x1024 result: a 32x32 grid, 4096 upsampled tokens; an edit's source image adds as many),
saved twice: as before (no inputs, no tokens) and as now. The source is noise, so its PNG is the
worst case. The shared source and mask are stored once (content ids), whatever N is.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glm_core.generation.prior import PriorTokens  # noqa: E402
from glm_core.generation.recipe import Recipe  # noqa: E402
from glm_core.project import HistoryEntry, Project, load_project, save_project  # noqa: E402


def build(edits: int, side: int) -> Project:
    rng = np.random.default_rng(0)
    noise = lambda: Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))  # noqa: E731
    grid = side // 32
    tokens = lambda: rng.integers(0, 16384, (1, 4 * grid * grid), dtype=np.int64)  # noqa: E731
    source = noise()
    mask = Image.new("L", (side, side))
    mask.paste(255, (side // 4, side // 4, side // 2, side // 2))
    recipe = Recipe(prompt="a poster", seed=1, steps=30, guidance=1.5, width=side, height=side)
    history = [HistoryEntry(source, recipe, prior=PriorTokens(tokens(), None, None, grid, grid, seed=1))]
    for i in range(edits):
        prior = PriorTokens(tokens(), [tokens()[0]], [np.array([[1, 2 * grid, 2 * grid]])], grid, grid, seed=i)
        history.append(HistoryEntry(noise(), replace(recipe, mode="edit", seed=i, reference_count=1),
                                    references=(source,), mask=mask, feather=8, prior=prior))
    return Project(side, side, history=history)


def measure(project: Project, path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    save_project(project, path, overwrite=True)
    saved = time.perf_counter() - started
    started = time.perf_counter()
    load_project(path)
    return saved, time.perf_counter() - started, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--side", type=int, default=1024)
    args = parser.parse_args()
    project = build(args.edits, args.side)
    bare = replace(project, history=[HistoryEntry(e.image, e.recipe, e.created, e.source_id, e.id)
                                     for e in project.history])
    with tempfile.TemporaryDirectory() as folder:
        for label, which in (("without inputs/tokens", bare), ("with inputs/tokens", project)):
            saved, opened, size = measure(which, Path(folder) / "p.glmstudio")
            print(f"{label:>22}: {size / 1e6:7.2f} MB, save {saved:5.2f} s, open {opened:5.2f} s "
                  f"({args.edits} edits of one {args.side}x{args.side} image)")


if __name__ == "__main__":
    main()
