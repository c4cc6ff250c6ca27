"""Feedback a student can act on, for a class handed in the way students hand in.

One small class: a notebook under another name, two copies of one notebook, a file that is none of
the course's notebooks, a FIFO named like a notebook, a blank notebook, a wrong answer. It checks
grades.csv, the summary, grading.log and every student's pages: which file was graded and why,
each test with what it checks, expected/got once, "not handed in" and "handed in unanswered"
apart from "graded", and an index page with the student's total.
"""

from __future__ import annotations

import html
import os
import re
import signal
import stat
import time
from pathlib import Path

import pytest

from autograder.grade import GradeOptions, RunOptions, grade_class
from autograder.outputs import feedback_index_html, cell_description
from autograder.scoring import NotebookResult

from _support import LIMITS, NAIVE_CE, NB, WRONG_CE, honest, read_grades, release, write_notebook

pytestmark = pytest.mark.xdist_group("autograder")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's namespaces, chroot and uid switch need root")


def _age(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback")
    subs = root / "subs"
    write_notebook(subs / "renamed" / f"{NB}-Copy1.ipynb", honest())
    write_notebook(subs / "twice" / f"{NB}.ipynb", release())
    write_notebook(subs / "twice" / f"{NB} (1).ipynb", honest(cross_entropy=NAIVE_CE))
    _age(subs / "twice" / f"{NB}.ipynb", 3600)
    write_notebook(subs / "untitled" / "Untitled.ipynb", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write_notebook(subs / "untitled" / "<b>bold</b>.ipynb", {"cells": []})
    (subs / "piped").mkdir(parents=True)
    os.mkfifo(subs / "piped" / f"{NB}.ipynb")
    write_notebook(subs / "piped" / "Untitled1.ipynb", honest())
    write_notebook(subs / "blank" / f"{NB}.ipynb", release())
    write_notebook(subs / "wrong" / f"{NB}.ipynb", honest(cross_entropy=WRONG_CE))
    return subs


@pytest.fixture(scope="module")
def graded(handed_in, tmp_path_factory):
    out = tmp_path_factory.mktemp("feedback-out")

    def blocked(signum, frame):
        raise TimeoutError("grading blocked (a FIFO opened for reading?)")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(900)  # the guard: a discovery that blocks fails the test instead of hanging it
    try:
        import contextlib
        import io

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            grade_class(handed_in, out, options=GradeOptions(limits=LIMITS), run=RunOptions(jobs=2, names=[NB], progress=False))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return {"out": out, "printed": printed.getvalue()}


def _page(graded, student: str, name: str = NB) -> str:
    return (graded["out"] / "feedback" / student / f"{name}.html").read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page as a reader sees it."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    return html.unescape(re.sub(r" ([.,:;])", r"\1", text))


@needs_root
def test_grades_follow_the_files_students_handed_in(graded):
    got = {s: (float(r["score"]), r["status"]) for (s, _), r in read_grades(graded["out"]).items()}
    assert got == {"renamed": (5, "graded"), "twice": (4, "graded"), "untitled": (0, "missing"),
                   "piped": (5, "graded"), "blank": (0, "graded"), "wrong": (1, "graded")}


@needs_root
def test_the_student_is_told_which_file_was_graded(graded):
    renamed = _text(_page(graded, "renamed"))
    assert f"File graded: {NB}-Copy1.ipynb" in renamed
    assert f"graded {NB}-Copy1.ipynb, whose cells are those of {NB}.ipynb (hand it in under that name)" in renamed
    twice = _text(_page(graded, "twice"))
    assert (f"2 notebooks for {NB}: graded {NB} (1).ipynb, the most recently saved; not graded: {NB}.ipynb"
            in twice)
    piped = _text(_page(graded, "piped"))
    assert "File graded: Untitled1.ipynb" in piped
    index = _text((graded["out"] / "feedback" / "piped" / "index.html").read_text(encoding="utf-8"))
    assert f"we skipped {NB}.ipynb: a FIFO (named pipe), not a file the grader reads" in index
    log = (graded["out"] / "grading.log").read_text(encoding="utf-8")
    assert f"renamed/{NB}: graded {NB}-Copy1.ipynb" in log
    assert f"REJECTED piped/{NB}.ipynb: a FIFO (named pipe); not opened" in log


@needs_root
def test_a_file_that_is_no_notebook_of_the_course_is_named(graded):
    untitled = _page(graded, "untitled")
    text = _text(untitled)
    assert "Status: not handed in" in text
    assert "we found Untitled.ipynb, which is none of the course's notebooks" in text
    assert "&lt;b&gt;bold&lt;/b&gt;.ipynb" in untitled and "<b>bold</b>" not in untitled  # a file name is text
    assert "untitled: we found Untitled.ipynb, which is none of the course's notebooks" in graded["printed"]
    assert "not run" not in text, "a notebook never handed in lists its tests as not handed in, not as not run"


@needs_root
def test_unanswered_is_not_graded_zero(graded):
    blank = _text(_page(graded, "blank"))
    assert "Status: handed in unanswered: every answer cell is still as released, so nothing of yours was graded." in blank
    wrong = _text(_page(graded, "wrong"))
    assert "Status: graded." in wrong


@needs_root
def test_each_test_says_what_it_checks_and_expected_got_once(graded):
    wrong = _page(graded, "wrong")
    assert "values against F.cross_entropy for 0 to 3 batch dimensions and any layout of both arguments; both left unchanged." in wrong
    assert "(2 points)" not in wrong
    message = next(line for line in wrong.splitlines() if "uniform logits over 4 tokens" in line)
    assert message.count("expected") == 1 and message.count("got") == 1, message
    assert "expected 1.38629, got 0.5 (max difference 0.886)." in message


@needs_root
def test_index_page_totals_and_links(graded):
    out = graded["out"]
    for student in ("renamed", "twice", "untitled", "piped", "blank", "wrong"):
        index = out / "feedback" / student / "index.html"
        assert stat.S_IMODE(index.stat().st_mode) == 0o600
        assert f'href="{NB}.html"' in index.read_text(encoding="utf-8")
        assert 'href="index.html"' in _page(graded, student)
    twice = _text((out / "feedback" / "twice" / "index.html").read_text(encoding="utf-8"))
    assert f"{NB} 4 / 5 graded" in twice and "total 4 / 5" in twice
    untitled = _text((out / "feedback" / "untitled" / "index.html").read_text(encoding="utf-8"))
    assert f"{NB} 0 / 5 not handed in" in untitled


def _result(notebook: str, score: float, max_score: float, status: str = "graded", **fields) -> NotebookResult:
    return NotebookResult("ann", notebook, score, max_score, status, **fields)


def test_the_index_adds_every_notebook():
    page = feedback_index_html("ann", [
        _result("01_cross_entropy", 4, 5),
        _result("02_sgd", 0, 7, manual=[["sgd_experiment", 2.0]]),
        _result("03_adamw", 0, 20, "missing"),
        _result("04_lr_schedule", 0, 7, unanswered=True),
    ])
    text = _text(page)
    assert "total 4 / 39 (and 2 points to be graded by hand)" in text
    assert "03_adamw 0 / 20 not handed in" in text and "04_lr_schedule 0 / 7 handed in unanswered" in text


def test_a_description_is_the_first_lines_without_the_points():
    assert cell_description("# f: checks a thing. (2 points)\n### DRIVE\nx = 1\n") == "f: checks a thing."
    assert cell_description("# f: a long check that goes on\n# to a second line (1 point).\nx = 1") == \
        "f: a long check that goes on to a second line"
    assert cell_description("# f: helpers (0 points: nothing to answer here)\n") == "f: helpers"
    assert cell_description("# (2 points) f: checks 0 .. n; and another.\n# More words. x\n") == \
        "f: checks 0 .. n; and another."
    assert cell_description("x = 1\n") == ""
