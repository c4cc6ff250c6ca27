"""How one section of a graded cell executes, the same on both sides of the sandbox.

A ``setup`` section runs in the sandbox and again in the grader's checker
worker, seeded alike, and their results are compared exactly; so both sides
execute cells with this one function, seed with this one function, and run
PyTorch on the same number of threads. Imported by the sandbox's runner and by
the trusted checker, so neither imports the other.
"""

from __future__ import annotations

import ast

from lmtrain.notebook import compile_tree, parse_python

__all__ = ["SECTION_THREADS", "execute", "section_seed", "seed_everything", "use_section_threads"]


def execute(source: str, namespace: dict, filename: str, tree: ast.Module | None = None):
    """Run a cell like IPython does: the last bare expression's value is returned.

    ``tree``: ``source`` already parsed (it is read, never changed).
    """
    if tree is None:
        tree = parse_python(source, filename=filename)
    body = tree.body
    if body and isinstance(body[-1], ast.Expr):
        exec(compile_tree(ast.Module(body[:-1], tree.type_ignores), filename, "exec"), namespace)
        return eval(compile_tree(ast.Expression(body[-1].value), filename, "eval"), namespace)
    exec(compile_tree(tree, filename, "exec"), namespace)
    return None


#: Intra-op threads of PyTorch on both sides of a graded cell. A float sum depends on how it is split
#: between threads, so a setup section run here with 1 thread and in the grader with 2 would train
#: "the same" model to weights that differ in the last bit, and an exact check of an honest answer
#: would fail. One thread also keeps parallel jobs from fighting over the cores.
SECTION_THREADS = 1


def use_section_threads() -> None:
    import torch

    if torch.get_num_threads() != SECTION_THREADS:
        torch.set_num_threads(SECTION_THREADS)


def section_seed(cell_seed: int, index: int) -> int:
    """The seed of section ``index`` of a graded cell whose seed is ``cell_seed`` (the same on both sides)."""
    return (cell_seed + index) % 2**31


def seed_everything(seed: int, cell_seed: int | None = None) -> None:
    """Seed the global generators with a section's ``seed``; record its cell's ``cell_seed``, from which
    :mod:`lmtrain.seeds` derives the generators every section of the cell shares (a check that
    builds again what its setup built needs the setup's seed, which the section seeds are not)."""
    import random

    import numpy
    import torch

    from lmtrain.seeds import use_cell_seed

    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    if torch.accelerator.is_available():
        torch.manual_seed(seed)
    else:
        # torch.manual_seed also queues the seed for each accelerator PyTorch was built for, formatting
        # the caller's stack every time (0.1-0.3 ms, twice a section on both sides); with none to run on,
        # the CPU's generator, which it seeds last, is the only one a section can draw from
        torch.random.default_generator.manual_seed(seed)
    use_cell_seed(cell_seed)
