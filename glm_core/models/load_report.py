"""What a load is asked (LoadOptions) and what it did (LoadReport): plain data, no torch, so the
window, the engine process's pipe and the remote engine all carry it (glm_core/engine/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from glm_core.models import memory
from glm_core.models.demo_model import DEMO_SIZE_LIMITS

REAL_SIZE_LIMITS = (512, 2048)
DEVICES = ("auto", "cuda", "mps", "cpu")  # what LoadOptions.device may ask for


class LoadError(RuntimeError):
    pass


class LoadCancelled(Exception):
    pass


@dataclass
class LoadOptions:
    source: str = "demo"  # "demo" | a folder | a hub repo id
    quant: str = "bf16"  # bf16 | int8 | nf4, for the AR model and the DiT
    device: str = "auto"  # auto | cuda | mps | cpu
    offload: str = "auto"  # auto | none | model | sequential
    revision: str | None = None
    # The generation to plan the offload for (default: text-to-image at 1024², or the demo's largest).
    job: memory.Job | None = None


@dataclass
class LoadReport:
    model_id: str
    revision: str
    folder: Path
    device: str
    dtype: str
    quant: dict[str, str]  # component -> mode in effect
    plan: memory.MemoryPlan
    notices: list[str] = field(default_factory=list)  # fallbacks and other things the user should know
    is_demo: bool = False
    seconds: float = 0.0
    sizes: dict[str, memory.ComponentSize] = field(default_factory=dict)  # for planning each request
    server: str = ""  # the URL of the GLM-Image server that holds the model; "" = this computer

    def plan_for(self, job: memory.Job, offload: str | None = None) -> memory.MemoryPlan:
        """The plan for one generation under the placement in effect (or `offload`; "auto" = the
        planner's own pick), against the memory the device had when the model loaded. Plain
        arithmetic on plain data: the window calls it as the size changes."""
        return memory.plan_memory(self.sizes, self.quant, self.plan.free_bytes,
                                  offload=offload or self.plan.offload, job=job)

    @property
    def min_side(self) -> int:
        return (DEMO_SIZE_LIMITS if self.is_demo else REAL_SIZE_LIMITS)[0]

    @property
    def max_side(self) -> int:
        return (DEMO_SIZE_LIMITS if self.is_demo else REAL_SIZE_LIMITS)[1]

    @property
    def quant_label(self) -> str:
        return ",".join(f"{'ar' if c == 'vision_language_encoder' else 'dit'}={m}" for c, m in self.quant.items())
