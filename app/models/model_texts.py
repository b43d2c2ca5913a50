"""The model manager in words: sizes, progress, what a task did and what to do next."""

from __future__ import annotations

from app.models.download_worker import CANCELLED, DONE, TaskOutcome
from app.ui.formatting import format_bytes, format_seconds
from glm_core.models import catalog, hub_cache
from glm_core.models.catalog import ModelEntry
from glm_core.models.download_errors import NotEnoughDiskSpace, TokenRequired
from glm_core.models.verify import VerifyReport
from glm_core.models.download_progress import DownloadProgress
from glm_core.models.download import DISK_MARGIN_BYTES


def size_text(entry: ModelEntry, last: DownloadProgress | None = None) -> str:
    if last is not None and last.total_bytes and not entry.complete:
        return format_bytes(last.total_bytes)  # from the hub's listing: better than the bundled estimate
    if entry.total_bytes is None:
        return "unknown"
    return ("~" if entry.size_is_estimate else "") + format_bytes(entry.total_bytes)


def revision_text(entry: ModelEntry) -> str:
    if entry.source != "hub":
        return "local"
    revision = entry.revision or "main"
    commit = hub_cache.cached_commit(entry.id, revision)
    return revision if commit is None or commit == revision else f"{revision} · {commit[:7]}"


def source_text(entry: ModelEntry) -> str:
    return "Hugging Face" if entry.source == "hub" else "Local folder"


def summary_text(entry: ModelEntry, margin: int = 0, last: DownloadProgress | None = None) -> str:
    """One line about the selected model while nothing runs."""
    if entry.complete:
        return f"{entry.name}: ready, {format_bytes(entry.present_bytes)} at {entry.location}."
    if entry.source == "folder":
        return f"{entry.name}: this folder is incomplete; Verify says what is missing."
    total, done = entry.total_bytes, entry.present_bytes
    if last is not None and last.total_bytes:
        total, done = last.total_bytes, last.done_bytes
    if total is None:
        return f"{entry.name}: not downloaded; {format_bytes(entry.free_bytes)} free on its disk."
    left = max(0, total - done)
    enough = "" if entry.free_bytes >= left + margin else " — not enough: free some space first"
    size = size_text(entry, last).replace("~", "about ")
    return (f"{entry.name}: {size} in all, {format_bytes(left)} left to download; "
            f"{format_bytes(entry.free_bytes)} free on its disk{enough}.")


def short_file(path: str) -> str:
    return "/".join(path.rsplit("/", 2)[-2:]) if path else ""


def describe_progress(p: DownloadProgress) -> str:
    """'Downloading · 1.2 GB of 35.0 GB · 41.0 MB/s · about 13:50 left · transformer/….safetensors'"""
    if p.phase == "checking":
        return "Checking what is left to download…"
    if p.phase == "retrying":
        return "The connection dropped: trying again in a moment (nothing downloaded is lost)…"
    if p.phase == "finishing":
        return "Finishing: fetching the small files and putting everything in place…"
    if p.phase == "done":
        return f"Downloaded: {format_bytes(p.total_bytes)}."
    amount = f"{format_bytes(p.done_bytes)} of {format_bytes(p.total_bytes)}"
    if p.phase == "verifying":
        return f"Checking the checksum of {short_file(p.file)} · {amount}"
    parts = ["Downloading", amount, f"{format_bytes(int(p.speed_bps))}/s" if p.speed_bps else "measuring speed…"]
    if p.eta_s is not None and p.speed_bps:
        parts.append("a few seconds left" if p.eta_s < 10 else f"about {format_seconds(p.eta_s)} left")
    if p.file:
        parts.append(short_file(p.file))
    return " · ".join(parts)


def problems_text(report: VerifyReport) -> str:
    """What is wrong, file by file, and what the buttons can do about it."""
    if report.folder is None:
        return report.problems[0].detail + ": press Download."
    lines = [f"• {p.path}: {p.detail}" if p.path else f"• {p.detail}" for p in report.problems[:8]]
    if len(report.problems) > 8:
        lines.append(f"• … and {len(report.problems) - 8} more")
    fix = ("Press Repair to download only these files again." if report.repo_id
           else "This folder was not downloaded here: copy or download the model again.")
    return f"{len(report.problems)} problem(s) in {report.folder}:\n" + "\n".join(lines) + f"\n{fix}"


def outcome_text(outcome: TaskOutcome, last: DownloadProgress | None) -> tuple[str, bool]:
    """(message, is_problem) for what a finished task did."""
    error, kind = outcome.error, outcome.kind
    if outcome.status == DONE and kind == "download":
        return f"✓ Downloaded to {outcome.result}. Use This Model checks it and loads it.", False
    if outcome.status == DONE:
        report: VerifyReport = outcome.result
        if not report.ok:
            return problems_text(report), True
        notes = "".join(f"\nNote: {note}" for note in report.notes)
        return ("✓ Repaired. " if kind == "repair" else "✓ ") + report.message() + notes, False
    if outcome.status == CANCELLED:
        if kind == "verify":
            return "Verify cancelled.", False
        kept = f" {format_bytes(last.done_bytes)} of {format_bytes(last.total_bytes)} is kept:" if last else ""
        return f"{kind.capitalize()} cancelled.{kept} Resume continues where it stopped.", False
    if isinstance(error, NotEnoughDiskSpace):
        return (f"Not enough disk space: this needs {format_bytes(error.needed_bytes)} (what is left to download "
                f"plus {format_bytes(DISK_MARGIN_BYTES)} headroom), but only {format_bytes(error.free_bytes)} is "
                f"free on the disk holding {error.folder.parent}. Free some space, or move the model cache by "
                "setting HF_HOME, then press Download."), True
    if isinstance(error, TokenRequired):
        return outcome.message, True
    retry = " Press Retry to try again: it resumes where it stopped." if kind != "verify" else ""
    return f"{kind.capitalize()} failed: {outcome.message}{retry}", True
