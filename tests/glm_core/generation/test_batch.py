"""Batch N planning and the generation queue, without Qt or a model (plain data)."""

import numpy as np
import pytest
from PIL import Image

from glm_core.generation.batch import plan_batch
from glm_core.generation.job_queue import JobQueue, JobState
from glm_core.generation.prior import PriorTokens
from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import MAX_SEED

PRIOR = PriorTokens(np.zeros((1, 16), dtype=np.int64), None, None, 2, 2, seed=7)


def masked() -> GenerationRequest:
    return GenerationRequest("night", reference_images=[Image.new("RGB", (64, 64))], mask=Image.new("L", (64, 64), 255))


def test_text_to_image_is_one_full_run_then_variations_with_the_next_seeds():
    steps = plan_batch(GenerationRequest("jazz", seed=10), 3, engine_varies=True)
    assert [(s.index, s.total, s.seed, s.vary) for s in steps] == [(1, 3, 10, False), (2, 3, 11, True), (3, 3, 12, True)]
    base = GenerationRequest("jazz", seed=10)
    first, second = steps[0].request(base, None), steps[1].request(base, PRIOR)
    assert (first.seed, first.prior) == (10, None)
    assert (second.seed, second.prior, second.prompt) == (11, PRIOR, "jazz")
    assert [s.label for s in steps] == ["Batch 1/3", "Batch 2/3", "Batch 3/3"]


def test_a_whole_image_edit_varies_too():
    request = GenerationRequest("night", reference_images=[Image.new("RGB", (64, 64))], seed=1)
    assert [s.vary for s in plan_batch(request, 2, engine_varies=True)] == [False, True]


@pytest.mark.parametrize("request_, engine_varies", [(masked(), True), (GenerationRequest("jazz"), False)])
def test_masked_edits_and_engines_without_variations_get_a_seed_each(request_, engine_varies):
    steps = plan_batch(request_, 3, engine_varies)
    assert not any(s.vary for s in steps)
    requests = [s.request(request_, PRIOR) for s in steps]
    assert all(r.prior is None for r in requests)  # every one writes its own layout
    assert len({r.seed for r in requests}) == 3


def test_an_unset_seed_is_drawn_once_and_seeds_wrap_at_the_largest():
    steps = plan_batch(GenerationRequest("jazz"), 4, engine_varies=True)
    assert [s.seed for s in steps] == [(steps[0].seed + i) % (MAX_SEED + 1) for i in range(4)]
    assert [s.seed for s in plan_batch(GenerationRequest("jazz", seed=MAX_SEED), 2, True)] == [MAX_SEED, 0]
    with pytest.raises(ValueError, match="1 image or more"):
        plan_batch(GenerationRequest("jazz"), 0, True)


def test_a_variation_without_a_first_result_runs_in_full_and_its_tokens_serve_the_rest():
    queue = JobQueue()
    queue.add(GenerationRequest("jazz", seed=1), 3, engine_varies=True)
    queue.start_next()
    assert queue.cancel_running().state is JobState.CANCELLED  # the first (AR) run was cancelled
    second = queue.start_next()
    assert second.request().prior is None  # no tokens yet: it writes the layout itself
    queue.finish(PRIOR)
    third = queue.start_next()
    assert third.request().prior is PRIOR and third.request().seed == 3


def test_the_queue_runs_one_job_at_a_time_in_order_and_a_removed_job_never_runs():
    queue = JobQueue()
    first = queue.add(GenerationRequest("a", seed=1), 2, engine_varies=True)
    later = queue.add(GenerationRequest("b", seed=5), 1, engine_varies=True)
    assert queue.start_next() is first[0] and queue.start_next() is None  # one runs: nothing else starts
    assert [job.state for job in queue.jobs] == [JobState.RUNNING, JobState.WAITING, JobState.WAITING]
    assert queue.remove(first[1].id) is first[1] and first[1].state is JobState.CANCELLED
    queue.finish(PRIOR)
    assert queue.start_next() is later[0]
    assert queue.remove(first[1].id) is None  # already out


def test_a_failure_drops_the_rest_of_its_batch_but_not_the_next_batch():
    queue = JobQueue()
    batch = queue.add(GenerationRequest("a", seed=1), 3, engine_varies=True)
    other = queue.add(GenerationRequest("b", seed=5), 1, engine_varies=True)
    queue.start_next()
    assert queue.fail() == batch
    assert queue.waiting == other
    assert queue.clear() == other and queue.jobs == []
