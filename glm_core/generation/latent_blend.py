"""The latent side of a masked edit: after every DiT step, latents outside the mask follow the
source re-noised to the current sigma (see glm_core/generation/masking.py for the whole edit).
Kept apart from masking.py so the pixel side (crop, feather, paste-back) imports without torch:
the window and the remote engine use it."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


class MaskBlend:
    """The per-step latent blend (latents as the DiT sees them: (latent - mean) / std):
    latents = m * latents + (1 - m) * ((1 - sigma) * x0_source + sigma * noise)."""

    def __init__(self, source_latents: torch.Tensor, noise: torch.Tensor, mask: torch.Tensor):
        self.source = source_latents.float()
        self.noise = noise.float()
        self.mask = mask.float()  # (1, 1, h, w), 1 = generate, 0 = follow the source

    @classmethod
    @torch.no_grad()
    def for_pipe(cls, pipe, reference: Image.Image, weights: Image.Image, noise: torch.Tensor) -> MaskBlend:
        """Encode `reference` as the pipeline encodes a condition image; `weights` at its size."""
        vae = pipe.vae
        pixels = pipe.image_processor.preprocess(reference, height=reference.height, width=reference.width)
        raw = vae.encode(pixels.to(pipe._execution_device, vae.dtype)).latent_dist.mode().float()
        channels = vae.config.latent_channels
        mean = torch.tensor(vae.config.latents_mean).view(1, channels, 1, 1).to(raw)
        std = torch.tensor(vae.config.latents_std).view(1, channels, 1, 1).to(raw)
        source = ((raw - mean) / std).to(noise.device)
        return cls(source, noise, latent_mask(weights, noise.shape[-2:]).to(noise.device))

    def __call__(self, latents: torch.Tensor, sigma: float) -> torch.Tensor:
        target = (1 - sigma) * self.source + sigma * self.noise
        return (self.mask * latents.float() + (1 - self.mask) * target).to(latents.dtype)


def latent_mask(weights: Image.Image, latent_hw) -> torch.Tensor:
    """1 on every latent cell that holds any pixel with weight > 0 (so the generated picture
    covers the whole feather band), else 0."""
    h, w = latent_hw
    scale_y, scale_x = weights.height // h, weights.width // w
    pixels = torch.from_numpy(np.asarray(weights, dtype=np.float32))[None, None]
    cells = torch.nn.functional.max_pool2d(pixels, (scale_y, scale_x))
    return (cells > 0).float()
