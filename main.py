"""GLM-Image Studio. `python main.py` opens the window; `python main.py COMMAND --help` for the CLI
(`gui --help` too: it prints the window's options without needing a display)."""

from __future__ import annotations

import multiprocessing
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wants_help = bool(argv) and any(arg in ("-h", "--help") for arg in argv[1:])
    if not argv or (argv[0] == "gui" and not wants_help):
        from app.main import run_app  # Qt is imported only for the window

        return run_app(sys.argv[:1] + argv[1:])
    from app.text.cli_renderer import QtTextRenderer  # imports Qt only once text is drawn (--overlay, --layout-guide)
    from cli.main import main as cli_main

    return cli_main(argv, text_renderer=QtTextRenderer())


if __name__ == "__main__":
    # First of all: in the frozen bundle the engine process (spawned) starts as this executable,
    # and this call turns it into the child instead of a second window.
    multiprocessing.freeze_support()
    sys.exit(main())
