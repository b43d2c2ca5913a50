"""The open poster: its model, undo commands, project files, autosave, export and the File menu."""
