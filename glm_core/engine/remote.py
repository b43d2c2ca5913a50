"""The remote engine: an OpenAI-images-compatible GLM-Image server (SGLang, vLLM-Omni) makes the
pictures; this computer holds no model and imports no torch (the window imports this module).

The contract both servers speak:
- `GET /v1/models` lists what the server serves ({"data": [{"id": …}]});
- `POST /v1/images/generations`, JSON: prompt, size "WxH", n, seed, num_inference_steps,
  guidance_scale, response_format "b64_json" (+ model);
- `POST /v1/images/edits`, multipart: the reference images (`image` for one, `image[]` for
  several) and the same fields as form values;
- errors as {"detail": …} with 400 / 422 / 503.

Neither server streams progress, so while a request runs the engine sends `Waiting` about once a
second with an estimate from earlier runs (server_timings.py). A masked edit is planned here
(glm_core.generation.masking): only the crop around the mask goes to the server as an edit, and
the answer is composited locally, so every pixel outside mask + feather keeps the source's bytes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import secrets
import threading
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from PIL import Image

from glm_core.engine.base import EngineCapabilities, EngineState
from glm_core.engine.server_timings import ServerTimings
from glm_core.generation.events import Cancelled, Event, Failed, Finished, Loaded, LoadStep, Phase, PhaseChanged, Waiting
from glm_core.generation.masking import plan_edit
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import ImageLoadError, InvalidRequest, open_image, validate_request
from glm_core.models import hub_token
from glm_core.models.load_report import REAL_SIZE_LIMITS, LoadOptions, LoadReport
from glm_core.models.memory import MemoryPlan

CONNECT_SECONDS = 5.0  # a server that is up answers a connection at once
READ_SECONDS = 900.0  # one 2048² image takes ~4 minutes on one H100: room for a busy server
TICK_SECONDS = 0.05  # how often a waiting job looks at cancel()
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")  # what an images API answers with


def key_account(base_url: str) -> str:
    """The keyring account a server's API key is kept under (glm_core.models.hub_token)."""
    return f"server-api-key {normalise_url(base_url)}"


def normalise_url(base_url: str) -> str:
    """'gpu-box:30000/' -> 'http://gpu-box:30000'; a trailing /v1 is the API's, not the server's."""
    url = base_url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url[:-3] if url.endswith("/v1") else url


class ServerError(Exception):
    """A server (or the way to it) failed; the message is the one line the user sees."""


@dataclass(frozen=True)
class ServerInfo:
    """What a connection test finds: the models served, the one used, and whether it can edit."""

    url: str
    models: tuple[str, ...]
    model: str
    edits: bool


class RemoteEngine:
    def __init__(self, base_url: str, api_key: str | None = None, model: str | None = None,
                 timings: ServerTimings | None = None, connect_seconds: float = CONNECT_SECONDS,
                 read_seconds: float = READ_SECONDS):
        self.base_url = normalise_url(base_url)
        self._api_key = api_key.strip() if api_key and api_key.strip() else hub_token.saved_token(key_account(base_url))
        self._asked_model = model
        self._timings = timings if timings is not None else ServerTimings()
        self._timeout = httpx.Timeout(read_seconds, connect=connect_seconds)
        self._cancel = threading.Event()
        self._state = EngineState.STOPPED
        self.info: ServerInfo | None = None
        self.capabilities = self._capabilities()

    def __repr__(self) -> str:  # never the key
        return f"RemoteEngine({self.base_url!r}, model={self._asked_model!r})"

    def _capabilities(self) -> EngineCapabilities:
        model = self.info.model if self.info else self._asked_model
        where = f"Server {self.base_url}" + (f" ({model})" if model else "")
        return EngineCapabilities(where=where, edits=self.info.edits if self.info else True,
                                  variations=False, live_progress=False, memory_plan=False)

    @property
    def state(self) -> EngineState:
        return self._state

    def start(self) -> None:
        """Nothing to start here: the server runs on its own (load reaches it)."""

    async def place(self, offload: str) -> AsyncIterator[Event]:
        """Where a server keeps its model is the server's business."""
        yield Failed(message=f"{self.base_url} places its model itself: offload is set on the server "
                             f"(SGLang or vLLM-Omni flags), not here.", details="")

    def cancel(self) -> None:
        """Any thread: the running job abandons its request and ends with Cancelled at once."""
        self._cancel.set()

    async def unload(self) -> None:
        """The server keeps its model; this computer holds nothing but what it found out."""
        self.info, self.capabilities = None, self._capabilities()
        self._state = EngineState.STOPPED

    async def close(self) -> None:
        await self.unload()

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        # One client per job: the job may run on a loop (asyncio.run on the CLI) that ends with it.
        return httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout, headers=headers)

    def _begin(self, state: EngineState) -> None:
        if self._state in (EngineState.STARTING, EngineState.LOADING, EngineState.GENERATING):
            raise RuntimeError("RemoteEngine runs one job at a time")
        self._cancel.clear()
        self._state = state

    def _end(self) -> None:
        self._state = EngineState.READY if self.info else EngineState.STOPPED

    # --- load: reach the server, list its models, pick one -------------------------------------

    async def connect(self) -> ServerInfo:
        """Reach the server and find its model and whether it edits; raises ServerError. The
        window's connection test calls this alone."""
        async with self._client() as client:
            self.info = await self._connect(client)
        self.capabilities = self._capabilities()
        return self.info

    async def _connect(self, client: httpx.AsyncClient) -> ServerInfo:
        answer = await self._send(client, "GET", "/v1/models")
        try:
            models = tuple(str(item["id"]) for item in answer.json()["data"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServerError(f"{self.base_url} answered /v1/models with something that is not a model list: "
                              "is this an OpenAI-compatible GLM-Image server (SGLang, vLLM-Omni)?") from exc
        model = self._pick_model(models)
        # A POST-only route answers GET with 405; a server without the route answers 404.
        probe = await self._send(client, "GET", "/v1/images/edits", allow_error=True)
        return ServerInfo(self.base_url, models, model, edits=probe.status_code != 404)

    def _pick_model(self, models: tuple[str, ...]) -> str:
        served = ", ".join(models) or "none"
        if self._asked_model:
            if self._asked_model not in models:
                raise ServerError(f"{self.base_url} does not serve '{self._asked_model}' (it serves: {served}): "
                                  "choose one of those models")
            return self._asked_model
        glm = [m for m in models if "glm-image" in m.lower()]
        if len(glm) == 1 or len(models) == 1:
            return (glm or list(models))[0]
        if not models:
            raise ServerError(f"{self.base_url} serves no model yet: wait until it has loaded GLM-Image, then try again")
        raise ServerError(f"{self.base_url} serves several models ({served}): choose the GLM-Image one")

    async def load(self, options: LoadOptions | None = None) -> AsyncIterator[Event]:
        """`options` are for engines that hold a model here; a server has its own."""
        self._begin(EngineState.STARTING)
        started = time.monotonic()
        try:
            yield LoadStep(component="server", index=0, total=1)
            job = asyncio.ensure_future(self.connect())
            if not await self._wait(job):
                yield Cancelled(Phase.LOADING)
                return
            job.result()  # raises what connect() raised
            yield Loaded(self.report(time.monotonic() - started))
        except ServerError as exc:
            yield Failed(message=str(exc), details="")
        finally:
            self._end()

    def report(self, seconds: float = 0.0) -> LoadReport:
        """What a Loaded says of a server: where, which model; no memory plan applies here."""
        info = self.info
        plan = MemoryPlan(offload="none", peak_bytes=0, weights_bytes=0, activation_bytes=0,
                          reason=f"the server at {self.base_url} holds the model")
        notices = [] if info.edits else [f"{self.base_url} cannot edit images: only new images can be made there"]
        return LoadReport(model_id=info.model, revision="", folder=Path(), device="server", dtype="", quant={},
                          plan=plan, notices=notices, seconds=seconds, server=self.base_url)

    # --- generate --------------------------------------------------------------------------------

    async def generate(self, request: GenerationRequest) -> AsyncIterator[Event]:
        self._begin(EngineState.GENERATING)
        started = time.monotonic()
        try:
            asked, edit = request, None
            if request.prior is not None:
                raise InvalidRequest("A server cannot reuse earlier layout tokens: run a new generation "
                                     "(variations need the model on this computer)")
            if request.mask is not None:  # only the crop around the mask goes to the server
                edit = plan_edit(request, *REAL_SIZE_LIMITS,
                                 **({} if request.mask_feather is None else {"feather_px": request.mask_feather}))
                request = edit.work_request(request)
            validate_request(request, *REAL_SIZE_LIMITS)
            request = replace(request, seed=request.seed if request.seed is not None else secrets.randbelow(2**32))
            yield PhaseChanged(Phase.SERVER)
            async with self._client() as client:
                if self.info is None:  # not loaded yet (or unloaded): find the model first
                    found = asyncio.ensure_future(self._connect(client))
                    if not await self._wait(found):
                        yield Cancelled(Phase.SERVER)
                        return
                    self.info = found.result()
                    self.capabilities = self._capabilities()
                if request.reference_images and not self.info.edits:
                    raise ServerError(self._cannot_edit())
                expected = self._timings.expected(self.base_url, request.width, request.height, request.steps)
                job = asyncio.ensure_future(self._post_image(client, request))
                async for event in self._waiting(job, expected):
                    yield event
                if job.cancelled() or not job.done():
                    yield Cancelled(Phase.SERVER)
                    return
                image = job.result()
            seconds = time.monotonic() - started
            self._timings.record(self.base_url, request.width, request.height, request.steps, seconds)
            if edit is not None:
                image = edit.finish(image)
            yield Finished(image=image, recipe=self._recipe(asked, request, image), seconds=seconds, prior=None,
                           request=replace(asked, seed=request.seed, prior=None))
        except (InvalidRequest, ServerError) as exc:
            yield Failed(message=str(exc), details="")
        except Exception as exc:  # noqa: BLE001 - any failure becomes one readable line; the engine stays usable
            yield Failed(message=f"The request to {self.base_url} failed ({type(exc).__name__}: {exc}): try again",
                         details=traceback.format_exc())
        finally:
            self._end()

    async def _waiting(self, job: asyncio.Future, expected: float | None) -> AsyncIterator[Event]:
        """Waiting about once a second until `job` is done or cancel() is called (job then abandoned)."""
        started, told = time.monotonic(), -1
        while not job.done():
            if self._cancel.is_set():
                job.cancel()  # the request is abandoned: its connection closes
                await asyncio.wait({job}, timeout=1.0)
                return
            elapsed = time.monotonic() - started
            if int(elapsed) > told:
                told = int(elapsed)
                yield Waiting(elapsed=elapsed, expected=expected)
            await asyncio.wait({job}, timeout=TICK_SECONDS)

    async def _wait(self, job: asyncio.Future) -> bool:
        """Wait for `job` unless cancel() comes first (the job is then abandoned); True if it ended."""
        async for _ in self._waiting(job, None):
            pass
        return job.done() and not job.cancelled()

    def _recipe(self, asked: GenerationRequest, sent: GenerationRequest, image: Image.Image) -> Recipe:
        return Recipe(prompt=sent.prompt, seed=sent.seed, steps=sent.steps, guidance=sent.guidance,
                      width=image.width, height=image.height, mode=asked.mode,
                      reference_count=len(sent.reference_images), model_id=self.info.model, model_revision="",
                      quantization="", glyph_texts=tuple(sent.glyph_texts or ()), server=self.base_url)

    async def _post_image(self, client: httpx.AsyncClient, request: GenerationRequest) -> Image.Image:
        fields = {"model": self.info.model, "prompt": request.prompt, "size": f"{request.width}x{request.height}",
                  "n": 1, "seed": request.seed, "num_inference_steps": request.steps,
                  "guidance_scale": request.guidance, "response_format": "b64_json"}
        if not request.reference_images:
            answer = await self._send(client, "POST", "/v1/images/generations", json=fields)
        else:
            name = "image" if len(request.reference_images) == 1 else "image[]"
            files = [(name, (f"reference-{i}.png", _png_bytes(image), "image/png"))
                     for i, image in enumerate(request.reference_images)]
            answer = await self._send(client, "POST", "/v1/images/edits",
                                      data={k: str(v) for k, v in fields.items()}, files=files)
            if answer.status_code in (404, 405):
                raise ServerError(self._cannot_edit())
        return self._decode(answer, request.width, request.height)

    def _cannot_edit(self) -> str:
        return (f"{self.base_url} cannot edit images (it has no /v1/images/edits): use a server that can, "
                "or make a new image without reference images")

    def _decode(self, answer: httpx.Response, width: int, height: int) -> Image.Image:
        """The answer's one image, checked: it is untrusted bytes from the network."""
        try:
            encoded = answer.json()["data"][0]["b64_json"]
            data = base64.b64decode(encoded, validate=True)
        except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as exc:
            raise ServerError(f"{self.base_url} sent an answer without a valid base64 image (b64_json): "
                              "check that it is a GLM-Image server speaking the OpenAI images API") from exc
        try:
            with open_image(io.BytesIO(data), formats=IMAGE_FORMATS, name="The server's image") as im:
                im.load()
                image = im.convert("RGB")
        except ImageLoadError as exc:
            raise ServerError(f"{exc} (from {self.base_url})") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ServerError(f"The server's image is damaged or incomplete (from {self.base_url}): try again") from exc
        if image.size != (width, height):
            raise ServerError(f"{self.base_url} sent a {image.width}x{image.height} image for a {width}x{height} "
                              "request: check that the server takes the size it is asked for")
        return image

    async def _send(self, client: httpx.AsyncClient, method: str, path: str, allow_error: bool = False,
                    **kwargs) -> httpx.Response:
        """One HTTP request; every way it can fail becomes a ServerError naming the problem and the fix."""
        url = self.base_url + path
        try:
            answer = await client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ServerError(f"Cannot reach {self.base_url}: is the server running? Start it (e.g. `sglang serve "
                              "--model-path zai-org/GLM-Image`) or check the address and port") from exc
        except httpx.ReadTimeout as exc:
            raise ServerError(f"{url} gave no answer within {self._timeout.read / 60:.0f} minutes: the server may be "
                              "stuck or overloaded; look at its log, then try again") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise ServerError(f"{self.base_url} closed the connection before answering: look at the server's log "
                              "(it may have run out of memory or restarted), then try again") from exc
        if answer.is_success or allow_error or (path == "/v1/images/edits" and answer.status_code in (404, 405)):
            return answer
        raise ServerError(_http_error(url, answer))


def _http_error(url: str, answer: httpx.Response) -> str:
    """One line for an error answer: what the server said ({"detail": …}) and what to do."""
    try:
        detail = answer.json()["detail"]
    except (ValueError, KeyError, TypeError):
        detail = answer.text.strip() or answer.reason_phrase
    if isinstance(detail, list):  # FastAPI's validation errors: [{"loc": [...], "msg": …}, …]
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    detail = " ".join(str(detail).split())
    detail = detail if len(detail) <= 300 else detail[:300] + "…"
    code = answer.status_code
    fixes = {
        400: "change the request (prompt, size, images) and try again",
        401: "give the server's API key (Engine ▸ Server…, or --api-key-env VAR)",
        403: "give the server's API key (Engine ▸ Server…, or --api-key-env VAR)",
        413: "the images are too large for this server: use smaller reference images",
        422: "this server does not take these values: check size, steps and guidance",
        503: "the server is busy or still loading its model: wait a moment and try again",
    }
    fix = fixes.get(code, "look at the server's log, then try again")
    return f"{url} refused the request (HTTP {code}: {detail}): {fix}"


def _png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()
