"""The grading API in one import: grade a class, one notebook, or merge shards.

``python -m autograder grade SUBMISSIONS --out OUT`` (see ``__main__``) calls
:func:`grade_class`; :func:`grade_notebook` grades one notebook file for a
script. The work is done by :mod:`autograder.pipeline` (one notebook),
:mod:`autograder.classrun` (a class), :mod:`autograder.state` (the saved grades) and
:mod:`autograder.outputs` (the files).
"""

from __future__ import annotations

from .classrun import (OutputOptions, RunOptions, grade_class, grade_notebook, load_course, merge_outputs, render_class,
                       shard_of)
from .gradebook import write_gradebook
from .grading_key import pair_key, run_key
from .outputs import feedback_html, gradescope_results, render, summary_table
from .pipeline import GradeOptions, Placement, grade_one, released
from .sandbox import Limits
from .scoring import STATUSES, NotebookResult, TestResult

__all__ = [
    "GradeOptions",
    "Limits",
    "NotebookResult",
    "OutputOptions",
    "Placement",
    "RunOptions",
    "STATUSES",
    "TestResult",
    "feedback_html",
    "grade_class",
    "grade_notebook",
    "grade_one",
    "gradescope_results",
    "load_course",
    "merge_outputs",
    "pair_key",
    "released",
    "render",
    "render_class",
    "run_key",
    "shard_of",
    "summary_table",
    "write_gradebook",
]
