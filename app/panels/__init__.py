"""Dock panels of the main window: create (prompt and settings), history, model."""
