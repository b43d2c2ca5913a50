"""Poster text boxes: canvas items and tools, the Text, Layers and Layout docks, typography."""
