"""Model management in the window: first run, the model manager, the model panel, downloads."""
