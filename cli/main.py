"""`python main.py <command>`: everything the window does, for batches, scripts and tests.

Exit codes: 0 done, 1 failed (one line on stderr says why, bad arguments included), 3 a text
check still reads a box wrong (generate --check-text, check-text), 130 cancelled (Ctrl+C). Each
command family lives in its own module (generate, models, project); this one only parses and
dispatches.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import EXIT_CANCELLED, EXIT_FAILED, CliError, TextRenderer, shorten
from cli.doctor import add_doctor_parser, run_doctor
from cli.generate import add_generate_parsers, run_generate_command
from cli.models import add_models_parser, run_models
from cli.project import add_project_parser, run_project
from cli.text_check import add_check_text_parser, run_check_text
from glm_core import __version__


class OneLineParser(argparse.ArgumentParser):
    """argparse's errors in the project's style: `error: …` in one line and exit 1, not a usage
    dump and exit 2 (`COMMAND --help` still prints the usage)."""

    def error(self, message: str):
        if "expected one argument" in message:  # `--seed -5` reads -5 as an option
            message += ": a negative number needs `=`, e.g. --seed=-5"
        elif "invalid float value" in message:  # `--guidance 1,5`
            message += ": write decimals with a dot, e.g. 1.5"
        print(f"error: {self.prog.removeprefix('main.py ')}: {shorten(message, 300)}", file=sys.stderr)
        sys.exit(EXIT_FAILED)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="main.py", description="GLM-Image Studio: local poster generation.")
    parser.add_argument("--version", action="version", version=f"GLM-Image Studio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the desktop window (the default with no command)")
    gui.add_argument("--check", action="store_true",
                     help="open the window, print whether it showed, and quit (checks an install without anyone at the screen)")

    add_generate_parsers(commands)  # generate | recipe | plan (cli/generate.py)
    add_models_parser(commands)  # models list | download | verify | add | forget (cli/models.py)
    add_project_parser(commands)  # project info | export (cli/project.py)
    add_check_text_parser(commands)  # check-text IMAGE (cli/text_check.py)
    add_doctor_parser(commands)  # doctor (cli/doctor.py)
    return parser


def main(argv: list[str] | None = None, text_renderer: TextRenderer | None = None) -> int:
    """Run one command; `text_renderer` draws text for --overlay and --layout-guide (see above)."""
    args = build_parser().parse_args(argv)
    args.text_renderer = text_renderer
    handler = {"models": run_models, "project": run_project, "check-text": run_check_text,
               "doctor": run_doctor}.get(args.command, run_generate_command)
    try:
        return handler(args)
    except CliError as exc:
        print(f"error: {shorten(exc, 1000)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:  # Ctrl+C before the work started (reading files, importing torch)
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
