"""The main window's actions (with their shortcuts) and menus."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar


@dataclass
class StudioActions:
    new_document: QAction
    open: QAction  # projects and images alike
    save: QAction
    save_as: QAction
    clear_recent: QAction
    undo: QAction
    redo: QAction
    export_png: QAction
    export_print: QAction
    copy_image: QAction
    quit: QAction
    generate: QAction
    cancel: QAction
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    actual_size: QAction
    load_model: QAction
    manage_models: QAction
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
        new_document=_action(window, "&New", "Start a new, empty poster", QKeySequence.StandardKey.New),
        open=_action(window, "&Open…", "Open a project, or an image (a PNG made here restores its prompt and "
                     "settings)", QKeySequence.StandardKey.Open),
        save=_action(window, "&Save", "Save the project", QKeySequence.StandardKey.Save),
        save_as=_action(window, "Save &As…", "Save the project under a new name", "Ctrl+Shift+S"),
        clear_recent=_action(window, "&Clear Menu", "Forget the recently used projects"),
        undo=_action(window, "&Undo", "Undo the last change", QKeySequence.StandardKey.Undo),
        redo=_action(window, "&Redo", "Redo what was undone", "Ctrl+Shift+Z", "Ctrl+Y"),
        export_png=_action(window, "&Export PNG…", "Save the image at full resolution, recipe included", "Ctrl+E"),
        export_print=_action(window, "Export for &Print…", "Save the PNG with a print resolution (DPI), "
                             "optionally enlarged 2x or 4x by resampling", "Ctrl+Shift+E"),
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
        manage_models=_action(window, "&Manage Models…", "Download, verify and repair models; add model folders"),
        open_logs=_action(window, "Open &Log Folder", "Show the folder with the app's log files"),
        about=_action(window, "&About GLM-Image Studio", "Version and credits"),
    )


@dataclass
class StudioMenus:
    file: QMenu
    recent: QMenu  # File ▸ Open Recent, filled by the window when it opens
    edit: QMenu
    image: QMenu  # Generate, Cancel; the mask feature adds its edit commands
    view: QMenu


def build_tools_bar(window: QMainWindow) -> QToolBar:
    """The canvas tools bar (filled by the text and mask features), switched in View."""
    bar = QToolBar("Tools", window)
    bar.setObjectName("toolsToolBar")  # saveState/restoreState find toolbars by name
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar


def build_menus(window: QMainWindow, actions: StudioActions, docks: list[QDockWidget]) -> StudioMenus:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([actions.new_document, actions.open])
    recent_menu = file_menu.addMenu("Open &Recent")
    recent_menu.setObjectName("recentMenu")
    file_menu.addSeparator()
    file_menu.addActions([actions.save, actions.save_as])
    file_menu.addSeparator()
    file_menu.addActions([actions.export_png, actions.export_print, actions.copy_image])
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([actions.undo, actions.redo])

    image_menu = bar.addMenu("&Image")
    image_menu.addActions([actions.generate, actions.cancel])

    view_menu = bar.addMenu("&View")
    view_menu.addActions([actions.zoom_in, actions.zoom_out, actions.fit, actions.actual_size])
    view_menu.addSeparator()
    for dock in docks:
        view_menu.addAction(dock.toggleViewAction())

    model_menu = bar.addMenu("&Model")
    model_menu.addActions([actions.load_model, actions.manage_models])

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([actions.open_logs, actions.about])
    return StudioMenus(file_menu, recent_menu, edit_menu, image_menu, view_menu)
