"""Masked editing: the mask layer, its tools and panel, the edit commands, before/after."""
