"""GLM-Image with random weights, built from architecture configs and saved in the real folder layout.

bench/cards.py uses it to load "the real model" through glm_core.models.loader.load_model without a 35 GB
download: the configs in glm_core/known_models/glm_image.json give every component its real
dimensions, and the GLM tokenizer built here has the real special-token ids and vocabulary size, so
the loader, the processor and the runner see exactly the shapes and ids the published model has.
Random weights change the pictures, not the memory or the speed.

The same builder takes the demo model's tiny configs (`folder_configs` of the demo folder), so a
CPU smoke test runs every line of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

AR, DIT, GLYPH, VAE = "vision_language_encoder", "transformer", "text_encoder", "vae"
MARKER = "bench_real_size_model.json"  # written last: a folder without it is incomplete
RECIPE_VERSION = 1  # bump when the recipe below changes, so cached folders are rebuilt

# Tokens the GLM processor and pipeline look up by name; the ids come from the AR config.
IMAGE_START, IMAGE_END, IMAGE_TOKEN, PAD = "<|image_start|>", "<|image_end|>", "<|image|>", "<|pad|>"
GRID_BOS, GRID_EOS = "<sop>", "<eop>"  # around the "rows cols" of each target grid in the prompt
# The real template wraps each image as start, placeholder, end and passes text through.
CHAT_TEMPLATE = (
    "{% for message in messages %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}" + IMAGE_START + IMAGE_TOKEN + IMAGE_END
    + "{% else %}{{ item['text'] }}{% endif %}{% endfor %}{% endfor %}"
)


def real_configs() -> dict[str, dict]:
    """The published architecture configs of AR model, DiT, glyph encoder and VAE."""
    from glm_core.models import memory

    return memory.known_model_info()["components"]


def folder_configs(folder: Path) -> dict[str, dict]:
    """The architecture configs saved in a model folder (bench/cards.py --tiny reads the demo model's)."""
    return {name: json.loads((Path(folder) / name / "config.json").read_text(encoding="utf-8"))
            for name in (AR, DIT, GLYPH, VAE)}


def build_tokenizer(ar_config):
    """A byte-level GLM-style tokenizer whose ids match `ar_config` (a GlmImageConfig).

    Layout: id k is `<|dit_token_k|>` for every VQ code; the image start/end/placeholder and pad
    tokens sit at the config's ids; grid bos/eos take the first free ids after the image end token
    (inside the visual vocabulary's special range, as no config names them); the 256 byte symbols
    follow the visual vocabulary (text ids are above it); reserved filler tokens take every id left,
    so the vocabulary covers exactly `text_config.vocab_size` ids.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import PreTrainedTokenizerFast

    text = ar_config.text_config
    codebook = ar_config.vq_config.num_embeddings
    vocab = {f"<|dit_token_{code}|>": code for code in range(codebook)}
    vocab.update({IMAGE_START: ar_config.image_start_token_id, IMAGE_END: ar_config.image_end_token_id,
                  IMAGE_TOKEN: ar_config.image_token_id, PAD: text.pad_token_id})
    taken = set(vocab.values())
    free_specials = (i for i in range(ar_config.image_end_token_id + 1, text.vision_vocab_size) if i not in taken)
    vocab[GRID_BOS], vocab[GRID_EOS] = next(free_specials), next(free_specials)
    taken = set(vocab.values())
    free_text = (i for i in range(text.vision_vocab_size, text.vocab_size) if i not in taken)
    for symbol in sorted(ByteLevel.alphabet()):
        vocab[symbol] = next(free_text)
    taken = set(vocab.values())
    vocab.update({f"<|reserved_{i}|>": i for i in range(text.vocab_size) if i not in taken})

    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    # Named special tokens become added tokens, so a prompt's "<sop>" is one id, never 5 bytes. The
    # 16384 code tokens stay plain vocabulary: they only ever come out of the AR model.
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=IMAGE_START, eos_token=IMAGE_END, pad_token=PAD, padding_side="left",
        extra_special_tokens={"image_token": IMAGE_TOKEN, "grid_bos_token": GRID_BOS, "grid_eos_token": GRID_EOS},
    )
    return tokenizer


def build_processor(ar_config):
    from transformers import GlmImageImageProcessorPil, GlmImageProcessor

    # One vision patch per 16 px and no merging: what the vision tower and the VQ grid expect.
    image_processor = GlmImageImageProcessorPil(
        patch_size=ar_config.vision_config.patch_size, temporal_patch_size=1, merge_size=1)
    return GlmImageProcessor(image_processor=image_processor, tokenizer=build_tokenizer(ar_config),
                             chat_template=CHAT_TEMPLATE)


def mismatches(configs: dict[str, dict], processor) -> list[str]:
    """Every id and dimension that must agree across the components (empty: all agree)."""
    from transformers import GlmImageConfig

    ar = GlmImageConfig.from_dict(configs[AR])
    text, vision, vq, dit = ar.text_config, ar.vision_config, ar.vq_config, configs[DIT]
    tokenizer = processor.tokenizer
    head_dim = text.hidden_size // text.num_attention_heads
    rope = text.rope_parameters
    pairs = [
        ("image start id", tokenizer.convert_tokens_to_ids(IMAGE_START), ar.image_start_token_id),
        ("image end id", tokenizer.convert_tokens_to_ids(IMAGE_END), ar.image_end_token_id),
        ("end of generation is the image end", text.eos_token_id, ar.image_end_token_id),
        ("image placeholder id", tokenizer.convert_tokens_to_ids(IMAGE_TOKEN), ar.image_token_id),
        ("processor's image placeholder id", processor.image_token_id, ar.image_token_id),
        ("pad id", tokenizer.pad_token_id, text.pad_token_id),
        ("tokenizer size", len(tokenizer), text.vocab_size),
        ("last code token id", tokenizer.convert_tokens_to_ids(f"<|dit_token_{vq.num_embeddings - 1}|>"),
         vq.num_embeddings - 1),
        ("codes, then image start, inside the visual vocabulary",
         vq.num_embeddings <= ar.image_start_token_id < text.vision_vocab_size, True),
        ("DiT prior codebook", dit["prior_vq_quantizer_codebook_size"], vq.num_embeddings),
        ("VQ latent channels", vq.latent_channels, vision.hidden_size),
        ("image processor patch", processor.image_processor.patch_size, vision.patch_size),
        ("mrope sections", sum(rope["mrope_section"]), int(head_dim * rope.get("partial_rotary_factor", 1.0)) // 2),
        ("DiT glyph width", dit["text_embed_dim"], configs[GLYPH]["d_model"]),
        ("DiT latent channels", dit["in_channels"], configs[VAE]["latent_channels"]),
    ]
    return [f"{name}: {got} != {want}" for name, got, want in pairs if got != want]


def build_components(configs: dict[str, dict], device: str, dtype) -> dict:
    """All seven pipeline components, the big ones born on `device` in `dtype`."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, GlmImageTransformer2DModel
    from transformers import ByT5Tokenizer, GlmImageConfig, GlmImageForConditionalGeneration, T5Config, T5EncoderModel

    ar_config = GlmImageConfig.from_dict(configs[AR])
    processor = build_processor(ar_config)
    if problems := mismatches(configs, processor):  # fail before minutes of building, not after
        raise ValueError("configs and tokenizer disagree: " + "; ".join(problems))
    # The pipeline un-normalizes latents with the VAE's statistics; the architecture configs leave
    # them out, and with random weights the identity is as good as any.
    channels = configs[VAE]["latent_channels"]
    vae_config = {"latents_mean": [0.0] * channels, "latents_std": [1.0] * channels, **configs[VAE]}
    # New tensors are born on `device` in `dtype`: no 35 GB of fp32 on the CPU first, and the random
    # init runs on the GPU (seconds, not minutes).
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            ar_model = GlmImageForConditionalGeneration(ar_config).eval()
            transformer = GlmImageTransformer2DModel.from_config(configs[DIT]).eval()
            glyph_encoder = T5EncoderModel(T5Config.from_dict(configs[GLYPH])).eval()
            vae = AutoencoderKL.from_config(vae_config).eval()
    finally:
        torch.set_default_dtype(previous)
    # The published model's sampling (temperature 0.9, top-p 0.75); nothing suppressed, so a random
    # model may sample the end token early, as the trained one can (the runner must cope).
    ar_model.generation_config.update(do_sample=True, temperature=0.9, top_p=0.75)
    # As the demo model's scheduler: the real scheduler settings are not in known_models.
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True, base_shift=0.25, max_shift=0.75, base_image_seq_len=256, time_shift_type="linear")
    return {"tokenizer": ByT5Tokenizer(), "processor": processor, GLYPH: glyph_encoder, AR: ar_model,
            VAE: vae, DIT: transformer, "scheduler": scheduler}


def recipe(configs: dict[str, dict], dtype) -> dict:
    digest = hashlib.sha256(json.dumps(configs, sort_keys=True).encode()).hexdigest()[:16]
    return {"version": RECIPE_VERSION, "configs": digest, "dtype": str(dtype).removeprefix("torch.")}


def ensure_folder(folder: Path, configs: dict[str, dict], device: str, dtype, log=print) -> Path:
    """The model folder for `configs`: reused when a complete one with the same recipe is there,
    else built on `device` and saved (safetensors, 5 GB shards, like the published repo)."""
    from diffusers import GlmImagePipeline

    folder = Path(folder)
    wanted = recipe(configs, dtype)
    marker = folder / MARKER
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        log(f"reusing {folder}")
        return folder
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    log(f"building random weights from the configs on {device} ...")
    pipe = GlmImagePipeline(**build_components(configs, device, dtype))
    log(f"saving to {staging} ...")
    pipe.save_pretrained(staging, safe_serialization=True, max_shard_size="5GB")
    del pipe  # the caller frees the device memory (gc, empty_cache) once this returns
    (staging / MARKER).write_text(json.dumps(wanted), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)  # an older recipe or a half-written folder
    staging.replace(folder)  # a half-built folder never looks complete
    return folder
