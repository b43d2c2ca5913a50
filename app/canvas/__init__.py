"""The canvas view the poster is drawn on."""
