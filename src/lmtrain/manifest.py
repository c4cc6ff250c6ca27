"""The release's graded structure (cells, tasks, points), as ``make release`` recorded it.

``release_manifest.json`` beside this file is generated from the released notebooks' nbgrader
metadata (``autograder/manifest.py``), so ``make check`` and ``make handin`` know the release
without the autograder, which a student's copy of the workbook does not have. Both editions
share it: their code, answer and graded cells are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .loader import repo_root
from .notebook import cells_of

__all__ = [
    "EDITIONS",
    "GradedCell",
    "Task",
    "NotebookManifest",
    "load_manifest",
    "course_total",
    "select_notebooks",
    "answer_sources",
    "is_unanswered",
    "edition_folder",
]

MANIFEST_FILE = Path(__file__).resolve().with_name("release_manifest.json")
#: Edition -> the folder of the repository that holds it.
EDITIONS = {"en": "notebooks", "zh": "notebooks-zh"}
# The line a released code stub raises (autograder/course.py's CODE_STUB, with the task's name):
# an answer cell still holding it is unanswered, whatever else was added around it.
STUB_LINE = ": replace this line with your answer."


@dataclass(frozen=True)
class GradedCell:
    grade_id: str
    points: float


@dataclass(frozen=True)
class Task:
    number: str  # "1.1"
    title: str  # the heading that states it: "Task 1.1: `cross_entropy`"
    answers: tuple[str, ...]  # grade ids of the answer cells its graded cells test
    graded: tuple[GradedCell, ...]
    written: bool  # a written answer graded by the instructor, not by tests

    @property
    def points(self) -> float:
        return sum(cell.points for cell in self.graded)


@dataclass(frozen=True)
class NotebookManifest:
    name: str  # "01_cross_entropy"
    grade_ids: tuple[str, ...]  # every cell with an nbgrader grade id, in release order
    stubs: dict  # answer grade id -> SHA-256 of the cell as released
    tasks: tuple[Task, ...]

    @property
    def points(self) -> float:
        return sum(task.points for task in self.tasks)

    def file(self, folder: Path) -> Path:
        """``folder/NN_topic/NN_topic.ipynb``: where an edition keeps this notebook."""
        return folder / self.name / f"{self.name}.ipynb"


def load_manifest(path: str | Path = MANIFEST_FILE) -> list[NotebookManifest]:
    """The release's notebooks, in course order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    notebooks = []
    for entry in data["notebooks"]:
        tasks = tuple(
            Task(task["number"], task["title"], tuple(task["answers"]),
                 tuple(GradedCell(cell["grade_id"], float(cell["points"])) for cell in task["graded"]), task["written"])
            for task in entry["tasks"]
        )
        stubs = {cell["grade_id"]: cell["stub_sha256"] for cell in entry["cells"] if "stub_sha256" in cell}
        notebooks.append(NotebookManifest(entry["name"], tuple(cell["grade_id"] for cell in entry["cells"]), stubs, tasks))
    return notebooks


def course_total(notebooks: list[NotebookManifest]) -> float:
    return sum(notebook.points for notebook in notebooks)


def select_notebooks(notebooks: list[NotebookManifest], wanted: str | None) -> list[NotebookManifest]:
    """The notebooks ``wanted`` names ("01", "01_cross_entropy", "cross_entropy"; empty: all).

    Raises ValueError naming the notebooks there are.
    """
    if not wanted:
        return list(notebooks)
    chosen = [nb for nb in notebooks if nb.name == wanted or nb.name.split("_", 1)[0] == wanted.zfill(2)
              or nb.name.split("_", 1)[-1] == wanted]
    if not chosen:
        raise ValueError(f"no notebook {wanted!r}; the notebooks are {', '.join(nb.name for nb in notebooks)} "
                         "(NB=01 or NB=01_cross_entropy)")
    return chosen


def edition_folder(edition: str, root: Path | None = None) -> Path:
    """The folder of ``edition`` ("en" or "zh"); raises ValueError for any other."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}: use en (notebooks/) or zh (notebooks-zh/)")
    return (root or repo_root()) / EDITIONS[edition]


def answer_sources(notebook: dict) -> dict[str, str]:
    """Grade id -> source of the answer cells (code and written) of a parsed notebook."""
    return {cell.grade_id: cell.source for cell in cells_of(notebook)
            if cell.grade_id and (cell.role == "answer" or cell.manual)}


def is_unanswered(source: str, stub_sha256: str) -> bool:
    """True while an answer cell is as released, or still raises the released stub's NotImplementedError."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest() == stub_sha256 or STUB_LINE in source
