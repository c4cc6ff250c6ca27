"""The Gradescope autograder zip, run in a local replica of Gradescope's folders.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once, then run_autograder per
submission with the files in /autograder/submission. Here the same layout lives under tmp_path
(GRADESCOPE_ROOT) and the project's environment stands in for the one setup.sh would build
(AUTOGRADER_PYTHON); setup.sh itself is only checked for syntax, since it installs from the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from _support import honest_submission, submission_with_answer
from autograder.course import REPO_ROOT

NB = "01_cross_entropy"
WRONG_CE = "def cross_entropy(inputs, targets):\n    return torch.zeros(()) + 0.5\n"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope-zip", "--out", str(out)], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def _replica(tmp_path: Path, autograder_zip: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root)
    for name in ("setup.sh", "run_autograder"):
        (root / name).chmod(0o755)  # Gradescope keeps the zip's modes; extractall does not
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, content in files.items():
        (root / "submission" / name).write_bytes(content)
    return root


def _run_autograder(root: Path) -> dict:
    env = dict(os.environ, GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable, AUTOGRADER_MEMORY_GB="2")
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _local(tmp_path: Path, files: dict[str, bytes]) -> dict:
    subs = tmp_path / "local-class" / "submission"
    subs.mkdir(parents=True)
    for name, content in files.items():
        (subs / name).write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs.parent), "--out", str(tmp_path / "out"),
                           "--format", "csv,gradescope", "--db-url", "none", "--no-progress", "--memory", "2"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "out" / "gradescope" / "submission" / "results.json").read_text(encoding="utf-8"))


def test_zip_layout_and_contents(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert f"source/solutions/{NB}/{NB}.ipynb" in names and "source/autograder/__main__.py" in names
    assert "source/pyproject.toml" in names and "source/src/lmtrain/checking.py" in names
    assert not any(n.startswith(("source/.venv", "source/tests/", "source/runs/")) for n in names)
    syntax = subprocess.run(["bash", "-n"], input=archive_text(autograder_zip, "setup.sh"), capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def archive_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode()


@pytest.mark.parametrize("answer", ["wrong", "right"])
def test_run_autograder_equals_a_local_grade(autograder_zip, tmp_path, answer):
    content = honest_submission(NB) if answer == "right" else submission_with_answer("cross_entropy", WRONG_CE)
    files = {f"{NB}.ipynb": content}
    got = _run_autograder(_replica(tmp_path, autograder_zip, files))
    assert got == _local(tmp_path, files)
    assert got["tests"] and all(t["visibility"] for t in got["tests"])
    if answer == "right":
        assert got["score"] == sum(t["max_score"] for t in got["tests"] if t["name"].startswith(NB))
    else:
        assert 0 < got["score"] < sum(t["max_score"] for t in got["tests"] if t["name"].startswith(NB))


def test_a_handed_in_zip_is_graded_as_the_notebooks(autograder_zip, tmp_path):
    """`make handin` gives students a zip; Gradescope keeps an uploaded zip as one file."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{NB}.ipynb", honest_submission(NB))
    got = _run_autograder(_replica(tmp_path, autograder_zip, {"handin.zip": buffer.getvalue()}))
    assert got["score"] == sum(t["max_score"] for t in got["tests"] if t["name"].startswith(NB)) > 0


def test_a_broken_run_still_writes_results(autograder_zip, tmp_path):
    root = _replica(tmp_path, autograder_zip, {})
    shutil.rmtree(root / "submission")  # nothing to stage: the grader fails, the student still sees a result
    env = dict(os.environ, GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    result = json.loads((root / "results" / "results.json").read_text())
    assert result["score"] == 0 and "could not grade" in result["output"]
