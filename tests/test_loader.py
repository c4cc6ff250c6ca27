"""lmtrain.loader: only answer-cell definitions are imported, and unfinished work is named."""

from __future__ import annotations

import json

import pytest

from lmtrain.loader import ANSWER_NOTEBOOKS, MissingAnswerError, load_answers, load_notebook_answers


def _notebook(tmp_path, *cells, name="nb.ipynb"):
    def cell(source, solution=False, grade=False, grade_id="x"):
        meta = {"nbgrader": {"solution": solution, "grade": grade, "grade_id": grade_id}} if solution or grade else {}
        return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}

    path = tmp_path / name
    path.write_text(json.dumps({"cells": [cell(*c) for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_only_top_level_definitions_of_answer_cells_run(tmp_path):
    path = _notebook(
        tmp_path,
        ("raise RuntimeError('a demo cell must never run')",),
        ("import math\nprint('side effect')\nvalue = 1 / 0\ndef f(x):\n    return math.sqrt(x)\n", True, False, "f"),
        ("assert False, 'a test cell must never run'", False, True, "f_test"),
    )
    module = load_notebook_answers(path, ["f"])
    assert module.f(9.0) == 3.0
    assert not hasattr(module, "value")


def test_stub_is_reported_by_name(tmp_path):
    path = _notebook(
        tmp_path,
        ('def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError("Replace this line")\n', True, False, "f"),
        ("class Opt:\n    def step(self):\n        raise NotImplementedError()\n", True, False, "Opt"),
    )
    with pytest.raises(MissingAnswerError, match=r"still raising NotImplementedError: f, Opt"):
        load_notebook_answers(path, ["f", "Opt"])


def test_missing_definition_and_syntax_error_are_clear(tmp_path):
    path = _notebook(tmp_path, ("def g():\n    return 1\n", True, False, "g"))
    with pytest.raises(MissingAnswerError, match=r"not defined: f"):
        load_notebook_answers(path, ["f"])
    broken = _notebook(tmp_path, ("def f(:\n", True, False, "f"), name="broken.ipynb")
    with pytest.raises(MissingAnswerError, match=r"answer cell 'f', line 1: syntax error"):
        load_notebook_answers(broken, ["f"])


def test_corrupt_or_absent_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json")
    with pytest.raises(MissingAnswerError, match="not a readable notebook"):
        load_notebook_answers(bad, ["f"])
    with pytest.raises(MissingAnswerError, match="does not exist"):
        load_notebook_answers(tmp_path / "absent.ipynb", ["f"])


def test_reference_answers_load_from_solutions():
    names = [n for n, nb in ANSWER_NOTEBOOKS.items() if nb == "01_cross_entropy"]
    answers = load_answers(names, "solutions")
    import torch

    assert float(answers.perplexity(torch.zeros(2, 5), torch.tensor([0, 4]))) == pytest.approx(5.0)


def test_student_release_is_reported_unfinished():
    with pytest.raises(MissingAnswerError, match="cross_entropy"):
        load_answers(["cross_entropy"], "notebooks")


def test_answer_cell_constants_are_loaded_but_computations_are_not(tmp_path):
    """A constant an answer reads (EPS = 1e-6) must reach later notebooks; a call at top level must not run."""
    path = _notebook(
        tmp_path,
        ("EPS = 1e-6\nSCALE: float = 2 * EPS\nresult = print('a demo')\n"
         "def f(x):\n    return x + EPS + SCALE\n", True, False, "f"),
    )
    module = load_notebook_answers(path, ["f"])
    assert module.f(0.0) == 3e-6
    assert not hasattr(module, "result")
