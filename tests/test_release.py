"""The student release: in sync with solutions/, leak-free, and graded as nbgrader grades it."""

from __future__ import annotations

import filecmp
import json
import shutil

import nbformat
import pytest

from _support import all_assignments, stock_nbgrader_grades
from autograder.course import REPO_ROOT
from autograder.release import EDITIONS, KERNELSPEC, LANGUAGE_INFO, cell_text, generate_release

ASSIGNMENTS = all_assignments()
FIX = "run `make release` and commit notebooks/"


@pytest.fixture(scope="module")
def fresh_release():
    release = generate_release(REPO_ROOT)
    yield release
    shutil.rmtree(release.parent, ignore_errors=True)


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_committed_release_equals_a_fresh_regeneration(fresh_release):
    committed = REPO_ROOT / "notebooks"
    assert _tree(committed) == _tree(fresh_release), f"notebooks/ has other files than a fresh release: {FIX}"
    for relative in _tree(fresh_release):
        same = filecmp.cmp(committed / relative, fresh_release / relative, shallow=False)
        assert same, f"notebooks/{relative} differs from a fresh release of solutions/: {FIX}"


def test_release_is_deterministic(fresh_release):
    again = generate_release(REPO_ROOT, ASSIGNMENTS[:1])
    try:
        name = ASSIGNMENTS[0]
        assert (again / name / f"{name}.ipynb").read_bytes() == (fresh_release / name / f"{name}.ipynb").read_bytes()
    finally:
        shutil.rmtree(again.parent, ignore_errors=True)


def _secret_lines(assignment):
    """Lines found only inside SOLUTION or HIDDEN TESTS blocks of the source (not elsewhere in it)."""
    notebook = json.loads((REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    secret, public = set(), set()
    for cell in notebook["cells"]:
        inside = False
        for line in cell_text(cell).splitlines():
            if "### BEGIN SOLUTION" in line or "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
                inside = False
            else:
                (secret if inside else public).add(line.strip())
    return {line for line in secret - public if len(line) > 25}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_or_hidden_test(assignment):
    released = "\n".join(p.read_text(errors="replace") for p in (REPO_ROOT / "notebooks" / assignment).rglob("*") if p.is_file())
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released, f"notebooks/{assignment} contains '{marker}'"
    released_lines = set()
    for path in (REPO_ROOT / "notebooks" / assignment).glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            released_lines.update(line.strip() for line in cell_text(cell).splitlines())
    leaked = sorted(_secret_lines(assignment) & released_lines)
    assert not leaked, f"notebooks/{assignment} contains solution or hidden-test lines, e.g. {leaked[:3]}"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_written_as_jupyter_saves_it(assignment, edition):
    """Jupyter's contents manager saves a notebook with nbformat.write: a release notebook read
    and written again that way is byte-identical, so saving it in the lab changes nothing."""
    path = REPO_ROOT / EDITIONS[edition] / assignment / f"{assignment}.ipynb"
    text = path.read_text(encoding="utf-8")
    again = nbformat.writes(nbformat.reads(text, as_version=nbformat.NO_CONVERT), version=nbformat.NO_CONVERT) + "\n"
    assert again == text, (f"{EDITIONS[edition]}/{assignment} is not in the form Jupyter saves: run `make release` "
                           f"and commit {EDITIONS[edition]}/")


def test_release_metadata_is_what_the_kernel_reports():
    """JupyterLab writes the kernel's spec and language_info into a notebook when its kernel starts
    and marks the notebook modified if they differ: the release carries them already."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert KERNELSPEC == {"display_name": spec.display_name, "language": spec.language, "name": "python3"}
    assert LANGUAGE_INFO == {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}, \
        "ipykernel reports another language_info: update LANGUAGE_INFO in autograder/release.py and run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_sources_are_committed_clean(assignment):
    """Source notebooks carry no outputs or execution counts, in the canonical JSON form."""
    path = REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        assert not cell.get("outputs"), f"{path.name}: cell {cell.get('id')} has saved outputs; clear them"
        assert cell.get("execution_count") is None, f"{path.name}: cell {cell.get('id')} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stock_nbgrader_gives_release_zero_and_solution_full_marks(assignment, tmp_path):
    grades = stock_nbgrader_grades(
        assignment,
        {
            "blank": REPO_ROOT / "notebooks" / assignment / f"{assignment}.ipynb",
            "reference": REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb",
        },
        tmp_path,
    )
    blank, reference = grades["blank"], grades["reference"]
    assert blank and set(blank) == set(reference)
    assert all(score == 0 for score, _ in blank.values()), f"the untouched release earns points: {blank}"
    assert all(score == maximum for score, maximum in reference.values()), f"the reference loses points: {reference}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_stub_names_its_task(assignment):
    notebook = json.loads((REPO_ROOT / "notebooks" / assignment / f"{assignment}.ipynb").read_text())
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            expected = f'raise NotImplementedError("{meta["grade_id"]}: replace this line with your answer.")'
            assert expected in cell_text(cell), f"{assignment}: the stub of {meta['grade_id']} does not name it"


# ---------------------------------------------------------------------------
# The translated editions (notebooks-zh/): regenerated and leak-checked like notebooks/
# ---------------------------------------------------------------------------

TRANSLATED = [edition for edition in sorted(EDITIONS) if edition != "en"]


@pytest.mark.parametrize("edition", TRANSLATED)
def test_committed_translated_release_equals_a_fresh_regeneration(fresh_release, edition):
    folder = EDITIONS[edition]
    committed, fresh = REPO_ROOT / folder, fresh_release.parent / folder
    fix = f"run `make release` and commit {folder}/"
    assert committed.is_dir(), f"{folder}/ does not exist: {fix}"
    assert _tree(committed) == _tree(fresh), f"{folder}/ has other files than a fresh release: {fix}"
    for relative in _tree(fresh):
        same = filecmp.cmp(committed / relative, fresh / relative, shallow=False)
        assert same, f"{folder}/{relative} differs from a fresh release of solutions/: {fix}"


@pytest.mark.parametrize("edition", TRANSLATED)
def test_translated_release_is_deterministic(fresh_release, edition):
    again = generate_release(REPO_ROOT, ASSIGNMENTS[:1])
    try:
        relative = f"{ASSIGNMENTS[0]}/{ASSIGNMENTS[0]}.ipynb"
        folder = EDITIONS[edition]
        assert (again.parent / folder / relative).read_bytes() == (fresh_release.parent / folder / relative).read_bytes()
    finally:
        shutil.rmtree(again.parent, ignore_errors=True)


@pytest.mark.parametrize("edition", TRANSLATED)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_translated_release_leaks_no_solution_or_hidden_test(assignment, edition):
    folder = REPO_ROOT / EDITIONS[edition] / assignment
    released = "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released, f"{EDITIONS[edition]}/{assignment} contains '{marker}'"
    released_lines = set()
    for path in folder.glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            released_lines.update(line.strip() for line in cell_text(cell).splitlines())
    leaked = sorted(_secret_lines(assignment) & released_lines)
    assert not leaked, f"{EDITIONS[edition]}/{assignment} contains solution or hidden-test lines, e.g. {leaked[:3]}"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_release_holds_no_translation_sources(edition):
    """solutions/NN/NN.zh.md sits next to its notebook; nbgrader would release it as a data file."""
    found = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / EDITIONS[edition]).rglob("*.md"))
    assert not found, f"the release holds translation sources {found}: run `make release`"
