"""Grading speed: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds a synthetic class (``--students`` students x every released notebook):
a mix of correct (the reference answers), wrong (answers from the test
corpus' ``wrong/`` folders), blank (the release) and hostile (patches
torch.allclose, reads ../../solutions, prints a lot, kills its own process)
submissions. Grades it twice in the same run:

* stock nbgrader: a scratch course, ``nbgrader generate_assignment`` then
  ``nbgrader autograde`` per assignment, sequential, default settings;
* this repository's grader, all safety on (``--jobs`` as given, 1 by default).

Prints notebooks per second for both and the ratio (both measured in this one run, side by
side, so a busy machine slows both alike), then, with ``--profile``, where one notebook's time
goes in our pipeline (sandbox start, the sandbox's cells, the grader-side checks, the second,
visible-only feedback run). Hostile cases are kept
to ones that stock nbgrader survives (no memory bomb, no endless loop: it has
no memory limit and a long cell timeout).

    python benchmarks/grade_class.py --students 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import RELEASE_DIR, SOURCE_DIR, assignments  # noqa: E402

HOSTILE = {
    "tamper": "import torch\ntorch.allclose = lambda *a, **k: True\n",
    "snoop": "try:\n    print(open('../../solutions/README').read())\nexcept OSError as exc:\n    print(exc)\n",
    "flood": "for _ in range(300):\n    print('x' * 10_000)\n",
    "exit": "import os\nos._exit(1)\n",
}


def _cells(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _answers(name: str) -> dict:
    nb = _cells(REPO / SOURCE_DIR / name / f"{name}.ipynb")
    out = {}
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("solution"):
            source = c["source"]
            out[_gid(c)] = "".join(source) if isinstance(source, list) else source
    return out


def _wrong(function: str, rng: random.Random) -> str | None:
    files = sorted((REPO / "tests" / "corpus" / function / "wrong").glob("*.py"))
    return rng.choice(files).read_text(encoding="utf-8") if files else None


def build_class(target: Path, students: int, names: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    kinds = ["correct", "wrong", "blank", "hostile"]
    for index in range(students):
        student = f"s{index:03d}"
        kind = kinds[index % len(kinds)]
        for name in names:
            nb = _cells(REPO / RELEASE_DIR / name / f"{name}.ipynb")
            answers = _answers(name)
            if kind == "wrong":
                answers = {gid: (_wrong(gid, rng) or src) for gid, src in answers.items()}
            elif kind == "hostile":
                attack = list(HOSTILE.values())[(index // len(kinds)) % len(HOSTILE)]
                first = next(iter(answers))
                answers[first] = answers[first] + "\n" + attack
            for cell in nb["cells"]:
                if kind != "blank" and _gid(cell) in answers:
                    cell["source"] = answers[_gid(cell)]
            folder = target / "submitted" / student / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")


def run_stock(subs: Path, names: list[str], work: Path) -> float:
    """nbgrader autograde in a scratch course, as an instructor would run it."""
    course = work / "stock"
    shutil.copytree(REPO / SOURCE_DIR, course / SOURCE_DIR)
    shutil.copytree(subs / "submitted", course / "submitted")
    (course / "nbgrader_config.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from pathlib import Path\n"
        "from autograder.course import course_config\n"
        "c = get_config()\n"
        "c.merge(course_config(Path(__file__).resolve().parent))\n",
        encoding="utf-8",
    )
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    for name in names:  # the gradebook must know the assignment (not timed)
        subprocess.run([*nbgrader, "generate_assignment", name, "--force"], cwd=course, env=env, check=True,
                       capture_output=True)
    started = time.monotonic()
    for name in names:
        result = subprocess.run([*nbgrader, "autograde", name], cwd=course, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"  stock nbgrader autograde {name} exited {result.returncode} (some submissions failed)")
    return time.monotonic() - started


def run_ours(subs: Path, names: list[str], work: Path, jobs: int) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(work / f"ours-{jobs}"),
         "--jobs", str(jobs), "--notebooks", ",".join(names), "--no-progress"],
        cwd=REPO, check=True, stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def profile_pipeline(name: str, reps: int) -> None:
    """Time the parts of grading one notebook in this process, by wrapping the pipeline's steps."""
    from autograder import checker, pipeline, sandbox
    from autograder.classrun import load_course
    from autograder.pipeline import GradeOptions, Placement, grade_one

    spent = {"sandbox start (fork, namespaces, mounts, staging copy)": 0.0, "waiting for the sandbox's cells": 0.0,
             "grader-side setup/check sections (in the checker worker)": 0.0, "closing the sandbox": 0.0}

    def timed(key, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - started
        return wrapper

    keys = list(spent)
    sandbox.Session.__init__ = timed(keys[0], sandbox.Session.__init__)
    sandbox.Session.request = timed(keys[1], sandbox.Session.request)
    checker.Checker.run = timed(keys[2], checker.Checker.run)
    sandbox.Session.close = timed(keys[3], sandbox.Session.close)
    runs = {"feedback": 0}
    real_run = pipeline._run

    def counting_run(*args, **kwargs):
        if kwargs.get("include_hidden") is False:
            runs["feedback"] += 1
        return real_run(*args, **kwargs)

    pipeline._run = counting_run
    course = load_course(REPO, [name])
    sandbox.start_fork_server()
    release = _cells(REPO / RELEASE_DIR / name / f"{name}.ipynb")
    answers = _answers(name)
    for cell in release["cells"]:
        if _gid(cell) in answers:
            cell["source"] = answers[_gid(cell)]
    data = json.dumps(release).encode()
    work = Path(tempfile.mkdtemp(prefix="grade-profile-"))
    try:
        grade_one(course, name, "warmup", {name: data}, options=GradeOptions(), placement=Placement(workroot=work))
        for key in spent:
            spent[key] = 0.0
        started = time.perf_counter()
        for rep in range(reps):
            one = time.perf_counter()
            grade_one(course, name, f"s{rep}", {name: data}, options=GradeOptions(), placement=Placement(workroot=work))
            print(f"  notebook {rep + 1}: {time.perf_counter() - one:.2f} s")
        total = (time.perf_counter() - started) / reps
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"profile of {name} (correct answers, isolation on, mean of {reps}): {total * 1000:.0f} ms a notebook")
    for key, value in spent.items():
        print(f"  {key:<58}{value / reps * 1000:7.0f} ms  {value / reps / total:5.0%}")
    other = total - sum(spent.values()) / reps
    print(f"  {'planning, scoring, staging files (the rest)':<58}{other * 1000:7.0f} ms  {other / total:5.0%}")
    print(f"  feedback (visible-only) runs: {runs['feedback']} of {reps}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--notebooks", default="", help="comma-separated assignments (default: every released one)")
    parser.add_argument("--jobs", type=int, default=1, help="--jobs for our grader (stock nbgrader is sequential)")
    parser.add_argument("--skip-stock", action="store_true", help="time only our grader")
    parser.add_argument("--profile", type=int, default=0, metavar="REPS",
                        help="also time the parts of grading notebook 01 (REPS notebooks) in this process")
    args = parser.parse_args()
    names = [n for n in args.notebooks.split(",") if n] or [
        a for a in assignments(REPO) if (REPO / RELEASE_DIR / a / f"{a}.ipynb").exists()
    ]
    work = Path(tempfile.mkdtemp(prefix="grade-bench-"))
    try:
        subs = work / "class"
        build_class(subs, args.students, names)
        count = args.students * len(names)
        print(f"class: {args.students} students x {len(names)} notebooks = {count} notebooks "
              "(correct / wrong / blank / hostile in turn)")
        ours = run_ours(subs, names, work, args.jobs)
        print(f"ours (--jobs {args.jobs}, sandboxed): {ours:7.1f} s  {count / ours:6.2f} notebooks/s")
        if args.skip_stock:
            return 0
        stock = run_stock(subs, names, work)
        print(f"stock nbgrader autograde:     {stock:7.1f} s  {count / stock:6.2f} notebooks/s")
        print(f"speed-up: {stock / ours:.1f}x")
    finally:
        if args.profile:
            profile_pipeline("01_cross_entropy", args.profile)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
