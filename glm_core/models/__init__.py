"""Models: loading (quantization, memory plan, device), the demo model, and the catalog with download, verify and repair."""
