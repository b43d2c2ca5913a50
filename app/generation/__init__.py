"""Generating in the window: the Create panel, the worker thread and its session, history, progress."""
