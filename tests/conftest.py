"""Shared fixtures: a throwaway app home, no network, and the tiny demo GLM-Image loaded once."""

from __future__ import annotations

import os
import tempfile

# Set before anything imports huggingface_hub (it reads these at import) or Qt.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-studio-tests-"))

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # the demo model is tiny; more threads only add contention on 2 cores


@pytest.fixture(scope="session")
def demo_folder():
    from glm_core.models.demo_model import ensure_demo_model
    from glm_core.paths import user_data_dir

    return ensure_demo_model(user_data_dir())


@pytest.fixture(scope="session")
def demo_model(demo_folder):
    from glm_core.models.loader import LoadOptions, load_model

    return load_model(LoadOptions(source="demo", quant="bf16", device="cpu"))


@pytest.fixture
def runner(demo_model):
    from glm_core.generation.runner import GenerationRunner

    return GenerationRunner(demo_model)


class EventLog(list):
    """Collects events; `of(Type)` filters them."""

    def __call__(self, event):
        self.append(event)

    def of(self, kind):
        return [e for e in self if isinstance(e, kind)]


@pytest.fixture
def events():
    return EventLog()


@pytest.fixture
def image_server():
    """A local fake GLM-Image server (tests/fake_image_server.py), stopped after the test."""
    from fake_image_server import FakeImageServer

    fake = FakeImageServer().start()
    yield fake
    fake.stop()
