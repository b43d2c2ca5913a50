"""The AR stage's output, kept so a variation can re-run only the DiT."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: a request (and `generate --print-prompt`) needs no torch
    import torch


@dataclass(frozen=True)
class PriorTokens:
    token_ids: torch.Tensor  # (1, 4*grid_h*grid_w), upsampled as the DiT wants them
    image_token_ids: list[torch.Tensor] | None  # i2i: reference images' tokens, per sample
    image_grid_thw: list[torch.Tensor] | None  # i2i: their grids, per sample
    grid_h: int
    grid_w: int
    seed: int | None = None  # the seed the AR model wrote them with (None: not known, e.g. an old project)

    def on(self, device) -> dict:
        """The pipeline's prior arguments on `device`: tokens kept from an earlier run (or read from a
        project) may sit elsewhere, and the DiT does not move them itself."""
        def move(tensors):
            return None if tensors is None else [t.to(device) for t in tensors]

        return {"prior_token_ids": self.token_ids.to(device), "prior_token_image_ids": move(self.image_token_ids),
                "source_image_grid_thw": move(self.image_grid_thw)}
