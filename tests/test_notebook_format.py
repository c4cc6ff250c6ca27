"""The notebook format: one marker rule, sections of graded cells, and the release agreeing with it."""

from __future__ import annotations

import json

import pytest
from nbgrader.preprocessors import ClearHiddenTests

from autograder.course import REPO_ROOT, assignments
from lmtrain.notebook import (
    NotebookFormatError,
    bound_names,
    cells_of,
    graded_sections,
    looks_like_marker,
    marker_of,
    split_hidden,
    split_sections,
)

SOURCES = sorted((REPO_ROOT / "solutions").glob("*/*.ipynb"))


def _cells(path):
    return cells_of(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("line, expected", [
    ("### BEGIN HIDDEN TESTS", ("begin_hidden", "")),
    ("   ### END HIDDEN TESTS  ", ("end_hidden", "")),
    ("### DRIVE", ("drive", "")),
    ("### CHECK: values for 4-D batches", ("check", "values for 4-D batches")),
    ("### SETUP", ("setup", "")),
    ("### BEGIN SOLUTION", ("begin_solution", "")),
])
def test_canonical_markers_are_recognised(line, expected):
    assert marker_of(line) == expected


@pytest.mark.parametrize("line", [
    "## BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TEST", "### begin hidden tests", "## DRIVE",
    "### CHECK:", "### CHECKS", "x = 1  ### DRIVE", "### DRIVE extra",
])
def test_near_misses_are_not_markers_but_look_like_one(line):
    assert marker_of(line) is None
    assert looks_like_marker(line)


def test_split_hidden_and_sections_keep_order_kind_and_descriptions():
    cell = (
        "# first line says what it checks\n### DRIVE\ngot = f(1)\n### CHECK\nassert got == 2\n"
        "### BEGIN HIDDEN TESTS\n### SETUP\nxs = [1, 2]\n### DRIVE\nys = [f(x) for x in xs]\n"
        "### CHECK: doubles every input\nassert ys == [2, 4]\n### END HIDDEN TESTS\n"
    )
    assert [hidden for hidden, _ in split_hidden(cell)] == [False, True]
    sections = graded_sections(cell)
    assert [(s.kind, s.hidden) for s in sections] == [
        ("drive", False), ("check", False), ("setup", True), ("drive", True), ("check", True)]
    # a hidden setup or drive takes the description of the check it serves
    assert [s.description for s in sections if s.hidden] == ["doubles every input"] * 3
    # line numbers inside a section are those of its segment, so tracebacks point at the right line
    drive = sections[0]
    assert drive.source.splitlines()[drive.first_line - 1] == "got = f(1)"


def test_code_before_the_first_marker_is_refused():
    with pytest.raises(NotebookFormatError, match="before the first"):
        split_sections("x = 1\n### DRIVE\ny = f(x)\n")


def test_an_unmarked_segment_is_one_legacy_drive():
    (section,) = split_sections("assert f(1) == 2\n")
    assert section.kind == "drive" and not section.marked


def test_bound_names_are_module_level_only():
    source = (
        "a = 1\nb, (c, *d) = 2, (3, 4, 5)\nfor e in range(2):\n    f = e\nwith open('x') as g:\n    pass\n"
        "def h():\n    inner = 1\nimport numpy as np\nsquares = [k * k for k in range(3)]\n"
        "if (w := 3):\n    z = 1\n"
    )
    assert bound_names(source) == ["a", "b", "c", "d", "e", "f", "g", "h", "np", "squares", "w", "z"]
    assert "h" not in bound_names(source, values_only=True) and "np" not in bound_names(source, values_only=True)


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_every_marker_line_in_the_sources_is_canonical(path):
    """nbgrader hides any line *containing* BEGIN HIDDEN TESTS; the grader matches whole lines. Both
    agree only when every marker is written exactly one way."""
    bad = []
    for cell in _cells(path):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.splitlines(), 1):
            if looks_like_marker(line) and marker_of(line) is None:
                bad.append(f"{cell.key} line {number}: {line.strip()!r}")
    assert not bad, "non-canonical marker lines (write them exactly as in lmtrain/notebook.py):\n" + "\n".join(bad)


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_nbgrader_and_the_grader_hide_the_same_lines(path):
    clear = ClearHiddenTests()
    for cell in _cells(path):
        if cell.role != "graded":
            continue
        from nbformat import v4

        node = v4.new_code_cell(cell.source)
        clear._remove_hidden_test_region(node)
        ours = "".join(text for hidden, text in split_hidden(cell.source) if not hidden)
        assert node.source.split() == ours.split(), f"{path.parent.name}/{cell.key}: visible parts differ"


@pytest.mark.parametrize("name", assignments(REPO_ROOT))
def test_graded_cells_are_in_sections_and_hidden_checks_are_described(name):
    path = REPO_ROOT / "solutions" / name / f"{name}.ipynb"
    problems = []
    for cell in _cells(path):
        if cell.role != "graded":
            continue
        sections = graded_sections(cell.source)
        if any(not s.marked for s in sections):
            problems.append(f"{cell.key}: a part without ### SETUP / ### DRIVE / ### CHECK markers")
        if cell.points > 0 and not any(s.kind == "check" for s in sections):
            problems.append(f"{cell.key}: no ### CHECK section, so nothing decides its points in the grader")
        for s in sections:
            if s.hidden and s.kind == "check" and not s.description:
                problems.append(f"{cell.key}: a hidden ### CHECK without a public description")
    assert not problems, "\n".join(problems)
