"""Discovery: which file of a student's is graded as which notebook, and what is never opened.

No grading here (fast): ``discover`` reads a submissions folder and says, per student, which file
stands for which assignment and what the student should be told about the rest.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT
from autograder.submissions import discover, matching_assignment, signatures_of

from _support import NB, honest, release, write_notebook

OTHER = "02_sgd"
NAMES = [NB, OTHER]


@pytest.fixture(scope="module")
def signatures():
    return signatures_of({name: release(name) for name in NAMES})


def _age(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def _zip(path: Path, members: dict) -> None:
    """``members``: name -> (notebook, (year, month, day, hour, minute, second))."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (content, date_time) in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time), json.dumps(content))
    path.write_bytes(buffer.getvalue())


def test_signatures_are_the_grade_ids_no_other_notebook_has(signatures):
    assert "cross_entropy" in signatures[NB] and "cross_entropy_values" in signatures[NB]
    assert "SGD" in signatures[OTHER]
    assert not signatures[NB] & signatures[OTHER]
    assert not any(i.startswith("cell-") or i == "release-header" for ids in signatures.values() for i in ids)


@pytest.mark.parametrize("name", [f"{NB}-Copy1.ipynb", f"{NB} (1).ipynb", "Untitled.ipynb", "hw/notebook.ipynb"])
def test_a_notebook_under_another_name_is_matched_by_its_cells(tmp_path, signatures, name):
    write_notebook(tmp_path / "alice" / name, honest())
    sub = discover(tmp_path, NAMES, signatures).submissions["alice"]
    assert list(sub.notebooks) == [NB] and json.loads(sub.notebooks[NB]) == honest()
    assert sub.files[NB] == name
    (note,) = sub.notes[NB]
    assert f"graded {name}" in note and f"{NB}.ipynb" in note
    assert sub.unmatched == []


def test_matching_needs_more_than_half_of_one_notebooks_ids(signatures):
    nb = honest()
    graded_ids = sorted(signatures[NB])
    keep = set(graded_ids[: len(graded_ids) // 2])  # exactly half: not clearly this notebook
    nb["cells"] = [c for c in nb["cells"] if c.get("id") not in set(graded_ids) - keep]
    assert matching_assignment(json.dumps(nb).encode(), signatures)[0] is None
    keep = set(graded_ids[: len(graded_ids) // 2 + 1])
    nb = honest()
    nb["cells"] = [c for c in nb["cells"] if c.get("id") not in set(graded_ids) - keep]
    assert matching_assignment(json.dumps(nb).encode(), signatures) == (NB, "")
    # a notebook holding two notebooks' cells is neither
    both = honest()
    both["cells"] += release(OTHER)["cells"]
    name, why = matching_assignment(json.dumps(both).encode(), signatures)
    assert name is None and NB in why and OTHER in why
    # metadata stripped by another tool: the cell ids alone still say which notebook it is
    bare = honest()
    for cell in bare["cells"]:
        cell["metadata"] = {}
    assert matching_assignment(json.dumps(bare).encode(), signatures) == (NB, "")


def test_of_two_copies_the_newest_is_graded_and_both_are_named(tmp_path, signatures):
    write_notebook(tmp_path / "bob" / f"{NB}.ipynb", release())
    write_notebook(tmp_path / "bob" / f"{NB}-Copy1.ipynb", honest())
    _age(tmp_path / "bob" / f"{NB}.ipynb", 3600)
    sub = discover(tmp_path, NAMES, signatures).submissions["bob"]
    assert json.loads(sub.notebooks[NB]) == honest() and sub.files[NB] == f"{NB}-Copy1.ipynb"
    (note,) = sub.notes[NB]
    assert f"graded {NB}-Copy1.ipynb, the most recently saved" in note and f"not graded: {NB}.ipynb" in note
    # the other way round: the properly named one is newer
    _age(tmp_path / "bob" / f"{NB}-Copy1.ipynb", 7200)
    sub = discover(tmp_path, NAMES, signatures).submissions["bob"]
    assert json.loads(sub.notebooks[NB]) == release() and sub.files[NB] == f"{NB}.ipynb"
    assert f"not graded: {NB}-Copy1.ipynb" in sub.notes[NB][0]


def test_in_a_zip_the_newest_member_date_wins(tmp_path, signatures):
    _zip(tmp_path / "carol.zip", {
        f"hw/{NB}.ipynb": (release(), (2024, 5, 1, 9, 0, 0)),
        "hw/Untitled.ipynb": (honest(), (2024, 5, 2, 9, 0, 0)),
        "hw/Untitled1.ipynb": ({"cells": []}, (2024, 5, 3, 9, 0, 0)),
    })
    found = discover(tmp_path, NAMES, signatures)
    sub = found.submissions["carol"]
    assert json.loads(sub.notebooks[NB]) == honest() and sub.files[NB] == "hw/Untitled.ipynb"
    assert f"not graded: hw/{NB}.ipynb" in sub.notes[NB][0]
    assert sub.unmatched == ["we found hw/Untitled1.ipynb, which is none of the course's notebooks: "
                             "its cells are not those of any notebook of the course"]
    assert any("hw/Untitled1.ipynb: none of the course's notebooks" in w for w in found.warnings)


def test_a_file_that_matches_nothing_is_named_to_the_student(tmp_path, signatures):
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "Untitled.ipynb").write_text("{not json", encoding="utf-8")
    (tmp_path / "dave" / "answers.py").write_text("def cross_entropy(): ...", encoding="utf-8")
    sub = discover(tmp_path, NAMES, signatures).submissions["dave"]
    assert sub.notebooks == {}
    assert sorted(sub.unmatched) == [
        "we found Untitled.ipynb, which is none of the course's notebooks: it is not a readable notebook "
        "(JSONDecodeError)",
        "we found answers.py, which is none of the course's notebooks",
    ]


def test_a_file_named_after_a_notebook_is_that_notebook_whatever_it_holds(tmp_path, signatures):
    """The released name decides (a corrupt 01 is graded as 01 and gets status error), as before."""
    (tmp_path / "erin").mkdir()
    (tmp_path / "erin" / f"{NB}.ipynb").write_text("{broken", encoding="utf-8")
    sub = discover(tmp_path, NAMES, signatures).submissions["erin"]
    assert sub.notebooks == {NB: b"{broken"} and sub.notes == {} and sub.unmatched == []


def _discover_in_a_subprocess(root: Path) -> dict:
    """discover() in a child with a deadline: a blocked open() must fail this test, not hang it."""
    code = ("import json, sys\nfrom autograder.submissions import discover\n"
            f"found = discover({str(root)!r}, {NAMES!r})\n"
            "print(json.dumps({'rejected': found.rejected, 'subs': {s: [sorted(x.notebooks), x.unmatched] "
            "for s, x in found.submissions.items()}}))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")])}
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("discover() blocked on a file of the submissions folder")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_fifos_sockets_and_links_are_never_opened(tmp_path):
    subs = tmp_path / "subs"
    write_notebook(subs / "frank" / f"{NB}.ipynb", honest())
    os.mkfifo(subs / "frank" / f"{OTHER}.ipynb")  # opening this for reading would wait for a writer forever
    (subs / "gina").mkdir()
    os.mkfifo(subs / "gina" / "Untitled.ipynb")
    os.mkfifo(subs / "henry.zip")
    write_notebook(tmp_path / "elsewhere.ipynb", honest())
    (subs / "ida").mkdir()
    (subs / "ida" / f"{NB}.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(subs / "ida" / f"{OTHER}.ipynb"))
    try:
        found = _discover_in_a_subprocess(subs)
    finally:
        server.close()
    rejected = {name: reason for name, reason in found["rejected"]}
    assert rejected[f"frank/{OTHER}.ipynb"] == "a FIFO (named pipe); not opened"
    assert rejected["gina/Untitled.ipynb"] == "a FIFO (named pipe); not opened"
    assert rejected["henry.zip"] == "a FIFO (named pipe); not opened"
    assert rejected[f"ida/{NB}.ipynb"] == "a symbolic link; not opened"
    assert rejected[f"ida/{OTHER}.ipynb"] == "a socket; not opened"
    frank, frank_notes = found["subs"]["frank"]
    assert frank == [NB]  # the rest of the student's work is graded
    assert frank_notes == [f"we skipped {OTHER}.ipynb: a FIFO (named pipe), not a file the grader reads"]
    assert found["subs"]["ida"][0] == []
    assert sorted(found["subs"]["ida"][1]) == [
        f"we skipped {NB}.ipynb: a symbolic link, not a file the grader reads",
        f"we skipped {OTHER}.ipynb: a socket, not a file the grader reads",
    ]
