"""A tiny GLM-Image with random weights, built offline from the real component classes.

It exercises every code path users run on the real model (the same loader, the AR stage, the DiT, the
VAE, quantization) in about a second on a CPU. Its pictures are noise: it exists for trying the
interface and for tests, and the UI says so.
"""

from __future__ import annotations

import json
from pathlib import Path

DEMO_MODEL_ID = "glm-image-studio/demo-tiny"
# Bump when the recipe below changes, so stale copies in the user data dir are rebuilt.
DEMO_MODEL_VERSION = 1
DEMO_SIZE_LIMITS = (32, 512)  # min and max side in pixels; the real model allows 512..2048
DEMO_MARKER = "demo_model.json"  # marks a folder (or a saved copy) as the demo model

# Sizes chosen so that every Linear suits bitsandbytes on CPU (in_features % 64, out % 32).
_CODEBOOK = 64  # VQ codes; ids 0..63 are the visual tokens
_IMAGE_START = _CODEBOOK  # also the tokenizer's bos
_IMAGE_END = _CODEBOOK + 1  # also eos
_VISION_VOCAB = 96  # codebook + specials, like the real 16384 + 128
_HIDDEN = 64
_GLYPH_DIM = 64  # ByT5 d_model == DiT text_embed_dim


def _build_tokenizer():
    """A byte-level GLM-style tokenizer: visual codes first, then specials, then 256 byte symbols."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {f"<|dit_token_{i}|>": i for i in range(_CODEBOOK)}
    specials = ["<|image_start|>", "<|image_end|>", "<|image|>", "<sop>", "<eop>", "<|pad|>"]
    for token in specials:
        vocab[token] = len(vocab)
    for symbol in sorted(ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|image_start|>",
        eos_token="<|image_end|>",
        pad_token="<|pad|>",
        padding_side="left",
        extra_special_tokens={"image_token": "<|image|>", "grid_bos_token": "<sop>", "grid_eos_token": "<eop>"},
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(vocab)[: _CODEBOOK] + specials})
    # The real template wraps each image as start, placeholder, end and passes text through.
    tokenizer.chat_template = (
        "{% for message in messages %}{% for item in message['content'] %}"
        "{% if item['type'] == 'image' %}<|image_start|><|image|><|image_end|>"
        "{% else %}{{ item['text'] }}{% endif %}{% endfor %}{% endfor %}"
    )
    return tokenizer


def _build_components():
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, GlmImageTransformer2DModel
    from transformers import (
        ByT5Tokenizer,
        GlmImageConfig,
        GlmImageForConditionalGeneration,
        GlmImageProcessor,
        T5Config,
        T5EncoderModel,
    )
    from transformers.models.glm_image.image_processing_pil_glm_image import GlmImageImageProcessorPil

    torch.manual_seed(0)
    tokenizer = _build_tokenizer()
    text_vocab = 384
    ar_config = GlmImageConfig(
        text_config={
            "vocab_size": text_vocab,
            "hidden_size": _HIDDEN,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 4096,
            "vision_vocab_size": _VISION_VOCAB,
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": _IMAGE_END,
            "rope_parameters": {"rope_type": "default", "mrope_section": [4, 6, 6], "partial_rotary_factor": 1.0},
        },
        vision_config={
            "depth": 1,
            "hidden_size": _HIDDEN,
            "num_heads": 2,
            "intermediate_size": 128,
            "patch_size": 16,
            "image_size": 512,
        },
        vq_config={"embed_dim": 32, "num_embeddings": _CODEBOOK, "latent_channels": _HIDDEN},
        image_token_id=tokenizer.convert_tokens_to_ids("<|image|>"),
        image_start_token_id=_IMAGE_START,
        image_end_token_id=_IMAGE_END,
    )
    ar_model = GlmImageForConditionalGeneration(ar_config).eval()
    ar_model.generation_config.do_sample = True
    ar_model.generation_config.temperature = 0.9
    ar_model.generation_config.top_p = 0.75
    # Random weights would sample the end token (or other non-code ids) at any point and cut a
    # grid short; the trained model never does. Only visual codes may be sampled, so every grid is
    # complete and the pipeline's max_new_tokens ends generation.
    ar_model.generation_config.suppress_tokens = list(range(_CODEBOOK, _VISION_VOCAB))
    image_processor = GlmImageImageProcessorPil(patch_size=16, temporal_patch_size=1, merge_size=1)
    processor = GlmImageProcessor(image_processor=image_processor, tokenizer=tokenizer)
    glyph_encoder = T5EncoderModel(
        T5Config(
            vocab_size=384, d_model=_GLYPH_DIM, d_kv=32, d_ff=128, num_layers=1, num_heads=2,
            feed_forward_proj="gated-gelu", is_encoder_decoder=False,
        )
    ).eval()
    transformer = GlmImageTransformer2DModel(
        patch_size=2, in_channels=16, out_channels=16, num_layers=2, attention_head_dim=32,
        num_attention_heads=2, text_embed_dim=_GLYPH_DIM, time_embed_dim=64, condition_dim=32,
        prior_vq_quantizer_codebook_size=_CODEBOOK,
    ).eval()
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=16, block_out_channels=(16, 16, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, norm_num_groups=8, latents_mean=[0.0] * 16, latents_std=[1.0] * 16,
    ).eval()
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True, base_shift=0.25, max_shift=0.75, base_image_seq_len=256, time_shift_type="linear"
    )
    return {
        "tokenizer": ByT5Tokenizer(),
        "processor": processor,
        "text_encoder": glyph_encoder,
        "vision_language_encoder": ar_model,
        "vae": vae,
        "transformer": transformer,
        "scheduler": scheduler,
    }


def build_demo_model(folder: Path) -> Path:
    """Write the tiny model to `folder` (a diffusers pipeline folder, safetensors only)."""
    from diffusers import GlmImagePipeline

    folder = Path(folder)
    pipe = GlmImagePipeline(**_build_components())
    pipe.save_pretrained(folder, safe_serialization=True)
    (folder / DEMO_MARKER).write_text(json.dumps({"id": DEMO_MODEL_ID, "version": DEMO_MODEL_VERSION}))
    return folder


def ensure_demo_model(data_dir: Path) -> Path:
    """Return the demo model folder under `data_dir`, building it once (about a second)."""
    folder = Path(data_dir) / "models" / f"demo-tiny-v{DEMO_MODEL_VERSION}"
    if (folder / DEMO_MARKER).is_file():
        return folder
    staging = folder.with_name(folder.name + ".partial")
    if staging.exists():
        import shutil

        shutil.rmtree(staging)
    build_demo_model(staging)
    staging.replace(folder)  # a half-built folder never looks finished
    return folder


def is_demo_folder(folder: Path) -> bool:
    return (Path(folder) / DEMO_MARKER).is_file()
