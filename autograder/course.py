"""The nbgrader course layout of this repository, as a traitlets Config.

``solutions/`` is nbgrader's source directory and ``notebooks/`` its release
directory; the gradebook lives wherever the caller says (a throw-away SQLite
file for the release, the grading output folder for a class).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions
from traitlets.config import Config

from .stubs import ClearSolutionsNamingTasks

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = "solutions"
RELEASE_DIR = "notebooks"
HEADER = Path(__file__).resolve().parent / "release_header.ipynb"

# The stub that replaces each solution in the release; autograder.stubs fills in
# {task} with the answer cell's grade id, which is the function's name.
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("{task}: replace this line with your answer.")'


def put_environment_on_path() -> None:
    """Put this Python's bin folder on PATH, before anything opens an nbgrader gradebook.

    nbgrader runs the `alembic` executable by name to check a gradebook's schema, so the folder must
    be on PATH even when Python was started by its full path (.venv/bin/python) without activating
    the environment.
    """
    folder = str(Path(sys.executable).parent)
    if folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def course_config(root: Path, db_url: str | None = None) -> Config:
    put_environment_on_path()  # every nbgrader run of the course starts from this configuration
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    if db_url is not None:
        c.CourseDirectory.db_url = db_url
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.GenerateAssignment.preprocessors = [
        ClearSolutionsNamingTasks if step is ClearSolutions else step
        for step in GenerateAssignment.class_traits()["preprocessors"].default()
    ]
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.IncludeHeaderFooter.header = str(HEADER)
    # Data files next to a notebook belong to the release; nothing else does.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]
    c.ExecutePreprocessor.timeout = 120
    return c


def assignments(root: Path = REPO_ROOT) -> list[str]:
    """Names of the assignments in ``solutions/`` (one notebook each), sorted."""
    return sorted(p.parent.name for p in (root / SOURCE_DIR).glob("*/*.ipynb") if p.stem == p.parent.name)


class ReleaseError(RuntimeError):
    """The release cannot be generated (nbgrader failed, or a task has no heading or graded cell
    no answer); the message names the notebook and the cell, or carries nbgrader's log."""


class TranslationError(ReleaseError):
    """A translation is missing, stale or malformed; the message names every cell and the fix."""
