"""Dialogs: first run, errors with details, file choosers."""
