"""The rules on graded cells' sections: nothing a check compares against is built in a setup, where the student's
code can read it; no hidden input is drawn from a literal seed, which anyone can replay at home."""

from __future__ import annotations

import json
import shutil

import pytest

from _support import all_assignments
from autograder.course import REPO_ROOT, SOURCE_DIR
from autograder.release import ReleaseError, generate_release
from autograder.section_rules import literal_seeds, notebook_leaks, notebook_literal_seeds, setup_leaks
from lmtrain.notebook import cells_of, nbgrader_meta

LEAKY = """# (1 point) f: doubles its input.
### SETUP
x = torch.arange(3.0)
expected = 2 * x
### DRIVE
with graded("f"):
    got = f(x)
### CHECK
check_close(got, expected, what="f(x)")
"""

FIXED = """# (1 point) f: doubles its input.
### SETUP
x = torch.arange(3.0)
### DRIVE
with graded("f"):
    got = f(x)
### CHECK
expected = 2 * x
check_close(got, expected, what="f(x)")
"""


def test_an_expected_value_in_a_setup_is_named_with_its_cell_and_the_fix():
    problems = setup_leaks(LEAKY, "toy_cell")
    assert len(problems) == 1, problems
    assert "toy_cell" in problems[0] and "'expected'" in problems[0] and "compute 'expected' in the ### check" in problems[0].lower()


def test_the_same_value_computed_in_the_check_passes():
    assert setup_leaks(FIXED, "toy_cell") == []


def test_an_input_the_drive_reads_is_no_leak_even_when_a_check_reads_it_too():
    assert setup_leaks(FIXED.replace("check_close(got, expected", "check_close(got, 2 * x"), "toy_cell") == []


def test_a_name_the_check_binds_for_itself_is_not_the_setups():
    cell = FIXED.replace("x = torch.arange(3.0)\n", "x = torch.arange(3.0)\nlr = 0.1\n", 1).replace(
        "expected = 2 * x\n", "for lr in (0.1, 0.2):\n    print(lr)\nexpected = 2 * x\n").replace("f(x)", "f(x + 0 * lr)", 1)
    assert setup_leaks(cell, "toy_cell") == []


def test_a_hidden_setup_calling_reference_code_is_named():
    cell = FIXED + """
### BEGIN HIDDEN TESTS
### SETUP
cases = [(x, reference_double(x)), (x, F.cross_entropy(x[None], torch.tensor([0])))]
### DRIVE
with graded("f"):
    results = [f(case) for case, _ in cases]
### CHECK: more inputs
for (_, want), got in zip(cases, results):
    check_close(got, want, what="f")
### END HIDDEN TESTS
"""
    problems = setup_leaks(cell, "toy_cell")
    assert len(problems) == 2, problems
    assert all("hidden ### SETUP" in p for p in problems)
    assert any("reference_double" in p for p in problems) and any("F.cross_entropy" in p for p in problems)


def test_a_reference_defined_in_a_setup_as_a_stand_in_is_no_leak():
    cell = FIXED.replace("x = torch.arange(3.0)\n", "x = torch.arange(3.0)\n\n\ndef stand_in(t):\n"
                                                     "    return F.cross_entropy(t, t.argmax(-1))\n\n\n", 1)
    assert setup_leaks(cell, "toy_cell") == []


def test_a_setup_name_that_no_drive_reads_is_named_even_when_no_check_reads_it():
    # a later cell or a helper could still read it: a setup binds inputs for its own drives only
    cell = FIXED.replace("x = torch.arange(3.0)\n", "x = torch.arange(3.0)\ndoubled = 2 * x\n", 1)
    problems = setup_leaks(cell, "toy_cell")
    assert len(problems) == 1 and "'doubled'" in problems[0] and "no drive of the cell reads" in problems[0], problems


def test_a_value_passed_from_setup_to_setup_and_on_to_a_check_is_named():
    cell = FIXED.replace("x = torch.arange(3.0)\n", "x = torch.arange(3.0)\nexpected = 2 * x\n", 1) + """
### BEGIN HIDDEN TESTS
### SETUP
laundered = [expected]
### DRIVE
with graded("f"):
    again = f(x)
### CHECK: again
check_close(again, expected, what="f(x)")
### END HIDDEN TESTS
"""
    problems = setup_leaks(cell.replace("expected = 2 * x\ncheck_close", "check_close"), "toy_cell")
    assert any("'expected'" in p and "a check does" in p for p in problems), problems
    assert any("'laundered'" in p for p in problems), problems


def test_steps_of_building_inputs_are_no_leak():
    cell = FIXED.replace("x = torch.arange(3.0)\n", "generator = torch.Generator().manual_seed(1)\n"
                         "cases = []\nfor size, _unused_scale in [(3, 1.0), (4, 2.0)]:\n"
                         "    cases.append(torch.randn(size, generator=generator))\n_ = 0\n"
                         "x = torch.arange(3.0)\n", 1).replace("got = f(x)", "got = f(x)\n    more = [f(c) for c in cases]")
    assert setup_leaks(cell, "toy_cell") == []


def test_a_setup_calling_a_function_an_answer_cell_defines_is_named():
    notebook = {"cells": [
        {"cell_type": "code", "id": "f", "metadata": {"nbgrader": {"grade_id": "f", "solution": True, "grade": False}},
         "source": "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "id": "f_values", "metadata": {"nbgrader": {"grade_id": "f_values", "grade": True, "points": 1,
                                                                        "solution": False}},
         "source": FIXED.replace("x = torch.arange(3.0)\n", "x = torch.arange(3.0)\nx = x + f(x) - f(x)\n", 1),
         "outputs": [], "execution_count": None},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert [c.role for c in cells_of(notebook)] == ["answer", "graded"]
    problems = notebook_leaks(notebook, "toy.ipynb")
    assert len(problems) == 1 and "toy.ipynb: graded cell f_values" in problems[0] and "calls the reference f(...)" in problems[0], problems


def test_what_a_helper_cell_binds_for_the_drives_of_later_cells_is_no_leak():
    helper = "# (0 points) helpers\n### SETUP\nSHAPE = (3,)\n"
    notebook = {"cells": [
        {"cell_type": "code", "id": "h", "metadata": {"nbgrader": {"grade_id": "f_helpers", "grade": True, "points": 0,
                                                                  "solution": False}},
         "source": helper, "outputs": [], "execution_count": None},
        {"cell_type": "code", "id": "v", "metadata": {"nbgrader": {"grade_id": "f_values", "grade": True, "points": 1,
                                                                  "solution": False}},
         "source": FIXED.replace("got = f(x)", "got = f(x + torch.zeros(SHAPE))"), "outputs": [], "execution_count": None},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert notebook_leaks(notebook, "toy.ipynb") == []
    notebook["cells"][1]["source"] = FIXED
    assert any("'SHAPE'" in p for p in notebook_leaks(notebook, "toy.ipynb"))


@pytest.mark.parametrize("assignment", all_assignments())
def test_no_source_notebook_builds_an_expected_value_in_a_setup(assignment):
    path = REPO_ROOT / SOURCE_DIR / assignment / f"{assignment}.ipynb"
    assert notebook_leaks(json.loads(path.read_text(encoding="utf-8")), assignment) == []


def test_the_release_refuses_a_source_with_a_leak_and_names_the_cell(tmp_path):
    name = "02_sgd"
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / SOURCE_DIR / name, root / SOURCE_DIR / name)
    path = root / SOURCE_DIR / name / f"{name}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if nbgrader_meta(c).get("grade_id") == "SGD_update_rule")
    source = cell["source"]
    assert "### CHECK\ncheck_close(after_two_steps, start - 0.5" in source
    cell["source"] = source.replace("### DRIVE\n", "expected = start - 0.5 * (1 + 1 / math.sqrt(2)) * gradient\n### DRIVE\n", 1) \
        .replace("check_close(after_two_steps, start - 0.5 * (1 + 1 / math.sqrt(2)) * gradient,",
                 "check_close(after_two_steps, expected,", 1)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"02_sgd\.ipynb: graded cell SGD_update_rule, ### SETUP at line \d+ binds 'expected'"):
        generate_release(root, [name])


# ---------------------------------------------------------------------------
# Hidden inputs from the cell's seed, never from a literal
# ---------------------------------------------------------------------------

_HIDDEN_SEEDED = FIXED + """
### BEGIN HIDDEN TESTS
### SETUP
{setup}
### DRIVE
with graded("f"):
    more = f(x)
### CHECK: more inputs
{check}
check_close(more, 2 * x, what="f(x)")
### END HIDDEN TESTS
"""


@pytest.mark.parametrize("seeding", [
    "generator = torch.Generator().manual_seed(2024)",
    "torch.manual_seed(52)",
    "rng = np.random.default_rng(61)",
    "np.random.seed(0)",
    "random.seed(3)",
    "draw = random.Random(2024)",
    "rng = numpy.random.RandomState(7)",
    "generator = torch.Generator().manual_seed(100 + 3)",
    "model = make_run(seed=23)",
    "model = trained_run(seed=cell_seed_for(1), batch_seed=25)",
])
def test_a_hidden_section_seeding_from_a_literal_is_named(seeding):
    problems = literal_seeds(_HIDDEN_SEEDED.format(setup=f"{seeding}\nx = x + 0", check=""), "toy_cell")
    assert len(problems) == 1, problems
    assert "toy_cell, hidden ### SETUP" in problems[0] and "seeds from a literal" in problems[0]
    assert "cell_generator(n)" in problems[0]
    in_check = literal_seeds(_HIDDEN_SEEDED.format(setup="x = x + 0", check=seeding), "toy_cell")
    assert len(in_check) == 1 and "hidden ### CHECK" in in_check[0], in_check


@pytest.mark.parametrize("seeding", [
    "generator = cell_generator(2024)",
    "torch.manual_seed(cell_seed_for(52))",
    "rng = cell_rng(61)",
    "draw = random.Random(cell_seed_for(2024))",
    "generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, ())))  # the section's seed",
    "model = make_run(seed=cell_seed_for(23))",
    "for seed in range(3):\n    torch.manual_seed(seed + cell_seed_for(0))",
    "optimizer.seed = 3\nsettings.seed(4)",  # not a generator
])
def test_a_hidden_section_seeding_from_the_cell_seed_passes(seeding):
    assert literal_seeds(_HIDDEN_SEEDED.format(setup=f"{seeding}\nx = x + 0", check=seeding), "toy_cell") == []


def test_a_visible_section_may_seed_from_a_literal():
    # the student reads visible inputs anyway
    cell = FIXED.replace("x = torch.arange(3.0)\n", "x = torch.randn(3, generator=torch.Generator().manual_seed(1))\n")
    assert literal_seeds(cell, "toy_cell") == []


@pytest.mark.parametrize("assignment", all_assignments())
def test_no_source_notebook_seeds_a_hidden_input_from_a_literal(assignment):
    path = REPO_ROOT / SOURCE_DIR / assignment / f"{assignment}.ipynb"
    assert notebook_literal_seeds(json.loads(path.read_text(encoding="utf-8")), assignment) == []


def test_the_release_refuses_a_hidden_literal_seed_and_names_the_cell(tmp_path):
    name = "02_sgd"
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / SOURCE_DIR / name, root / SOURCE_DIR / name)
    path = root / SOURCE_DIR / name / f"{name}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if nbgrader_meta(c).get("grade_id") == "SGD_in_place")
    assert cell["source"].count("generator = cell_generator(8)") == 1
    cell["source"] = cell["source"].replace("generator = cell_generator(8)", "generator = torch.Generator().manual_seed(8)")
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"02_sgd\.ipynb: graded cell SGD_in_place, hidden ### SETUP at line \d+ "
                                           r"seeds from a literal: torch\.Generator\(\)\.manual_seed\(8\)"):
        generate_release(root, [name])
