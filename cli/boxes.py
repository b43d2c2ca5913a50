"""--box TEXT --at X,Y,W,H and each box's own options, as `generate` and `check-text` read them."""

from __future__ import annotations

import argparse
import math
import re

from cli.common import CliError


class BoxPart(argparse.Action):
    """Records --box and its per-box options in command-line order; `parse_boxes` pairs them up later,
    so a mistake (--at before any --box, a bad number) is a one-line CliError, not argparse's usage dump."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), (option_string, values)])


def parse_boxes(parts) -> list:
    from glm_core.project.textbox import ROLES, TextBox

    boxes: list[dict] = []
    for option, value in parts or ():
        if option == "--box":
            boxes.append({"text": value})
            continue
        if not boxes:
            raise CliError(f"{option} {value} comes before any --box: write --box \"TEXT\" --at X,Y,W,H {option} …")
        box = boxes[-1]
        if option == "--at":
            try:
                x, y, w, h = (float(part) for part in value.split(","))
            except ValueError:
                raise CliError(f"--at {value} is not X,Y,W,H in pixels, e.g. --at 64,40,896,160") from None
            if not all(map(math.isfinite, (x, y, w, h))) or w <= 0 or h <= 0:
                raise CliError(f"--at {value}: the width and height must be positive pixel counts")
            box.update(x=x, y=y, width=w, height=h)
        elif option == "--color":
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                raise CliError(f"--color {value} is not a #rrggbb colour, e.g. #ffd700")
            box["color"] = value.lower()
        elif option == "--role":
            if value not in ROLES:
                raise CliError(f"--role {value} is not one of {', '.join(ROLES)}")
            box["role"] = value
        elif option == "--weight":
            if not value.isdigit() or not 100 <= int(value) <= 900:
                raise CliError(f"--weight {value} is not a weight from 100 (light) to 900 (black)")
            box["weight"] = int(value)
        elif option == "--font-style":
            box["font_style"] = value
        else:
            box["font_family"] = value
    for box in boxes:
        if "x" not in box:
            raise CliError(f"--box \"{box['text']}\" needs --at X,Y,W,H (pixels) right after it")
    return [TextBox(**box) for box in boxes]
