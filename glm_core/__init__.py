"""Inference core of GLM-Image Studio: loading, generation, previews, recipes. No Qt here."""

__version__ = "0.1.0"
