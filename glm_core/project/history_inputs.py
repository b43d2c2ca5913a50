"""What a history entry keeps beyond its recipe so a reopened project can Re-run and vary it: the
ids of its input images (shared by content, so the source of several edits is stored once) and
its AR prior tokens as .npy members.

Prior members are untrusted input like the rest of a project file: a member's .npy header is read
and checked (an integer dtype, one or two dimensions, a bounded number of values) before any data
is, arrays are loaded with allow_pickle=False, and the tokens must be non-negative and agree with
their grids. The array checks raise ValueError saying what is wrong; read_inputs adds which entry
it was (and the file reader which member).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from glm_core.generation.masking import prepare_mask
from glm_core.generation.prior import PriorTokens
from glm_core.generation.validation import MAX_REFERENCES, MAX_SIDE
from glm_core.project.checks import ProjectError, check_image, fail, hex_id, list_of, whole

# The AR grids are at most MAX_SIDE / 16 tokens a side (the processor's target shape), and the DiT
# wants them upsampled 2x: a few thousand integers for a 1024x1024 image.
MAX_GRID = MAX_SIDE // 16
MAX_TOKENS = 4 * MAX_GRID * MAX_GRID
MAX_CODE = 2**31 - 1  # token ids index an embedding table; anything larger is no token
# Above the largest array a prior holds (the reference images' tokens), with the .npy header.
MAX_NPY_BYTES = (MAX_REFERENCES * MAX_TOKENS) * 8 + 1024
TOKEN_IDS = "token_ids"
IMAGE_TOKEN_IDS = "image_token_ids"
IMAGE_GRID_THW = "image_grid_thw"
REFERENCE_MODES = ("RGB",)
MASK_MODES = ("L",)
MAX_FEATHER = 128
# (kind, id) -> an image, as glm_core/project/model.py reads them; here kind is always "input"
ReadImage = Callable[[str, "str | None"], Image.Image]
# (history entry id, array key) -> the array; the keys are array_keys()
ReadArray = Callable[[str, str], np.ndarray]


def image_id(image: Image.Image) -> str:
    """A content id: equal pictures (the same source of several edits) share one member."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height} ".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()[:32]


# --- prior tokens <-> JSON metadata + named arrays ------------------------------------------

def prior_metadata(prior: PriorTokens) -> dict:
    """What project.json keeps of a prior: its grid, seed and how many per-sample arrays follow."""
    samples = None if prior.image_token_ids is None else len(prior.image_token_ids)
    return {"grid_h": prior.grid_h, "grid_w": prior.grid_w, "seed": prior.seed, "samples": samples}


def prior_arrays(prior: PriorTokens) -> dict[str, np.ndarray]:
    """The prior's arrays by member key: "token_ids", "image_token_ids.0", "image_grid_thw.0", …"""
    arrays = {TOKEN_IDS: prior.token_ids}
    for key, items in ((IMAGE_TOKEN_IDS, prior.image_token_ids), (IMAGE_GRID_THW, prior.image_grid_thw)):
        arrays.update({f"{key}.{i}": array for i, array in enumerate(items or ())})
    return arrays


def array_keys(metadata: dict) -> list[str]:
    """The member keys a prior with this (checked) metadata is made of."""
    samples = metadata["samples"] or 0
    return [TOKEN_IDS] + [f"{key}.{i}" for key in (IMAGE_TOKEN_IDS, IMAGE_GRID_THW) for i in range(samples)]


def check_metadata(data, path: str) -> dict:
    """The prior metadata of a project file (at `path` in project.json), checked; raises ProjectError."""
    if not isinstance(data, dict) or set(data) != {"grid_h", "grid_w", "seed", "samples"}:
        raise ProjectError(f"{path} should be an object with grid_h, grid_w, seed and samples")
    for name, lo, hi in (("grid_h", 1, MAX_GRID), ("grid_w", 1, MAX_GRID), ("seed", 0, 2**64 - 1),
                         ("samples", 0, 16)):
        value = data[name]
        if value is None and name in ("seed", "samples"):
            continue
        whole(value, f"{path}.{name}", lo, hi)
    return data


def prior_from_arrays(metadata: dict, arrays: dict[str, np.ndarray]) -> PriorTokens:
    """Rebuild a prior from checked metadata and its arrays, checking that they agree."""
    token_ids = _tokens(arrays[TOKEN_IDS], TOKEN_IDS)
    expected = 4 * metadata["grid_h"] * metadata["grid_w"]
    if token_ids.size != expected:
        raise ValueError(f"{TOKEN_IDS} holds {token_ids.size:,} tokens; a {metadata['grid_h']}x{metadata['grid_w']} "
                         f"grid needs {expected:,}")
    images = grids = None
    if metadata["samples"] is not None:
        images, grids = [], []
        for i in range(metadata["samples"]):
            ids = _tokens(arrays[f"{IMAGE_TOKEN_IDS}.{i}"], f"{IMAGE_TOKEN_IDS}.{i}")
            thw = _tokens(arrays[f"{IMAGE_GRID_THW}.{i}"], f"{IMAGE_GRID_THW}.{i}")
            if thw.ndim != 2 or thw.shape[1] != 3 or not 1 <= thw.shape[0] <= MAX_REFERENCES:
                raise ValueError(f"{IMAGE_GRID_THW}.{i} should be 1 to {MAX_REFERENCES} rows of (t, h, w), "
                                 f"not shape {thw.shape}")
            if ids.size != int(np.prod(thw, axis=1).sum()):
                raise ValueError(f"{IMAGE_TOKEN_IDS}.{i} holds {ids.size:,} tokens; its grids "
                                 f"({IMAGE_GRID_THW}.{i}) need {int(np.prod(thw, axis=1).sum()):,}")
            images.append(ids)
            grids.append(thw)
    return PriorTokens(token_ids, images, grids, metadata["grid_h"], metadata["grid_w"], metadata["seed"])


def _tokens(array, name: str) -> np.ndarray:
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.integer):
        kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        raise ValueError(f"{name} should hold whole numbers, not {kind}")
    if not 1 <= array.ndim <= 2 or not 1 <= array.size <= MAX_REFERENCES * MAX_TOKENS:
        raise ValueError(f"{name} has shape {array.shape}; tokens are 1 or 2 dimensions of at most "
                         f"{MAX_REFERENCES * MAX_TOKENS:,} values")
    if array.min() < 0 or array.max() > MAX_CODE:
        raise ValueError(f"{name} holds values from {array.min()} to {array.max()}; tokens are 0 to {MAX_CODE:,}")
    return array.astype(np.int64)


# --- .npy members ---------------------------------------------------------------------------

def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def read_npy(data: bytes) -> np.ndarray:
    """An array from untrusted .npy bytes: the header is checked before the data is read."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"is a .npy file of version {version}, which is not written here")
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, SyntaxError, EOFError) as e:  # SyntaxError: a header that is no Python literal
        raise ValueError(f"is not a .npy array ({str(e)[:80]})") from None
    if not np.issubdtype(dtype, np.integer):
        raise ValueError(f"should hold whole numbers, not {dtype}")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if not 1 <= len(shape) <= 2 or not 1 <= count <= MAX_REFERENCES * MAX_TOKENS:
        raise ValueError(f"has shape {tuple(shape)}; tokens are 1 or 2 dimensions of at most "
                         f"{MAX_REFERENCES * MAX_TOKENS:,} values")
    if len(data) - stream.tell() != count * dtype.itemsize:
        raise ValueError(f"holds {len(data) - stream.tell():,} bytes of data; shape {tuple(shape)} needs "
                         f"{count * dtype.itemsize:,}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return array.reshape(shape, order="F" if fortran_order else "C")


# --- a history entry's inputs in project.json ----------------------------------------------

def no_arrays(entry_id: str, key: str):
    raise ProjectError(f"the AR tokens of history entry {entry_id} ({key}) are missing")


def inputs_from_json(item: dict, p: str) -> dict:
    """A history entry's re-run inputs, checked; absent in files from before they were kept."""
    refs = list_of(item.get("references", []), f"{p}.references", 16)
    mask, feather, prior = item.get("mask"), item.get("feather"), item.get("prior")
    if mask is not None and not refs:
        raise ProjectError(f"{p}.mask is set but {p}.references is empty: a masked edit needs its source")
    if prior is not None:
        prior = check_metadata(prior, f"{p}.prior")
    return dict(references=[hex_id(r, f"{p}.references[{i}]") for i, r in enumerate(refs)],
                mask=None if mask is None else hex_id(mask, f"{p}.mask"),
                feather=None if feather is None else whole(feather, f"{p}.feather", 0, MAX_FEATHER),
                prior=prior)


def read_inputs(entry: dict, read_image: ReadImage, read_array: ReadArray) -> None:
    """Replace the checked ids and metadata of `entry` by the images and tokens they name."""
    where = f"history entry {entry['id']}"
    entry["references"] = tuple(read_image("input", ref) for ref in entry["references"])
    for i, image in enumerate(entry["references"]):
        check_image(image, f"{where}: reference {i}", REFERENCE_MODES)
    if entry["mask"] is not None:
        entry["mask"] = read_image("input", entry["mask"])
        check_image(entry["mask"], f"{where}: the mask", MASK_MODES)
        if entry["mask"].size != entry["references"][0].size:
            w, h = entry["mask"].size
            raise ProjectError(f"{where}: the mask is {w}x{h} pixels; it should match the image it edits, "
                               f"{entry['references'][0].width}x{entry['references'][0].height}")
    if entry["prior"] is not None:
        metadata = entry["prior"]
        try:
            arrays = {key: read_array(entry["id"], key) for key in array_keys(metadata)}
            entry["prior"] = prior_from_arrays(metadata, arrays)
        except ValueError as e:
            raise ProjectError(f"{where}: its AR tokens: {e}; open an autosave or a backup copy") from None


def request_inputs(request) -> dict:
    """What a history entry keeps of the GenerationRequest it ran: HistoryEntry's references
    (RGB, as the runner reads them), mask ("L" at the source's size) and feather."""
    references = tuple(im if im.mode == "RGB" else im.convert("RGB") for im in request.reference_images)
    mask = request.mask
    if mask is not None and (mask.mode != "L" or mask.size != references[0].size):
        mask = prepare_mask(mask, references[0].size)  # as the runner would see it
    return dict(references=references, mask=mask, feather=request.mask_feather)


def input_images(project) -> list[Image.Image]:
    """The history entries' reference images and masks (the same picture may come more than once)."""
    return [image for e in project.history for image in (*e.references, e.mask) if image is not None]


def entry_json(e) -> dict:
    prior = e.prior
    if prior is not None and not isinstance(prior, PriorTokens):
        raise fail(f"history entry {e.id}.prior", "AR tokens", prior)
    return {"id": e.id, "recipe": e.recipe.to_dict(), "created": e.created, "source_id": e.source_id,
            "references": [image_id(image) for image in e.references],
            "mask": None if e.mask is None else image_id(e.mask), "feather": e.feather,
            "prior": None if prior is None else prior_metadata(prior)}
