"""Thin Qt bindings from widgets to glm_core GenerationSettings fields (Qt-free observables).

A bound widget shows its field and follows every change to it (undo, an opened project, a
restored recipe); what the user does in the widget goes to `write`, which by default sets the
field and, for an edit that belongs on the undo stack, pushes a command instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QAbstractButton, QComboBox, QWidget
from shiboken6 import isValid

from glm_core.generation.settings import GenerationSettings


def follow(widget: QWidget, settings: GenerationSettings, names: tuple[str, ...], show: Callable[[], None],
           quiet: bool = True) -> None:
    """Call `show()` now and whenever one of `names` changes, while the widget lives;
    `quiet`: with the widget's own signals blocked (it is not the user editing)."""
    def refresh() -> None:
        with QSignalBlocker(widget) if quiet else contextlib.nullcontext():
            show()

    def changed(name: str, _value) -> None:
        if not isValid(widget):  # the widget is gone (its window closed): stop following
            stop()
        elif name in names:
            refresh()

    refresh()
    stop = settings.observe(changed)


def bind(widget: QWidget, settings: GenerationSettings, name: str,
         write: Callable[[object], None] | None = None) -> None:
    """A check box or button (`toggled`), a combo box (by its items' data) or a spin box
    (`valueChanged`) bound to settings.<name>."""
    if isinstance(widget, QAbstractButton):
        signal, setter = widget.toggled, widget.setChecked
    elif isinstance(widget, QComboBox):
        def choose(value) -> None:
            widget.setCurrentIndex(max(widget.findData(value), 0))

        signal, setter = widget.currentIndexChanged, choose
        write = write or (lambda _index: setattr(settings, name, widget.currentData()))
    else:
        signal, setter = widget.valueChanged, widget.setValue
    follow(widget, settings, (name,), lambda: setter(getattr(settings, name)))
    signal.connect(write or (lambda value: setattr(settings, name, value)))
