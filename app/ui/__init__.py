"""Shared look and small widgets: theme, resources, error dialog, formatting, logging, images."""
