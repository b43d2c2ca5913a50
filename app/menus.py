"""The main window's actions (with their shortcuts) and menus."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow


@dataclass
class StudioActions:
    open_png: QAction
    export_png: QAction
    copy_image: QAction
    quit: QAction
    generate: QAction
    cancel: QAction
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    actual_size: QAction
    load_model: QAction
    open_logs: QAction
    about: QAction


def _action(window: QMainWindow, text: str, tip: str, *shortcuts) -> QAction:
    action = QAction(text, window)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.setShortcuts([QKeySequence(s) for s in shortcuts])
    window.addAction(action)  # shortcuts work even with the menu bar hidden
    return action


def build_actions(window: QMainWindow) -> StudioActions:
    return StudioActions(
        open_png=_action(window, "&Open PNG…", "Open a PNG made here and restore its prompt and settings",
                         QKeySequence.StandardKey.Open),
        export_png=_action(window, "&Export PNG…", "Save the image at full resolution, recipe included", "Ctrl+E"),
        copy_image=_action(window, "&Copy Image", "Copy the image (with its recipe) to the clipboard", "Ctrl+Shift+C"),
        quit=_action(window, "&Quit", "Quit GLM-Image Studio", QKeySequence.StandardKey.Quit),
        generate=_action(window, "&Generate", "Generate an image from the prompt", "Ctrl+Return", "Ctrl+Enter"),
        cancel=_action(window, "&Cancel", "Stop loading or generating now", "Esc"),
        zoom_in=_action(window, "Zoom &In", "Zoom in", QKeySequence.StandardKey.ZoomIn, "Ctrl+="),
        zoom_out=_action(window, "Zoom &Out", "Zoom out", QKeySequence.StandardKey.ZoomOut),
        fit=_action(window, "&Fit to Window", "Show the whole image", "Ctrl+0"),
        actual_size=_action(window, "&Actual Pixels", "Show the image at 100%: one image pixel per screen pixel",
                            "Ctrl+1"),
        load_model=_action(window, "&Load Model", "Load the model chosen in the Model panel", "Ctrl+L"),
        open_logs=_action(window, "Open &Log Folder", "Show the folder with the app's log files"),
        about=_action(window, "&About GLM-Image Studio", "Version and credits"),
    )


def build_menus(window: QMainWindow, actions: StudioActions, docks: list[QDockWidget]) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([actions.open_png, actions.export_png, actions.copy_image])
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)

    image_menu = bar.addMenu("&Image")
    image_menu.addActions([actions.generate, actions.cancel])

    view_menu = bar.addMenu("&View")
    view_menu.addActions([actions.zoom_in, actions.zoom_out, actions.fit, actions.actual_size])
    view_menu.addSeparator()
    for dock in docks:
        view_menu.addAction(dock.toggleViewAction())

    model_menu = bar.addMenu("&Model")
    model_menu.addAction(actions.load_model)

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([actions.open_logs, actions.about])
