"""Cells parsed once per grading process, for the analyses that only read the tree.

Most cells of a class's submissions are the instructor's, the same text in every notebook; the
static analyses of a plan (:mod:`autograder.integrity`, :mod:`autograder.demo_cells`) parse each
text once and share the tree. A shared tree must never be changed: code that rewrites a tree
(:func:`autograder.plan.answer_fingerprint`) parses its own copy.
"""

from __future__ import annotations

import ast
import functools

from lmtrain.notebook import parse_python

__all__ = ["parsed"]


#: Longest text kept parsed: an instructor's cell is far shorter; a student's huge cell is parsed
#: each time rather than kept (a tree takes tens of times its text's memory).
MAX_KEPT_CHARS = 20_000


def parsed(source: str) -> ast.Module:
    """``parse_python(source)``, shared between callers and threads: read the tree, never change it.

    A text that does not parse raises each time (exceptions are not kept)."""
    if len(source) > MAX_KEPT_CHARS:
        return parse_python(source)
    return _kept(source)


@functools.lru_cache(maxsize=2048)  # a class's distinct instructor texts, with room for the students' own
def _kept(source: str) -> ast.Module:
    return parse_python(source)
