"""The Hugging Face access token for gated or private repos: where it is kept, and never shown.

Choice: the app stores a token only in the operating system's credential store, through the
optional `keyring` package (macOS Keychain, Windows Credential Manager, Secret Service on Linux).
Without a usable keyring the token is used for the current download only and is not written
anywhere by this app: a plain-text copy in our own settings would be readable by every program of
the user, and huggingface_hub's `login()` (which writes such a file under HF_HOME) would also
change what every other HF tool on the machine uses. Users who want that can run `hf auth login`
themselves; huggingface_hub then finds that token (or HF_TOKEN) on its own when we pass none.

Tokens never appear in messages, logs, reprs or progress data. Other secrets kept the same way
(a GLM-Image server's API key, glm_core/engine/remote.py) pass their own `account`.
"""

from __future__ import annotations

import logging

SERVICE = "GLM-Image Studio"
ACCOUNT = "huggingface-token"
log = logging.getLogger(__name__)


def _keyring():
    """The keyring module if it has a real backend (its 'fail' backend raises on every call)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration must not break downloads
        return None
    return None if isinstance(backend, fail.Keyring) else keyring


def storage_name() -> str | None:
    """What remembers a token here, for the dialog ('keyring (SecretService)'), or None."""
    kr = _keyring()
    return f"keyring ({type(kr.get_keyring()).__name__})" if kr else None


def saved_token(account: str = ACCOUNT) -> str | None:
    kr = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(SERVICE, account) or None
    except Exception as exc:  # locked or unavailable store: behave as if none is saved
        log.warning("could not read the saved token from the keyring (%s)", type(exc).__name__)
        return None


def save_token(token: str, account: str = ACCOUNT) -> bool:
    """Remember `token` in the OS keyring. False: no keyring here, so nothing was stored."""
    token = token.strip()
    if not token:
        raise ValueError("the token is empty")
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.set_password(SERVICE, account, token)
    except Exception as exc:
        log.warning("could not store the token in the keyring (%s)", type(exc).__name__)
        return False
    return True


def forget_token(account: str = ACCOUNT) -> None:
    kr = _keyring()
    if kr is None:
        return
    try:
        kr.delete_password(SERVICE, account)
    except Exception:  # nothing saved, or the store is locked: nothing more we can do
        pass


def resolve_token(token: str | None) -> str | None:
    """The token for a request: the one given, else the saved one, else None (huggingface_hub
    then uses HF_TOKEN or the token of `hf auth login`, if any)."""
    if token is not None and token.strip():
        return token.strip()
    return saved_token()
