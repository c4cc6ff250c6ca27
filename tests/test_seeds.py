"""lmtrain.seeds: the streams a graded cell's sections share, derived from the cell's seed only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.sections import seed_everything
from lmtrain import seeds


@pytest.fixture(autouse=True)
def _no_recorded_seed():
    yield
    seeds.use_cell_seed(None)


def test_every_section_of_a_cell_gets_the_same_streams():
    seed_everything(1000, cell_seed=1000)  # the cell's first section
    first = [seeds.cell_seed_for(n) for n in range(4)], seeds.cell_generator(3).initial_seed()
    seed_everything(1002, cell_seed=1000)  # its third: another section seed, the same cell seed
    assert ([seeds.cell_seed_for(n) for n in range(4)], seeds.cell_generator(3).initial_seed()) == first
    assert len(set(first[0])) == 4  # streams of one cell differ


def test_another_cell_seed_gives_other_streams():
    seeds.use_cell_seed(7)
    one = [seeds.cell_seed_for(n) for n in range(8)]
    seeds.use_cell_seed(8)
    other = [seeds.cell_seed_for(n) for n in range(8)]
    assert all(a != b for a, b in zip(one, other))
    assert all(0 <= s < 2**32 for s in one + other)


def test_the_generators_are_seeded_with_the_stream_seed():
    seeds.use_cell_seed(12345)
    assert seeds.cell_generator(5).initial_seed() == seeds.cell_seed_for(5)
    assert torch.equal(torch.randn(3, generator=seeds.cell_generator(5)),
                       torch.randn(3, generator=torch.Generator().manual_seed(seeds.cell_seed_for(5))))
    assert np.array_equal(seeds.cell_rng(5).integers(0, 1000, 6),
                          np.random.default_rng(seeds.cell_seed_for(5)).integers(0, 1000, 6))


def test_outside_a_graded_cell_the_streams_are_fixed():
    seeds.use_cell_seed(None)
    assert seeds.current_cell_seed() is None
    ungraded = seeds.cell_seed_for(3)
    seeds.use_cell_seed(seeds.UNGRADED_CELL_SEED)
    assert seeds.cell_seed_for(3) == ungraded


def test_a_stream_is_numbered_by_an_int():
    with pytest.raises(TypeError):
        seeds.cell_seed_for("3")


def test_a_section_seed_draws_what_torch_manual_seed_would():
    # seed_everything seeds PyTorch's CPU generator without torch.manual_seed where no accelerator
    # exists: a section must still draw exactly the numbers torch.manual_seed(seed) gives
    torch.manual_seed(7)
    expected = (torch.rand(5), torch.randn(3, generator=None), torch.randint(0, 100, (4,)))
    torch.manual_seed(123)  # something else first
    seed_everything(7)
    drawn = (torch.rand(5), torch.randn(3, generator=None), torch.randint(0, 100, (4,)))
    assert all(torch.equal(a, b) for a, b in zip(drawn, expected))
    assert torch.initial_seed() == 7
