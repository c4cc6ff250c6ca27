"""Planning a submission, without a sandbox: what runs, in which order, and what is reported."""

from __future__ import annotations

import copy
import json

import pytest

from autograder.plan import SourceNotebook, answer_fingerprint, load_notebook_json, plan_submission, NotebookFormatError
from lmtrain.notebook import graded_sections, nbgrader_meta


def _cell(source, cell_id, **nbgrader):
    cell = {"cell_type": "code", "id": cell_id, "metadata": {}, "source": source, "outputs": [], "execution_count": None}
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "locked": False, **nbgrader}
    return cell


TEST_SOURCE = ("# f: doubles\n### DRIVE\ngot = f(1)\n### CHECK\nassert got == 2\n"
               "### BEGIN HIDDEN TESTS\n### SETUP\nxs = [3, 4]\n### DRIVE\nys = [f(x) for x in xs]\nxs = None\n"
               "### CHECK: doubles other inputs\nassert ys == [2 * x for x in xs]\n### END HIDDEN TESTS\n")
TEST_RELEASED = "# f: doubles\n### DRIVE\ngot = f(1)\n### CHECK\nassert got == 2\n\n"


def _course():
    source = {"cells": [
        _cell("import math", "imports"),
        _cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "f", grade_id="f", solution=True, grade=False),
        _cell(TEST_SOURCE, "f_doubles", grade_id="f_doubles", grade=True, solution=False, points=2),
        _cell("print('a demo after the last test')", "demo"),
    ]}
    release = copy.deepcopy(source)
    release["cells"][1]["source"] = "def f(x):\n    raise NotImplementedError()"
    release["cells"][2]["source"] = TEST_RELEASED
    return SourceNotebook.load("nb", json.dumps(source).encode(), json.dumps(release).encode()), release


def test_a_clean_submission_runs_as_submitted_and_stops_after_the_last_graded_cell():
    source, release = _course()
    plan = plan_submission(source, release)
    assert [(c.kind, c.name) for c in plan.cells] == [("code", "imports"), ("answer", "f"), ("graded", "f_doubles")]
    assert plan.integrity == []
    assert plan.cells[2].test.sections == tuple(graded_sections(TEST_SOURCE))


def test_deleted_edited_and_retagged_test_cells_are_restored_and_reported():
    source, release = _course()
    deleted = copy.deepcopy(release)
    del deleted["cells"][2]
    plan = plan_submission(source, deleted)
    assert [c.name for c in plan.cells] == ["imports", "f", "f_doubles"]
    assert [k for k, _ in plan.integrity] == ["deleted_test_cell"]

    edited = copy.deepcopy(release)
    edited["cells"][2]["source"] = TEST_RELEASED.replace("== 2", "== got")
    nbgrader_meta(edited["cells"][2])["points"] = 99
    plan = plan_submission(source, edited)
    assert {k for k, _ in plan.integrity} == {"edited_test_cell", "retagged_test_cell"}
    assert plan.cells[2].test.sections[1].source.strip() == "assert got == 2"  # the original ran


def test_a_second_copy_of_a_test_cell_is_not_run():
    source, release = _course()
    twice = copy.deepcopy(release)
    twice["cells"].insert(3, copy.deepcopy(twice["cells"][2]))
    plan = plan_submission(source, twice)
    assert [c.name for c in plan.cells].count("f_doubles") == 1
    assert "duplicate_test_cell" in [k for k, _ in plan.integrity]


def test_a_drive_sends_back_only_what_a_check_reads_and_never_a_setup_name():
    source, _ = _course()
    test = source.tests["f_doubles"]
    drives = [i for i, s in enumerate(test.sections) if s.kind == "drive"]
    assert test.exports(drives[0]) == ["got"]
    # `xs` is rebound by the hidden drive, but the check must see the grader's own `xs`
    assert test.exports(drives[1]) == ["ys"]


def test_hidden_lines_are_known_for_redaction_but_public_ones_are_not():
    source, _ = _course()
    assert "assert ys == [2 * x for x in xs]" in source.hidden_lines
    assert "assert got == 2" not in source.hidden_lines


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe", "not UTF-8"), (b"{", "not valid JSON"), (b"[]", "not a Jupyter notebook"),
    (b'{"cells": [1]}', "not JSON objects"),
])
def test_unreadable_submissions_say_why(data, message):
    with pytest.raises(NotebookFormatError, match=message):
        load_notebook_json(data)


def test_fingerprints_ignore_names_and_comments_but_not_logic():
    source, release = _course()
    mine = copy.deepcopy(release)
    mine["cells"][1]["source"] = "def f(value):\n    # doubled\n    return 2 * value\n"
    theirs = copy.deepcopy(release)
    theirs["cells"][1]["source"] = "def f(x):\n    return 2 * x"
    other = copy.deepcopy(release)
    other["cells"][1]["source"] = "def f(x):\n    return x + x"
    assert answer_fingerprint(mine, source) == answer_fingerprint(theirs, source) != answer_fingerprint(other, source)
    assert answer_fingerprint(release, source) is None  # the stub: nothing answered
