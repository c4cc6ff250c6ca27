"""Seeds a graded cell's inputs derive from: one cell seed, the same in every section and on both sides.

The grader seeds PyTorch's, NumPy's and Python's global generators before each section of a graded
cell with that section's own seed (the cell's seed plus the section's index), and the cell's seed is
a keyed hash of the course secret: what a section draws from them cannot be known in advance. A
section that needs a generator of its own, or a check that builds again the model its setup built,
takes it from here instead of from a literal seed (which anyone who reads the hidden tests could
replay at home):

    from lmtrain import seeds
    generator = seeds.cell_generator(1)         # torch.Generator; seeds.cell_rng(1) for NumPy
    torch.manual_seed(seeds.cell_seed_for(2))   # the setup builds a model, the check builds it again

Stream ``n`` gives the same numbers in every section of one cell, in the sandbox and in the grader,
and other numbers for another cell or another secret; two streams of one cell are independent.

The grader records the cell's seed before every section (``autograder.sections.seed_everything``).
Outside the grader (a notebook in Jupyter) there is none and the streams derive from
:data:`UNGRADED_CELL_SEED`. A submission that changes the recorded seed in its own process only
changes its own side's inputs: the grader computes every expected value from inputs it draws on its
side, so such a submission fails its checks (and the sandbox reports the change as tampering).
"""

from __future__ import annotations

import hashlib

__all__ = ["UNGRADED_CELL_SEED", "cell_generator", "cell_rng", "cell_seed_for", "current_cell_seed", "use_cell_seed"]

#: The cell seed outside a graded run, where nobody recorded one.
UNGRADED_CELL_SEED = 0

# A dict, changed in place and never rebound: the sandbox's tamper guard watches this module's
# bindings, and the grader changes the seed before every section.
_RECORDED = {"cell_seed": None}


def use_cell_seed(seed: int | None) -> None:
    """Record the seed of the graded cell whose sections run next (None: no graded cell)."""
    _RECORDED["cell_seed"] = None if seed is None else int(seed)


def current_cell_seed() -> int | None:
    """The seed recorded for the running graded cell, None outside one."""
    return _RECORDED["cell_seed"]


def cell_seed_for(n: int = 0) -> int:
    """Seed number ``n`` of the running graded cell, in [0, 2**32): any generator accepts it."""
    if type(n) is not int:
        raise TypeError(f"a stream of a cell is numbered by an int, not by a {type(n).__name__}")
    cell = _RECORDED["cell_seed"]
    cell = UNGRADED_CELL_SEED if cell is None else cell
    digest = hashlib.sha256(f"lmtrain cell seed {cell} stream {n}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def cell_generator(n: int = 0):
    """A ``torch.Generator`` seeded with :func:`cell_seed_for` ``(n)``."""
    import torch

    return torch.Generator().manual_seed(cell_seed_for(n))


def cell_rng(n: int = 0):
    """A NumPy ``Generator`` seeded with :func:`cell_seed_for` ``(n)``."""
    import numpy

    return numpy.random.default_rng(cell_seed_for(n))
