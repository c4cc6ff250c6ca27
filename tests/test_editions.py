"""The English and the Chinese release are one assignment: only the prose differs.

Every code cell, answer cell and graded cell, with its nbgrader metadata and checksum, is the
same in ``notebooks/`` and ``notebooks-zh/``, so one set of hidden tests grades both and a
student may hand in either. The Chinese edition also executes with the reference answers.
"""

from __future__ import annotations

import atexit
import csv
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.utils import compute_checksum
from nbformat import from_dict

from autograder.course import REPO_ROOT, assignments
from autograder.release import EDITIONS, generate_release, held_work, working_copy_message
from autograder.translations import read_translation, translatable_cells, translate_notebook, translation_path
from lmtrain.notebook import cell_source, nbgrader_meta

ASSIGNMENTS = assignments(REPO_ROOT)
ENGLISH, CHINESE = REPO_ROOT / EDITIONS["en"], REPO_ROOT / EDITIONS["zh"]
FIX = "run `make release` and commit notebooks/ and notebooks-zh/"


@functools.cache
def _fresh_release() -> Path:
    release = generate_release(REPO_ROOT)
    atexit.register(shutil.rmtree, release.parent, True)
    return release.parent


def fix(assignment: str) -> str:
    """What to do when the editions disagree. Built only when a check fails (it regenerates the
    release): a notebook that holds someone's work is named as a working copy, and nothing
    suggested discards it."""
    held = held_work(REPO_ROOT, {e: _fresh_release() / folder for e, folder in EDITIONS.items()}, [assignment])
    return working_copy_message(held) if held else FIX


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _release(folder: Path, assignment: str) -> dict:
    return _load(folder / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_editions_differ_only_in_plain_markdown_cells(assignment):
    english, chinese = _release(ENGLISH, assignment), _release(CHINESE, assignment)
    assert {k: v for k, v in english.items() if k != "cells"} == {k: v for k, v in chinese.items() if k != "cells"}
    assert [c["id"] for c in english["cells"]] == [c["id"] for c in chinese["cells"]], f"{assignment}: cells differ: {fix(assignment)}"
    plain = {c["id"] for c in translatable_cells(english)}
    for en, zh in zip(english["cells"], chinese["cells"]):
        if en["id"] in plain:
            # A translated cell keeps its type and (empty) metadata; only its text changes.
            assert {k: v for k, v in en.items() if k != "source"} == {k: v for k, v in zh.items() if k != "source"}
            assert cell_source(zh) != cell_source(en), f"{assignment}: cell {en['id']} is not translated in notebooks-zh/"
        else:
            assert zh == en, f"{assignment}: {en['cell_type']} cell {en['id']} differs between the editions: {fix(assignment)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_editions_release_the_same_data_files(assignment):
    def files(folder):
        return {p.relative_to(folder): p.read_bytes() for p in (folder / assignment).rglob("*") if p.is_file() and p.suffix != ".ipynb"}
    assert files(ENGLISH) == files(CHINESE)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_chinese_edition_checksums_are_nbgraders(assignment):
    """nbgrader recomputes these when it grades; a translated graded cell would not match."""
    cells = [c for c in _release(CHINESE, assignment)["cells"] if nbgrader_meta(c).get("checksum")]
    assert cells, f"{assignment}: no checksummed cells in the Chinese release"
    for cell in cells:
        # nbgrader checksums the cell as nbformat reads it: the source as one string.
        joined = from_dict({**cell, "source": cell_source(cell)})
        assert compute_checksum(joined) == nbgrader_meta(cell)["checksum"], cell["id"]


def test_code_cells_need_no_cjk_font():
    """Plot labels and titles live in code cells, which both editions share: keeping them free of
    CJK characters means no notebook needs a CJK font to render its plots."""
    offending = [
        f"{a}: cell {c['id']}"
        for a in ASSIGNMENTS
        for c in _load(REPO_ROOT / "solutions" / a / f"{a}.ipynb")["cells"]
        if c["cell_type"] == "code" and any("\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in cell_source(c))
    ]
    assert not offending, f"code cells with CJK text (the English edition shares them, and plots would need a CJK font): {offending}"


# ---------------------------------------------------------------------------
# Grading: the same answers in either edition get the same grades
# ---------------------------------------------------------------------------


def _answered(release: Path, assignment: str, answers: set[str]) -> dict:
    """The released notebook with the reference answers pasted into the named answer cells,
    the way a student types them (the solution markers are gone; the rest stays a stub)."""
    reference = {nbgrader_meta(c)["grade_id"]: cell_source(c)
                 for c in _load(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"]
                 if nbgrader_meta(c).get("solution")}
    notebook = _release(release, assignment)
    for cell in notebook["cells"]:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in answers:
            lines = [line for line in reference[grade_id].split("\n") if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
            cell["source"] = "\n".join(lines)
    return notebook


@pytest.mark.slow
def test_same_answers_get_identical_grades_in_both_editions(tmp_path):
    assignment = "01_cross_entropy"
    # cross_entropy answered, perplexity left as the stub: a partial score shows the two editions
    # agree on more than "everything passed".
    for student, release in (("student-en", ENGLISH), ("student-zh", CHINESE)):
        path = tmp_path / "submissions" / student / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_answered(release, assignment, {"cross_entropy"}), indent=1, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(tmp_path / "submissions"), "--out", str(out),
         "--db-url", "none", "--notebooks", assignment, "--no-progress"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, f"the grader failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"student-en", "student-zh"}, rows
    en, zh = ({k: v for k, v in rows[s].items() if k != "student_id"} for s in ("student-en", "student-zh"))
    assert en == zh, f"the editions grade differently: {en} vs {zh}"
    # The expected score from the metadata: every cross_entropy cell, no perplexity cell.
    points = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
              for c in _release(ENGLISH, assignment)["cells"] if nbgrader_meta(c).get("grade")}
    expected = sum(p for gid, p in points.items() if gid.startswith("cross_entropy_"))
    assert (en["status"], float(en["score"]), float(en["max_score"])) == ("graded", expected, sum(points.values())), en


# ---------------------------------------------------------------------------
# The Chinese edition executes: its source notebooks (English source + translated markdown) under nbval
# ---------------------------------------------------------------------------


def _chinese_sources(target: Path) -> list[Path]:
    """solutions/ with every notebook's markdown translated, under ``target/solutions`` (the
    folder name notebook 08 reads to load the reference answers)."""
    paths = []
    for assignment in ASSIGNMENTS:
        source = REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"
        folder = target / "solutions" / assignment
        shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("*.zh.md", ".ipynb_checkpoints", "__pycache__"))
        translated = translate_notebook(_load(source), read_translation(translation_path(source, "zh")))
        (folder / source.name).write_text(json.dumps(translated, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(folder / source.name)
    return paths


@pytest.mark.slow
def test_chinese_sources_execute_with_the_reference_answers(tmp_path):
    notebooks = _chinese_sources(tmp_path)
    for path in notebooks:  # the translation really is in what runs
        assert any("\u4e00" <= ch <= "\u9fff" for c in translatable_cells(_load(path)) for ch in cell_source(c)), path
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         *map(str, notebooks)],
        cwd=tmp_path, capture_output=True, text=True, timeout=1200,
        env={**os.environ, "LMTRAIN_PRESET": "ci", "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, f"nbval of the Chinese sources failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    # nbval makes one test of every code cell: all of them ran, none was skipped.
    code_cells = sum(c["cell_type"] == "code" for path in notebooks for c in _load(path)["cells"])
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed[1]) == code_cells, f"expected {code_cells} executed cells:\n{run.stdout[-2000:]}"
