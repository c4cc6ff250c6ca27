"""The student repository: complete, free of anything an instructor keeps, and its README's commands work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT
from autograder.student_repo import StudentRepoError, write_student_repo
from lmtrain.manifest import course_total, load_manifest
from lmtrain.notebook import cell_source

TOP_LEVEL = {".git", ".gitattributes", ".gitignore", "Makefile", "README.md", "pyproject.toml", "environment.yml",
             "notebooks", "notebooks-zh", "src", "data", "lab"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("student") / "workbook"
    write_student_repo(dest)
    return dest


def _files(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts[:1])


def test_file_list(repo):
    assert {p.name for p in repo.iterdir()} == TOP_LEVEL
    files = _files(repo)
    for forbidden in ("solutions/", "tests/", "autograder/", "benchmarks/", "lab/instructor/", ".ci/"):
        assert not any(f.startswith(forbidden) for f in files), forbidden
    assert not any("compute" in Path(f).name for f in files), "the calculator is instructor-only"
    for name in (m.name for m in load_manifest()):
        for edition in ("notebooks", "notebooks-zh"):
            assert f"{edition}/{name}/{name}.ipynb" in files
    for needed in ("src/lmtrain/release_manifest.json", "src/lmtrain/check.py", "src/lmtrain/handin.py",
                   "data/shakespeare/train.txt", "data/shakespeare/SHA256SUMS", "lab/student/nbgrader_config.py"):
        assert needed in files
    assert "compute" not in (repo / "data" / "README.md").read_text(encoding="utf-8")


def test_one_commit_of_everything(repo):
    log = subprocess.run(["git", "log", "--format=%an <%ae>"], cwd=repo, capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 1
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=repo, capture_output=True, text=True, check=True)
    assert status.stdout == ""


# Lines a solution or hidden test shares with the provided package's own code, checked by hand:
# lmtrain.checkpoint hashes files and records the iteration in its own state file, lmtrain.model
# loops over its layers. None of them answers a task.
GENERIC = {
    'with open(path, "rb") as handle:',
    '"iteration": int(iteration),',
    "for layer in self.layers:",
    "self.num_heads = num_heads",
}


def _secret_lines() -> set[str]:
    """Lines inside SOLUTION and HIDDEN TESTS blocks of solutions/, unless the release says them too."""
    secret = set()
    for path in sorted((REPO_ROOT / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            inside = False
            for line in cell_source(cell).splitlines():
                if line.strip() in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside = True
                elif line.strip() in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    inside = False
                elif inside and len(line.strip()) >= 25:
                    secret.add(line.strip())
    released = "\n".join(cell_source(cell) for folder in ("notebooks", "notebooks-zh")
                         for path in sorted((REPO_ROOT / folder).glob("*/*.ipynb"))
                         for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
    return {line for line in secret - GENERIC if line not in released}


def test_no_solution_or_hidden_test_line_anywhere(repo):
    secrets = _secret_lines()
    assert len(secrets) > 100, "the scan found too few secret lines to mean anything"
    texts = {path: (repo / path).read_text(encoding="utf-8", errors="replace") for path in _files(repo)}
    history = subprocess.run(["git", "log", "-p", "--all", "--format=%H %s"], cwd=repo, capture_output=True,
                             text=True, errors="replace", check=True).stdout
    texts["git log -p --all"] = history
    for line in secrets:
        # In a notebook's JSON a line is escaped; look for it either way.
        needles = {line, json.dumps(line)[1:-1], json.dumps(line, ensure_ascii=False)[1:-1]}
        for where, text in texts.items():
            assert not any(needle in text for needle in needles), f"{where} holds the secret line {line!r}"


def test_readme_and_makefile(repo):
    readme = (repo / "README.md").read_text(encoding="utf-8")
    makefile = (repo / "Makefile").read_text(encoding="utf-8")
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make lab", "make check", "make handin"]
    assert "handin.zip" in readme and "EDITION=zh" in readme
    total = course_total(load_manifest())
    assert f"| **course total** | | **{total:g}** |" in readme
    for manifest in load_manifest():
        assert f"| `{manifest.name}` |" in readme and f"| {manifest.points:g} |" in readme
    for text in (readme, makefile):
        assert "PARTS" not in text and "solutions" not in text
    targets = set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", makefile, flags=re.M))
    assert targets == {"lab", "check", "handin", "train", "clean-venv"}


def test_pins_are_the_instructors(repo):
    import tomllib

    ours = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    theirs = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert theirs["dependencies"] == ours
    environment = (repo / "environment.yml").read_text(encoding="utf-8")
    assert all(f"- {dep}\n" in environment for dep in ours)


def test_reference_parts_fail_plainly(repo):
    code = ("from lmtrain.parts import TrainingParts\n"
            "for get in (TrainingParts.from_solutions, TrainingParts.builtin):\n"
            "    try:\n        get()\n    except ImportError as exc:\n        print(exc)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(repo / "src")})
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("the reference answers are in the instructor's copy of the workbook only") == 2


def test_training_with_unfinished_parts_points_at_the_student_s_own_work(repo):
    """The tip must not send a student to `--parts solutions`, which their repository does not have."""
    run = subprocess.run([sys.executable, "-m", "lmtrain.train", "--preset", "ci"], cwd=repo, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(repo / "src")})
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-2].startswith("ERROR ") and "not ready" in lines[-2], run.stderr
    assert lines[-1] == "TIP finish those notebooks (`make check` shows what is left).", run.stderr


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(StudentRepoError, match="not an empty folder"):
        write_student_repo(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    run = subprocess.run([sys.executable, "-m", "autograder", "student-repo", str(tmp_path)], capture_output=True,
                         text=True, cwd=REPO_ROOT)
    assert run.returncode == 1 and "not an empty folder" in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_readme_commands_work_in_a_clone(repo, tmp_path):
    """make check NB=01 and make handin, from a clone, with this Python (PY=, so nothing is installed)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    check = subprocess.run(["make", "check", "NB=01", f"PY={sys.executable}"], cwd=clone, capture_output=True,
                           text=True, timeout=600, env=env)
    assert check.returncode == 0, check.stderr
    assert "01_cross_entropy" in check.stdout and "unanswered" in check.stdout
    assert "Hidden tests run only when your hand-in is graded" in check.stdout
    handin = subprocess.run(["make", "handin", f"PY={sys.executable}"], cwd=clone, capture_output=True, text=True,
                            timeout=300, env=env)
    assert handin.returncode == 0, handin.stderr
    assert (clone / "handin.zip").is_file()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == "", "make check or make handin left files git would commit"
