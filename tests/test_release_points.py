"""The points a student reads equal the graded cells' metadata, which is what the grader awards.

The release writes each task's points under the task's heading and the notebook's total under its
title. It finds where a task is stated (the closest "## Task N.M" heading above its answer cell)
and which graded cells are the task's (their grade_id starts with the function's name). These
tests recompute both from the source notebooks in a simpler way and compare. Each graded cell's
first line starts with its own points, typed by hand: they are checked against the metadata too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT, assignments
from autograder.release import EDITIONS, ReleaseError, TranslationError
from autograder.task_points import add_points_lines, points_line, task_points, total_line
from lmtrain.notebook import cell_source, nbgrader_meta

ASSIGNMENTS = assignments(REPO_ROOT)
LINE = {
    "en": re.compile(r"^\*\*Points: (?P<total>[\d.]+)\.\*\* (?:Graded cells: (?P<cells>.+)\.|Written answer (?P<written>.+), graded by your instructor\.)$"),
    "zh": re.compile(r"^\*\*分值：(?P<total>[\d.]+) 分。\*\* (?:评分单元格：(?P<cells>.+)。|书面回答 (?P<written>.+)，由教师评阅。)$"),
}
ITEM = {"en": re.compile(r"`(\w+)` ([\d.]+)"), "zh": re.compile(r"`(\w+)` ([\d.]+) 分")}
TOTAL = {
    "en": re.compile(r"^\*\*This notebook: (?P<total>[\d.]+) points?\*\* in (?P<cells>\d+) graded cells?"
                     r"(?:, (?P<written>\d+) of them (?:a )?written answers? graded by your instructor)?\.$"),
    "zh": re.compile(r"^\*\*本笔记本：共 (?P<total>[\d.]+) 分\*\*，分布在 (?P<cells>\d+) 个评分单元格中"
                     r"(?:，其中 (?P<written>\d+) 个是由教师评阅的书面回答)?。$"),
}
# "# (2 points) cross_entropy: values ..."; a helper cell "# (0 points: helpers, nothing to answer) ...".
FIRST_LINE = re.compile(r"^# \((?P<points>\d+(?:\.\d+)?) points?(?P<helper>: helpers, nothing to answer)?\) \S")
EDITION_IDS = sorted(EDITIONS)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _metadata_points(assignment: str) -> dict[str, float]:
    cells = _load(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"]
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in cells if nbgrader_meta(c).get("grade")}


def _points_lines(notebook: dict, language: str) -> list[tuple[str, int, float, dict[str, float]]]:
    """(cell id, line index, total, {grade_id: points}) of every points line."""
    found = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for index, line in enumerate(cell_source(cell).split("\n")):
            match = LINE[language].match(line)
            if match:
                items = {gid: float(p) for gid, p in ITEM[language].findall(match["cells"] or match["written"])}
                found.append((cell["id"], index, float(match["total"]), items))
    return found


@pytest.mark.parametrize("edition", EDITION_IDS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_lines_match_the_graded_cells_metadata(assignment, edition):
    notebook = _load(REPO_ROOT / EDITIONS[edition] / assignment / f"{assignment}.ipynb")
    lines = _points_lines(notebook, edition)
    metadata = _metadata_points(assignment)
    listed = [gid for *_, items in lines for gid in items]
    assert sorted(listed) == sorted(metadata), f"{EDITIONS[edition]}/{assignment}: points lines list {listed}, graded cells are {sorted(metadata)}"
    for cell_id, _, total, items in lines:
        assert items == {gid: metadata[gid] for gid in items}, f"{assignment}, cell {cell_id}: {items} vs the metadata"
        assert total == sum(items.values()), f"{assignment}, cell {cell_id}: total {total} is not the sum of {items}"
    assert sum(total for _, _, total, _ in lines) == sum(metadata.values())


@pytest.mark.parametrize("edition", EDITION_IDS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_total_sits_under_the_notebooks_title(assignment, edition):
    notebook = _load(REPO_ROOT / EDITIONS[edition] / assignment / f"{assignment}.ipynb")
    title = next(c for c in notebook["cells"] if c["cell_type"] == "markdown" and cell_source(c).startswith("# "))
    lines = cell_source(title).split("\n")
    match = TOTAL[edition].match(lines[2])
    assert lines[1] == "" and match, f"{EDITIONS[edition]}/{assignment}: no total under the title: {lines[:3]}"
    cells = [c for c in _load(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"]
             if nbgrader_meta(c).get("grade")]
    points = [float(nbgrader_meta(c)["points"]) for c in cells]
    written = sum(1 for c, p in zip(cells, points) if p and c["cell_type"] == "markdown")
    assert float(match["total"]) == sum(points), f"{assignment}: the total says {match['total']}, the metadata {sum(points)}"
    assert int(match["cells"]) == sum(1 for p in points if p), f"{assignment}: {match['cells']} graded cells?"
    assert int(match["written"] or 0) == written, f"{assignment}: {match['written']} written answers, the metadata {written}"


def _task_headings(assignment: str) -> list[tuple[str, str, str]]:
    """(cell id, number, function) of every '## Task N.M: `function`' heading of the source."""
    found = []
    for cell in _load(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"]:
        if cell["cell_type"] == "markdown":
            found += [(cell["id"], m[1], m[2]) for m in re.finditer(r"^## Task (\d+\.\d+): `(\w+)`$", cell_source(cell), re.M)]
    return found


@pytest.mark.parametrize("edition", EDITION_IDS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_line_sits_under_the_heading_naming_the_function(assignment, edition):
    notebook = _load(REPO_ROOT / EDITIONS[edition] / assignment / f"{assignment}.ipynb")
    by_id = {c["id"]: cell_source(c).split("\n") for c in notebook["cells"]}
    metadata = _metadata_points(assignment)
    answers = {nbgrader_meta(c)["grade_id"] for c in notebook["cells"] if nbgrader_meta(c).get("solution")}
    headings = _task_headings(assignment)
    assert headings, f"{assignment} has no '## Task N.M: `name`' heading"
    for cell_id, number, function in headings:
        assert function in answers, f"{assignment}: task {number} names `{function}`, which has no answer cell"
        lines = by_id[cell_id]
        at = next(i for i, line in enumerate(lines) if line.startswith("## ") and number in line)
        assert lines[at + 1] == "" and LINE[edition].match(lines[at + 2]), f"{assignment}: no points line under task {number}: {lines[at:at + 3]}"
        longer = [a for a in answers if a != function and a.startswith(function + "_")]
        mine = {gid for gid in metadata if (gid == function or gid.startswith(function + "_"))
                and not any(gid == a or gid.startswith(a + "_") for a in longer)}
        items = {gid for gid, _ in ITEM[edition].findall(lines[at + 2])}
        assert items == mine, f"{assignment}, task {number} `{function}`: lists {sorted(items)}, its graded cells are {sorted(mine)}"


# ---------------------------------------------------------------------------
# How a task is found, on small hand-made notebooks
# ---------------------------------------------------------------------------


def _cell(cell_id, kind, source, **nbgrader):
    return {"cell_type": kind, "id": cell_id, "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": source}


def _answer(grade_id, kind="code"):
    return _cell(grade_id, kind, "...", grade_id=grade_id, solution=True, grade=kind == "markdown", points=1 if kind == "markdown" else 0)


def _graded(grade_id, points):
    return _cell(grade_id, "code", "assert True", grade_id=grade_id, grade=True, points=points)


def _nb(*cells):
    return {"cells": list(cells)}


def _titled(*cells):
    return _nb(_cell("title", "markdown", "# 9. Title"), *cells)


def test_one_heading_can_state_several_functions():
    notebook = _titled(_cell("t", "markdown", "## Task 3.4: FLOPs\n\nText."), _answer("forward_flops"), _answer("adamw_step_flops"),
                       _graded("forward_flops_counter", 2), _graded("adamw_step_flops_per_parameter", 1))
    (task,) = task_points(notebook)
    assert (task.cell_id, task.number, task.total) == ("t", "3.4", 3)
    assert task.cells == (("forward_flops_counter", 2), ("adamw_step_flops_per_parameter", 1))
    add_points_lines(notebook, [task], "en")
    assert notebook["cells"][1]["source"] == (
        "## Task 3.4: FLOPs\n\n**Points: 3.** Graded cells: `forward_flops_counter` 2, `adamw_step_flops_per_parameter` 1.\n\nText.")


def test_the_longest_function_name_owns_a_graded_cell():
    notebook = _nb(_cell("a", "markdown", "## Task 1.1: `adamw`"), _answer("adamw"), _graded("adamw_values", 1),
                   _cell("b", "markdown", "## Task 1.2: `adamw_memory`"), _answer("adamw_memory"), _graded("adamw_memory_totals", 2))
    assert [(t.cell_id, t.cells) for t in task_points(notebook)] == [("a", (("adamw_values", 1),)), ("b", (("adamw_memory_totals", 2),))]


def test_a_graded_cell_without_its_function_is_refused():
    notebook = _nb(_cell("a", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("g_values", 1))
    with pytest.raises(ReleaseError, match=r"graded cell g_values matches no answer cell.*must start with the name"):
        task_points(notebook, "nb.ipynb")


def test_an_answer_without_a_task_heading_is_refused():
    with pytest.raises(ReleaseError, match=r"answer cell f has no task heading.*## Task N.M"):
        task_points(_nb(_cell("a", "markdown", "Prose only."), _answer("f"), _graded("f_values", 1)), "nb.ipynb")


def test_written_answers_and_fractional_points():
    notebook = _nb(_cell("q", "markdown", "### Question 2.2 (written)\n\nExplain."), _answer("q_written", "markdown"))
    (task,) = task_points(notebook)
    assert task.written and points_line(task, "en") == "**Points: 1.** Written answer `q_written` 1, graded by your instructor."
    half = _nb(_cell("t", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("f_a", 0.5), _graded("f_b", 1))
    assert points_line(task_points(half)[0], "zh") == "**分值：1.5 分。** 评分单元格：`f_a` 0.5 分，`f_b` 1 分。"


def test_a_translated_heading_is_found_by_its_number():
    english = _nb(_cell("t", "markdown", "# 1. Title\n\n## Task 1.1: `f`\n\nWrite f."), _answer("f"), _graded("f_values", 2))
    tasks = task_points(english)
    chinese = _nb(_cell("t", "markdown", "# 1. 标题\n\n## 任务 1.1：`f`\n\n编写 f。"), _answer("f"), _graded("f_values", 2))
    add_points_lines(chinese, tasks, "zh")
    assert chinese["cells"][0]["source"] == ("# 1. 标题\n\n**本笔记本：共 2 分**，分布在 1 个评分单元格中。\n\n"
                                             "## 任务 1.1：`f`\n\n**分值：2 分。** 评分单元格：`f_values` 2 分。\n\n编写 f。")
    lost = _titled(_cell("t", "markdown", "## 任务：`f`"), _answer("f"), _graded("f_values", 2))
    with pytest.raises(TranslationError, match="must keep the heading of task 1.1"):
        add_points_lines(lost, tasks, "zh", "nb.zh.md")


def test_the_total_counts_points_cells_and_written_answers():
    tests = _titled(_cell("t", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("f_helpers", 0), _graded("f_a", 0.5),
                    _graded("f_b", 1))
    assert total_line(task_points(tests), "en") == "**This notebook: 1.5 points** in 2 graded cells."
    assert total_line(task_points(tests), "zh") == "**本笔记本：共 1.5 分**，分布在 2 个评分单元格中。"
    one = _titled(_cell("t", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("f_a", 1))
    assert total_line(task_points(one), "en") == "**This notebook: 1 point** in 1 graded cell."
    mixed = _titled(_cell("t", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("f_a", 2),
                    _cell("q", "markdown", "### Question 1.2 (written)"), _answer("q_written", "markdown"))
    assert total_line(task_points(mixed), "en") == (
        "**This notebook: 3 points** in 2 graded cells, 1 of them a written answer graded by your instructor.")
    assert total_line(task_points(mixed), "zh") == "**本笔记本：共 3 分**，分布在 2 个评分单元格中，其中 1 个是由教师评阅的书面回答。"
    untitled = _nb(_cell("t", "markdown", "## Task 1.1: `f`"), _answer("f"), _graded("f_a", 1))
    with pytest.raises(TranslationError, match="no cell starts with the notebook's title"):
        add_points_lines(untitled, task_points(untitled), "en", "nb.md")


@pytest.mark.parametrize("folder", ["solutions", *EDITIONS.values()])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_starts_with_its_points(assignment, folder):
    """The points open a graded cell's first line ("# (2 points) cross_entropy: ..."), where a lab
    1280 px wide shows them (at the end of a long line they were cut off). They are typed by hand,
    so they must agree with the metadata the grader awards. Written answers are the student's
    text: their points are in the line under the question."""
    path = REPO_ROOT / folder / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        pytest.skip(f"{folder}/ is not generated yet (make release writes it)")
    wrong = []
    for cell in _load(path)["cells"]:
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or meta.get("solution"):
            continue
        first = cell_source(cell).split("\n")[0]
        said = FIRST_LINE.match(first)
        points = float(meta["points"])
        if not said or float(said["points"]) != points or bool(said["helper"]) != (points == 0):
            want = "(0 points: helpers, nothing to answer)" if points == 0 else f"({points:g} point{'s' * (points != 1)})"
            wrong.append(f"{meta['grade_id']} ({points:g} points in its metadata) starts {first[:60]!r}, not '# {want} ...'")
    assert not wrong, f"{folder}/{assignment}: fix the first line or the points metadata:\n  " + "\n  ".join(wrong)
