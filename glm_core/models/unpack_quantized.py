"""Load a DiT that was saved bitsandbytes-quantized on a machine that cannot run it quantized.

A copy saved by `save_model` on a GPU keeps the DiT in nf4 or int8. diffusers refuses to load such
weights without an NVIDIA/Intel GPU ("No GPU found"; 8-bit: no Apple GPU either), so on those
machines the weights are unpacked back to floating point, as a fresh load there would run the DiT
unquantized anyway. The unpacking uses bitsandbytes' own serialized quantization states.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

NF4_SUFFIXES = ("absmax", "quant_map", "nested_absmax", "nested_quant_map", "quant_state.bitsandbytes__nf4",
                "quant_state.bitsandbytes__fp4")


def load_unpacked(model_class, folder: Path, dtype):
    """`model_class` (e.g. GlmImageTransformer2DModel) from `folder`, its quantized Linear weights
    unpacked to `dtype` on the CPU."""
    import torch
    from accelerate import init_empty_weights
    from safetensors.torch import load_file

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config.pop("quantization_config", None)
    with init_empty_weights():
        model = model_class.from_config(config)
    state = {}
    for file in sorted(folder.glob("*.safetensors")):
        state.update(load_file(file, device="cpu"))
    unpacked = {name: tensor.to(dtype) if tensor.is_floating_point() else tensor
                for name, tensor in _unpack(state).items()}
    model.load_state_dict(unpacked, strict=True, assign=True)
    return model.to(dtype).eval()


def _unpack(state: dict) -> dict:
    """The state dict with every nf4/fp4 or int8 weight replaced by its floating-point value."""
    import torch
    from bitsandbytes.functional import QuantState, dequantize_4bit

    four_bit: dict[str, dict] = defaultdict(dict)
    out = {}
    for key, tensor in state.items():
        owner = next((key[: -len(suffix) - 1] for suffix in NF4_SUFFIXES if key.endswith("." + suffix)), None)
        if owner is not None:
            four_bit[owner][key[len(owner) + 1:]] = tensor
        elif key.endswith(".SCB") or key.endswith(".weight_format"):
            continue  # int8 row scales, read with their weight below
        else:
            out[key] = tensor
    for weight_key, parts in four_bit.items():
        state_of_weight = QuantState.from_dict(parts, device=torch.device("cpu"))
        out[weight_key] = dequantize_4bit(out[weight_key], state_of_weight)
    for key, tensor in list(out.items()):
        scales = state.get(key.removesuffix(".weight") + ".SCB") if key.endswith(".weight") else None
        if scales is not None and tensor.dtype == torch.int8:
            out[key] = tensor.float() * scales.float().unsqueeze(1) / 127  # LLM.int8 row-wise absmax
    return out
