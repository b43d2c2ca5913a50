"""GLM-Image Studio desktop GUI (PySide6). Inference lives in glm_core; this package is Qt only."""
