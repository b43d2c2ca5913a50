"""`python main.py models list | download REPO | verify PATH_OR_REPO | add FOLDER | forget ID`.

The same calls the model dialog makes (glm_core.models.catalog); progress goes to stderr, results to
stdout, and a failure exits 1 with one line naming what is wrong (130 when cancelled).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cli.common import EXIT_CANCELLED, EXIT_FAILED, print_text, run_cancellable
from glm_core.models.download_progress import DownloadCancelled, fmt_bytes



def add_models_parser(commands) -> None:
    models = commands.add_parser("models", help="list, download and check models")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="the known models: downloaded?, size, where, free disk space")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    dl = sub.add_parser("download", help="download (or resume) a hub model: only the files the pipeline needs")
    dl.add_argument("repo", metavar="REPO", help="hub id, e.g. zai-org/GLM-Image")
    dl.add_argument("--revision", help="branch, tag or commit (default: main)")
    dl.add_argument("--ask-token", action="store_true", help="prompt for an access token (gated or private repos)")
    dl.add_argument("--save-token", action="store_true", help="remember the prompted token in the OS keyring")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    ver = sub.add_parser("verify", help="check a model folder or a downloaded hub model, offline")
    ver.add_argument("target", metavar="PATH_OR_REPO")
    ver.add_argument("--revision", help="for a hub id: which cached revision (default: main)")
    ver.add_argument("--checksums", action="store_true", help="also hash the weights (slow: seconds per GB)")
    ver.add_argument("--repair", action="store_true", help="re-download the damaged files of a hub model")
    add = sub.add_parser("add", help="add a local GLM-Image pipeline folder to the list")
    add.add_argument("folder", type=Path)
    add.add_argument("--name", help="name to show")
    forget = sub.add_parser("forget", help="drop a folder or repo from the list (its files stay on disk)")
    forget.add_argument("model_id", metavar="ID")


def run_models(args) -> int:
    from glm_core.models.download_errors import DownloadError, TokenRequired
    from glm_core.models.loader import LoadError
    from glm_core.models.verify import RepairError

    handler = {"list": _list, "download": _download, "verify": _verify, "add": _add, "forget": _forget}
    try:
        return handler[args.models_command](args)
    except DownloadCancelled:
        sys.stderr.write("\ncancelled: run the same command again to resume\n")
        return EXIT_CANCELLED
    except (DownloadError, RepairError, LoadError) as exc:
        hint = " (run again with --ask-token, or set HF_TOKEN)" if isinstance(exc, TokenRequired) else ""
        sys.stderr.write(f"\nerror: {exc}{hint}\n")
        return EXIT_FAILED


def _list(args) -> int:
    import json

    from glm_core.models.catalog import known_models

    entries = known_models()
    if args.json:
        rows = [{**e.__dict__, "location": str(e.location)} for e in entries]
        print(json.dumps(rows, indent=2))
        return 0
    for e in entries:
        state = "complete" if e.complete else ("not downloaded" if not e.present_bytes else f"{e.fraction:.0%} downloaded")
        size = ("~" if e.size_is_estimate else "") + fmt_bytes(e.total_bytes)
        print_text(f"{e.id}\n    {state}, {size}, {fmt_bytes(e.free_bytes)} free at {e.location}")
    return 0


class ProgressLine:
    """Download progress on stderr: one line redrawn in place on a terminal; in a log (CI), a plain
    line per phase and per 10% so a 35 GB download does not write thousands of lines."""

    def __init__(self, quiet: bool = False):
        self.quiet, self.width = quiet, 0
        self.tty = sys.stderr.isatty()
        self.last = ("", -1)

    def __call__(self, p) -> None:
        if self.quiet:
            return
        if not p.total_bytes:
            line = f"{p.phase}…"
        else:
            filled = int(24 * p.fraction)
            eta = "" if p.eta_s is None or p.phase == "done" else f"  ETA {int(p.eta_s) // 60}m{int(p.eta_s) % 60:02d}s"
            speed = f"  {fmt_bytes(p.speed_bps)}/s" if p.speed_bps and p.phase != "done" else ""
            name = "/".join(p.file.rsplit("/", 2)[-2:]) if p.file else ""
            line = (f"{p.phase:<11} [{'#' * filled}{'.' * (24 - filled)}] {fmt_bytes(p.done_bytes)}/"
                    f"{fmt_bytes(p.total_bytes)}{speed}{eta}  {name}").rstrip()[:110]
        if self.tty:
            sys.stderr.write("\r" + line.ljust(self.width) + ("\n" if p.phase == "done" else ""))
            self.width = len(line)
        else:
            step = (p.phase, int(10 * p.fraction))
            if step != self.last:
                self.last = step
                sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _download(args) -> int:
    from glm_core.models import catalog
    from glm_core.models.hub_token import save_token

    token = None
    if args.ask_token:
        import getpass

        token = getpass.getpass("Hugging Face access token (input hidden): ").strip() or None
        if token and args.save_token and not save_token(token):
            sys.stderr.write("note: no OS keyring here (pip install keyring): the token is used for this download only\n")
    bar = ProgressLine(args.quiet)
    folder = run_cancellable(lambda cancel: catalog.download(args.repo, args.revision, on_progress=bar, cancel=cancel, token=token))
    print_text(str(folder))
    return 0


def _verify(args) -> int:
    from glm_core.models.verify import RepairError, repair, verify

    report = run_cancellable(lambda cancel: verify(args.target, args.revision, args.checksums, cancel))
    if not report.ok and args.repair:
        if report.repo_id is None:
            raise RepairError(f"'{args.target}' is not a hub download: copy or download the model again.")
        sys.stderr.write(report.message() + "\nrepairing…\n")
        report = run_cancellable(lambda cancel: repair(report.repo_id, report, ProgressLine(), cancel))
    for note in report.notes:
        sys.stderr.write(f"note: {note}\n")
    if report.ok:
        print(report.message())
        return 0
    sys.stderr.write(f"error: {report.message()}\n")
    return EXIT_FAILED


def _add(args) -> int:
    from glm_core.models import catalog

    entry = catalog.add_local_folder(args.folder, args.name)
    print(f"added {entry.id} ({fmt_bytes(entry.total_bytes)})")
    return 0


def _forget(args) -> int:
    from glm_core.models import catalog

    if not catalog.forget_model(args.model_id):
        sys.stderr.write(f"error: '{args.model_id}' is not in the list (see: models list)\n")
        return EXIT_FAILED
    print(f"forgot {args.model_id}")
    return 0
