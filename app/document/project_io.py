"""The open document ⇄ a project file: DocumentModel + HistoryModel + Create-panel settings to a
glm_core Project and back, and project writes on a background thread.

What maps to what (glm_core/project/model.py has the file side):

    doc.size                      Project.width/height
    doc.base (Document)           one ImageLayer named "Result"; its recipe via settings (below)
    doc.boxes                     Project.boxes (TextBox, as is)
    doc.mask (QImage Grayscale8)  Project.mask ("L"), or None while it is empty
    doc.scene/pinned_prompt       Project.scene_prompt/pinned_prompt
    history items                 Project.history, oldest first: image, recipe, created, uid, the
                                  request's references/mask/feather, AR tokens
    Create panel values           Project.settings: steps, guidance, seed, seed_locked, width, height

The format keeps no recipe on a layer, so the base image's recipe is found again through
settings["base_history_id"] (the history entry it came from) or, for an opened PNG, through
its JSON cut into 256-character settings values ("base_recipe.N"); these conventions live in
glm_core/project/document.py, shared with the command line. A history item keeps what a Re-run
and a Variation need (glm_core/project/history_inputs.py): its request's reference images, mask
and feather, and its AR tokens; an item from an older project has none of them (it re-runs from
its recipe, and makes variations only after a Re-run). Its generation time is not kept.

Loading never touches the open document until the whole file has been read and checked:
glm_core.project.file.load_project raises ProjectError for anything damaged, hostile or too new,
and from_project only converts data that passed those checks.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.document.base_image import Document
from app.document.model import DocumentModel
from app.generation.history import HistoryItem, make_thumbnail
from app.jobs import JobRunner, ThreadTask, wait_blocking
from app.ui.images import pil_to_qimage, qimage_to_pil
from glm_core.project import HistoryEntry, ImageLayer, Project
# The file-side conventions (base layer, its recipe, the Create panel's settings) are shared with
# the command line: glm_core/project/document.py.
from glm_core.project.document import (BASE_HISTORY_KEY, BASE_LAYER_NAME, BASE_RECIPE_KEY,  # noqa: F401
                                       DOCUMENT_PATH_KEY, base_layer, flatten, get_text,
                                       panel_settings, put_text, recipe_from_json)
from glm_core.project.history_inputs import request_inputs
from glm_core.project.request_builder import request_from_history
from glm_core.project.textbox import TextBox

log = logging.getLogger(__name__)

@dataclass
class DocumentState:
    """Everything a DocumentModel holds, detached from it (no undo stack)."""

    width: int
    height: int
    base: Document | None = None
    boxes: list[TextBox] = field(default_factory=list)
    mask: QImage | None = None  # Grayscale8, width x height; None = empty
    scene_prompt: str = ""
    pinned_prompt: str | None = None


@dataclass
class LoadedProject:
    state: DocumentState
    history: list[HistoryItem]  # newest first, as HistoryModel keeps them
    settings: dict  # Create-panel values that were present and valid
    document_path: Path | None = None  # only in autosaves
    notes: list[str] = field(default_factory=list)  # what could not be restored, for the user


# --- document -> project -------------------------------------------------------------------

def _utc(created: datetime) -> str:
    aware = created if created.tzinfo is not None else created.astimezone()
    return aware.astimezone(timezone.utc).isoformat()


def _local(created: str) -> datetime:
    moment = datetime.fromisoformat(created)  # checked by the project reader
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def to_project(doc: DocumentModel, history: list[HistoryItem], settings: dict,
               document_path: Path | None = None) -> Project:
    """A snapshot of the document for saving. Cheap (no encoding): call it on the GUI thread and
    hand the result to a worker. Images are shared, not copied: nothing ever changes a PIL image
    once made, and the mask is converted to a new one here."""
    values = panel_settings(settings)
    layers = []
    base = doc.base
    if base is not None:
        layers.append(ImageLayer(image=_rgb(base.image), name=BASE_LAYER_NAME))
        source = next((item for item in history if item.id == base.history_id), None)
        if source is not None:
            values[BASE_HISTORY_KEY] = source.uid
        elif base.recipe is not None:
            text = json.dumps(base.recipe.to_dict(), ensure_ascii=False)
            if not put_text(values, BASE_RECIPE_KEY, text):
                log.warning("the base image's recipe is too long for the project file; not saved")
    if document_path is not None:
        put_text(values, DOCUMENT_PATH_KEY, str(document_path))
    entries = [HistoryEntry(image=item.image if item.image.mode == "RGB" else item.image.convert("RGB"),
                            recipe=item.recipe, created=_utc(item.created), id=item.uid, prior=item.prior,
                            **({} if item.request is None else request_inputs(item.request)))
               for item in reversed(history)]  # oldest first
    mask = None if doc.mask_is_empty() else qimage_to_pil(doc.mask)
    return Project(width=doc.width, height=doc.height, layers=layers, boxes=list(doc.boxes),
                   mask=mask, history=entries, scene_prompt=doc.scene_prompt,
                   pinned_prompt=doc.pinned_prompt, settings=values)


# --- project -> document -------------------------------------------------------------------

def from_project(project: Project) -> LoadedProject:
    """Convert a project that load_project accepted. Never raises for odd content: what cannot
    be used is left out and named in `notes`."""
    notes: list[str] = []
    items = []
    for entry in project.history:  # oldest first
        qimage = pil_to_qimage(entry.image)
        items.append(HistoryItem(entry.image, qimage, make_thumbnail(qimage), entry.recipe, prior=entry.prior,
                                 seconds=0.0, request=request_from_history(entry), created=_local(entry.created),
                                 uid=entry.id))
    history = items[::-1]

    base = None
    layer = base_layer(project)
    if layer is not None:
        if len(project.layers) > 1:
            notes.append(f"{len(project.layers) - 1} more image layer(s) cannot be shown by this "
                         f"version and were left out")
        image = flatten(layer.image)
        source = next((it for it in history if it.uid == project.settings.get(BASE_HISTORY_KEY)), None)
        if source is not None:
            base = Document(image, pil_to_qimage(image), source.recipe, source.id)
        else:
            recipe = recipe_from_json(get_text(project.settings, BASE_RECIPE_KEY))
            base = Document(image, pil_to_qimage(image), recipe)

    boxes, seen = [], set()
    for box in project.boxes:
        if box.id in seen:  # the reader does not forbid it, the document model needs unique ids
            box = replace(box, id=uuid.uuid4().hex)
        seen.add(box.id)
        boxes.append(box)

    mask = pil_to_qimage(project.mask) if project.mask is not None else None
    settings = panel_settings(project.settings)
    path = get_text(project.settings, DOCUMENT_PATH_KEY)
    state = DocumentState(project.width, project.height, base, boxes, mask,
                          project.scene_prompt, project.pinned_prompt)
    return LoadedProject(state, history, settings, Path(path) if path else None, notes)


# --- writing off the GUI thread ------------------------------------------------------------

@dataclass(eq=False)  # jobs are told apart by identity
class WriteJob:
    """One background write; `error` is set when it failed."""

    work: Callable[[], object]
    token: object = None  # what the caller wants back (e.g. the document revision saved)
    path: Path | None = None
    error: str = ""
    details: str = ""
    done: bool = False
    delivered: bool = False

    @property
    def ok(self) -> bool:
        return self.done and not self.error


def describe_write_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


class BackgroundWriter(QObject):
    """Runs writes one at a time off the GUI thread, on the window's one job runner (app/jobs.py:
    each write a ThreadTask, chained so they keep their order); `finished` comes on the GUI thread.

    PNG-encoding a project's images takes seconds for big ones: never on the GUI thread.
    wait() runs the GUI's loop until every queued write is done and delivers their results at once
    (for closing, and for "save before opening another document")."""

    finished = Signal(object)  # WriteJob

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs = JobRunner()
        self._pending: list[WriteJob] = []

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(self, work: Callable[[], object], token: object = None, path: Path | None = None) -> WriteJob:
        job = WriteJob(work, token, path)
        self._pending.append(job)

        async def write() -> None:
            try:
                await ThreadTask(lambda _report, _cancel: work(), lambda _value: None, name="project-writer").run()
            except Exception as exc:  # noqa: BLE001 - reported to the user, never lost in a thread
                log.exception("background write failed (%s)", path)
                job.error, job.details = describe_write_error(exc), traceback.format_exc()
            job.done = True
            self._deliver(job)

        self._jobs.after(write)
        return job

    def wait(self) -> None:
        wait_blocking(self._jobs.idle())
        for job in list(self._pending):
            self._deliver(job)

    def _deliver(self, job: WriteJob) -> None:
        if job.delivered:
            return  # wait() already delivered it
        job.delivered = True
        if job in self._pending:
            self._pending.remove(job)
        self.finished.emit(job)
