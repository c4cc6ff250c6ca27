"""Formgrader shows a graded class, and what an instructor grades there by hand reaches the grades.

Grades a tiny class of notebook 02 (which has a written answer worth a point, graded by hand) with the
grader of a *copy* of the repository (so that nobody's edit of the grader re-grades it between two runs),
``--formgrader`` as ``make grade`` does; then checks
formgrader's view through nbgrader's own API (what its pages call), gives the written answer a
score and a comment through the gradebook the way formgrader's grade and comment handlers do, and
grades again: the point is in grades.csv and the feedback, nothing was run again, and regrade.csv
says what moved and why.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _support import honest_submission
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder.course import REPO_ROOT
from autograder.formgrader import formgrader_notebook
from autograder.grade import load_course
from chromium import Browser, chromium_or_skip
from lab_server import Lab, _stop, _wait_until_up, free_port, lab_environment, make_command
from lmtrain.notebook import nbgrader_meta

NB = "02_sgd"
WRITTEN = "sgd_learning_rates_written"
SHOTS = REPO_ROOT / "runs" / "lab-screenshots"
PAGE_TIMEOUT = 240  # seconds for a page condition; a cold lab on a busy 2-core machine is slow


def _written_answer(text: str) -> bytes:
    nb = json.loads(honest_submission(NB))
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("grade_id") == WRITTEN:
            cell["source"] = text
    return json.dumps(nb).encode("utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("formgrader")
    repo = root / "repo"
    for part in ("autograder", "src", "solutions", "notebooks", "data", "lab"):
        shutil.copytree(REPO_ROOT / part, repo / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(REPO_ROOT / "Makefile", repo / "Makefile")
    (repo / ".venv").symlink_to(REPO_ROOT / ".venv")
    subs = root / "submissions"
    for student, data in {"ada": _written_answer("lr = 100 converges fastest: the factor hits 0 at step 4."),
                          "bo": honest_submission(NB)}.items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{NB}.ipynb").write_bytes(data)
    return {"root": root, "subs": subs, "out": root / "out", "course": repo, "db": f"sqlite:///{repo / 'gradebook.db'}"}


def _grade(course) -> dict:
    """Grade the class with the copy's grader, into the copy's formgrader; {student: grades.csv row}."""
    repo = course["course"]
    env = {**os.environ, "PYTHONPATH": f"{repo}{os.pathsep}{repo / 'src'}", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(course["subs"]), "--out", str(course["out"]),
                           "--notebooks", NB, "--formgrader", "--no-progress", "--no-isolation"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["student_id"]: r for r in _rows(course["out"], "grades.csv")}


def _rows(out: Path, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / name).read_text(encoding="utf-8"))))


def _give_point(course) -> None:
    """The instructor grades ada's written answer in formgrader: its grade and comment handlers do this."""
    with Gradebook(course["db"]) as gb:
        grade = gb.find_grade(WRITTEN, NB, NB, "ada")
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.find_comment(WRITTEN, NB, NB, "ada").manual_comment = "Right: the factor is exactly 0 at step 4."
        gb.db.commit()


def _api(course) -> NbGraderAPI:
    coursedir = CourseDirectory(root=str(course["course"]), db_url=course["db"])
    return NbGraderAPI(coursedir=coursedir)


def test_formgrader_lists_the_graded_class_and_a_hand_grade_reaches_the_grades(course):
    first = _grade(course)
    assert first["ada"]["status"] == first["bo"]["status"] == "graded", first
    auto, most = float(first["ada"]["score"]), float(first["ada"]["max_score"])  # no point given by hand yet

    # what formgrader's pages ask nbgrader's API: the submissions, each scored, the written answer waiting
    api = _api(course)
    assert api.get_submitted_students(NB) == {"ada", "bo"}, "the Manage Assignments page counts these"
    assert api.get_autograded_students(NB) == {"ada", "bo"}
    listed = {s["student"]: s for s in api.get_submissions(NB)}
    assert set(listed) == {"ada", "bo"} and all(s["autograded"] for s in listed.values()), listed
    assert listed["ada"]["score"] == auto and listed["ada"]["needs_manual_grade"], listed["ada"]
    assert listed["ada"]["max_score"] == most + 1
    notebooks = api.get_notebook_submissions(NB, NB)
    assert len(notebooks) == 2, "the Manual Grading page lists a notebook only where autograded/ has its file"
    shown = json.loads((course["course"] / "autograded" / "ada" / NB / f"{NB}.ipynb").read_text(encoding="utf-8"))
    written = [c for c in shown["cells"] if nbgrader_meta(c).get("grade_id") == WRITTEN]
    assert len(written) == 1 and "converges fastest" in written[0]["source"]
    assert all(not c.get("outputs") for c in shown["cells"]), "no student output on formgrader's page"

    assert (first["ada"]["hand_score"], first["ada"]["hand_pending"]) == ("0", "1"), first["ada"]

    _give_point(course)

    grades = _grade(course)
    log = (course["out"] / "grading.log").read_text(encoding="utf-8")
    assert log.count("2 notebooks, 2 already graded with the same input") == 1, "a hand grade runs no notebook again"
    assert float(grades["ada"]["score"]) == auto + 1 and float(grades["ada"]["max_score"]) == most + 1
    assert (grades["ada"]["hand_score"], grades["ada"]["hand_pending"]) == ("1", "0"), grades["ada"]
    assert (grades["bo"]["hand_score"], grades["bo"]["hand_pending"]) == ("0", "1"), grades["bo"]

    page = (course["out"] / "feedback" / "ada" / f"{NB}.html").read_text(encoding="utf-8")
    assert f"{auto + 1:g} / {most + 1:g} (1 / 1 of it graded by hand)" in page
    assert "Right: the factor is exactly 0 at step 4." in page
    index = (course["out"] / "feedback" / "ada" / "index.html").read_text(encoding="utf-8")
    assert "1 / 1 of it graded by hand" in index
    assert "to be graded by hand" in (course["out"] / "feedback" / "bo" / f"{NB}.html").read_text(encoding="utf-8")

    trail = _rows(course["out"], "regrade.csv")
    assert [(r["student_id"], r["test"], r["old_score"], r["new_score"], r["new_status"], r["changed"])
            for r in trail] == [("ada", WRITTEN, "", "1", "graded by hand", "a grade given by hand")], trail

    # formgrader now lists ada as graded, with the point
    listed = {s["student"]: s for s in _api(course).get_submissions(NB)}
    assert listed["ada"]["score"] == auto + 1 and not listed["ada"]["needs_manual_grade"], listed["ada"]

    # a third run changes nothing, and keeps the trail
    _grade(course)
    assert _rows(course["out"], "regrade.csv") == trail


def test_the_shown_notebook_keeps_the_release_roles():
    source = load_course(names=[NB])[NB]
    nb = json.loads(_written_answer("my answer"))
    test_ids = [gid for gid in source.tests]
    # a student who deleted a test cell, copied the written answer and printed some HTML
    nb["cells"] = [c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") != test_ids[0]]
    copy = next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == WRITTEN)
    nb["cells"].append(json.loads(json.dumps(copy)))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "x", "execution_count": 1,
                        "outputs": [{"output_type": "display_data", "data": {"text/html": "<script>1</script>"},
                                     "metadata": {}}]})
    shown = formgrader_notebook(json.dumps(nb).encode(), source)
    ids = [nbgrader_meta(c).get("grade_id") for c in shown["cells"]]
    assert ids.count(WRITTEN) == 1 and ids.count(test_ids[0]) == 1, "one cell per role; the deleted one is back"
    assert all(not c.get("outputs") for c in shown["cells"])
    unreadable = formgrader_notebook(b"not a notebook", source)
    assert "could not be read" in unreadable["cells"][0]["source"]


@contextmanager
def _instructor_lab(course, workdir: Path) -> Iterator[Lab]:
    """`make lab-instructor` in the copy, as tests/lab_server.py starts it in the repository: the copy
    is formgrader's course (lab/instructor's settings name the folder they are in)."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    port, token, log = free_port(), secrets.token_hex(16), workdir / "lab.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(make_command("lab-instructor", workdir / "state", port, token, (), {}),
                                  cwd=course["course"], env=lab_environment(home), stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        assert _wait_until_up(lab, server), f"the lab did not start:\n{lab.log_text()[-4000:]}"
        yield lab
    finally:
        _stop(server)


@pytest.mark.slow
def test_the_instructor_lab_shows_the_graded_class_and_keeps_its_buttons_safe(course, tmp_path):
    _grade(course)
    with _instructor_lab(course, tmp_path) as lab:
        status, page = lab.request("formgrader/manage_assignments", timeout=120)
        assert status == 200
        assert b'id="warning-exchange"' not in page and b'id="warning-course-id"' not in page, \
            "formgrader warns about its exchange or course id"
        assignments = {a["name"]: a for a in lab.json("formgrader/api/assignments", timeout=120)}
        assert assignments[NB]["num_submissions"] == 2, assignments[NB]
        submissions = lab.json(f"formgrader/api/submissions/{NB}")
        assert sorted(s["student"] for s in submissions) == ["ada", "bo"]
        assert all(s["autograded"] for s in submissions), submissions
        notebooks = {n["student"]: n for n in lab.json(f"formgrader/api/submitted_notebooks/{NB}/{NB}")}
        status, page = lab.request(f"formgrader/submissions/{notebooks['ada']['id']}/")
        assert status == 200 and b"converges fastest" in page, "the manual-grading page of ada's notebook"

        # the buttons: Generate is `make release` (an unknown notebook is refused before anything
        # runs), Autograde and the feedback buttons say what to run
        answer = lab.json("formgrader/api/assignment/no_such_notebook/assign", data={})
        assert answer == {"success": False, "error": "no_such_notebook is not a notebook of solutions/."}, answer
        for url in (f"formgrader/api/submission/{NB}/ada/autograde", f"formgrader/api/assignment/{NB}/generate_feedback",
                    f"formgrader/api/assignment/{NB}/ada/release_feedback"):
            answer = lab.json(url, data={})
            assert not answer["success"] and "make grade" in answer["error"], (url, answer)
        assert not list((course["course"] / "autograded").glob("*/*/*.html")), "nbgrader's feedback was written"


@pytest.mark.slow
def test_formgrader_in_chromium(course, tmp_path, capsys):
    """Screenshots of formgrader's list of graded submissions and of a written answer graded by hand."""
    chromium = chromium_or_skip("to see formgrader in a browser")
    _grade(course)
    _give_point(course)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with _instructor_lab(course, tmp_path) as lab, Browser.start(chromium) as browser:
        # formgrader's pages fetch their tables with the login cookie, which a token in a URL of the
        # server's API sets (the token in a formgrader page's URL does not)
        browser.new_page(lab.page("api/contents"), size=(1280, 800)).wait_for(
            "document.cookie !== undefined && document.body.innerText.length > 0", PAGE_TIMEOUT, "a login")
        page = browser.new_page(f"{lab.url}/formgrader/manage_submissions/{NB}", size=(1280, 800))
        rows = page.wait_for("(() => { const rows = [...document.querySelectorAll('#main-table tr')]"
                             ".map((r) => r.innerText); return rows.length === 2 && rows.every((r) => /\\d \\/ \\d/.test(r))"
                             " ? rows : null; })()", PAGE_TIMEOUT, "formgrader listing both graded submissions")
        assert any("ada" in r for r in rows) and any("bo" in r for r in rows), rows
        with capsys.disabled():
            print(f"\nscreenshot: {page.screenshot(SHOTS / 'formgrader_submissions.png')}")

        notebook = {n["student"]: n for n in lab.json(f"formgrader/api/submitted_notebooks/{NB}/{NB}")}["ada"]
        page = browser.new_page(f"{lab.url}/formgrader/submissions/{notebook['id']}/", size=(1280, 800))
        score = page.wait_for(f"(() => {{ const input = document.getElementById('{WRITTEN}');"
                              " return input && input.value !== '' ? input.value : null; })()",
                              PAGE_TIMEOUT, "the written answer's score box, filled in from the gradebook")
        assert float(score) == 1.0, score
        page.evaluate(f"document.getElementById('{WRITTEN}').scrollIntoView({{block: 'center'}})")
        with capsys.disabled():
            print(f"screenshot: {page.screenshot(SHOTS / 'formgrader_manual_grade.png')}")
