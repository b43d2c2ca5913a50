"""bench/cards.py, the consumer-card GPU acceptance script: its whole code path on the CPU with tiny
configs, and its real-size tokenizer checked against the published configs (no weights)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tiny_run_prints_a_row_per_job(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", GLM_STUDIO_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cards.py"), "--tiny", "--folder", str(tmp_path / "bench")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| CPU | ")]
    assert [row[1] for row in rows] == ["t2i", "edit", "variation"]
    assert all(row[-1] == "OK |" for row in rows), rows


def _real_size_model():
    spec = importlib.util.spec_from_file_location("real_size_model", ROOT / "bench" / "real_size_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_real_size_components_match_the_published_configs():
    """Every component built on the meta device (shapes, no memory), as the GPU run builds them."""
    import torch
    from glm_core.models import memory

    builder = _real_size_model()
    parts = builder.build_components(builder.real_configs(), "meta", torch.bfloat16)
    sizes = memory.known_model_sizes()
    for name in memory.QUANTIZABLE:  # the 9B AR model and the 7B DiT: what the cards' memory is about
        assert sum(p.numel() for p in parts[name].parameters()) == sizes[name].params, name
    ar, processor = parts[builder.AR].config, parts["processor"]
    tokenizer = processor.tokenizer
    assert (ar.image_start_token_id, ar.image_end_token_id, ar.image_token_id, tokenizer.pad_token_id) == (
        16384, 16385, 167855, 167841)
    assert len(tokenizer) == 168064
    assert tokenizer.convert_tokens_to_ids("<|dit_token_1234|>") == 1234

    # What the pipeline builds for 1024² text-to-image: the prompt, both target grids, the image start.
    message = [[{"role": "user", "content": [{"type": "text", "text": "A poster that says “OPEN”"}]}]]
    inputs = processor.apply_chat_template(message, tokenize=True, target_h=1024, target_w=1024,
                                           return_dict=True, return_tensors="pt")
    ids = inputs["input_ids"][0]
    assert ids[-1] == ar.image_start_token_id
    assert int(ids.max()) < ar.text_config.vocab_size
    assert inputs["image_grid_thw"].tolist() == [[1, 32, 32], [1, 16, 16]]
    assert processor._get_target_shape(1024, 1024) == (32, 32, 16, 16)
