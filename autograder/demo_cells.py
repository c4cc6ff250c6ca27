"""Demo cells: instructor cells that only show the student something, skipped when grading can do without.

A notebook has cells that run the student's functions only to print or plot what they do (notebook
04 plots the schedule, notebook 08 trains for 30 steps on one batch). Their output is the student's
to read; no grade depends on it. The instructor tags such a cell ``skip-in-grading`` in the source
notebook (the tag is a promise: the cell binds names and prints, it changes no object that other
cells use). The grader then leaves it out of a submission's plan when both hold:

* the submitted cell is the release's, unchanged (a cell the student edited is the student's code);
* no name it binds can be read by anything that runs after it in the sandbox: the student's later
  cells, the provided definitions, every setup and drive section of the graded cells (hidden ones
  included). A later cell that reads names dynamically (``globals()``, ``eval``, ``__main__``...)
  keeps every demo cell before it.

This is decided on the grader's side, from the code alone, before anything runs. Skipping a demo
cell changes no grade: the graded cells seed every section, and they read nothing the cell bound.
"""

from __future__ import annotations

import ast
import functools

from lmtrain.notebook import cell_source

from .name_reads import Reads
from .parsed import parsed

__all__ = ["SKIP_TAG", "demo_sources", "drop_unused_demo_cells"]

SKIP_TAG = "skip-in-grading"

def demo_sources(source: dict, release: dict) -> dict[str, str]:
    """cell id -> the release's text of every code cell the source notebook tags ``skip-in-grading``."""
    released = {cell.get("id"): cell_source(cell) for cell in release.get("cells", []) if cell.get("cell_type") == "code"}
    found = {}
    for cell in source.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and SKIP_TAG in tags and cell.get("id") in released:
            found[cell["id"]] = released[cell["id"]]
    return found


@functools.lru_cache(maxsize=4096)  # the instructor's cells and sections: the same in every notebook
def _reads(sources: tuple[str, ...], trusted: bool) -> Reads | None:
    """What ``sources``, run one after the other in one namespace, read from it; None when that cannot
    be told. Shared between callers: its sets are frozen.

    ``trusted`` (instructor code: provided definitions, graded sections, demo cells) may pass the
    namespace to a helper that reads names given as strings (``substitute(globals(), "parts", ...)``):
    those strings count as read."""
    reads, bound = Reads(), set()
    for source in sources:
        try:
            tree = parsed(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        reads.block(tree.body, bound)
        if reads.dynamic and not trusted:
            return None
        if reads.dynamic:
            reads.exposed |= {node.value for node in ast.walk(tree)
                              if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier()}
    reads.exposed, reads.deferred, reads.bound = frozenset(reads.exposed), frozenset(reads.deferred), frozenset(reads.bound)
    return reads


def drop_unused_demo_cells(cells: list, demos: dict[str, str], provided: str) -> list:
    """``cells`` (a plan's, in run order) without the unchanged demo cells whose names nothing after
    them reads (a liveness pass, backwards over the plan)."""
    def is_demo(cell) -> bool:
        return cell.kind == "code" and demos.get(cell.name) == cell.source

    if not any(is_demo(cell) for cell in cells):
        return cells
    provided_reads = _reads((provided,), trusted=True)  # run before every graded cell, in the same namespace
    if provided_reads is None:
        return cells
    live = provided_reads.exposed | provided_reads.deferred
    reads_of = []  # per cell: (what it reads when it runs, what it binds)
    for cell in cells:
        if cell.kind == "graded":  # its setup and drive sections run in the sandbox, in order
            texts = tuple(s.source for s in cell.test.sections if s.kind in ("setup", "drive"))
        else:
            texts = (cell.source,)
        reads = _reads(texts, trusted=cell.kind == "graded" or is_demo(cell))
        if reads is None:
            return cells  # a read by name the grader cannot see: any demo cell may matter
        if is_demo(cell):  # its functions run only if a later cell calls them, keeping the cell
            reads_of.append((reads.exposed | reads.deferred, reads.bound))
        else:  # a function of any other cell may be called after any demo cell
            live |= reads.deferred
            reads_of.append((reads.exposed, reads.bound))
    kept = []
    for cell, (reads, binds) in zip(reversed(cells), reversed(reads_of)):
        if is_demo(cell) and not (binds & live):
            continue
        live |= reads
        kept.append(cell)
    return kept[::-1]
