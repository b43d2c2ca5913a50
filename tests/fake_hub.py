"""A tiny Hugging Face Hub on 127.0.0.1 for tests that run the real huggingface_hub client.

It answers the endpoints huggingface_hub 1.33 uses for a model download:
  GET  /api/models/{org}/{name}[/revision/{rev}]     repo info (HfApi.repo_info / resolve_revision)
  GET  /api/models/{org}/{name}/tree/{rev}[/path]    file listing (list_repo_tree, recursive)
  HEAD /{org}/{name}/resolve/{rev}/{path}            metadata: X-Repo-Commit, ETag, X-Linked-Etag/-Size
  GET  /{org}/{name}/resolve/{rev}/{path}            the bytes, with Range support (206 + Content-Range)
Everything else is answered 404 and logged, so a test sees any request it did not expect.
*.safetensors files are served as LFS files (sha256 etag), like weights on the real hub.
Faults for tests: slow files, a connection dropped mid-file, one-off HTTP errors, gated repos.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    commit: str
    token: str | None = None  # gated: requests need "Authorization: Bearer <token>"

    def entry(self, path: str) -> dict:
        data = self.files[path]
        if path.endswith(".safetensors"):
            sha = hashlib.sha256(data).hexdigest()
            pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()
            return {"type": "file", "path": path, "size": len(data), "oid": git_blob_id(pointer),
                    "lfs": {"oid": sha, "size": len(data), "pointerSize": len(pointer)}}
        return {"type": "file", "path": path, "size": len(data), "oid": git_blob_id(data)}


@dataclass
class Faults:
    slow: dict[str, float] = field(default_factory=dict)  # path -> seconds between 16 KiB pieces
    drop_after: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before the first GET is cut
    fail_once: dict[str, int] = field(default_factory=dict)  # "info" | "tree" -> HTTP status, answered once


class FakeHub:
    def __init__(self):
        self.repos: dict[str, FakeRepo] = {}
        self.faults = Faults()
        self.log: list[dict] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add_repo(self, repo_id: str, folder: Path, token: str | None = None) -> FakeRepo:
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        commit = hashlib.sha1(repo_id.encode() + b"".join(files.values())).hexdigest()
        self.repos[repo_id] = repo = FakeRepo(files, commit, token)
        return repo

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
        self.faults = Faults()

    def requests(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.log if kind is None or r["kind"] == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the hub's httpx client expects
    hub: FakeHub

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_HEAD(self):
        self._route(head=True)

    def do_GET(self):
        self._route(head=False)

    def _record(self, kind: str, **extra) -> dict:
        entry = {"method": self.command, "kind": kind, "path": unquote(urlsplit(self.path).path),
                 "range": self.headers.get("Range"), "auth": self.headers.get("Authorization") is not None, **extra}
        with self.hub.lock:
            self.hub.log.append(entry)
        return entry

    def _route(self, head: bool) -> None:
        parts = unquote(urlsplit(self.path).path).strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) == 4:  # repo info without a revision: the default branch
            kind, repo_id, rev, rest = "info", "/".join(parts[2:4]), "main", []
        elif parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] in ("revision", "tree"):
            kind, repo_id, rev, rest = ("info" if parts[4] == "revision" else "tree"), "/".join(parts[2:4]), parts[5], parts[6:]
        elif len(parts) >= 5 and parts[2] == "resolve":
            kind, repo_id, rev, rest = "resolve", "/".join(parts[:2]), parts[3], parts[4:]
        else:
            self._record("other")
            return self._reply(404, b"{}", {"X-Error-Code": "EntryNotFound"})
        entry = self._record(kind, repo=repo_id, file="/".join(rest))
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            return self._reply(401, b'{"error":"Repository not found"}', {"X-Error-Code": "RepoNotFound"})
        if repo.token and self.headers.get("Authorization") != f"Bearer {repo.token}":
            msg = f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
            return self._reply(401, json.dumps({"error": msg}).encode(), {"X-Error-Code": "GatedRepo", "X-Error-Message": msg})
        if rev not in ("main", repo.commit):
            return self._reply(404, b'{"error":"Invalid rev id"}', {"X-Error-Code": "RevisionNotFound"})
        status = self.hub.faults.fail_once.pop(kind, None)
        if status:
            return self._reply(status, b'{"error":"try again"}')
        if kind == "info":
            body = {"id": repo_id, "sha": repo.commit, "private": False, "gated": "manual" if repo.token else False,
                    "siblings": [{"rfilename": p} for p in repo.files]}
            return self._reply(200, json.dumps(body).encode())
        if kind == "tree":
            prefix = "/".join(rest)
            entries = [repo.entry(p) for p in repo.files if p.startswith(prefix)]
            return self._reply(200, json.dumps(entries).encode())
        path = "/".join(rest)
        if path not in repo.files:
            return self._reply(404, b"{}", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": repo.commit})
        self._serve_file(repo, path, head, entry)

    def _serve_file(self, repo: FakeRepo, path: str, head: bool, entry: dict) -> None:
        data, info = repo.files[path], repo.entry(path)
        headers = {"X-Repo-Commit": repo.commit, "ETag": f'"{info["oid"]}"', "Accept-Ranges": "bytes"}
        if "lfs" in info:
            headers.update({"X-Linked-Etag": f'"{info["lfs"]["oid"]}"', "X-Linked-Size": str(len(data))})
        start, status = 0, 200
        spec = self.headers.get("Range")
        if spec and not head:
            start = int(spec.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                return self._reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body)), "Content-Type": "application/octet-stream"}.items():
            self.send_header(key, value)
        self.end_headers()
        if head:
            return
        drop = self.hub.faults.drop_after.pop(path, None)
        delay = self.hub.faults.slow.get(path, 0.0)
        sent, piece = 0, 16 * 1024
        try:
            while sent < len(body):
                if drop is not None and sent >= drop:
                    self.close_connection = True  # cut mid-file: the client sees a short body
                    break
                end = min(len(body), sent + piece if drop is None else min(sent + piece, drop))
                self.wfile.write(body[sent:end])
                self.wfile.flush()
                sent = end
                if delay:
                    time.sleep(delay)
        except OSError:  # the client went away (a cancel): nothing to finish
            self.close_connection = True
        entry["sent"] = sent

    def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {}), "Content-Length": str(len(body))}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def point_hub_client_at(hub: FakeHub, tmp_path: Path, monkeypatch) -> None:
    """Aim the real huggingface_hub client at `hub`, with a cache, token file and app home of the
    test's own. The client read these settings at import, so they are patched where it reads them."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf" / "token"))
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "hf" / "agents.json"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("GLM_STUDIO_HOME", str(tmp_path / "studio"))  # our model list, per test
    monkeypatch.setattr("glm_core.models.hub_token.saved_token", lambda: None)  # never the developer's keyring
    hub.reset()
