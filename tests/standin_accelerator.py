"""A stand-in accelerator for a CPU-only CI: device mismatches fail here the way they fail on CUDA.

On a CPU machine the execution device and the offload device are the same, so code that feeds a
model on the wrong device (inputs on `next(module.parameters()).device` while an offload hook moves
the weights elsewhere, or a module called outside `forward` so its hook never runs) passes every
test and fails on the user's GPU. This module registers PyTorch's PrivateUse1 backend as a
Python device named `standin`: its tensors keep their data in CPU memory, every operation runs
the CPU kernel, and an operation that mixes `standin` tensors with CPU tensors (other than 0-dim
scalars, which CUDA accepts too) raises CUDA's "Expected all tensors to be on the same device".

It also counts the bytes that live on the device, so a test can cap the "card" (an out-of-memory
error is raised as `torch.OutOfMemoryError`, like CUDA's) and read the peak, and it answers
`torch.standin.mem_get_info()` so the memory planner sees the card it is given.

    with StandInAccelerator(capacity_bytes=64 * 2**20) as card:
        model = load_model(LoadOptions(source="demo", device="standin", offload="model"))
        ...
        card.peak_bytes
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import torch
import torch.utils.backend_registration as backend_registration
from torch.utils._python_dispatch import TorchDispatchMode, return_and_correct_aliasing

NAME = "standin"
_TRANSFERS = {
    torch.ops.aten._to_copy.default,
    torch.ops.aten.copy_.default,
    torch.ops.aten._copy_from.default,
    torch.ops.aten._copy_from_and_resize.default,
}


class _Card:
    """What lives on the stand-in device, in bytes of distinct storages."""

    def __init__(self):
        self.lock = threading.Lock()
        self.capacity: int | None = None
        self.storages: dict[int, list[int]] = {}  # data_ptr -> [bytes, wrappers alive]
        self.allocated = 0
        self.peak = 0

    def track(self, inner: torch.Tensor) -> None:
        storage = inner.untyped_storage()
        ptr, size = storage.data_ptr(), storage.nbytes()
        if not ptr or not size:
            return
        with self.lock:
            entry = self.storages.get(ptr)
            if entry is None:
                if self.capacity is not None and self.allocated + size > self.capacity:
                    raise torch.OutOfMemoryError(
                        f"standin out of memory: tried to allocate {size} bytes with {self.allocated} of "
                        f"{self.capacity} in use")
                entry = self.storages[ptr] = [size, 0]
                self.allocated += size
                self.peak = max(self.peak, self.allocated)
            entry[1] += 1
        # On the CPU tensor, not the wrapper: nn.Module._apply swaps wrappers in, and swap_tensors
        # refuses tensors that have weak references.
        weakref.finalize(inner, self.release, ptr)

    def release(self, ptr: int) -> None:
        with self.lock:
            entry = self.storages.get(ptr)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] == 0:
                del self.storages[ptr]
                self.allocated -= entry[0]


CARD = _Card()


def _on_card(inner: torch.Tensor) -> StandInTensor:
    """The stand-in tensor whose data is `inner` (a CPU tensor)."""
    wrapper = torch.Tensor._make_wrapper_subclass(
        StandInTensor, inner.size(), strides=inner.stride(), storage_offset=inner.storage_offset(),
        dtype=inner.dtype, device=DEVICE, requires_grad=inner.requires_grad)
    wrapper.inner = inner
    CARD.track(inner)
    return wrapper


class StandInTensor(torch.Tensor):
    """A tensor on the stand-in device; `inner` holds its data on the CPU."""

    @staticmethod
    def __new__(cls, data, requires_grad=None):
        # Called as a parameter class (accelerate rebuilds a parameter with type(param)(value)):
        # behave like nn.Parameter, which keeps the value's device.
        if isinstance(data, StandInTensor):
            return _on_card(data.inner)
        return torch.nn.Parameter(data, requires_grad=bool(requires_grad))

    def __repr__(self):
        return f"StandInTensor({self.inner!r})"

    def tolist(self):  # CUDA tensors allow it; the wrapper has no storage of its own
        return self.inner.tolist()

    def numpy(self, *args, **kwargs):
        raise TypeError(f"can't convert {DEVICE} device type tensor to numpy. "
                        "Use Tensor.cpu() to copy the tensor to host memory first.")

    def __tensor_flatten__(self):
        return ["inner"], None

    @staticmethod
    def __tensor_unflatten__(inner_tensors, meta, outer_size, outer_stride):
        return _on_card(inner_tensors["inner"])

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


def _map(fn, value):
    """Apply fn to every tensor in an op's arguments (flat lists, tuples and dicts; pytree's
    general tree_map costs more than the tiny model's kernels)."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, item) for item in value)
    if isinstance(value, dict):
        return {key: _map(fn, item) for key, item in value.items()}
    return value


def _on_standin(device) -> bool:
    return device is not None and torch.device(device).type == NAME


def _wrap(value):
    if isinstance(value, torch.Tensor) and not isinstance(value, StandInTensor):
        return _on_card(value)
    return value


def _run(func, args, kwargs):
    """Run one operation the way a real second device would."""
    seen = {"card": False, "cpu": False}

    def unwrap(value):
        if isinstance(value, StandInTensor):
            seen["card"] = True
            return value.inner
        if value.dim() > 0 and value.device.type == "cpu":
            seen["cpu"] = True
        return value

    cpu_args, cpu_kwargs = _map(unwrap, args), _map(unwrap, kwargs)
    if seen["card"] and seen["cpu"] and func not in _TRANSFERS:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, {DEVICE} and cpu! "
            f"(in {func})")
    device = kwargs.get("device")
    to_card = _on_standin(device) or (seen["card"] and device is None)
    if _on_standin(device):
        cpu_kwargs["device"] = torch.device("cpu")
    out = func(*cpu_args, **cpu_kwargs)
    if func is torch.ops.aten._to_copy.default:
        return _on_card(out) if to_card else out
    if func is torch.ops.aten.copy_.default:
        return args[0]
    if not to_card:
        return out
    return return_and_correct_aliasing(func, args, kwargs, _map(_wrap, out))


class _Mode(TorchDispatchMode):
    """Catches factory calls (`torch.zeros(..., device="standin")`), which carry no tensor."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


class _Backend:
    """`torch.standin`: what libraries ask an accelerator module."""

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def is_initialized() -> bool:
        return True

    @staticmethod
    def current_device() -> int:
        return 0

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def _is_in_bad_fork() -> bool:
        return False

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        pass

    @staticmethod
    def synchronize(device=None) -> None:
        pass

    @staticmethod
    def empty_cache() -> None:
        pass

    @staticmethod
    def mem_get_info(device=None) -> tuple[int, int]:
        total = CARD.capacity if CARD.capacity is not None else 2**40
        return total - CARD.allocated, total

    @staticmethod
    def memory_allocated(device=None) -> int:
        return CARD.allocated

    @staticmethod
    def max_memory_allocated(device=None) -> int:
        return CARD.peak

    @staticmethod
    def reset_peak_memory_stats(device=None) -> None:
        CARD.peak = CARD.allocated


# PrivateUse1 can be named once per process; importing this module does it.
backend_registration._setup_privateuseone_for_python_backend(rename=NAME, backend_module=_Backend())
DEVICE = torch.device(NAME, 0)


# Kernels for what C++ code creates on the device below the dispatch mode's reach (torch.tensor(...,
# device=...), an index tensor for t[[0, 2]], a scalar read inside torch.tensor([t])).
def _empty_strided(size, stride, dtype=None, layout=None, device=None, pin_memory=None):
    return _on_card(torch.empty_strided(size, stride, dtype=dtype, layout=layout, device="cpu"))


def _empty(size, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    return _on_card(torch.empty(size, dtype=dtype, layout=layout, device="cpu", memory_format=memory_format))


def _copy_from(src, dst, non_blocking=False):
    target = dst.inner if isinstance(dst, StandInTensor) else dst
    target.copy_(src.inner if isinstance(src, StandInTensor) else src)
    return dst


def _local_scalar_dense(tensor):
    return tensor.inner.item()


_KERNELS = torch.library.Library("aten", "IMPL")
_KERNELS.impl("_local_scalar_dense", _local_scalar_dense, "PrivateUse1")
_KERNELS.impl("empty_strided", _empty_strided, "PrivateUse1")
_KERNELS.impl("empty.memory_format", _empty, "PrivateUse1")
_KERNELS.impl("_copy_from", _copy_from, "PrivateUse1")


class StandInAccelerator(contextlib.AbstractContextManager):
    """Activates the stand-in device on this thread; `capacity_bytes` caps it like a smaller card."""

    def __init__(self, capacity_bytes: int | None = None):
        self._capacity = capacity_bytes
        self._stack = contextlib.ExitStack()

    @property
    def peak_bytes(self) -> int:
        return CARD.peak

    @property
    def allocated_bytes(self) -> int:
        return CARD.allocated

    @property
    def capacity(self) -> int | None:
        return CARD.capacity

    def set_capacity(self, capacity_bytes: int | None) -> None:
        """Shrink (or grow) the card while it is in use, as another program taking memory would."""
        CARD.capacity = capacity_bytes

    def __enter__(self):
        CARD.capacity = self._capacity
        CARD.peak = CARD.allocated
        self._stack.enter_context(_Mode())
        return self

    def __exit__(self, *exc):
        self._stack.close()
        CARD.capacity = None
        return False
