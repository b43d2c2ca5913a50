"""One loader for every model source: the demo model, a local folder, or a hub repo id.

Each component is loaded with its own known class (never a class named by the folder, never remote
code), from safetensors only, with the quantization asked for where the device allows it. What was
actually done, fallbacks included, is written into the LoadReport: nothing is downgraded silently.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from glm_core import OFFICIAL_REPO_ID  # noqa: F401 - importable from here as before
from glm_core.models import device as devices
from glm_core.models import memory
from glm_core.models.demo_model import DEMO_MARKER, DEMO_MODEL_ID, DEMO_SIZE_LIMITS, ensure_demo_model, is_demo_folder
from glm_core.paths import user_data_dir

REAL_SIZE_LIMITS = (512, 2048)
QUANTIZABLE = ("vision_language_encoder", "transformer")  # the 9B AR model and the 7B DiT
COMPONENTS = ("tokenizer", "processor", "text_encoder", "vision_language_encoder", "vae", "transformer", "scheduler")
# Files a model folder needs; weights in any other format are never fetched or read.
MODEL_FILE_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken"]


class LoadError(RuntimeError):
    pass


class LoadCancelled(Exception):
    pass


@dataclass
class LoadOptions:
    source: str = "demo"  # "demo" | a folder | a hub repo id
    quant: str = "bf16"  # bf16 | int8 | nf4, for the AR model and the DiT
    device: str = "auto"  # auto | cuda | mps | cpu
    offload: str = "auto"  # auto | none | model | sequential
    revision: str | None = None


@dataclass
class LoadReport:
    model_id: str
    revision: str
    folder: Path
    device: str
    dtype: str
    quant: dict[str, str]  # component -> mode in effect
    plan: memory.MemoryPlan
    notices: list[str] = field(default_factory=list)  # fallbacks and other things the user should know
    is_demo: bool = False
    seconds: float = 0.0

    @property
    def min_side(self) -> int:
        return (DEMO_SIZE_LIMITS if self.is_demo else REAL_SIZE_LIMITS)[0]

    @property
    def max_side(self) -> int:
        return (DEMO_SIZE_LIMITS if self.is_demo else REAL_SIZE_LIMITS)[1]

    @property
    def quant_label(self) -> str:
        return ",".join(f"{'ar' if c == 'vision_language_encoder' else 'dit'}={m}" for c, m in self.quant.items())


@dataclass
class LoadedModel:
    pipe: object  # diffusers GlmImagePipeline
    report: LoadReport


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


def check_model_folder(folder: Path) -> None:
    """A folder must be a GLM-Image pipeline with every component present."""
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        raise LoadError(f"'{folder}' has no model_index.json: it is not a diffusers model folder.")
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"'{index_file}' is unreadable ({exc}): re-download the model.") from exc
    if index.get("_class_name") != "GlmImagePipeline":
        raise LoadError(f"'{folder}' holds a {index.get('_class_name')!r}, not a GLM-Image pipeline.")
    missing = [name for name in COMPONENTS if not (folder / name).is_dir()]
    if missing:
        raise LoadError(f"'{folder}' is missing {', '.join(missing)}: repair or re-download the model.")


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


def choose_quant(requested: str, device: str, folder: Path) -> tuple[dict[str, str], list[str]]:
    """Per component: the mode that will be in effect, and notices for every fallback."""
    if requested not in memory.QUANT_MODES:
        raise LoadError(f"Unknown quantization '{requested}': choose one of {', '.join(memory.QUANT_MODES)}.")
    quant, notices = {}, []
    for component in QUANTIZABLE:
        saved = _already_quantized(folder, component)
        if saved:
            quant[component] = saved
            if requested not in ("bf16", saved):
                notices.append(f"{component} was saved quantized as {saved}; it loads as saved, not as {requested}.")
            continue
        mode = requested
        # diffusers' bitsandbytes quantizer needs a GPU for the DiT; the AR model quantizes on CPU too.
        if component == "transformer" and mode != "bf16" and device == "cpu":
            notices.append(f"The DiT cannot be quantized to {mode} without a GPU: it runs unquantized on the CPU.")
            mode = "bf16"
        quant[component] = mode
    return quant, notices


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
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, GlmImagePipeline, GlmImageTransformer2DModel
    from transformers import ByT5Tokenizer, GlmImageForConditionalGeneration, GlmImageProcessor, T5EncoderModel

    started = time.perf_counter()
    device = devices.resolve_device(options.device)
    folder, model_id, revision = resolve_source(options)
    check_model_folder(folder)
    is_demo = is_demo_folder(folder)
    dtype = devices.compute_dtype(device, tiny=is_demo)
    quant, notices = choose_quant(options.quant, device, folder)

    sizes = memory.component_sizes_from_folder(folder)
    free = devices.free_memory_bytes(device)
    plan_size = 1024 if not is_demo else DEMO_SIZE_LIMITS[1]
    offload = "none" if device == "cpu" else options.offload  # offloading to the CPU from the CPU is moot
    plan = memory.plan_memory(sizes, quant, free, plan_size, plan_size, offload=offload)
    if not plan.fits():
        notices.append(f"Memory may run short: {plan.reason}")

    # MPS: loading straight onto the device corrupts weights (diffusers#13227); load on CPU, then move.
    load_device = "cuda" if device == "cuda" else "cpu"
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
            device_map=load_device if quant["vision_language_encoder"] != "bf16" else None,
        ),
        "transformer": lambda: GlmImageTransformer2DModel.from_pretrained(
            folder / "transformer",
            torch_dtype=dtype,
            use_safetensors=True,
            quantization_config=_new_quant_config(folder, quant, "transformer", dtype),
        ),
    }
    components = {}
    for index, name in enumerate(COMPONENTS):
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()
        if on_progress:
            on_progress(name, index, len(COMPONENTS))
        try:
            components[name] = loaders[name]()
        except OSError as exc:
            raise LoadError(f"Could not load {name} from '{folder}': {exc}. Repair or re-download the model.") from exc
        if hasattr(components[name], "eval"):
            components[name].eval()
    pipe = GlmImagePipeline(**components)
    pipe.set_progress_bar_config(disable=True)
    _place(pipe, device, plan.offload, quant)

    report = LoadReport(
        model_id=model_id, revision=revision, folder=folder, device=device, dtype=str(dtype).removeprefix("torch."),
        quant=quant, plan=plan, notices=notices, is_demo=is_demo, seconds=time.perf_counter() - started,
    )
    return LoadedModel(pipe=pipe, report=report)


def _new_quant_config(folder: Path, quant: dict[str, str], component: str, dtype):
    """A quantization config only for weights not already saved quantized."""
    if _already_quantized(folder, component):
        return None
    return _quant_config(quant[component], component, dtype)


def _place(pipe, device: str, offload: str, quant: dict[str, str]) -> None:
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        # bitsandbytes modules are placed at load time and must not be moved again.
        for name in ("text_encoder", "vae", "vision_language_encoder", "transformer"):
            if quant.get(name, "bf16") == "bf16" or device == "mps":
                getattr(pipe, name).to(device)


def save_model(model: LoadedModel, folder: Path) -> Path:
    """Save the pipeline as loaded, quantized weights included, so it reloads without re-quantizing."""
    folder = Path(folder)
    model.pipe.save_pretrained(folder, safe_serialization=True)
    if model.report.is_demo:  # a copy of the demo model keeps its small size limits
        shutil.copy2(model.report.folder / DEMO_MARKER, folder / DEMO_MARKER)
    return folder
