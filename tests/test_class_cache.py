"""The graded cells' student-free sections, computed once per class by the checker's template.

Three things must hold. What the code reading picks is student-free (a statement that reads a
value of the student's, or a name bound by one that does, is never reused). What running it keeps
changed nothing it must not (an object that existed before, the process's settings, a file) and
did not fail or overrun; whatever broke a rule runs in every worker as before, and the base
namespace is built again if it was touched. And grades are the same with and without it, on
every kind of submission and on the corpus of wrong and correct solutions.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from _support import corpus_entries, grade_with_answer

from autograder.class_cache import Replay, compute, plan_cell, restore_generators
from autograder.sections import section_seed

# ---------------------------------------------------------------------------
# Reading the code
# ---------------------------------------------------------------------------


def _plan(*sections):
    return plan_cell("cell", 7, [(kind, textwrap.dedent(source)) for kind, source in sections])


def test_a_setup_is_reused_whole_and_a_check_up_to_its_first_read_of_the_student():
    plan = _plan(("setup", "x = make(1)\ny = make(2)"),
                 ("drive", "result = f(x)"),
                 ("check", "want = reference(x)\nscale = 2.0\nassert close(result, want)\nafter = want"))
    assert plan.steps == ((0, 2), (2, 2))


def test_what_a_student_dependent_statement_binds_is_the_students_too():
    plan = _plan(("setup", "x = make(1)"),
                 ("drive", "result = f(x)"),
                 ("check", "seen = result + 1"),
                 ("setup", "y = make(2)"),
                 ("check", "z = reference(y)\nw = seen * z"),
                 ("check", "v = seen"))
    # `seen` came from the student's value: the last check reads it first thing, so nothing of it is reused
    assert plan.steps == ((0, 1), (2, 0), (3, 1), (4, 1), (5, 0))


def test_a_name_is_clean_again_once_a_reused_statement_binds_it():
    plan = _plan(("drive", "result = f(1)"), ("check", "inputs = result"), ("setup", "inputs = make(2)"),
                 ("check", "want = reference(inputs)\nassert result == want"))
    assert plan.steps == ((1, 0), (2, 1), (3, 1))


def test_a_binding_in_a_branch_does_not_make_a_name_clean():
    plan = _plan(("drive", "result = f(1)"), ("check", "x = result"), ("check", "if flag:\n    x = 1"),
                 ("check", "y = x"))
    assert plan.steps == ((1, 0), (2, 1), (3, 0))  # the `if` may not bind x: it may still be the student's


def test_a_name_a_statement_binds_before_reading_it_is_the_statements_own():
    # notebook 01's pattern: a setup's loop binds `inputs` and reads it; the checks bind `inputs` again
    plan = _plan(("setup", "cases = []\nfor n in (1, 2):\n    inputs = make(n)\n    cases.append(inputs)"),
                 ("drive", "result = f(cases)"), ("check", "for inputs in cases:\n    assert result"))
    assert plan.steps == ((0, 2), (2, 0))


def test_a_setup_that_reads_the_students_values_ends_the_reuse_of_the_cell():
    plan = _plan(("setup", "x = make(1)"),
                 ("drive", "result = f(x)"),
                 ("check", "assert result"),
                 ("setup", "y = result * 2"),
                 ("check", "z = reference(1)"))
    assert plan.steps == ((0, 1), (2, 0))


def test_a_function_whose_globals_are_bound_again_later_is_not_reused():
    # its globals are the template's namespace, which would hold the later binding of `scale`
    plan = _plan(("setup", "scale = 1.0\ndef scaled(v):\n    return v * scale"),
                 ("drive", "result = f(1)"),
                 ("check", "assert scaled(result) == 1"),
                 ("setup", "scale = 2.0"))
    assert plan.steps == ()
    fine = _plan(("setup", "scale = 1.0\ndef scaled(v):\n    return v * scale"),
                 ("drive", "result = f(1)"),
                 ("check", "assert scaled(result) == 1"))
    assert fine.steps == ((0, 2), (2, 0))


def test_a_functions_parameters_and_locals_are_its_own():
    # `inputs`, `total` and `i` are bound again later in the cell, but inside the function they are its own
    plan = _plan(("setup", "def reference(inputs):\n    total = sum(i for i in inputs)\n    return total"),
                 ("drive", "result = f(1)"),
                 ("check", "inputs = [1]\ntotal = 2\ni = 3\nassert result == reference(inputs)"))
    assert plan.steps == ((0, 1), (2, 3))


def test_a_walrus_in_a_comprehension_binds_outside_it():
    plan = _plan(("drive", "result = f(1)"), ("check", "[seen := r for r in result]"), ("check", "x = seen"))
    assert plan.steps == ((1, 0), (2, 0))


def test_a_function_that_reads_a_students_value_is_defined_in_the_worker():
    plan = _plan(("drive", "result = f(1)"),
                 ("check", "def check():\n    assert result == 1\ncheck()"))
    assert plan.steps == ((1, 0),)


@pytest.mark.parametrize("statement", [
    "torch.save(model, 'ref.pt')", "np.save('x.npy', x)", "folder = tempfile.mkdtemp()",
    "Path('x').write_text('1')", "os.remove('x')", "globals()['x'] = 1", "exec('x = 1')",
    "from math import *", "setattr(box, 'x', 1)",
])
def test_a_statement_with_effects_the_code_does_not_show_is_not_reused(statement):
    plan = _plan(("setup", "x = make(1)"), ("drive", "result = f(x)"), ("check", f"{statement}\ny = 1"))
    assert plan.steps == ((0, 1), (2, 0))


def test_an_augmented_assignment_reads_its_target():
    plan = _plan(("drive", "result = f(1)"), ("check", "seen = result"), ("check", "seen += 1"))
    assert plan.steps == ((1, 0), (2, 0))


def test_generator_expressions_and_lambdas_are_read_as_used_later():
    plan = _plan(("setup", "n = 3\nrows = (i * n for i in range(2))"), ("drive", "result = f(1)"),
                 ("check", "n = 4"))
    assert plan.steps == ()  # the generator reads n when consumed, after the check rebinds it


# ---------------------------------------------------------------------------
# Running it once
# ---------------------------------------------------------------------------

PROVIDED = textwrap.dedent("""
    import torch
    SHARED = []
    def make(n):
        return torch.arange(n, dtype=torch.float32)
""")


def _base():
    namespace = {"__name__": "__checker__"}
    exec(PROVIDED, namespace)
    return namespace, ""


def _compute(*sections, budget=20.0):
    plan = _plan(*sections)
    builds = []

    def build():
        builds.append(1)
        return _base()

    base, error, outcome = compute(build, [plan], budget, lambda grade_id, index: f"<check {grade_id}>")
    assert not error
    return base, outcome, len(builds)


def test_clean_sections_are_kept_with_their_bindings_and_output():
    base, outcome, builds = _compute(("setup", "x = make(3)\nprint('built')"), ("drive", "result = x"),
                                     ("check", "want = x * 2\nassert (result * 2 == want).all()"))
    kept = outcome.cells["cell"]
    assert [r.index for r in kept] == [0, 2] and builds == 1 and outcome.stopped["cell"] == ""
    assert set(kept[0].bindings) == {"x"} and kept[0].stdout == "built\n"
    assert set(kept[1].bindings) == {"want"} and kept[1].rest is not None
    assert "x" not in base  # the base every cell starts from is untouched


def test_the_rest_starts_from_the_generators_where_the_reused_statements_left_them():
    import torch

    _, outcome, _ = _compute(("drive", "result = 1"), ("check", "a = torch.rand(2)\nb = torch.rand(2) + result"))
    reused = outcome.cells["cell"][0]
    torch.manual_seed(section_seed(7, 1))
    torch.rand(2)
    expected = torch.rand(2)
    torch.manual_seed(12345)
    restore_generators(reused.generators)
    assert torch.equal(torch.rand(2), expected)


@pytest.mark.parametrize("setup, reason", [
    ("SHARED.append(1)", "changed an object of type list"),
    ("x = make(2)\nx.add_(1)", ""),  # its own new object: allowed
    ("torch.set_default_dtype(torch.float64)", "process-wide setting (default dtype)"),
    ("import warnings\nwarnings.simplefilter('error')", "process-wide setting (warnings raised as errors)"),
    ("make.cache = {}", "changed an object"),
])
def test_a_section_that_changes_what_existed_before_it_is_run_by_every_worker(setup, reason):
    import warnings

    import torch

    filters = list(warnings.filters)
    base, outcome, builds = _compute(("setup", setup), ("drive", "result = 1"), ("check", "assert result"))
    if not reason:
        assert builds == 1 and [r.index for r in outcome.cells["cell"]] == [0, 2]
        return
    assert outcome.cells["cell"] == [] and reason in outcome.stopped["cell"]
    assert builds == 2 and outcome.rebuilds == 1  # built again without it: what is served is untouched
    assert base["SHARED"] == [] and not hasattr(base["make"], "cache")
    assert torch.get_default_dtype() == torch.float32 and list(warnings.filters) == filters


def test_a_later_section_that_changes_an_earlier_ones_object_ends_the_reuse_there():
    _, outcome, builds = _compute(("setup", "x = make(3)"), ("drive", "result = 1"),
                                  ("check", "x.mul_(2)\nassert result"), ("check", "y = 1"))
    assert [r.index for r in outcome.cells["cell"]] == [0] and "section 2 changed" in outcome.stopped["cell"]
    assert builds == 2


def test_a_section_that_writes_a_file_is_not_reused(tmp_path):
    target = tmp_path / "made.txt"
    _, outcome, _ = _compute(("setup", f"handle = open({str(target)!r}, 'w')\nhandle.close()"),
                             ("drive", "result = 1"), ("check", "assert result"))
    assert outcome.cells["cell"] == [] and "for writing" in outcome.stopped["cell"]


def test_a_section_that_fails_or_overruns_is_left_to_the_workers():
    _, failing, _ = _compute(("setup", "x = 1 / 0"), ("drive", "result = 1"), ("check", "assert result"))
    assert failing.cells["cell"] == [] and "ZeroDivisionError" in failing.stopped["cell"]
    _, slow, _ = _compute(("setup", "while True:\n    pass"), ("drive", "result = 1"), budget=0.2)
    assert slow.cells["cell"] == [] and "ran past" in slow.stopped["cell"]


def test_a_worker_takes_reused_sections_only_in_order():
    cells = {"cell": [type("R", (), {"index": 0, "source": "a"})(), type("R", (), {"index": 2, "source": "b"})()]}
    replay = Replay(cells)
    replay.begin("cell")
    assert replay.take(0, "a") is not None and replay.take(2, "b") is not None
    replay.begin("cell")
    assert replay.take(2, "b") is None  # section 0 was skipped (a run without hidden tests): all live
    replay.begin("cell")
    assert replay.take(0, "changed") is None and replay.take(2, "b") is None
    replay.begin("other")
    assert replay.take(0, "a") is None


def test_what_a_check_does_to_a_reused_object_stays_in_its_own_notebook():
    """Each notebook's worker is a fork of the template: the reused list it changes is its own copy."""
    from autograder import protocol
    from autograder.checker import Checker
    from autograder.sandbox import Limits, start_fork_server

    start_fork_server()
    check = "count = len(box)\nbox.append(result)\nassert count == 1 and box == [0, result], box"
    cells = [["cell", 7, [["setup", "box = [0]"], ["drive", "result = 1"], ["check", check]]]]
    for student in range(3):
        with Checker("import torch\n", [], Limits(notebook_timeout=60, cell_timeout=30), cells=cells) as checker:
            checker.begin_cell("cell")
            assert checker.run("box = [0]", "cell", seed=section_seed(7, 0), cell_seed=7, index=0).error == ""
            checker.add_values({"result": protocol.encode_value(student)}, "cell")
            outcome = checker.run(check, "cell", seed=section_seed(7, 2), cell_seed=7, index=2)
            assert outcome.error == "", outcome.error
            assert checker.reused == {"cell": [2, ""]}  # both sections came from the template


# ---------------------------------------------------------------------------
# The same grades
# ---------------------------------------------------------------------------


def test_the_course_reuses_sections_in_every_notebook():
    """Without this the comparisons below would compare two runs of the same thing."""
    from autograder.checker import Checker
    from autograder.classrun import load_course
    from autograder.pipeline import _computed_once
    from autograder.sandbox import Limits, start_fork_server

    course = load_course(Path(__file__).resolve().parents[1])
    start_fork_server()
    for name, source in course.items():
        with Checker(source.provided, source.helper_sections, Limits(), cells=_computed_once(source, None)) as checker:
            checker.base_names  # starts the worker, which reports what its template reused
            reused = sum(count for count, _ in checker.reused.values())
        assert reused > 0, f"{name}: nothing computed once per class ({checker.reused})"


def _sample():
    """Per function: its first three wrong solutions, its first correct variant."""
    picked, seen = [], {}
    for entry in sorted(corpus_entries(), key=lambda e: (e.function, e.kind, e.path.name)):
        key = (entry.function, entry.kind)
        seen[key] = seen.get(key, 0) + 1
        if (entry.kind == "wrong" and seen[key] <= 3) or (entry.kind == "correct" and seen[key] <= 1):
            picked.append(entry)
    return picked


SAMPLE = _sample()


def _comparable(results):
    # a sandbox's temporary folder has a new name every run
    return [(r.grade_id, r.score, re.sub(r"/tmp/[\w.-]+", "/tmp/…", r.error)) for r in results]


@pytest.mark.parametrize("entry", SAMPLE, ids=[e.test_id for e in SAMPLE])
def test_grades_are_the_same_with_and_without_reuse(entry):
    source = entry.path.read_text(encoding="utf-8")
    reused = grade_with_answer(entry.function, source)
    every_time = grade_with_answer(entry.function, source, class_cache=False)
    assert _comparable(reused) == _comparable(every_time)
