"""How much device memory GLM-Image needs, and which offload plan fits the memory we have.

Sizes come from building each component on the meta device from its config (exact parameter
counts, no weights). Working memory is an explicit estimate, calibrated against the official
bf16 figures on one H100. No Qt here; torch/transformers/diffusers are imported only when a
model has to be sized, so planning from known sizes stays cheap.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

QUANT_MODES = ("bf16", "int8", "nf4")
QUANTIZABLE = ("vision_language_encoder", "transformer")  # the 9B AR model and the 7B DiT
OFFLOAD_MODES = ("none", "model", "sequential")
GB = 1e9  # decimal GB, as download sizes and the facts note use them

# NF4 (bitsandbytes): 0.5 B for the 4-bit code + 1/64 B absmax per 64-weight block (8-bit after
# double quant) + fp32 second-level constants; rounded up to 0.53 as measured on the AR model
# (padding and the few Linear layers bitsandbytes keeps in bf16, e.g. the LM head).
NF4_BYTES_PER_WEIGHT = 0.53
INT8_SCALE_BYTES_PER_ROW = 4  # LLM.int8 keeps one fp32 scale per output row

# Component name in the pipeline -> the class that builds it.
COMPONENT_CLASSES = {
    "vision_language_encoder": "GlmImageForConditionalGeneration",
    "transformer": "GlmImageTransformer2DModel",
    "text_encoder": "T5EncoderModel",
    "vae": "AutoencoderKL",
}
_TRANSFORMERS_CLASSES = {"GlmImageForConditionalGeneration", "T5EncoderModel"}

# Working-memory constants (see activation_bytes for how they are used).
PROMPT_TOKENS = 512  # budget for the AR prompt and the glyph text the DiT attends to
LAYOUT_TOKENS = 256  # the compact layout grid the AR model writes first (16x16 for a square)
FIXED_WORKING_BYTES = int(0.5 * GB)  # cuBLAS/cuDNN workspaces, sampling buffers, small tensors
ALLOCATOR_SLACK = 1.25  # PyTorch's caching allocator reserves more than the live tensors
SAFETY_FRACTION = 0.05  # keep 5% of free memory (at least 256 MiB) unused
MIN_SAFETY_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ComponentSize:
    name: str  # pipeline component name, e.g. "transformer"
    params: int
    linear_params: int  # params in nn.Linear weights: what bitsandbytes quantizes
    linear_rows: int = 0  # sum of Linear out_features: INT8 keeps one scale per row
    largest_layer_params: int = 0  # biggest single module: what sequential offload streams in
    # Working bytes per unit while this component runs: AR = KV cache per token, DiT = per
    # image token, VAE = per output pixel, glyph encoder = 0 (a few hundred bytes of text).
    working_bytes_per_unit: int = 0
    # DiT: the key/value cache it keeps per reference-image token (all layers, bf16).
    cache_bytes_per_token: int = 0
    # VAE: pixels in one tile when tiled decoding is on (diffusers tiles at config.sample_size).
    tile_pixels: int = 0

    def weight_bytes(self, mode: str) -> int:
        if mode not in QUANT_MODES:
            raise ValueError(f"unknown quantization mode {mode!r}; expected one of {QUANT_MODES}")
        rest = self.params - self.linear_params  # embeddings, norms, biases, convs stay bf16
        if mode == "bf16":
            return 2 * self.params
        if mode == "int8":
            return self.linear_params + INT8_SCALE_BYTES_PER_ROW * self.linear_rows + 2 * rest
        return int(NF4_BYTES_PER_WEIGHT * self.linear_params) + 2 * rest


def _build_on_meta(class_name: str, config: dict):
    """Instantiate the real class with empty (meta) weights: exact shapes, no memory."""
    from accelerate import init_empty_weights

    config = {k: v for k, v in config.items() if k != "_class_name" or class_name not in _TRANSFORMERS_CLASSES}
    with init_empty_weights():
        if class_name in _TRANSFORMERS_CLASSES:
            import transformers

            cls = getattr(transformers, class_name)
            return cls(cls.config_class.from_dict(config))
        if class_name in COMPONENT_CLASSES.values():
            import diffusers

            return getattr(diffusers, class_name).from_config(config)
    raise ValueError(f"don't know how to size {class_name}")


def _working_bytes_per_unit(class_name: str, model) -> int:
    c = model.config
    if class_name == "GlmImageForConditionalGeneration":
        t = c.text_config  # K and V, every layer, bf16
        return 2 * t.num_hidden_layers * t.num_key_value_heads * (t.hidden_size // t.num_attention_heads) * 2
    if class_name == "GlmImageTransformer2DModel":
        # Inside a block: residual + normed input (2 x hidden) and the FFN's up projection
        # + its GELU output (2 x 4 hidden), bf16. Attention uses SDPA: no N x N matrix.
        hidden = c["num_attention_heads"] * c["attention_head_dim"]
        return (2 * hidden + 2 * 4 * hidden) * 2
    if class_name == "AutoencoderKL":
        # The last upsampler works at full resolution on block_out_channels[1] channels:
        # diffusers upcasts bf16 to fp32 for the nearest upsample (4 B), casts back (2 B), then
        # convolves (2 B out).
        channels = c["block_out_channels"][min(1, len(c["block_out_channels"]) - 1)]
        return 8 * channels
    return 0


def _cache_bytes_per_token(class_name: str, model) -> int:
    if class_name != "GlmImageTransformer2DModel":
        return 0
    c = model.config  # K and V of every layer, bf16
    return 2 * c["num_layers"] * c["num_attention_heads"] * c["attention_head_dim"] * 2


def _tile_pixels(class_name: str, model) -> int:
    if class_name != "AutoencoderKL":
        return 0
    side = model.config["sample_size"]
    side = side[0] if isinstance(side, (list, tuple)) else side
    return int(side) ** 2


def _class_of(name: str, config: dict) -> str:
    return config.get("_class_name") or (config.get("architectures") or [None])[0] or COMPONENT_CLASSES[name]


def component_sizes_from_configs(configs: dict[str, dict]) -> dict[str, ComponentSize]:
    import torch

    sizes = {}
    for name, config in configs.items():
        class_name = _class_of(name, config)
        model = _build_on_meta(class_name, config)
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        sizes[name] = ComponentSize(
            name=name,
            params=sum(p.numel() for p in model.parameters()),
            linear_params=sum(m.weight.numel() for m in linears),
            linear_rows=sum(m.out_features for m in linears),
            largest_layer_params=max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules()),
            working_bytes_per_unit=_working_bytes_per_unit(class_name, model),
            cache_bytes_per_token=_cache_bytes_per_token(class_name, model),
            tile_pixels=_tile_pixels(class_name, model),
        )
    return sizes


def component_sizes_from_folder(folder: Path) -> dict[str, ComponentSize]:
    """Size a diffusers model folder: model_index.json names the classes, <name>/config.json
    holds each config. Weights are never read, so a folder still downloading works too."""
    folder = Path(folder)
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    configs = {}
    for name, entry in index.items():
        config_path = folder / name / "config.json"
        if isinstance(entry, list) and entry[-1] in COMPONENT_CLASSES.values() and config_path.exists():
            configs[name] = {"_class_name": entry[-1], **json.loads(config_path.read_text(encoding="utf-8"))}
    return component_sizes_from_configs(configs)


@functools.cache
def known_model_info() -> dict:
    """The bundled facts about zai-org/GLM-Image: repo id, download size, sizes, configs."""
    return json.loads((Path(__file__).parent / "known_models" / "glm_image.json").read_text(encoding="utf-8"))


@functools.cache
def _known_sizes() -> dict[str, ComponentSize]:
    return component_sizes_from_configs(known_model_info()["components"])


def known_model_sizes() -> dict[str, ComponentSize]:
    return dict(_known_sizes())  # a copy: the cached dict must not be edited by callers


@dataclass(frozen=True)
class Job:
    """What one generation asks of memory. Every reference image counts: an edit's source, a
    masked edit's crop and the layout guide alike."""

    width: int = 1024
    height: int = 1024
    references: int = 0

    @property
    def label(self) -> str:
        refs = f" with {self.references} reference image{'s' * (self.references != 1)}" if self.references else ""
        return f"{self.width}x{self.height}{refs}"


def _stage_working(sizes: dict[str, ComponentSize], job: Job, vae_tiling: bool = False) -> dict[str, int]:
    """Live working bytes while each component runs (before allocator slack and fixed buffers)."""
    width, height, refs = job.width, job.height, job.references
    image_tokens = (height // 16) * (width // 16)  # DiT tokens (VAE /8, patch 2); a reference fits the target size
    units = {
        # AR: KV cache for the prompt, each reference's patches (16 px), the layout grid (text-to-image
        # only), the full grid (one token per 32x32 px) and the end token.
        "vision_language_encoder": PROMPT_TOKENS + refs * image_tokens + (0 if refs else LAYOUT_TOKENS)
        + (height // 32) * (width // 32) + 1,
        # DiT: the image tokens plus the glyph text; classifier-free guidance runs the conditional and
        # unconditional passes one after the other (batch 1).
        "transformer": image_tokens + PROMPT_TOKENS,
        # VAE: the decode (and the encode of each reference, one at a time) at full size, or one tile.
        "vae": width * height,
    }
    working = {name: s.working_bytes_per_unit * units.get(name, 0) for name, s in sizes.items()}
    vae = sizes.get("vae")
    if vae_tiling and vae is not None and vae.tile_pixels:
        # One tile's working set, plus the decoded picture kept whole in fp32 (3 channels).
        working["vae"] = vae.working_bytes_per_unit * min(vae.tile_pixels, width * height) + 12 * width * height
    dit = sizes.get("transformer")
    if dit is not None:
        working["transformer"] += dit.cache_bytes_per_token * refs * image_tokens  # reference KV cache
    return working


def _with_slack(live_bytes: int) -> int:
    return int(ALLOCATOR_SLACK * (FIXED_WORKING_BYTES + live_bytes))


def activation_bytes(sizes: dict[str, ComponentSize], width: int, height: int) -> int:
    """Working memory on top of all resident weights (no offload) for text-to-image. Stages run one
    after the other, but without empty_cache between them the allocator keeps each stage's blocks
    reserved, so the stages add up. With the constants above this gives 1.5 / 3.9 / 13.3 GB at
    512² / 1024² / 2048²: bf16 weights (34.7 GB) + this + the CUDA context (~0.6 GB) lands
    within 5% of the official H100 peaks of 34.3 / 37.8 / 45.1 GiB."""
    return _with_slack(sum(_stage_working(sizes, Job(width, height)).values()))


OFFLOAD_LABELS = {"none": "no offload", "model": "model offload", "sequential": "sequential offload"}


@dataclass(frozen=True)
class MemoryPlan:
    offload: str  # "none" | "model" | "sequential"
    peak_bytes: int  # estimated peak device memory for this plan
    weights_bytes: int  # all components' weights under the chosen modes
    activation_bytes: int  # working memory at the peak
    reason: str  # one human sentence
    free_bytes: int = 0  # what the plan was made for (measure it after CUDA init)
    vae_tiling: bool = False  # decode (and encode) the picture tile by tile
    job: Job = Job()

    def fits(self) -> bool:
        return self.peak_bytes <= _usable(self.free_bytes)

    @property
    def summary(self) -> str:
        """What the Model panel shows: "~7.2 GB of 8.0 GB, model offload"."""
        extras = ", tiled decode" if self.vae_tiling else ""
        return f"~{_gb(self.peak_bytes)} of {_gb(self.free_bytes)}, {OFFLOAD_LABELS[self.offload]}{extras}"


def _usable(free_bytes: int) -> int:
    return free_bytes - max(int(SAFETY_FRACTION * free_bytes), MIN_SAFETY_BYTES)


def _gb(n: int) -> str:
    return f"{n / GB:.1f} GB"


def sequential_allowed(quant: dict[str, str], job: Job) -> str | None:
    """Why sequential offload cannot run this (None: it can). bitsandbytes 4/8-bit layers fail
    under it inside bitsandbytes (bitsandbytes#1525), and an edit reads the VQ codebook's weights
    directly, which sequential offload keeps on `meta` (transformers marks GLM-Image's cpu-offload
    as expected to fail)."""
    quantized = sorted(mode for mode in quant.values() if mode != "bf16")
    if quantized:
        return f"sequential offload does not work with {quantized[0]} (bitsandbytes) weights"
    if job.references:
        return "sequential offload cannot run edits or reference images"
    return None


def _peaks(sizes, weights, job: Job, tiling: bool) -> dict[str, tuple[int, int]]:
    """offload mode -> (peak, working bytes at the peak)."""
    stages = _stage_working(sizes, job, tiling)
    total = sum(weights.values())
    # none: everything resident, the stages' working sets add up (see activation_bytes).
    none_act = _with_slack(sum(stages.values()))
    # model (enable_model_cpu_offload): one whole component on the device at a time; moving the
    # previous one off frees big blocks, so the peak is the worst single stage.
    big = max(sizes, key=lambda n: weights[n] + _with_slack(stages[n]))
    model_act = _with_slack(stages[big])
    # sequential (enable_sequential_cpu_offload): modules streamed one at a time; the largest
    # is counted in bf16 (the biggest are embeddings, which stay bf16 when quantized).
    seq_act = _with_slack(max(stages.values()))
    layer = max(2 * s.largest_layer_params for s in sizes.values())
    return {"none": (total + none_act, none_act), "model": (weights[big] + model_act, model_act),
            "sequential": (layer + seq_act, seq_act)}


def plan_memory(
    sizes: dict[str, ComponentSize], quant: dict[str, str], free_bytes: int, width: int = 1024, height: int = 1024,
    offload: str = "auto", job: Job | None = None,
) -> MemoryPlan:
    """The first of no offload, model offload and sequential offload (each first without, then with
    tiled VAE decoding) whose estimated peak fits `free_bytes`; with `offload` given, only that
    mode. Sequential offload is never picked where it cannot run (see sequential_allowed)."""
    if offload not in OFFLOAD_MODES + ("auto",):
        raise ValueError(f"unknown offload {offload!r}; expected 'auto' or one of {OFFLOAD_MODES}")
    job = job or Job(width, height)
    weights = {n: s.weight_bytes(quant.get(n, "bf16")) for n, s in sizes.items()}
    total = sum(weights.values())
    usable = _usable(free_bytes)
    modes = [offload] if offload != "auto" else [
        m for m in OFFLOAD_MODES if m != "sequential" or sequential_allowed(quant, job) is None]
    candidates = [(mode, tiling, *_peaks(sizes, weights, job, tiling)[mode]) for mode in modes for tiling in (False, True)]
    fitting = [c for c in candidates if c[2] <= usable]
    mode, tiling, peak, act = fitting[0] if fitting else min(candidates, key=lambda c: c[2])
    how = OFFLOAD_LABELS[mode] + (" and tiled decoding" if tiling else "")
    if offload != "auto":
        verdict = "fits" if peak <= usable else "does not fit"
        reason = f"{OFFLOAD_LABELS[mode]} requested: peak about {_gb(peak)} for {job.label} {verdict} in {_gb(free_bytes)} free"
        if tiling:
            reason += " (with tiled decoding)"
    elif not fitting:
        fixes = ["a smaller size"] + (["fewer reference images"] if job.references else []) + (
            ["nf4 quantization"] if any(quant.get(n, "bf16") != "nf4" for n in QUANTIZABLE) else [])
        reason = (f"{job.label} does not fit in {_gb(free_bytes)} free: even {how} needs about {_gb(peak)}; "
                  f"choose {', '.join(fixes[:-1]) + ' or ' + fixes[-1] if len(fixes) > 1 else fixes[0]}")
    elif mode == "none":
        reason = f"all weights ({_gb(total)}) + working memory ({_gb(act)}) fit in {_gb(free_bytes)} free"
        if tiling:
            reason += " with tiled decoding"
    else:
        reason = f"all weights ({_gb(total)}) do not fit in {_gb(free_bytes)} free with {job.label}: {how}, peak about {_gb(peak)}"
    return MemoryPlan(mode, peak, total, act, reason, free_bytes, tiling, job)
