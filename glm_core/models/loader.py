"""One loader for every model source: the demo model, a local folder, or a hub repo id.

Each component is loaded with its own known class (never a class named by the folder, never remote
code), from safetensors only, with the quantization asked for where the device allows it. What was
actually done, fallbacks included, is written into the LoadReport: nothing is downgraded silently.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from glm_core import OFFICIAL_REPO_ID  # noqa: F401 - importable from here as before
from glm_core.models import device as devices
from glm_core.models import memory
from glm_core.models.demo_model import DEMO_MARKER, DEMO_MODEL_ID, DEMO_SIZE_LIMITS, ensure_demo_model, is_demo_folder
# The load's plain data lives apart so the window can hold it without importing torch.
from glm_core.models.load_report import LoadCancelled, LoadError, LoadOptions, LoadReport  # noqa: F401
from glm_core.models.memory import QUANTIZABLE
from glm_core.models.model_folder import COMPONENTS, check_model_folder  # noqa: F401 - importable from here as before
from glm_core.models.unpack_quantized import load_unpacked
from glm_core.models.preview import Previews
from glm_core.paths import user_cache_dir, user_data_dir

# Files a model folder needs; weights in any other format are never fetched or read.
MODEL_FILE_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken"]


@dataclass
class LoadedModel:
    pipe: object  # diffusers GlmImagePipeline
    report: LoadReport
    previews: Previews | None = None

    def plan_for(self, job: memory.Job, offload: str | None = None) -> memory.MemoryPlan:
        return self.report.plan_for(job, offload)

    def set_offload(self, offload: str) -> None:
        """Re-place the loaded pipeline (e.g. the user accepted model offload after running out of memory)."""
        report = self.report
        if offload == "sequential" and (why := memory.sequential_allowed(report.quant, memory.Job())):
            raise LoadError(f"{why}: use model offload instead.")
        self.pipe.remove_all_hooks()
        _place(self.pipe, report.device, offload)
        report.plan = self.plan_for(report.plan.job, offload)


def resolve_source(options: LoadOptions) -> tuple[Path, str, str]:
    """Return (folder, model id, revision) without loading anything."""
    if options.source == "demo":
        folder = ensure_demo_model(user_data_dir())
        return folder, DEMO_MODEL_ID, "local"
    as_path = Path(options.source).expanduser()
    if as_path.is_dir():
        return as_path, str(as_path), "local"
    if as_path.exists() or options.source.startswith((".", "/", "~")) or options.source.count("/") != 1:
        raise LoadError(f"Model folder '{options.source}' was not found: check the path, or give a hub id like {OFFICIAL_REPO_ID}.")
    return _resolve_hub_repo(options.source, options.revision)


def _resolve_hub_repo(repo_id: str, revision: str | None) -> tuple[Path, str, str]:
    """A hub model loads from the local cache only. Fetching 35 GB is the model manager's job
    (glm_core.models.download: progress, resume, cancel), never a side effect of loading."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=MODEL_FILE_PATTERNS,
                                        local_files_only=True))
    except Exception as exc:  # not cached, or cached only in part
        raise LoadError(
            f"{repo_id} is not downloaded (or only in part): download it in Model ▸ Manage Models, "
            f"or with `python main.py models download {repo_id}`."
        ) from exc
    return folder, repo_id, folder.name  # snapshot folders are named by commit hash


def _already_quantized(folder: Path, component: str) -> str | None:
    """The mode a saved component was quantized with, read from its config (None: not quantized)."""
    config = json.loads((folder / component / "config.json").read_text(encoding="utf-8"))
    qc = config.get("quantization_config")
    if not qc:
        return None
    if qc.get("load_in_4bit"):
        return "nf4"
    if qc.get("load_in_8bit"):
        return "int8"
    return str(qc.get("quant_method", "quantized"))


def _quant_config(mode: str, component: str, dtype):
    if mode == "bf16":
        return None
    if component == "transformer":
        from diffusers import BitsAndBytesConfig
    else:
        from transformers import BitsAndBytesConfig
    if mode == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype, bnb_4bit_use_double_quant=True
    )


def choose_quant(requested: str, device: str, saved: dict[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """Per component: the mode that will be in effect, and notices for every fallback. `saved` maps
    each quantizable component to the mode it was saved in (None: saved unquantized)."""
    if requested not in memory.QUANT_MODES:
        raise LoadError(f"Unknown quantization '{requested}': choose one of {', '.join(memory.QUANT_MODES)}.")
    device_type = device.split(":")[0]
    quant, notices = {}, []
    for component in QUANTIZABLE:
        if saved.get(component):
            mode = saved[component]
            if component == "transformer" and not _dit_quantizable(mode, device_type):
                notices.append(f"The DiT was saved as {mode}, which diffusers loads only on a GPU: "
                               "it is unpacked and runs unquantized here.")
                mode = "bf16"
            elif requested not in ("bf16", mode):
                notices.append(f"{component} was saved quantized as {mode}; it loads as saved, not as {requested}.")
            quant[component] = mode
            continue
        mode = requested
        if mode == "int8" and device_type == "mps":
            # bitsandbytes has 4-bit kernels for Apple GPUs but no 8-bit ones, and diffusers' 8-bit
            # loader accepts only CUDA/XPU.
            notices.append(f"8-bit weights need an NVIDIA GPU: the {_NAMES[component]} loads as nf4 on this Mac.")
            mode = "nf4"
        if component == "transformer" and mode != "bf16" and not _dit_quantizable(mode, device_type):
            notices.append(f"The DiT cannot be quantized to {mode} on {device_type.upper()}: it runs unquantized.")
            mode = "bf16"
        quant[component] = mode
    return quant, notices


def _dit_quantizable(mode: str, device_type: str) -> bool:
    """diffusers' bitsandbytes loader needs a CUDA/XPU GPU for the DiT (4-bit: or an Apple GPU);
    the AR model quantizes on any device."""
    return device_type in ("cuda", "xpu") or (device_type == "mps" and mode == "nf4")


_NAMES = {"vision_language_encoder": "AR model", "transformer": "DiT"}


def quiet_libraries() -> None:
    """The libraries' own progress bars and advice go to logs, not to the user's terminal."""
    import logging

    # bitsandbytes warns at import about an optional CPU kernel package; set before it is imported.
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    import diffusers
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    diffusers.logging.set_verbosity_error()
    diffusers.logging.disable_progress_bar()


def preload_libraries() -> None:
    """Import the model libraries now. Their first import takes seconds of pure-Python work that
    holds the GIL: done in a worker thread while a window is live, it stalls the event loop, so
    the app calls this behind its splash screen."""
    quiet_libraries()
    import diffusers.pipelines.glm_image  # noqa: F401
    import transformers.models.glm_image.modeling_glm_image  # noqa: F401
    import transformers.models.t5.modeling_t5  # noqa: F401
    from diffusers import AutoencoderKL, GlmImageTransformer2DModel  # noqa: F401
    from transformers import ByT5Tokenizer, GlmImageProcessor  # noqa: F401


def load_model(
    options: LoadOptions,
    on_progress: Callable[[str, int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> LoadedModel:
    """Load a pipeline. `on_progress(component, index, total)`; `cancel` is checked between components."""
    quiet_libraries()
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, GlmImagePipeline, GlmImageTransformer2DModel
    from transformers import ByT5Tokenizer, GlmImageForConditionalGeneration, GlmImageProcessor, T5EncoderModel

    started = time.perf_counter()
    device = devices.resolve_device(options.device)
    folder, model_id, revision = resolve_source(options)
    check_model_folder(folder)
    is_demo = is_demo_folder(folder)
    dtype = devices.compute_dtype(device, tiny=is_demo)
    saved = {component: _already_quantized(folder, component) for component in QUANTIZABLE}
    quant, notices = choose_quant(options.quant, device, saved)
    if device == "mps" and dtype == torch.float16:
        notices.append("This Mac's GPU has no bfloat16: the models run in float16.")

    job = options.job or memory.Job(*(2 * (DEMO_SIZE_LIMITS[1] if is_demo else 1024,)))
    sizes = memory.component_sizes_from_folder(folder)
    # Offloading to the CPU from the CPU saves nothing, so "auto" stays "none" there; an explicit
    # mode is honoured anyway (it runs the same hooks as on a GPU, which is how CI tests them).
    offload = "none" if device == "cpu" and options.offload == "auto" else options.offload
    if offload == "sequential" and (why := memory.sequential_allowed(quant, memory.Job())):
        raise LoadError(f"--offload sequential: {why}. Use --offload model (or auto), or --quant bf16.")
    plan = memory.plan_memory(sizes, quant, devices.free_memory_bytes(device), offload=offload, job=job)
    if not plan.fits():
        notices.append(f"Memory may run short: {plan.reason}")

    # bitsandbytes layers are quantized where they are loaded: straight onto an NVIDIA or Intel GPU,
    # elsewhere on the CPU and then moved (loading onto MPS corrupts weights, diffusers#13227).
    quant_device = device if device.split(":")[0] in ("cuda", "xpu") else "cpu"
    loaders = {
        "tokenizer": lambda: ByT5Tokenizer.from_pretrained(folder / "tokenizer"),
        "processor": lambda: GlmImageProcessor.from_pretrained(folder / "processor"),
        "scheduler": lambda: FlowMatchEulerDiscreteScheduler.from_pretrained(folder / "scheduler"),
        "text_encoder": lambda: T5EncoderModel.from_pretrained(
            folder / "text_encoder", dtype=dtype, use_safetensors=True
        ),
        "vae": lambda: AutoencoderKL.from_pretrained(folder / "vae", torch_dtype=dtype, use_safetensors=True),
        "vision_language_encoder": lambda: GlmImageForConditionalGeneration.from_pretrained(
            folder / "vision_language_encoder",
            dtype=dtype,
            use_safetensors=True,
            quantization_config=_new_quant_config(folder, quant, "vision_language_encoder", dtype),
            device_map=quant_device if quant["vision_language_encoder"] != "bf16" else None,
        ),
        "transformer": lambda: load_unpacked(GlmImageTransformer2DModel, folder / "transformer", dtype)
        if saved["transformer"] and quant["transformer"] == "bf16" else GlmImageTransformer2DModel.from_pretrained(
            folder / "transformer",
            torch_dtype=dtype,
            use_safetensors=True,
            quantization_config=_new_quant_config(folder, quant, "transformer", dtype),
            device_map=quant_device if quant["transformer"] != "bf16" else None,
        ),
    }
    components = {}
    for index, name in enumerate(COMPONENTS):
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()
        if on_progress:
            on_progress(name, index, len(COMPONENTS))
        try:
            component = loaders[name]()
        except OSError as exc:
            raise LoadError(f"Could not load {name} from '{folder}': {exc}. Repair or re-download the model.") from exc
        if isinstance(component, torch.nn.Module):
            component.eval()
            if plan.offload != "none" and _device_of(component).type != "cpu":
                # A quantized model arrives on the GPU. Offloaded, it must leave before the next one
                # loads, or an 8 GB card holds both (6.5 + 3.8 GB in nf4) and fails while loading.
                component.to("cpu")
        components[name] = component
    cache = user_cache_dir() / "previews" / f"{_preview_key(model_id, revision, folder)}.npz"
    previews = Previews.for_components(components["vision_language_encoder"], components["vae"], cache)
    pipe = GlmImagePipeline(**components)
    pipe.set_progress_bar_config(disable=True)
    _place(pipe, device, plan.offload)

    report = LoadReport(
        model_id=model_id, revision=revision, folder=folder, device=device, dtype=str(dtype).removeprefix("torch."),
        quant=quant, plan=plan, notices=notices, is_demo=is_demo, seconds=time.perf_counter() - started, sizes=sizes,
    )
    return LoadedModel(pipe=pipe, report=report, previews=previews)


def _device_of(module):
    return next(module.parameters()).device


def _preview_key(model_id: str, revision: str, folder: Path) -> str:
    """Palettes depend on the VQ codebook and the VAE: keyed by model and revision, and for a local
    folder by its weight files' sizes and dates too (a folder can be rewritten in place)."""
    parts = [model_id, revision]
    if revision == "local":
        for component in ("vision_language_encoder", "vae"):
            for file in sorted((folder / component).glob("*.safetensors")):
                stat = file.stat()
                parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _new_quant_config(folder: Path, quant: dict[str, str], component: str, dtype):
    """A quantization config only for weights not already saved quantized."""
    if _already_quantized(folder, component):
        return None
    return _quant_config(quant[component], component, dtype)


def _place(pipe, device: str, offload: str) -> None:
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        for name in ("text_encoder", "vae", "vision_language_encoder", "transformer"):
            module = getattr(pipe, name)
            if _device_of(module).type != device.split(":")[0]:
                module.to(device)


def save_model(model: LoadedModel, folder: Path) -> Path:
    """Save the pipeline as loaded, quantized weights included, so it reloads without re-quantizing."""
    folder = Path(folder)
    model.pipe.save_pretrained(folder, safe_serialization=True)
    if model.report.is_demo:  # a copy of the demo model keeps its small size limits
        shutil.copy2(model.report.folder / DEMO_MARKER, folder / DEMO_MARKER)
    return folder
