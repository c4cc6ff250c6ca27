"""Each task's points, written where the task is stated.

The release puts the notebook's total under its title and a points line under
every task heading, computed from the graded cells' nbgrader ``points``, so the
numbers a student reads cannot drift from what the grader awards. A graded cell
belongs to the answer whose name starts its grade id; an answer belongs to the
closest task heading above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lmtrain.notebook import cell_source, nbgrader_meta

from .course import ReleaseError, TranslationError

__all__ = ["TaskPoints", "task_points", "answer_owning", "points_line", "total_line", "add_points_lines"]


# Where a task is stated: the closest heading "## Task 1.1: ...", "## Experiment 2.2: ..." or
# "### Question 2.2 ..." above its answer cell. Translated headings keep the number.
_STATEMENT = re.compile(r"^#{2,3} (?:Task|Experiment|Question) (?P<number>\d+\.\d+)\b")
_POINTS_LINE = {
    "en": {"tests": "**Points: {total}.** Graded cells: {cells}.",
           "written": "**Points: {total}.** Written answer {cells}, graded by your instructor.",
           "cell": "`{id}` {points}", "separator": ", "},
    "zh": {"tests": "**分值：{total} 分。** 评分单元格：{cells}。",
           "written": "**分值：{total} 分。** 书面回答 {cells}，由教师评阅。",
           "cell": "`{id}` {points} 分", "separator": "，"},
}
# The notebook's total, under its title ("# 3. AdamW, ..."): the first thing a student reads.
_TITLE = re.compile(r"^# \S")
_TOTAL_LINE = {
    "en": {"line": "**This notebook: {total} {points}** in {cells} {cell_word}{written}.",
           "points": ("point", "points"), "cell_word": ("graded cell", "graded cells"),
           "written": ", {count} of them {answers} graded by your instructor",
           "answers": ("a written answer", "written answers")},
    "zh": {"line": "**本笔记本：共 {total} {points}**，分布在 {cells} {cell_word}中{written}。",
           "points": ("分", "分"), "cell_word": ("个评分单元格", "个评分单元格"),
           "written": "，其中 {count} 个是由教师评阅的{answers}", "answers": ("书面回答", "书面回答")},
}


@dataclass(frozen=True)
class TaskPoints:
    cell_id: str  # the markdown cell that states the task
    number: str  # "1.1"
    cells: tuple[tuple[str, float], ...]  # (grade_id, points) of its graded cells, in notebook order
    written: bool  # graded by hand (markdown answer cells), not by tests

    @property
    def total(self) -> float:
        return sum(points for _, points in self.cells)


def answer_owning(grade_id: str, answers: list[str]) -> str | None:
    """The answer a graded cell tests: the longest answer id equal to it or prefixing it with ``_``
    (``adamw_memory_totals`` belongs to ``adamw_memory``, not to a shorter ``adamw``)."""
    owners = [a for a in answers if grade_id == a or grade_id.startswith(a + "_")]
    return max(owners, key=len) if owners else None


def task_points(notebook: dict, name: str = "the notebook") -> list[TaskPoints]:
    """Each task statement of a (source or release) notebook with the graded cells it owns.

    A graded cell belongs to the answer cell whose grade_id (the function's name) starts
    its own; an answer belongs to the closest statement heading above it. Raises
    ReleaseError when a graded cell has no answer or an answer has no heading.
    """
    statements: dict[str, tuple[str, str]] = {}  # answer id -> (statement cell id, number)
    current = None
    graded = []
    for cell in notebook["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "markdown" and not meta.get("solution"):
            for line in cell_source(cell).split("\n"):
                match = _STATEMENT.match(line)
                if match:
                    current = (cell["id"], match["number"])
        if meta.get("solution"):
            if current is None:
                raise ReleaseError(
                    f"{name}: answer cell {meta.get('grade_id')} has no task heading above it; state the task "
                    "in a markdown cell headed '## Task N.M: `name`' before the answer cell."
                )
            statements[meta["grade_id"]] = current
        if meta.get("grade"):
            graded.append((meta["grade_id"], float(meta.get("points", 0)), cell["cell_type"] == "markdown"))
    tasks: dict[str, list] = {}
    written: dict[str, bool] = {}
    for grade_id, points, by_hand in graded:
        owner = answer_owning(grade_id, list(statements))
        if owner is None:
            raise ReleaseError(
                f"{name}: graded cell {grade_id} matches no answer cell; its grade_id must start with the "
                f"name of the function it tests ({', '.join(statements)}), e.g. {next(iter(statements), 'name')}_values."
            )
        tasks.setdefault(statements[owner], []).append((grade_id, points))
        written[statements[owner]] = written.get(statements[owner], True) and by_hand
    return [TaskPoints(cell_id, number, tuple(cells), written[(cell_id, number)])
            for (cell_id, number), cells in tasks.items()]


def points_line(task: TaskPoints, language: str) -> str:
    """"**Points: 4.** Graded cells: `cross_entropy_values` 2, ..." in ``language``."""
    words = _POINTS_LINE[language]
    cells = words["separator"].join(words["cell"].format(id=grade_id, points=f"{points:g}") for grade_id, points in task.cells)
    return words["written" if task.written else "tests"].format(total=f"{task.total:g}", cells=cells)


def total_line(tasks: list[TaskPoints], language: str) -> str:
    """"**This notebook: 20 points** in 12 graded cells." in ``language``: the sum of every task's
    points, counting the graded cells that carry points (helper cells carry none)."""
    words = _TOTAL_LINE[language]
    total = sum(task.total for task in tasks)
    cells = sum(1 for task in tasks for _, points in task.cells if points)
    written = sum(1 for task in tasks if task.written for _, points in task.cells if points)
    return words["line"].format(
        total=f"{total:g}", points=words["points"][total != 1], cells=cells, cell_word=words["cell_word"][cells != 1],
        written=words["written"].format(count=written, answers=words["answers"][written != 1]) if written else "")


def add_points_lines(notebook: dict, tasks: list[TaskPoints], language: str, name: str = "the notebook") -> dict:
    """Insert the notebook's total under its title (the first "# " heading; the release header
    above it is a quote) and each task's points line under its heading (found by its number, so
    a translated heading works too); ``tasks`` come from the English notebook."""
    title = next((cell for cell in notebook["cells"]
                  if cell["cell_type"] == "markdown" and _TITLE.match(cell_source(cell))), None)
    if title is None:
        raise TranslationError(f"{name}: no cell starts with the notebook's title ('# N. ...'): the total goes under it.")
    first, _, rest = cell_source(title).partition("\n")
    title["source"] = "\n".join([first, "", total_line(tasks, language), *([rest] if rest else [])])
    by_id = {cell["id"]: cell for cell in notebook["cells"]}
    for task in tasks:
        lines = cell_source(by_id[task.cell_id]).split("\n")
        heading = re.compile(rf"^#{{2,3}} .*?(?<![\d.]){re.escape(task.number)}(?![\d.])")
        at = next((i for i, line in enumerate(lines) if heading.match(line)), None)
        if at is None:
            raise TranslationError(
                f"{name}: cell {task.cell_id} must keep the heading of task {task.number} "
                f"(e.g. '## 任务 {task.number}：...'): the points line goes under it."
            )
        lines[at + 1:at + 1] = ["", points_line(task, language)]
        by_id[task.cell_id]["source"] = "\n".join(lines)
    return notebook
