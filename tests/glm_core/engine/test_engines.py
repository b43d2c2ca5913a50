"""The engine contract (glm_core/engine/base.py) on the in-process engine and the engine process,
both running the real demo model; and what happens when the engine process is killed mid-run.

One engine of each kind serves the whole module: the child's spawn and torch import cost seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from PIL import Image

from glm_core.engine.base import EngineState
from glm_core.engine.in_process import InProcessEngine
from glm_core.engine.process import ProcessEngine
from glm_core.engine.stream import EventStream
from glm_core.generation.events import (
    Cancelled, DiffusionStep, Failed, Finished, Loaded, LoadStep, Phase, PhaseChanged, PreviewImage, TokenProgress,
)
from glm_core.generation.request import GenerationRequest
from glm_core.models.load_report import LoadOptions

DEMO = LoadOptions(source="demo", quant="bf16", device="cpu")
TERMINAL = (Loaded, Finished, Failed, Cancelled)


def quick_request(**changes) -> GenerationRequest:
    values = dict(prompt="A poster titled “ENGINE”", width=64, height=64, steps=2, seed=7)
    values.update(changes)
    return GenerationRequest(**values)


def slow_request() -> GenerationRequest:
    """Long enough to act on while it runs (hundreds of tokens, many steps), on the demo model."""
    return quick_request(width=512, height=512, steps=60)


async def collect(stream, on_event=None) -> list:
    """`stream`: an engine's event stream, or a function that starts one (inside the event loop)."""
    events = []
    async for event in (stream() if callable(stream) else stream):
        events.append(event)
        if on_event is not None:
            on_event(event)
    return events


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def process_engine(demo_folder):
    engine = ProcessEngine()
    engine.start()  # in the background: the child imports torch meanwhile
    assert engine.state is EngineState.STARTING and engine.pid is not None
    events = run(collect(lambda: engine.load(DEMO)))
    assert isinstance(events[-1], Loaded), events[-1]
    yield engine
    engine.stop_now()


@pytest.fixture(scope="module", params=["in-process", "process"])
def engine(request, demo_folder):
    if request.param == "process":
        yield request.getfixturevalue("process_engine")
        return
    engine = InProcessEngine()
    assert isinstance(run(collect(lambda: engine.load(DEMO)))[-1], Loaded)
    yield engine
    run(engine.close())


def test_load_reports_components_then_exactly_one_loaded(demo_folder):
    engine = InProcessEngine()
    events = run(collect(lambda: engine.load(DEMO)))
    assert [type(e) for e in events[:-1]] == [LoadStep] * len(events[:-1]) and len(events) > 2
    assert isinstance(events[-1], Loaded) and events[-1].report.is_demo
    assert engine.state is EngineState.READY
    run(engine.close())
    assert engine.state is EngineState.STOPPED


def test_generation_events_come_in_order_and_end_with_one_finished(engine):
    events = run(collect(lambda: engine.generate(quick_request())))
    kinds = [type(e) for e in events]
    assert kinds[0] is PhaseChanged and events[0].phase is Phase.PRIOR
    diffusion = kinds.index(PhaseChanged, 1)
    assert events[diffusion].phase is Phase.DIFFUSION
    assert TokenProgress in kinds[:diffusion] and DiffusionStep in kinds[diffusion:]
    assert sum(kind in TERMINAL for kind in kinds) == 1 and kinds[-1] is Finished
    finished = events[-1]
    assert isinstance(finished.image, Image.Image) and finished.image.size == (64, 64)
    assert finished.recipe.seed == 7 and finished.prior is not None
    assert all(isinstance(e.image, Image.Image) for e in events if isinstance(e, PreviewImage))
    assert engine.state is EngineState.READY


def test_cancel_mid_run_ends_with_cancelled_and_the_engine_stays_usable(engine):
    async def scenario():
        stream = engine.generate(slow_request())
        events = await collect(stream, lambda e: engine.cancel() if isinstance(e, TokenProgress) else None)
        again = await collect(engine.generate(quick_request()))
        return events, again

    events, again = run(scenario())
    assert isinstance(events[-1], Cancelled) and sum(isinstance(e, TERMINAL) for e in events) == 1
    assert not any(isinstance(e, DiffusionStep) and e.step > 2 for e in events)  # stopped early
    assert isinstance(again[-1], Finished)


def test_a_second_job_while_one_runs_is_refused(engine):
    async def scenario():
        stream = engine.generate(slow_request())
        with pytest.raises(RuntimeError, match="busy"):
            engine.generate(quick_request())
        engine.cancel()
        return await collect(stream)

    assert isinstance(run(scenario())[-1], Cancelled)


def test_a_variation_reuses_the_prior_tokens(engine):
    first = run(collect(lambda: engine.generate(quick_request())))[-1]
    events = run(collect(lambda: engine.generate(quick_request(prior=first.prior, seed=8))))
    assert isinstance(events[-1], Finished)
    assert not any(isinstance(e, TokenProgress) for e in events)  # only the DiT ran


def test_place_re_places_the_model_and_reports_it(engine):
    events = run(collect(lambda: engine.place("model")))
    assert isinstance(events[-1], Loaded) and events[-1].report.plan.offload == "model"
    events = run(collect(lambda: engine.place("none")))
    assert isinstance(events[-1], Loaded) and events[-1].report.plan.offload == "none"
    assert isinstance(run(collect(lambda: engine.generate(quick_request())))[-1], Finished)


def test_a_busy_consumer_gets_the_newest_preview_and_count_not_a_backlog():
    async def scenario():
        stream = EventStream(asyncio.get_running_loop())
        frames = [Image.new("RGB", (8, 8), (index, 0, 0)) for index in range(50)]

        def produce():  # a generation thread while the consumer is busy elsewhere
            stream.push(PhaseChanged(Phase.DIFFUSION))
            for index, frame in enumerate(frames, 1):
                stream.push(DiffusionStep(index, 50))
                stream.push(PreviewImage(frame, Phase.DIFFUSION))
            stream.push(Finished(image=frames[-1], recipe=None, seconds=1.0))

        await asyncio.to_thread(produce)
        return await collect(stream.events())

    events = run(scenario())
    assert [type(e) for e in events] == [PhaseChanged, DiffusionStep, PreviewImage, Finished]
    assert events[1].step == 50 and events[2].image.getpixel((0, 0)) == (49, 0, 0)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killing_the_engine_process_fails_the_job_in_one_line_and_the_next_generate_restarts_it(process_engine):
    engine = process_engine
    first_pid = engine.pid

    def kill_on_first_step(event):
        if isinstance(event, DiffusionStep) and engine.pid == first_pid:
            os.kill(first_pid, signal.SIGKILL)

    events = run(collect(lambda: engine.generate(slow_request()), kill_on_first_step))
    assert isinstance(events[-1], Failed) and sum(isinstance(e, TERMINAL) for e in events) == 1
    assert "SIGKILL" in events[-1].message and "\n" not in events[-1].message
    assert engine.state is EngineState.STOPPED

    again = run(collect(lambda: engine.generate(quick_request())))  # a new child reloads the demo by itself
    assert isinstance(again[-1], Finished), again[-1]
    assert engine.pid not in (None, first_pid) and engine.state is EngineState.READY


def test_unload_ends_the_engine_process(process_engine):
    child = process_engine.pid
    run(process_engine.unload())
    assert process_engine.pid is None and process_engine.state is EngineState.STOPPED
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
