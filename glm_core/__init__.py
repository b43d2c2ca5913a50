"""Inference core of GLM-Image Studio: loading, generation, previews, recipes. No Qt here."""

__version__ = "0.1.0"

OFFICIAL_REPO_ID = "zai-org/GLM-Image"  # the default model (here, so the CLI parser needs no torch)
