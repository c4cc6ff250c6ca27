"""Every corpus solution through the graded cells of its notebook, hidden tests included.

``tests/corpus/<function>/wrong/*.py`` must lose points on that function's
tests, ``correct/*.py`` (correct but written differently) must earn full
marks on the whole notebook, and ``forbidden/*.py`` (calls the built-in the
task replaces) must earn nothing on that function's tests.
"""

from __future__ import annotations

import pytest

from _support import corpus_entries, grade_with_answer, graded_cells_for

ENTRIES = corpus_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.test_id for e in ENTRIES])
def test_corpus_solution_is_graded_as_labelled(entry):
    assert entry.reason, f"{entry.path} needs a docstring whose first line says why it is {entry.kind}"
    results = grade_with_answer(entry.function, entry.path.read_text(encoding="utf-8"))
    mine = graded_cells_for(entry.function, results)
    assert mine, f"no graded cell tests {entry.function} (grade ids must start with '{entry.function}_')"
    earned = sum(r.score for r in mine)
    possible = sum(r.max_score for r in mine)
    report = "; ".join(f"{r.grade_id}={r.score:g}/{r.max_score:g} {r.error[:160]}" for r in results)
    if entry.kind == "wrong":
        assert earned < possible, f"wrong solution earned full marks ({entry.reason}): {report}"
    elif entry.kind == "correct":
        total = sum(r.score for r in results)
        assert total == sum(r.max_score for r in results), f"correct solution lost points ({entry.reason}): {report}"
    else:
        assert earned == 0, f"forbidden solution earned points ({entry.reason}): {report}"


def test_every_function_has_a_full_corpus():
    """At least 8 wrong, 4 correct and (where a built-in exists) 1 forbidden per function."""
    from lmtrain.checking import FORBIDDEN_BUILTINS

    counts: dict[str, dict[str, int]] = {}
    for entry in ENTRIES:
        counts.setdefault(entry.function, {"wrong": 0, "correct": 0, "forbidden": 0})[entry.kind] += 1
    assert counts, "the corpus is empty"
    for function, count in counts.items():
        assert count["wrong"] >= 8, f"{function}: only {count['wrong']} wrong solutions"
        assert count["correct"] >= 4, f"{function}: only {count['correct']} correct variants"
        if function in FORBIDDEN_BUILTINS:
            assert count["forbidden"] >= 1, f"{function}: no forbidden (built-in) solution"
