"""Verbatim glyph texts: the ByT5 glyph encoder gets exactly what the designer typed.

`GlmImagePipeline` reads the texts to render with `get_glyph_texts(prompt)`: four regexes over
the prompt ('…', “…”, "…", 「…」). The composer keeps that reading right by spelling some quote
marks as lookalikes in the prompt (glm_core/prompt_composer.py), which the AR model may read as
it likes but the glyph encoder must not see. So a request that carries its boxes' texts
(`GenerationRequest.glyph_texts`) hands them to the pipeline for that one run through
`verbatim_glyphs`, and the prompt's wording no longer matters for the glyphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import contextmanager

# The pipeline's own patterns, in its order (diffusers pipeline_glm_image.get_glyph_texts).
PIPELINE_PATTERNS = (r"'([^']*)'", r"\u201c([^\u201c\u201d]*)\u201d", r'"([^"]*)"', r"「([^「」]*)」")


def extract_glyph_texts(prompt: str) -> list[str]:
    """What the pipeline renders from `prompt` alone, without importing diffusers (torch)."""
    return [text for pattern in PIPELINE_PATTERNS for text in re.findall(pattern, prompt)]


@contextmanager
def verbatim_glyphs(pipe, prompt: str, glyph_texts: Sequence[str] | None):
    """For the duration, `pipe.get_glyph_texts` answers `glyph_texts` for `prompt` (None: the
    pipeline reads the prompt as usual). Other prompts, such as the empty negative prompt of
    classifier-free guidance, keep the pipeline's own reading."""
    if glyph_texts is None:
        yield
        return
    own = pipe.get_glyph_texts
    texts = list(glyph_texts)

    def get_glyph_texts(prompts):
        prompts = [prompts] if isinstance(prompts, str) else prompts
        return [list(texts) if p == prompt and p else own(p)[0] for p in prompts]

    pipe.get_glyph_texts = get_glyph_texts
    try:
        yield
    finally:
        del pipe.get_glyph_texts  # the class method shows through again
