"""Runs one generation on a loaded model and reports what happens as typed events.

Two stages, each driven through the pipeline's own public steps so its prompt and grid logic stay
authoritative:
1. PRIOR: `pipe.generate_prior_tokens` with a streamer bound to the AR model's `generate`, which
   reports every visual token as it is written (layout grid, then full grid) and lets a cancel
   stop the AR model within one token.
2. DIFFUSION: `pipe(prior_token_ids=...)` with a step callback that reports progress, previews
   the x0 estimate and aborts within one step on cancel (raising there skips the VAE decode).
A variation passes the previous prior tokens and skips stage 1.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import traceback
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
from PIL import Image
from transformers.generation.logits_process import LogitsProcessor, LogitsProcessorList
from transformers.generation.streamers import BaseStreamer
from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList

from glm_core.generation.events import (
    Cancelled,
    DiffusionStep,
    Event,
    Failed,
    Finished,
    Phase,
    PhaseChanged,
    PreviewImage,
    Remedy,
    TokenProgress,
)
from glm_core.models import device as devices
from glm_core.models import memory
from glm_core.models.loader import LoadedModel
from glm_core.generation.glyphs import verbatim_glyphs
from glm_core.generation.masking import plan_edit
from glm_core.models.preview import PreviewThrottle, TokenMosaic
from glm_core.generation.prior import PriorTokens
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import InvalidRequest, validate_request

EventSink = Callable[[Event], None]


class GenerationCancelled(Exception):
    pass


class NotEnoughMemory(Exception):
    """The request does not fit the device as the model is placed; `remedies` say what would."""

    def __init__(self, message: str, remedies: tuple[Remedy, ...] = ()):
        super().__init__(message)
        self.remedies = remedies


@dataclass
class GenerationResult:
    image: Image.Image
    recipe: Recipe
    prior: PriorTokens
    seconds: float
    # What was asked, with the seed filled in: re-runs and variations need its reference images and
    # mask, which a recipe does not carry.
    request: GenerationRequest | None = None


class GenerationRunner:
    def __init__(self, model: LoadedModel):
        self.model = model
        self.pipe = model.pipe
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: the running generation stops within one AR token or one DiT step."""
        self._cancel.set()

    def run(
        self, request: GenerationRequest, on_event: EventSink, cancel: threading.Event | None = None
    ) -> GenerationResult | None:
        """Blocking. Returns None when cancelled or failed; the matching event says which and why.
        Setting `cancel` (or calling cancel()) from any thread stops this run."""
        self._cancel = cancel if cancel is not None else threading.Event()
        started = time.perf_counter()
        phase = Phase.PRIOR if request.prior is None else Phase.DIFFUSION
        asked = request
        try:
            report = self.model.report
            edit = None if request.mask is None else plan_edit(
                request, report.min_side, report.max_side,
                **({} if request.mask_feather is None else {"feather_px": request.mask_feather}))
            if edit is not None:  # a masked edit runs as image-to-image on its region, then is pasted back
                request, on_event = edit.work_request(request), edit.previews_in_place(on_event)
            validate_request(request, min_side=report.min_side, max_side=report.max_side)
            self._check_memory(request)
            seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
            # A CPU generator gives the same noise for a seed on every device.
            layout_seed = seed if request.layout_seed is None else request.layout_seed
            generator = torch.Generator().manual_seed(layout_seed)
            edges = reference_edges(self.pipe.processor)
            references = [fit_reference(img, request.width, request.height, *edges) for img in request.reference_images]
            prior = request.prior
            if prior is None:
                on_event(PhaseChanged(Phase.PRIOR))
                prior = replace(self._generate_prior(request, references, generator, on_event), seed=layout_seed)
                if layout_seed != seed:  # a variation reproduced: its DiT starts afresh from its own seed
                    generator = torch.Generator().manual_seed(seed)
            phase = Phase.DIFFUSION
            on_event(PhaseChanged(Phase.DIFFUSION))
            with verbatim_glyphs(self.pipe, request.prompt, request.glyph_texts):  # the DiT's glyph encoder
                image = self._diffuse(request, references, prior, generator, on_event, edit)
            if edit is not None:
                image = edit.finish(image)
            recipe = Recipe(
                prompt=request.prompt, seed=seed, steps=request.steps, guidance=request.guidance,
                width=image.width, height=image.height, mode=asked.mode,
                reference_count=len(references), model_id=report.model_id, model_revision=report.revision,
                quantization=report.quant_label, glyph_texts=tuple(request.glyph_texts or ()),
                layout_seed=None if prior.seed in (None, seed) else prior.seed, typed_prompt=asked.typed_prompt,
            )
            seconds = time.perf_counter() - started
            done = replace(asked, seed=seed, prior=None, layout_seed=recipe.layout_seed)
            on_event(Finished(image=image, recipe=recipe, seconds=seconds, prior=prior, request=done))
            return GenerationResult(image=image, recipe=recipe, prior=prior, seconds=seconds, request=done)
        except GenerationCancelled:
            on_event(Cancelled(phase))
        except InvalidRequest as exc:
            on_event(Failed(message=str(exc), details=""))
        except NotEnoughMemory as exc:
            on_event(Failed(message=str(exc), details="", remedies=exc.remedies))
        except torch.OutOfMemoryError as exc:
            devices.release_memory(self.model.report.device)
            on_event(Failed(message=readable_error(exc, request), details=traceback.format_exc(),
                            remedies=self._remedies(request)))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a readable event; the model stays loaded
            on_event(Failed(message=readable_error(exc, request), details=traceback.format_exc()))
        finally:
            self.pipe.maybe_free_model_hooks()
        return None

    # -- memory: plan this request on the placement in effect ----------------------------------------
    def _check_memory(self, request: GenerationRequest) -> None:
        """Refuse what cannot fit before it runs out of memory half-way, and decode tile by tile
        where the whole picture would not fit. On the CPU the operating system pages instead."""
        model, report = self.model, self.model.report
        job = memory.Job(request.width, request.height, len(request.reference_images))
        offload = report.plan.offload
        if offload == "sequential" and (why := memory.sequential_allowed(report.quant, job)):
            raise NotEnoughMemory(f"The model is loaded with sequential offload, and {why}: switch to model offload.",
                                  (Remedy("Use model offload", offload="model"),))
        plan = model.plan_for(job)
        if plan.vae_tiling:
            self.pipe.vae.enable_tiling()
        else:
            self.pipe.vae.disable_tiling()
        if report.device != "cpu" and not plan.fits():
            raise NotEnoughMemory(f"Not enough memory: {plan.reason}.", self._remedies(request))

    def _remedies(self, request: GenerationRequest) -> tuple[Remedy, ...]:
        """The next plans down that fit: more offload first (same picture, slower), then smaller sizes."""
        model, report = self.model, self.model.report
        refs = len(request.reference_images)
        remedies = []
        order = memory.OFFLOAD_MODES
        for offload in order[order.index(report.plan.offload) + 1:]:
            if offload == "sequential" and memory.sequential_allowed(report.quant, memory.Job(references=refs)):
                continue
            if model.plan_for(memory.Job(request.width, request.height, refs), offload).fits():
                remedies.append(Remedy(f"Use {memory.OFFLOAD_LABELS[offload]}", offload=offload))
                break
        if request.mask is None:  # a masked edit keeps its image's size
            scale = 0.75
            while len(remedies) < 2 and min(request.width, request.height) * scale >= report.min_side:
                width, height = (max(report.min_side, int(side * scale) // 32 * 32) for side in (request.width, request.height))
                if model.plan_for(memory.Job(width, height, refs)).fits():
                    remedies.append(Remedy(f"Make it {width}x{height}", width=width, height=height))
                    break
                scale -= 0.25
        return tuple(remedies)

    # -- stage 1: the AR model writes visual tokens ------------------------------------------------
    def _generate_prior(self, request, references, generator, on_event) -> PriorTokens:
        pipe = self.pipe
        token_h, token_w, layout_h, layout_w = pipe.processor._get_target_shape(request.height, request.width)
        grids = [("full", token_h, token_w)]
        if not references:  # text-to-image writes the small layout grid first
            grids.insert(0, ("layout", layout_h, layout_w))
        stream = _TokenStream(grids, self.model.previews.mosaic, (request.width, request.height), on_event)
        ar_model = pipe.vision_language_encoder
        bound_generate = ar_model.generate
        codebook = ar_model.config.vq_config.num_embeddings
        grid_tokens = sum(h * w for _, h, w in grids)

        def generate_with_progress(*args, **kwargs):
            kwargs["streamer"] = stream
            kwargs["stopping_criteria"] = StoppingCriteriaList([_StopOnCancel(self._cancel)])
            kwargs["logits_processor"] = LogitsProcessorList([_VisualCodesOnly(codebook, grid_tokens)])
            return bound_generate(*args, **kwargs)

        ar_model.generate = generate_with_progress
        try:
            images = pipe._validate_and_normalize_images(references, 1) if references else None
            if references:
                _bring_to_device(ar_model)
            token_ids, image_token_ids, image_grids = pipe.generate_prior_tokens(
                prompt=request.prompt, height=request.height, width=request.width, image=images,
                device=pipe._execution_device, generator=generator,
            )
        finally:
            del ar_model.generate  # the class method shows through again
        self._check_cancel()
        stream.check_complete(codebook)
        return PriorTokens.from_pipeline(token_ids, image_token_ids, image_grids, grid_h=token_h, grid_w=token_w)

    # -- stage 2: the DiT turns tokens into latents, the VAE into pixels ---------------------------
    def _diffuse(self, request, references, prior, generator, on_event, edit=None) -> Image.Image:
        pipe = self.pipe
        self._check_cancel()
        latent_preview = self.model.previews.latent
        device = pipe._execution_device
        # The starting noise is drawn here, exactly as the pipeline would, so the x0 estimate of the
        # first step has a known starting point.
        latents = pipe.prepare_latents(
            1, pipe.transformer.config.in_channels, request.height, request.width, pipe.dtype, device, generator
        )
        # A masked edit resets the latents outside the mask to the re-noised source after each step.
        blend = edit.blend(pipe, latents) if edit is not None else None
        previous = {"latents": latents}
        throttle = PreviewThrottle()
        size = (request.width, request.height)

        def on_step(pipe_, index, _sigma, tensors):
            if self._cancel.is_set():
                raise GenerationCancelled()
            total = request.steps
            current = tensors["latents"]
            if blend is not None:
                current = blend(current, float(pipe_.scheduler.sigmas[index + 1]))
            on_event(DiffusionStep(step=index + 1, total=total))
            last = index == total - 1
            if last or throttle.due():
                with throttle.measure():
                    sigmas = pipe_.scheduler.sigmas
                    x0 = estimate_x0(previous["latents"], current, float(sigmas[index]), float(sigmas[index + 1]))
                    on_event(PreviewImage(latent_preview.render(x0, size), Phase.DIFFUSION))
            previous["latents"] = current
            if last:
                on_event(PhaseChanged(Phase.DECODE))
            return {"latents": current}

        images = pipe._validate_and_normalize_images(references, 1) if references else None
        output = pipe(
            prompt=request.prompt, image=images, height=request.height, width=request.width,
            num_inference_steps=request.steps, guidance_scale=request.guidance, generator=generator,
            latents=latents, callback_on_step_end=on_step, **prior.on(device),
            callback_on_step_end_tensor_inputs=["latents"],
        )
        return output.images[0]

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise GenerationCancelled()


def estimate_x0(before: torch.Tensor, after: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """Rectified flow: x_t = (1 - t) x0 + t noise, and an Euler step moves along v = noise - x0.
    From two consecutive latents, v = (after - before) / (sigma_next - sigma), x0 = after - sigma_next v."""
    if sigma_next == sigma:
        return after
    velocity = (after.float() - before.float()) / (sigma_next - sigma)
    return after.float() - sigma_next * velocity


def fit_reference(image: Image.Image, width: int, height: int, min_edge: int = 32, max_edge: int = 2048) -> Image.Image:
    """Size a reference so the AR processor and the VAE see the same grid.

    The processor rescales any image whose short side is under `min_edge` or long side over
    `max_edge`, while the DiT encodes the image as given: unless both agree, the token grid and the
    latent grid differ and the DiT fails. So references get sides that are multiples of 32 inside
    those edges, at about the target's pixel count (a huge photo costs no more than the image made).
    """
    image = image.convert("RGB")
    if max(image.size) / min(image.size) > 4:
        raise InvalidRequest(f"Reference image {image.width}x{image.height} is wider than 4:1: crop it closer to the poster's shape.")
    scale = (width * height / (image.width * image.height)) ** 0.5
    scale = max(scale, min_edge / min(image.size))
    scale = min(scale, max_edge / max(image.size))
    new_w = min(max_edge, max(min_edge, round(image.width * scale / 32) * 32))
    new_h = min(max_edge, max(min_edge, round(image.height * scale / 32) * 32))
    if (new_w, new_h) != image.size:
        image = image.resize((new_w, new_h), Image.LANCZOS)
    return image


def reference_edges(processor) -> tuple[int, int]:
    """The shortest and longest side the AR processor leaves unscaled, in multiples of 32."""
    size = processor.image_processor.size
    min_edge = math.ceil(math.sqrt(size["shortest_edge"]) / 32) * 32
    max_edge = math.floor(math.sqrt(size["longest_edge"]) / 32) * 32
    return max(32, min_edge), max_edge


def readable_error(exc: Exception, request: GenerationRequest) -> str:
    if isinstance(exc, torch.OutOfMemoryError):
        return (
            f"Out of memory at {request.width}x{request.height}: choose a smaller size, "
            "load the model with nf4 quantization, or enable offloading."
        )
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"Generation failed: {type(exc).__name__}: {first_line}"


def _bring_to_device(module) -> None:
    """Model offload moves a module when its `forward` runs; an edit calls the AR model's
    `get_image_features` first, so its offload hook is run by hand (a no-op without offload)."""
    hook = getattr(module, "_hf_hook", None)
    if hook is not None:
        hook.pre_forward(module)


class _VisualCodesOnly(LogitsProcessor):
    """Until every grid position is written, only visual codes may be sampled. The trained model can
    end a grid early (SD.Next saw 1023 of 1024 tokens); a short grid would reach the DiT misaligned."""

    def __init__(self, codebook: int, grid_tokens: int):
        self.codebook = codebook
        self.grid_tokens = grid_tokens
        self.prompt_length: int | None = None

    def __call__(self, input_ids, scores):
        if self.prompt_length is None:
            self.prompt_length = input_ids.shape[1]
        if input_ids.shape[1] - self.prompt_length < self.grid_tokens:
            scores = scores.clone()
            scores[:, self.codebook:] = -float("inf")
        return scores


class _StopOnCancel(StoppingCriteria):
    """Raising (not returning True) is what stops the AR model cleanly: a True here makes the
    pipeline crash later on a short token grid."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel

    def __call__(self, input_ids, scores, **kwargs):
        if self.cancel.is_set():
            raise GenerationCancelled()
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


class _TokenStream(BaseStreamer):
    """Receives the AR model's tokens one by one; reports progress and throttled mosaics per grid."""

    def __init__(self, grids, mosaic: TokenMosaic, size, on_event: EventSink):
        self.grids = grids  # [(name, h, w)] in the order the model writes them
        self.mosaic = mosaic
        self.size = size
        self.on_event = on_event
        self.prompt_seen = False
        self.tokens: list[int] = []
        self.throttle = PreviewThrottle()

    def put(self, value):
        if not self.prompt_seen:  # the first call carries the prompt
            self.prompt_seen = True
            return
        self.tokens.append(int(value.reshape(-1)[0]))
        position = len(self.tokens)
        for name, h, w in self.grids:
            if position <= h * w:
                self.on_event(TokenProgress(grid=name, index=position, total=h * w))
                grid_done = position == h * w
                if grid_done or self.throttle.due():
                    with self.throttle.measure():
                        start = len(self.tokens) - position
                        codes = np.asarray(self.tokens[start:], dtype=np.int64)
                        self.on_event(PreviewImage(self.mosaic.render(codes, h, w, self.size), Phase.PRIOR))
                return
            position -= h * w
        # past the last grid: the end token

    def check_complete(self, codebook: int) -> None:
        """Every grid position holds a visual code, or the run stops here with what went wrong."""
        start = 0
        for name, h, w in self.grids:
            grid = self.tokens[start:start + h * w]
            if len(grid) < h * w or any(code >= codebook for code in grid):
                written = sum(1 for code in grid if code < codebook)
                raise RuntimeError(f"the AR model wrote {written} of {h * w} tokens of the {name} grid")
            start += h * w

    def end(self):
        pass
