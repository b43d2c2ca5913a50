"""Cheap pictures of an unfinished generation.

- During the AR stage: a mosaic of the visual tokens written so far, each token coloured by its VQ
  codebook embedding projected to RGB (principal components), so similar codes get similar colours.
- During the DiT stage: the x0 estimate of each step through a linear latent->RGB projection,
  fitted once per model by least squares against the model's own VAE.

Both palettes are made when the model loads (`Previews.for_components`), before offload hooks put
weights elsewhere (model offload: on the CPU between calls; sequential offload: on `meta`), and
cached on disk per model revision.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from glm_core.files import atomic_write_bytes


class TokenMosaic:
    """`palette[code]` is the RGB colour of a visual token."""

    def __init__(self, palette: np.ndarray):
        self.palette = palette  # (codebook, 3) uint8

    @staticmethod
    @torch.no_grad()
    def palette_of(codebook: torch.Tensor) -> np.ndarray:
        """The top three principal directions of the codebook become R, G and B. A randomized
        low-rank PCA (fixed seed) takes well under a second on the real 16384x2048 codebook, where
        a full SVD took 6-37 s on two CPU cores."""
        emb = codebook.detach().float().cpu()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            _, _, v = torch.pca_lowrank(emb, q=min(6, *emb.shape), center=True, niter=4)
        rgb = (emb - emb.mean(0, keepdim=True)) @ v[:, :3]
        lo, hi = rgb.quantile(0.02, dim=0), rgb.quantile(0.98, dim=0)
        rgb = ((rgb - lo) / (hi - lo).clamp_min(1e-6)).clamp(0, 1)
        return (rgb.numpy() * 255).astype(np.uint8)

    def render(self, tokens: np.ndarray, grid_h: int, grid_w: int, size: tuple[int, int]) -> Image.Image:
        """Tokens fill the grid row by row; cells not yet written stay dark grey."""
        cells = np.full((grid_h * grid_w, 3), 40, dtype=np.uint8)
        count = min(len(tokens), grid_h * grid_w)
        codes = np.clip(tokens[:count], 0, len(self.palette) - 1)
        cells[:count] = self.palette[codes]
        mosaic = Image.fromarray(cells.reshape(grid_h, grid_w, 3), "RGB")
        return mosaic.resize(size, Image.NEAREST)


class LatentPreview:
    """x0 estimate -> RGB through `rgb = latent @ factors + bias` at latent resolution."""

    def __init__(self, factors, bias, latents_mean, latents_std):
        self.factors = torch.as_tensor(np.asarray(factors), dtype=torch.float32)  # (channels, 3)
        self.bias = torch.as_tensor(np.asarray(bias), dtype=torch.float32)  # (3,)
        self.mean = torch.tensor(np.asarray(latents_mean, dtype=np.float32)).view(-1, 1, 1)
        self.std = torch.tensor(np.asarray(latents_std, dtype=np.float32)).view(-1, 1, 1)

    @classmethod
    @torch.no_grad()
    def fit(cls, vae, samples: int = 6, side: int = 64) -> LatentPreview:
        """Encode a few synthetic colour fields with the model's VAE and fit latent->RGB by least
        squares. Runs at load time, before any offload hook: the probe goes where the VAE's weights
        are then (an offload hook would move the VAE but not this input)."""
        scale = 2 ** (len(vae.config.block_out_channels) - 1)
        generator = torch.Generator().manual_seed(0)
        ys, xs = torch.meshgrid(torch.linspace(0, 1, side), torch.linspace(0, 1, side), indexing="ij")
        images = []
        for _ in range(samples):
            a, b, c = torch.rand(3, 3, generator=generator)
            images.append(torch.stack([a[i] * xs + b[i] * ys + c[i] * (1 - xs) for i in range(3)]).clamp(0, 1))
        pixels = torch.stack(images)  # (n, 3, side, side) in 0..1
        param = next(vae.parameters())
        latents = vae.encode((pixels * 2 - 1).to(param.device, param.dtype)).latent_dist.mode().float().cpu()
        target = torch.nn.functional.avg_pool2d(pixels, scale)  # pixel colour over each latent cell
        x = latents.permute(0, 2, 3, 1).reshape(-1, latents.shape[1])
        x = torch.cat([x, torch.ones(len(x), 1)], dim=1)
        y = target.permute(0, 2, 3, 1).reshape(-1, 3)
        solution = torch.linalg.lstsq(x, y).solution
        return cls(solution[:-1], solution[-1], vae.config.latents_mean, vae.config.latents_std)

    def render(self, normalized_latents: torch.Tensor, size: tuple[int, int]) -> Image.Image:
        """`normalized_latents`: (1, C, h, w) as the DiT sees them (before the pipeline's de-normalising)."""
        raw = normalized_latents[0].detach().float().cpu() * self.std + self.mean
        rgb = torch.einsum("chw,ck->hwk", raw, self.factors) + self.bias
        array = (rgb.clamp(0, 1) * 255).to(torch.uint8).numpy()
        return Image.fromarray(array, "RGB").resize(size, Image.BILINEAR)


@dataclass(frozen=True)
class Previews:
    """Both preview palettes of one model, made once at load time and cached on disk."""

    mosaic: TokenMosaic
    latent: LatentPreview

    @classmethod
    def for_components(cls, ar_model, vae, cache_file: Path | None = None) -> Previews:
        """Read `cache_file` if it is there and whole, else compute from the weights (which must
        not be offloaded to `meta` yet) and write it."""
        if cache_file is not None and cache_file.is_file():
            try:
                with np.load(cache_file) as data:
                    return cls(TokenMosaic(data["palette"]),
                               LatentPreview(data["factors"], data["bias"], data["mean"], data["std"]))
            except (OSError, ValueError, KeyError):
                pass  # damaged or from an older format: computed again below
        previews = cls(TokenMosaic(TokenMosaic.palette_of(ar_model.model.vqmodel.quantize.embedding.weight)),
                       LatentPreview.fit(vae))
        if cache_file is not None:
            previews._save(cache_file)
        return previews

    def _save(self, cache_file: Path) -> None:
        buffer = io.BytesIO()
        latent = self.latent
        np.savez(buffer, palette=self.mosaic.palette, factors=latent.factors.numpy(), bias=latent.bias.numpy(),
                 mean=latent.mean.flatten().numpy(), std=latent.std.flatten().numpy())
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(cache_file, buffer.getvalue())
        except OSError:
            pass  # a cache: a read-only disk only costs the computation next time


class PreviewThrottle:
    """Allows a preview only while previews have cost under `budget` of the elapsed time, and at most
    one per `min_interval` seconds, so previews never cost more than a few percent of a generation."""

    def __init__(self, budget: float = 0.03, min_interval: float = 0.1):
        self.budget = budget
        self.min_interval = min_interval
        self.started = time.perf_counter()
        self.spent = 0.0
        self.last = float("-inf")

    def due(self) -> bool:
        now = time.perf_counter()
        return now - self.last >= self.min_interval and self.spent <= self.budget * (now - self.started)

    def measure(self):
        return _Measured(self)


class _Measured:
    def __init__(self, throttle: PreviewThrottle):
        self.throttle = throttle

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        end = time.perf_counter()
        self.throttle.spent += end - self.t0
        self.throttle.last = end
