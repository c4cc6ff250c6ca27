"""Demo cells (autograder.demo_cells): an unchanged instructor cell tagged ``skip-in-grading`` is left
out of a plan exactly when nothing that runs after it can read what it binds, and leaving it out
changes no grade."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from types import SimpleNamespace

import pytest

from _support import LIMITS, honest_submission, release
from autograder.demo_cells import SKIP_TAG, drop_unused_demo_cells
from autograder.grade import GradeOptions, load_course
from autograder.pipeline import grade_one
from autograder.plan import plan_submission

DEMO = "ys = [f(1), f(2)]\nprint(ys)\n"  # shows what the student's f does, binds ys


def code(name: str, source: str):
    return SimpleNamespace(kind="code", name=name, source=source)


def graded(name: str, *sections: tuple[str, str]):
    test = SimpleNamespace(sections=[SimpleNamespace(kind=kind, source=source) for kind, source in sections])
    return SimpleNamespace(kind="graded", name=name, source="", test=test)


def kept(cells, demos=None, provided="import math\n") -> list[str]:
    return [cell.name for cell in drop_unused_demo_cells(cells, demos or {"demo": DEMO}, provided)]


ANSWER = code("answer", "def f(x):\n    return 2 * x\n")


def test_a_demo_nothing_reads_is_left_out():
    check = graded("f_check", ("setup", "ys = [1, 2]"), ("drive", "got = [f(y) for y in ys]"), ("check", "assert got"))
    assert kept([ANSWER, code("demo", DEMO), check]) == ["answer", "f_check"]


@pytest.mark.parametrize("later", [
    code("mine", "print(ys)"),  # a later cell of the student's reads it
    code("mine", "def g():\n    return ys\n"),  # a function that reads it when called
    graded("f_check", ("drive", "got = f(ys[0])")),  # a drive reads it before binding it
    graded("f_check", ("setup", "if flag:\n    ys = [1]"), ("drive", "got = f(ys[0])")),  # bound only maybe
    code("mine", "print(globals()['ys'])"),  # read by a name the grader cannot see
    code("mine", "import __main__\nprint(__main__.ys)"),
    code("mine", "def broken(:"),  # unreadable: assumed to read anything
])
def test_a_demo_whose_names_may_be_read_later_runs(later):
    assert "demo" in kept([ANSWER, code("demo", DEMO), later])


def test_a_function_defined_before_the_demo_and_called_after_it_keeps_it():
    answer = code("answer", "def f(x):\n    return 2 * x + len(ys)\n")  # reads the demo's ys when called
    check = graded("f_check", ("drive", "got = f(1)"))
    assert kept([answer, code("demo", DEMO), check]) == ["answer", "demo", "f_check"]


def test_an_edited_demo_is_the_students_code_and_runs():
    assert "demo" in kept([ANSWER, code("demo", DEMO + "print('mine')\n")])


def test_demo_cells_that_only_feed_each_other_go_together():
    first = code("first", "def show(v):\n    print(v)\n")
    second = code("second", "show(f(3))\n")
    demos = {"first": first.source, "second": second.source}
    assert kept([ANSWER, first, second], demos) == ["answer"]
    reader = code("mine", "show(4)")  # the student calls the first demo's function: it stays, the second need not
    assert kept([ANSWER, first, second, reader], demos) == ["answer", "first", "mine"]


def test_a_graded_helper_reading_a_name_by_string_keeps_the_demo():
    substitute = graded("f_check", ("drive", "with substitute(globals(), 'ys', [0]):\n    got = f(0)"))
    assert "demo" in kept([ANSWER, code("demo", DEMO), substitute])


# ---------------------------------------------------------------------------
# The course's own demo cells
# ---------------------------------------------------------------------------


def test_the_course_tags_demo_cells_and_the_release_keeps_their_text():
    course = load_course()
    assert sum(len(source.demos) for source in course.values()) >= 10
    for name, source in course.items():
        ids = {cell.get("id"): cell for cell in release(name)["cells"]}
        for cell_id in source.demos:
            assert SKIP_TAG in ids[cell_id]["metadata"].get("tags", []), (name, cell_id)


@pytest.mark.parametrize("name", ["04_lr_schedule", "08_train_lm"])
def test_leaving_demo_cells_out_changes_no_grade(name):
    course = load_course(names=[name])
    source = course[name]
    data = honest_submission(name)
    plan = plan_submission(source, json.loads(data))
    assert set(source.demos) - {cell.name for cell in plan.cells}, "no demo cell was left out"
    with_demos = {name: replace(source, demos={})}
    options = GradeOptions(limits=LIMITS)
    skipped = grade_one(course, name, "ada", {name: data}, options=options)
    full = grade_one(with_demos, name, "ada", {name: data}, options=options)
    assert skipped.score == skipped.max_score
    assert asdict(skipped) == asdict(full)
