"""A local stand-in for a GLM-Image server (SGLang, vLLM-Omni) speaking the OpenAI images API,
for tests of the remote engine: the standard library's HTTP server in a thread. It records every
request (path, headers, JSON body or multipart fields and images) and answers as each test sets."""

from __future__ import annotations

import base64
import io
import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageOps

DROP = "drop"  # close the connection without an answer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)  # JSON body or multipart form values
    images: list[tuple[str, Image.Image]] = field(default_factory=list)  # (multipart name, image)


def png_b64(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def made_image(record: Recorded) -> Image.Image:
    """What the fake 'generates': an edit's reference inverted (so every pixel changes), else a
    gradient of the asked size."""
    width, height = (int(v) for v in record.fields["size"].split("x"))
    if record.images:
        return ImageOps.invert(record.images[0][1].convert("RGB")).resize((width, height))
    return Image.linear_gradient("L").resize((width, height)).convert("RGB")


class FakeImageServer:
    def __init__(self):
        self.models = ["zai-org/GLM-Image"]
        self.edits = True  # False: no /v1/images/edits route (404)
        # None: a correct image; else a function Recorded -> (status, JSON-able body) or DROP.
        self.reply = None
        self.delay = 0.0  # seconds before answering an image request
        self.released = threading.Event()  # set to end every delay at once (teardown)
        self.requests: list[Recorded] = []
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._http.block_on_close = False
        self._http.handle_error = lambda request, address: None  # a client that hung up (cancel) is expected
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def image_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/v1/images/") and r.method == "POST"]

    def start(self) -> FakeImageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._http.shutdown()
        self._http.server_close()

    def answer(self, record: Recorded):
        """(status, body) or DROP for one recorded request."""
        if record.path == "/v1/models" and record.method == "GET":
            return 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
        if record.path == "/v1/images/edits" and not self.edits:
            return 404, {"detail": "Not Found"}
        if record.path in ("/v1/images/generations", "/v1/images/edits"):
            if record.method != "POST":
                return 405, {"detail": "Method Not Allowed"}
            self.released.wait(self.delay)
            if self.reply is not None:
                return self.reply(record)
            return 200, {"created": 0, "data": [{"b64_json": png_b64(made_image(record))}]}
        return 404, {"detail": "Not Found"}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def _serve(self):
                record = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                content_type = self.headers.get("content-type", "")
                if content_type.startswith("application/json"):
                    record.fields = {k: v for k, v in json.loads(body).items()}
                elif content_type.startswith("multipart/form-data"):
                    message = BytesParser(policy=default_policy).parsebytes(
                        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        if part.get_filename():
                            record.images.append((name, Image.open(io.BytesIO(part.get_content())).copy()))
                        else:
                            record.fields[name] = part.get_content()
                server.requests.append(record)
                answer = server.answer(record)
                if answer == DROP:
                    self.close_connection = True
                    return
                status, payload = answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
