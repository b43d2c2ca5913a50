"""The AR stage's output, kept so a variation can re-run only the DiT.

Plain integers (numpy), never tensors: prior tokens cross the engine-process pipe, sit in the
window's history and are saved in projects, none of which may need torch (glm_core/engine/).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PriorTokens:
    token_ids: np.ndarray  # (1, 4*grid_h*grid_w) int64, upsampled as the DiT wants them
    image_token_ids: list[np.ndarray] | None  # i2i: reference images' tokens, per sample
    image_grid_thw: list[np.ndarray] | None  # i2i: their grids, per sample
    grid_h: int
    grid_w: int
    seed: int | None = None  # the seed the AR model wrote them with (None: not known, e.g. an old project)

    @classmethod
    def from_pipeline(cls, token_ids, image_token_ids, image_grid_thw, grid_h: int, grid_w: int) -> PriorTokens:
        """From `GlmImagePipeline.generate_prior_tokens`' tensors."""
        def plain(tensors):
            return None if tensors is None else [t.detach().cpu().numpy() for t in tensors]

        return cls(token_ids.detach().cpu().numpy(), plain(image_token_ids), plain(image_grid_thw), grid_h, grid_w)

    def on(self, device) -> dict:
        """The pipeline's prior arguments as tensors on `device` (torch is imported only here)."""
        import torch

        def move(arrays):
            return None if arrays is None else [torch.from_numpy(a).to(device) for a in arrays]

        return {"prior_token_ids": torch.from_numpy(self.token_ids).to(device),
                "prior_token_image_ids": move(self.image_token_ids), "source_image_grid_thw": move(self.image_grid_thw)}
