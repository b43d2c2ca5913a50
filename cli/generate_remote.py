"""`generate --engine URL`: the same job run by a GLM-Image server (glm_core/engine/remote.py)
instead of a model loaded here. No torch is imported on this path."""

from __future__ import annotations

import os

from cli.common import CliError
from glm_core import OFFICIAL_REPO_ID


def add_engine_arguments(parser) -> None:
    parser.add_argument("--engine", metavar="URL",
                        help="run on a GLM-Image server (SGLang, vLLM-Omni) at URL, e.g. http://gpu-box:30000, "
                             "instead of loading the model here")
    parser.add_argument("--api-key-env", metavar="VAR",
                        help="with --engine: the environment variable holding the server's API key")
    parser.add_argument("--server-model", metavar="NAME",
                        help="with --engine: the server's model to use (default: its GLM-Image model)")


def check_engine_options(args) -> None:
    """Options a server cannot honour, refused in one line before anything is read or sent."""
    if args.engine is None:
        for option, value in (("--api-key-env", args.api_key_env), ("--server-model", args.server_model)):
            if value is not None:
                raise CliError(f"{option} applies to a server: add --engine URL (or drop {option})")
        return
    if args.variations:
        raise CliError("--variations reuses the layout tokens of a model on this computer, which a server "
                       "cannot: drop --variations, or run with different --seed values")
    for option, value, default in (("--quant", args.quant, "bf16"), ("--device", args.device, "auto"),
                                   ("--offload", args.offload, "auto")):
        if value != default:
            raise CliError(f"{option} places a model on this computer; with --engine the server decides: drop {option}")
    if args.model != OFFICIAL_REPO_ID:
        raise CliError("--model picks a model on this computer; with --engine give --server-model NAME")


def api_key(args) -> str | None:
    if args.api_key_env is None:
        return None  # the engine then uses the key saved for this server, if any
    key = os.environ.get(args.api_key_env, "").strip()
    if not key:
        raise CliError(f"--api-key-env {args.api_key_env}: that environment variable is empty or not set: "
                       f"set it to the server's API key first")
    return key


def remote_engine(args):
    """The server's engine (not yet reached: its load does that)."""
    from glm_core.engine.remote import RemoteEngine

    return RemoteEngine(args.engine, api_key=api_key(args), model=args.server_model)
