"""Export for print: a resolution (DPI) written into the PNG's pHYs chunk, the print size it gives
in centimetres and inches, and 2x / 4x enlargement.

The enlargement is Lanczos resampling and says so: it makes more pixels, not more detail. No AI
upscaler ships with the app, so none is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

SCALES = (1, 2, 4)
MIN_DPI, MAX_DPI = 36, 2400
CM_PER_INCH = 2.54
UPSCALE_METHOD = "Lanczos resampling (more pixels, no new detail)"


@dataclass(frozen=True)
class PrintSize:
    width_px: int
    height_px: int
    dpi: int

    @property
    def inches(self) -> tuple[float, float]:
        return self.width_px / self.dpi, self.height_px / self.dpi

    @property
    def centimetres(self) -> tuple[float, float]:
        width, height = self.inches
        return width * CM_PER_INCH, height * CM_PER_INCH

    def describe(self) -> str:
        (wi, hi), (wc, hc) = self.inches, self.centimetres
        return (f"{self.width_px}x{self.height_px} px = {wc:.1f} x {hc:.1f} cm = {wi:.2f} x {hi:.2f} in "
                f"at {self.dpi} dpi")


def check_dpi(dpi: int) -> int:
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"{dpi} is outside {MIN_DPI}-{MAX_DPI}: print shops ask for 150-300 dpi")
    return dpi


def enlarge(image: Image.Image, scale: int) -> Image.Image:
    """`image` `scale` times wider and taller by Lanczos resampling (1 returns it as it is)."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale} is not one of {', '.join(map(str, SCALES))}")
    if scale == 1:
        return image
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS)
