"""What went wrong with a download, in words a user can act on; and which failures are worth retrying.

Messages never contain the token. huggingface_hub 1.33 raises GatedRepoError (401 with
X-Error-Code: GatedRepo), RepositoryNotFoundError (404, or 401 without a code: private and
missing repos look the same), RevisionNotFoundError, and HfHubHTTPError for other statuses.
"""

from __future__ import annotations

import errno
from pathlib import Path

from glm_core.models.download_progress import _Stopped


class DownloadError(RuntimeError):
    """A download failed for a reason the message explains (never containing the token)."""


class TokenRequired(DownloadError):
    """The repo is gated or private, or the token was refused."""

    def __init__(self, message: str, repo_id: str):
        super().__init__(message)
        self.repo_id = repo_id


class NotEnoughDiskSpace(DownloadError):
    def __init__(self, message: str, needed_bytes: int, free_bytes: int, folder: Path):
        super().__init__(message)
        self.needed_bytes, self.free_bytes, self.folder = needed_bytes, free_bytes, folder


class Damaged(Exception):
    """A finished file did not match its checksum; it is deleted and fetched again on the next attempt."""


def final_error(exc: Exception, repo_id: str, revision: str | None, had_token: bool) -> Exception | None:
    """The error to give up with, or None when another attempt may succeed."""
    import httpx
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError, RevisionResolutionError,
    )

    page = f"{constants.ENDPOINT}/{repo_id}"
    if isinstance(exc, DownloadError):
        return exc
    if isinstance(exc, GatedRepoError):
        what = "Your token has no access yet: " if had_token else "It needs a Hugging Face access token: "
        return TokenRequired(f"{repo_id} is a gated model. {what}accept its terms at {page} while logged in, "
                             "then give a read token (huggingface.co → Settings → Access Tokens).", repo_id)
    if isinstance(exc, RevisionNotFoundError):
        return DownloadError(f"{repo_id} has no revision '{revision}': check the branch, tag or commit.")
    if isinstance(exc, RepositoryNotFoundError):
        if not had_token:
            return TokenRequired(f"{repo_id} was not found. If it is private, it needs a token with access to it; "
                                 "otherwise check the spelling (organisation/name).", repo_id)
        return DownloadError(f"{repo_id} was not found, or the token given has no access to it.")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status in (401, 403):
            return TokenRequired(f"The hub refused the token for {repo_id} ({status}): create a new read token at "
                                 f"{constants.ENDPOINT}/settings/tokens.", repo_id)
        if status in (408, 429) or status >= 500:
            return None
        return DownloadError(f"The hub answered {status} for {repo_id}: {short(exc)}")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DownloadError(f"The disk became full while downloading {repo_id}: free some space and resume.")
    if isinstance(exc, PermissionError):
        return DownloadError(f"Cannot write to the model cache ({exc.filename}): check its permissions or set HF_HOME.")
    if isinstance(exc, (httpx.TransportError, OSError, Damaged, _Stopped, RevisionResolutionError)):
        return None  # OSError covers the hub's size-consistency check and cache fallbacks
    return exc  # a bug, not a network problem: let it through unchanged


def short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
