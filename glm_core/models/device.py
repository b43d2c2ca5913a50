"""Which device to run on, in which dtype, and how much memory it has free."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cuda", "mps", "cpu")


class DeviceUnavailable(RuntimeError):
    pass


def resolve_device(requested: str = "auto") -> str:
    """'auto' picks cuda, then mps, then cpu; a forced device must exist."""
    if requested not in DEVICES:
        raise DeviceUnavailable(f"Unknown device '{requested}': choose one of {', '.join(DEVICES)}.")
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
        "cpu": True,
    }
    if requested == "auto":
        return next(name for name in ("cuda", "mps", "cpu") if available[name])
    if not available[requested]:
        raise DeviceUnavailable(
            f"Device '{requested}' is not available on this machine: use --device auto or cpu, "
            "or install a torch build for it (see the README)."
        )
    return requested


def compute_dtype(device: str, tiny: bool = False) -> torch.dtype:
    """bf16 where the hardware does it well. The tiny demo model runs in fp32: it is small and
    fp32 is faster than bf16 on most CPUs."""
    if tiny:
        return torch.float32
    if device == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def free_memory_bytes(device: str) -> int:
    """Memory the models may use: free VRAM on CUDA; available system RAM on MPS (unified) and CPU."""
    if device == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)
