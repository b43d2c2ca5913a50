"""GLM-Image per quantization mode: weights, peak memory, AR tokens/s and DiT s/step at 1024².

    python bench/gpu.py [--modes bf16,int8,nf4] [--tokens 128] [--steps 4] [--write-docs]
    python bench/gpu.py --tiny     # the demo model's tiny configs on the CPU: a smoke test

No download, no network: the AR model and the DiT are built from the real configs in
glm_core/known_models/glm_image.json with random weights, straight on the GPU in bf16; int8/nf4
then swap the Linears the loader's bitsandbytes configs would quantize for bnb modules. Random
weights change the pictures, not the speed or the memory. Both models stay resident, as in the app
without offload; the glyph encoder and VAE (<1 GB, little time) are left out.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched; fail fast, never wait on a network

import torch  # noqa: E402

from glm_core.models import demo_model, memory  # noqa: E402
from glm_core.models.loader import _quant_config, quiet_libraries  # noqa: E402

SIZE, TINY_SIZE = 1024, 256  # the tiny demo model allows 32..512 px
PROMPT_TOKENS = memory.PROMPT_TOKENS  # the prompt budget the memory model plans for
GLYPH_TOKENS, EMPTY_GLYPH_TOKENS = 32, 2  # a short quoted text; "" encodes to 2 ByT5 tokens
GUIDANCE = 1.5  # the recommended scale; CFG costs two forwards per step whatever its value
DOCS = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench/gpu.py:start -->", "<!-- bench/gpu.py:end -->"
AR, DIT = "vision_language_encoder", "transformer"


def build_models(tiny: bool, device: torch.device, dtype: torch.dtype):
    if tiny:  # the demo's builder: same classes, configs chosen to suit bitsandbytes on a CPU
        parts = demo_model._build_components()
        return parts[AR].to(device, dtype).eval(), parts[DIT].to(device, dtype).eval()
    from diffusers import GlmImageTransformer2DModel
    from transformers import GlmImageConfig, GlmImageForConditionalGeneration

    configs = memory.known_model_info()["components"]
    # New tensors are born on the GPU in bf16: no 35 GB of fp32 on the CPU first, and the models'
    # own random init runs on the GPU (seconds, not minutes).
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            ar = GlmImageForConditionalGeneration._from_config(GlmImageConfig.from_dict(configs[AR]), dtype=dtype)
            dit = GlmImageTransformer2DModel.from_config(configs[DIT])
    finally:
        torch.set_default_dtype(previous)
    return ar.eval(), dit.eval()


def quantize_linears(model, component: str, mode: str, dtype: torch.dtype) -> None:
    """Replace Linear layers by bnb int8/nf4 ones, one at a time, so the bf16 copy of a layer is
    freed as soon as its quantized copy exists (the peak stays at the bf16 model)."""
    import bitsandbytes as bnb
    from transformers.quantizers.base import HfQuantizer
    from transformers.quantizers.quantizers_utils import should_convert_module

    config = _quant_config(mode, component, dtype)  # the very settings the app loads with
    # What each library's bnb quantizer keeps unquantized: transformers the LM head, diffusers none.
    skip = (HfQuantizer.get_modules_to_not_convert(model, None, model._keep_in_fp32_modules)
            if component == AR else list(config.llm_int8_skip_modules or []))
    names = [n for n, m in model.named_modules() if type(m) is torch.nn.Linear and should_convert_module(n, skip)]
    fourbit = dict(compress_statistics=config.bnb_4bit_use_double_quant, quant_type=config.bnb_4bit_quant_type,
                   quant_storage=config.bnb_4bit_quant_storage)
    for name in names:  # names, not modules: a list of modules would keep every bf16 weight alive
        linear = model.get_submodule(name)
        shape = (linear.in_features, linear.out_features, linear.bias is not None)
        if mode == "int8":
            new = bnb.nn.Linear8bitLt(*shape, has_fp16_weights=False, threshold=config.llm_int8_threshold, device="meta")
            new.weight = bnb.nn.Int8Params(linear.weight.data, requires_grad=False, has_fp16_weights=False)
        else:
            new = bnb.nn.Linear4bit(*shape, compute_dtype=config.bnb_4bit_compute_dtype, device="meta", **fourbit)
            new.weight = bnb.nn.Params4bit(linear.weight.data, requires_grad=False, module=new, **fourbit)
        # bnb's public .to() quantizes only on a move from the CPU (Int8Params) or when the device
        # changes; these weights already sit on their device, so quantize them in place.
        new.weight._quantize(linear.weight.device)
        new.bias = linear.bias
        model.set_submodule(name, new)


def weight_bytes(model) -> int:
    """What the weights take as stored: bnb's state dict includes its scales and quant states."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def sync(device: torch.device) -> None:
    if device.type == "cuda":  # CUDA runs asynchronously: time only finished work
        torch.cuda.synchronize()


def free_cached() -> None:
    gc.collect()
    if torch.cuda.is_available():  # hand freed blocks back, so one mode's leftovers can't skew the next
        torch.cuda.empty_cache()


@torch.inference_mode()
def time_ar(ar, size: int, tokens: int, device: torch.device) -> tuple[float, float, int]:
    """(decode tokens/s, prefill s, tokens) for text-to-image at `size`². generate() gets what
    GlmImageProcessor makes for t2i: prompt ids ending in the image start token, and the two target
    grids (full, then layout) from which the model places every token it will write."""
    from transformers import GlmImageProcessor

    c, text = ar.config, ar.config.text_config
    # _get_target_shape uses no processor state; calling it unbound avoids building a tokenizer.
    full_h, full_w, layout_h, layout_w = GlmImageProcessor._get_target_shape(None, height=size, width=size)
    tokens = max(2, min(tokens, full_h * full_w + layout_h * layout_w + 1))  # positions end after the end token
    # Text ids sit above the visual vocabulary; drop the specials that would change the layout.
    ids = torch.randint(text.vision_vocab_size, text.vocab_size, (1, PROMPT_TOKENS - 1))
    ids[torch.isin(ids, torch.tensor([text.pad_token_id, c.image_token_id]))] = text.vision_vocab_size
    input_ids = torch.cat([ids, torch.tensor([[c.image_start_token_id]])], dim=1).to(device)
    grids = torch.tensor([[1, full_h, full_w], [1, layout_h, layout_w]], device=device)
    inputs = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), image_grid_thw=grids,
                  images_per_sample=torch.tensor([2], device=device))

    def generate(n: int) -> float:
        sync(device)
        started = time.perf_counter()
        # min_new_tokens: random weights may sample the end token early; the trained model doesn't.
        # The model's recommended sampling (temperature 0.9, top-p 0.75): top-p sorts the vocabulary.
        ar.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=True, temperature=0.9, top_p=0.75)
        sync(device)
        return time.perf_counter() - started

    generate(2)  # warm-up: kernels load, cuBLAS handles and allocator blocks appear
    prefill = generate(1)  # the prompt pass plus one sampled token
    total = generate(tokens)
    return (tokens - 1) / (total - prefill), prefill, tokens


@torch.inference_mode()
def time_dit(dit, size: int, steps: int, device: torch.device, dtype: torch.dtype) -> float:
    """Seconds per denoising step at `size`²: a conditional and an unconditional forward (CFG),
    shaped as GlmImagePipeline calls them for text-to-image."""
    c = dit.config
    side = size // 8  # the VAE downsamples 8x; the DiT then patches 2x2
    latents = torch.randn(1, c.in_channels, side, side, device=device, dtype=dtype)
    prior = torch.randint(0, c.prior_vq_quantizer_codebook_size, (1, (side // c.patch_size) ** 2), device=device)
    common = dict(hidden_states=latents, prior_token_id=prior, timestep=torch.full((1,), 999.0, device=device),
                  target_size=torch.tensor([[size, size]], device=device, dtype=dtype),
                  crop_coords=torch.zeros(1, 2, device=device, dtype=dtype), return_dict=False)
    glyphs = torch.randn(1, GLYPH_TOKENS, c.text_embed_dim, device=device, dtype=dtype)
    no_glyphs = torch.randn(1, EMPTY_GLYPH_TOKENS, c.text_embed_dim, device=device, dtype=dtype)
    keep, drop = torch.zeros_like(prior, dtype=torch.bool), torch.ones_like(prior, dtype=torch.bool)

    def step():
        cond = dit(encoder_hidden_states=glyphs, prior_token_drop=keep, **common)[0].float()
        uncond = dit(encoder_hidden_states=no_glyphs, prior_token_drop=drop, **common)[0].float()
        return uncond + GUIDANCE * (cond - uncond)

    step()  # warm-up: kernel selection and allocator blocks
    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - started) / steps


def run_mode(mode: str, args, device: torch.device, dtype: torch.dtype) -> dict:
    """Build both models in `mode`, measure, and let them go when this returns (or raises)."""
    started = time.perf_counter()
    ar, dit = build_models(args.tiny, device, dtype)
    if mode != "bf16":
        quantize_linears(ar, AR, mode, dtype)
        quantize_linears(dit, DIT, mode, dtype)
    row = {"mode": mode, "ar_bytes": weight_bytes(ar), "dit_bytes": weight_bytes(dit)}
    built = time.perf_counter() - started
    free_cached()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()  # the peak of running, not of building in bf16
    size = TINY_SIZE if args.tiny else SIZE
    row["tokens_s"], prefill, tokens = time_ar(ar, size, args.tokens, device)
    row["step_s"] = time_dit(dit, size, args.steps, device, dtype)
    row["peak"] = torch.cuda.max_memory_allocated() if device.type == "cuda" else None
    print(f"{mode}: built in {built:.0f} s; AR prefill {PROMPT_TOKENS} tokens {prefill:.2f} s, "
          f"{tokens} tokens decoded; whole mode {time.perf_counter() - started:.0f} s", flush=True)
    return row


def predicted_sizes(tiny: bool) -> dict[str, memory.ComponentSize]:
    """memory.py's estimate of the same weights, to check its per-mode byte constants."""
    if not tiny:
        return memory.known_model_sizes()
    parts = demo_model._build_components()
    return memory.component_sizes_from_configs({AR: parts[AR].config.to_dict(), DIT: dict(parts[DIT].config)})


def table(rows: list[dict], predicted, unit: float, name: str) -> str:
    lines = [f"| mode | AR weights {name} | DiT weights {name} | peak {name} | AR tokens/s | DiT s/step |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        mode = row["mode"]
        if "error" in row:
            lines.append(f"| {mode} | failed: {row['error']} | | | | |")
            continue
        ar, dit = (f"{row[key] / unit:.2f} ({predicted[c].weight_bytes(mode) / unit:.2f})"
                   for key, c in (("ar_bytes", AR), ("dit_bytes", DIT)))
        peak = "n/a (CPU)" if row["peak"] is None else f"{row['peak'] / unit:.1f}"
        lines.append(f"| {mode} | {ar} | {dit} | {peak} | {row['tokens_s']:.1f} | {row['step_s']:.3f} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the measured block in docs/PERFORMANCE.md (the not-yet-measured slot), or append one."""
    block = f"{START}\n{text}\n{END}"
    old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n## GPU benchmark (bench/gpu.py)\n\n" + block + "\n"
    DOCS.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default=",".join(memory.QUANT_MODES))
    parser.add_argument("--tokens", type=int, default=128, help="AR tokens to time (at most one image's 1281)")
    parser.add_argument("--steps", type=int, default=4, help="DiT steps to time, after one warm-up step")
    parser.add_argument("--tiny", action="store_true", help="demo model configs on the CPU (smoke test)")
    parser.add_argument("--write-docs", action="store_true", help=f"write the table into docs/{DOCS.name}")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(memory.QUANT_MODES):
        parser.error(f"unknown modes {sorted(unknown)}; choose from {memory.QUANT_MODES}")
    if args.tiny and args.write_docs:
        parser.error("--write-docs records the real model only; drop --tiny")
    if not (args.tiny or torch.cuda.is_available()):
        parser.error("the real-size run needs a CUDA GPU; use --tiny for a CPU smoke test")
    quiet_libraries()
    import bitsandbytes
    import diffusers
    import transformers

    device = torch.device("cpu" if args.tiny else "cuda")
    if args.tiny:  # tiny ops: with another process on a core, extra threads slow them ~100x
        torch.set_num_threads(1)
    dtype = torch.bfloat16  # as the app on a GPU; the tiny run uses it too, to exercise the same path
    torch.manual_seed(0)
    started, rows = time.perf_counter(), []
    for mode in modes:
        try:
            rows.append(run_mode(mode, args, device, dtype))
        except Exception as exc:  # one failing mode (an OOM, a bnb kernel) must not lose the others
            traceback.print_exc()
            rows.append({"mode": mode, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"})
        free_cached()

    size = TINY_SIZE if args.tiny else SIZE
    where = "CPU, demo model's tiny configs" if args.tiny else torch.cuda.get_device_name()
    unit, unit_name = (1e6, "MB") if args.tiny else (memory.GB, "GB")
    text = (
        f"{where}; random weights, bf16 compute; {size}x{size} text-to-image; prompt {PROMPT_TOKENS} tokens; "
        f"AR decode over {args.tokens} tokens after prefill; DiT {args.steps} steps x 2 forwards (CFG) after one "
        f"warm-up; torch {torch.__version__}, transformers {transformers.__version__}, diffusers "
        f"{diffusers.__version__}, bitsandbytes {bitsandbytes.__version__}; {time.strftime('%Y-%m-%d')}.\n\n"
        f"{table(rows, predicted_sizes(args.tiny), unit, unit_name)}\n\n"
        "Weights: measured (memory.py's estimate). Peak: torch.cuda.max_memory_allocated while both models "
        "run, without the CUDA context (~0.6 GB), the glyph encoder or the VAE."
    )
    print("\n" + text)
    if args.write_docs:
        write_docs(text)
        print(f"\nwritten to {DOCS}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
