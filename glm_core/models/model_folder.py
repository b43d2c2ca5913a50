"""Is a folder a GLM-Image pipeline? Plain file checks, no torch: the model manager and the
window's model panel ask it without loading anything."""

from __future__ import annotations

import json
from pathlib import Path

from glm_core.models.load_report import LoadError

COMPONENTS = ("tokenizer", "processor", "text_encoder", "vision_language_encoder", "vae", "transformer", "scheduler")


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
