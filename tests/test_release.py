"""The student release: in sync with solutions/, leak-free, and graded as nbgrader grades it."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from _support import all_assignments, stock_nbgrader_grades
from autograder.course import REPO_ROOT
from autograder.release import EDITIONS, KERNELSPEC, LANGUAGE_INFO, START_PAGE, generate_release, held_work, work_in, working_copy_message
from lmtrain.notebook import cell_source, nbgrader_meta

ASSIGNMENTS = all_assignments()
FIX = "run `make release` and commit notebooks/"
# Files a lab or Python leaves next to the notebooks (git ignores them); never part of the release.
NOT_RELEASED = {".ipynb_checkpoints", "__pycache__"}


@pytest.fixture(scope="module")
def fresh_release():
    release = generate_release(REPO_ROOT)
    yield release
    shutil.rmtree(release.parent, ignore_errors=True)


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not NOT_RELEASED & set(p.relative_to(folder).parts))


def release_problem(root: Path, fresh_parent: Path, edition: str) -> str | None:
    """Why ``root``'s edition differs from the fresh release in ``fresh_parent``, with what to do;
    None when it is the same. A notebook that holds someone's work is named as a working copy,
    and the message suggests nothing that would discard that work."""
    folder = EDITIONS[edition]
    committed, fresh = root / folder, fresh_parent / folder
    fix = f"run `make release` and commit {folder}/"
    if not committed.is_dir():
        return f"{folder}/ does not exist: {fix}"
    held = held_work(root, {edition: fresh}, ASSIGNMENTS)
    if held:
        return working_copy_message(held)
    extra = sorted(set(_tree(committed)) - set(_tree(fresh)))
    if extra:
        return (f"{folder}/ has files a fresh release does not: {', '.join(extra)}. `make release` never deletes a file: "
                "delete them (git rm) if they are nobody's work, or keep them elsewhere.")
    for relative in _tree(fresh):
        if not (committed / relative).is_file() or not filecmp.cmp(committed / relative, fresh / relative, shallow=False):
            return f"{folder}/{relative} differs from a fresh release of solutions/: {fix}"
    return None


def test_committed_release_equals_a_fresh_regeneration(fresh_release):
    problem = release_problem(REPO_ROOT, fresh_release.parent, "en")
    assert problem is None, problem


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
        for line in cell_source(cell).splitlines():
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
            released_lines.update(line.strip() for line in cell_source(cell).splitlines())
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
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "code" and meta.get("solution"):
            expected = f'raise NotImplementedError("{meta["grade_id"]}: replace this line with your answer.")'
            assert expected in cell_source(cell), f"{assignment}: the stub of {meta['grade_id']} does not name it"


# ---------------------------------------------------------------------------
# The translated editions (notebooks-zh/): regenerated and leak-checked like notebooks/
# ---------------------------------------------------------------------------

TRANSLATED = [edition for edition in sorted(EDITIONS) if edition != "en"]


@pytest.mark.parametrize("edition", TRANSLATED)
def test_committed_translated_release_equals_a_fresh_regeneration(fresh_release, edition):
    problem = release_problem(REPO_ROOT, fresh_release.parent, edition)
    assert problem is None, problem


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
            released_lines.update(line.strip() for line in cell_source(cell).splitlines())
    leaked = sorted(_secret_lines(assignment) & released_lines)
    assert not leaked, f"{EDITIONS[edition]}/{assignment} contains solution or hidden-test lines, e.g. {leaked[:3]}"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_release_holds_no_translation_sources(edition):
    """solutions/NN/NN.zh.md sits next to its notebook; nbgrader would release it as a data file."""
    found = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / EDITIONS[edition]).glob("*/**/*.md")
                   if ".ipynb_checkpoints" not in p.parts)  # the lab's copies of START.md, which it opens
    assert not found, f"the release holds translation sources {found}: run `make release`"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_start_page_lists_the_notebooks_in_order_and_says_how_to_check_and_hand_in(edition):
    """START.md at the top of each edition, the page the student lab opens first."""
    path = REPO_ROOT / EDITIONS[edition] / START_PAGE
    assert path.is_file(), f"{EDITIONS[edition]}/{START_PAGE} is missing: run `make release`"
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"\]\((\d\d_\w+/\d\d_\w+\.ipynb)\)", text)
    assert links == [f"{name}/{name}.ipynb" for name in ASSIGNMENTS], \
        f"{EDITIONS[edition]}/{START_PAGE} must link every notebook once, in order (autograder/start*.md): {links}"
    for phrase in ("make check", "make handin", "handin.zip", "Validate", "passes all the tests"):
        assert phrase in text, f"{EDITIONS[edition]}/{START_PAGE} does not mention {phrase!r}"
    help_text = (REPO_ROOT / "autograder" / "course_help.md").read_text(encoding="utf-8").strip()
    assert help_text in text, "the start page must show autograder/course_help.md, where instructors write where to get help"
    if edition != "en":
        prose = re.sub(r"`[^`]*`|\[[^]]*\]\([^)]*\)|\*\([^)]*\)\*", "", text.replace(help_text, ""))
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in prose)
        assert cjk > 300, f"{EDITIONS[edition]}/{START_PAGE} is not in Chinese ({cjk} CJK characters)"


# ---------------------------------------------------------------------------
# Work no command destroys: answers in the release folders survive every command that says so
# ---------------------------------------------------------------------------

ANSWERED = "01_cross_entropy"
STUB = 'raise NotImplementedError("cross_entropy: replace this line with your answer.")'


def _answer_cross_entropy(release_text: str) -> str:
    """The release notebook with cross_entropy answered (the reference, as a student types it)
    and run once, saved as the lab saves it."""
    reference = next(cell_source(c) for c in json.loads((REPO_ROOT / "solutions" / ANSWERED / f"{ANSWERED}.ipynb").read_text("utf-8"))["cells"]
                     if nbgrader_meta(c).get("grade_id") == "cross_entropy")
    notebook = nbformat.reads(release_text, as_version=nbformat.NO_CONVERT)
    (cell,) = [c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == "cross_entropy"]
    assert STUB in cell.source
    cell.source = "\n".join(line for line in reference.split("\n") if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="my own check: 1.386\n")]
    return nbformat.writes(notebook) + "\n"


def _make(root: Path, *args: str) -> subprocess.CompletedProcess:
    """A make target of the copy, run with this test's Python (no environment is set up)."""
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed-stamp", *args, f"PY={sys.executable}"],
                          cwd=root, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))})


@pytest.mark.slow
def test_answers_survive_every_command_the_release_suggests(tmp_path):
    """A student answered a task in notebooks/ of a copy of the repository (with the lab's
    checkpoint and a file of their own next to it). `make release` refuses and names the notebook
    and the way to force it; the release check says it is a working copy; `make release FORCE=1`
    keeps a copy of the answered notebook first; nothing deletes the checkpoint or the file."""
    if shutil.which("make") is None:
        pytest.skip("make not found (Debian: apt-get install make)")
    root = tmp_path / "repo"
    for part in ("autograder", "src", "solutions", "notebooks", "notebooks-zh"):
        shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    shutil.copy2(REPO_ROOT / "Makefile", root / "Makefile")
    folder = root / "notebooks" / ANSWERED
    release_bytes = (folder / f"{ANSWERED}.ipynb").read_bytes()
    answered = _answer_cross_entropy(release_bytes.decode("utf-8"))
    (folder / f"{ANSWERED}.ipynb").write_text(answered, encoding="utf-8")
    checkpoint = folder / ".ipynb_checkpoints" / f"{ANSWERED}-checkpoint.ipynb"
    checkpoint.parent.mkdir()
    checkpoint.write_text(answered, encoding="utf-8")
    (folder / "scratch.py").write_text("# my notes\n", encoding="utf-8")
    chinese = {p: p.read_bytes() for p in (root / "notebooks-zh").rglob("*") if p.is_file()}

    def kept(where: str) -> None:
        assert (folder / f"{ANSWERED}.ipynb").read_text("utf-8") == answered, f"{where} changed the answered notebook"
        assert checkpoint.read_text("utf-8") == answered and (folder / "scratch.py").is_file(), \
            f"{where} deleted .ipynb_checkpoints/ or the student's own file"

    refused = _make(root, "release")
    assert refused.returncode != 0, f"make release overwrote answers:\n{refused.stdout}{refused.stderr}"
    message = refused.stderr
    assert f"notebooks/{ANSWERED}/{ANSWERED}.ipynb holds answers in cell cross_entropy and outputs in 1 cell" in message, message
    assert "make release FORCE=1" in message and "release-backups/" in message, message
    kept("make release")
    assert not (root / "release-backups").exists()
    assert {p: p.read_bytes() for p in (root / "notebooks-zh").rglob("*") if p.is_file()} == chinese, \
        "a refused release wrote the Chinese edition"

    fresh = generate_release(root)
    try:
        problem = release_problem(root, fresh.parent, "en")
    finally:
        shutil.rmtree(fresh.parent, ignore_errors=True)
    assert problem and "holds answers in cell cross_entropy" in problem and "working copy" in problem, problem
    assert "`make release` and commit" not in problem, f"the release check suggests discarding the answers: {problem}"

    forced = _make(root, "release", "FORCE=1")
    assert forced.returncode == 0, f"make release FORCE=1 failed:\n{forced.stdout}{forced.stderr}"
    (backup,) = (root / "release-backups").glob(f"*/notebooks/{ANSWERED}/{ANSWERED}.ipynb")
    assert backup.read_text("utf-8") == answered
    assert f"release-backups/{backup.relative_to(root / 'release-backups').parts[0]}/" in forced.stdout, forced.stdout
    assert (folder / f"{ANSWERED}.ipynb").read_bytes() == release_bytes, "FORCE=1 did not write the release"
    assert checkpoint.read_text("utf-8") == answered and (folder / "scratch.py").is_file(), \
        "make release FORCE=1 deleted .ipynb_checkpoints/ or the student's own file"

    again = _make(root, "release")
    assert again.returncode == 0 and backup.read_text("utf-8") == answered, f"{again.stdout}{again.stderr}"


def test_work_in_names_answers_outputs_and_cells_of_ones_own():
    release = {"cells": [
        {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "## Task 1.1"},
        {"cell_type": "code", "id": "f", "metadata": {"nbgrader": {"grade_id": "f", "solution": True}},
         "source": ["def f():\n", "    raise NotImplementedError()"], "outputs": [], "execution_count": None},
    ]}
    assert work_in(release, release) == []
    prose = json.loads(json.dumps(release))
    prose["cells"][0]["source"] = "## Task 1.1, reworded by the instructor"
    assert work_in(prose, release) == [], "prose is the instructor's: a new release rewrites it"
    worked = json.loads(json.dumps(release))
    worked["cells"][1].update(source="def f():\n    return 1", execution_count=1,
                              outputs=[{"output_type": "stream", "name": "stdout", "text": "1"}])
    worked["cells"].append({"cell_type": "code", "id": "mine", "metadata": {}, "source": "f()", "outputs": [],
                            "execution_count": None})
    assert work_in(worked, release) == ["answers in cell f", "outputs in 1 cell", "1 cell of its own"]
