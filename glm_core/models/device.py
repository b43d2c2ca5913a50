"""Which device to run on, in which dtype, and how much memory it has for us."""

from __future__ import annotations

import gc

import torch

from glm_core.models.load_report import DEVICES


class DeviceUnavailable(RuntimeError):
    pass


def _backend(device: str):
    """torch.cuda, torch.mps, torch.xpu …: the module of a device type, or None."""
    return getattr(torch, torch.device(device).type, None)


def _available(device: str) -> bool:
    if device == "cpu":
        return True
    if device == "mps":
        return torch.backends.mps.is_available()
    try:
        backend = _backend(device)
    except RuntimeError:  # not a device type torch knows
        return False
    return bool(backend is not None and getattr(backend, "is_available", lambda: False)())


def resolve_device(requested: str = "auto") -> str:
    """'auto' picks cuda, then mps, then cpu; a forced device must exist. Other accelerators that
    register a torch backend module (xpu, or a PrivateUse1 device) are accepted by name."""
    if requested == "auto":
        return next(name for name in ("cuda", "mps", "cpu") if _available(name))
    try:
        known = torch.device(requested).type
    except RuntimeError:
        known = None
    if known is None:
        raise DeviceUnavailable(f"Unknown device '{requested}': choose one of {', '.join(DEVICES)}.")
    if not _available(requested):
        raise DeviceUnavailable(
            f"Device '{requested}' is not available on this machine: use --device auto or cpu, "
            "or install a torch build for it (see the README)."
        )
    return requested


def _mps_has_bf16() -> bool:
    try:
        torch.ones(1, dtype=torch.bfloat16, device="mps")
    except (RuntimeError, TypeError):  # macOS before 14 has no bf16 on the GPU
        return False
    return True


def compute_dtype(device: str, tiny: bool = False) -> torch.dtype:
    """bf16 where the hardware does it, else fp16. The tiny demo model runs in fp32: it is small
    and fp32 is faster than bf16 on most CPUs."""
    if tiny:
        return torch.float32
    if device == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    if device == "mps" and not _mps_has_bf16():
        return torch.float16
    return torch.bfloat16


def free_memory_bytes(device: str) -> int:
    """Memory the models may use. CUDA: free VRAM within this process's memory fraction (so a
    card emulated with set_per_process_memory_fraction plans as that card). MPS: Metal's
    recommended working set. CPU: available RAM. Other accelerators: their mem_get_info."""
    if device == "cuda":
        free, total = torch.cuda.mem_get_info()
        cap = torch.cuda.get_per_process_memory_fraction() * total - torch.cuda.memory_reserved()
        return int(max(0, min(free, cap)))
    if device == "mps":
        return int(torch.mps.recommended_max_memory() - torch.mps.current_allocated_memory())
    if device != "cpu":
        backend = _backend(device)
        if hasattr(backend, "mem_get_info"):
            return int(backend.mem_get_info()[0])
    import psutil

    return int(psutil.virtual_memory().available)


def release_memory(device: str) -> None:
    """Give cached blocks back after a failure (an out-of-memory error leaves them reserved)."""
    gc.collect()
    if device != "cpu":
        backend = _backend(device)
        if hasattr(backend, "empty_cache"):
            backend.empty_cache()
