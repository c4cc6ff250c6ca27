"""Grading speed: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds a synthetic class (``--students`` students x every released notebook, or with
``--one-each`` one notebook per student, in turn): a mix of correct (the reference answers), wrong
(answers from the test corpus' ``wrong/`` folders), blank (the release) and hostile (patches
torch.allclose, reads ../../solutions, prints a lot, kills its own process) submissions. Grades it
twice in the same run:

* this repository's grader, all safety on (``--jobs`` as given, 2 by default);
* stock nbgrader: a scratch course, ``nbgrader generate_assignment`` then ``nbgrader autograde``
  per assignment, sequential, default settings, on the first ``--stock-students`` students (the
  same mix of kinds: it takes over ten seconds a notebook, so a whole class would take hours).

Prints notebooks per second for both, the ratio (both measured in this one run, side by side, so a
busy machine slows both alike) and the machine's load average while each ran. With ``--profile``
``--without-class-cache`` it grades the class a second time with ``--no-class-cache`` (every
graded cell's student-free setups and references computed per notebook instead of once per class)
and prints the ratio. With ``--profile``
it then grades every notebook alone, correct, wrong and blank, and prints the seconds each takes
and where they go (sandbox start, the sandbox's cells, the grader-side checks, closing). Hostile
cases are kept to ones that stock nbgrader survives (no memory bomb, no endless loop: it has no
memory limit and a long cell timeout).

    python benchmarks/grade_class.py --students 32 --jobs 2 --profile 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import RELEASE_DIR, SOURCE_DIR, assignments  # noqa: E402
from lmtrain.notebook import cell_source, nbgrader_meta  # noqa: E402

HOSTILE = {
    "tamper": "import torch\ntorch.allclose = lambda *a, **k: True\n",
    "snoop": "try:\n    print(open('../../solutions/README').read())\nexcept OSError as exc:\n    print(exc)\n",
    "flood": "for _ in range(300):\n    print('x' * 10_000)\n",
    "exit": "import os\nos._exit(1)\n",
}


def _cells(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _gid(cell):
    return nbgrader_meta(cell).get("grade_id")


def _answers(name: str) -> dict:
    nb = _cells(REPO / SOURCE_DIR / name / f"{name}.ipynb")
    return {_gid(c): cell_source(c) for c in nb["cells"] if nbgrader_meta(c).get("solution")}


def _wrong(function: str, rng: random.Random) -> str | None:
    files = sorted((REPO / "tests" / "corpus" / function / "wrong").glob("*.py"))
    return rng.choice(files).read_text(encoding="utf-8") if files else None


KINDS = ("correct", "wrong", "blank", "hostile")


def submission(name: str, kind: str, index: int, rng: random.Random) -> dict:
    """Notebook ``name`` as a student of ``kind`` hands it in (``index`` picks the hostile attack)."""
    nb = _cells(REPO / RELEASE_DIR / name / f"{name}.ipynb")
    answers = _answers(name)
    if kind == "wrong":
        answers = {gid: (_wrong(gid, rng) or src) for gid, src in answers.items()}
    elif kind == "hostile":
        attack = list(HOSTILE.values())[index % len(HOSTILE)]
        first = next(iter(answers))
        answers[first] = answers[first] + "\n" + attack
    for cell in nb["cells"]:
        if kind != "blank" and _gid(cell) in answers:
            cell["source"] = answers[_gid(cell)]
    return nb


def build_class(target: Path, students: int, names: list[str], seed: int = 0, one_each: bool = False) -> int:
    """Write the class under ``target/submitted``; the number of notebooks handed in."""
    rng = random.Random(seed)
    count = 0
    for index in range(students):
        # one notebook each: every notebook in turn, and each notebook's students of every kind in turn
        kind = KINDS[(index // len(names) if one_each else index) % len(KINDS)]
        for name in [names[index % len(names)]] if one_each else names:
            folder = target / "submitted" / f"s{index:03d}" / name
            folder.mkdir(parents=True, exist_ok=True)
            nb = submission(name, kind, index // len(KINDS), rng)
            (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
            count += 1
    return count


@contextmanager
def load_watch(into: dict):
    """Sample the 1-minute load average every second while the block runs: ``into`` gets the mean and peak."""
    samples, done = [], threading.Event()

    def sample():
        while not done.wait(1.0):
            samples.append(os.getloadavg()[0])

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        samples = samples or [os.getloadavg()[0]]
        into.update(mean=sum(samples) / len(samples), peak=max(samples))


def run_stock(subs: Path, names: list[str], work: Path, students: int) -> tuple[float, int]:
    """nbgrader autograde in a scratch course, as an instructor would run it, on the first ``students``
    students: the seconds it took and the notebooks it graded."""
    course = work / "stock"
    shutil.copytree(REPO / SOURCE_DIR, course / SOURCE_DIR)
    for folder in sorted((subs / "submitted").iterdir())[:students]:
        shutil.copytree(folder, course / "submitted" / folder.name)
    count = sum(1 for _ in (course / "submitted").glob("*/*/*.ipynb"))
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
    return time.monotonic() - started, count


def run_ours(subs: Path, names: list[str], work: Path, jobs: int, *extra: str) -> tuple[float, dict]:
    """``python -m autograder grade`` on the class: the seconds it took, and the seconds each notebook
    took in it (from ``grading.log``, by assignment)."""
    out = work / f"ours-{jobs}{''.join(extra)}"
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--jobs", str(jobs), "--notebooks", ",".join(names), "--no-progress", *extra],
        cwd=REPO, check=True, stdout=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    per_notebook: dict[str, list[float]] = {}
    for line in (out / "grading.log").read_text(encoding="utf-8").splitlines():
        found = GRADED_LINE.search(line)
        if found and found["status"] != "missing":
            per_notebook.setdefault(found["assignment"], []).append(float(found["seconds"]))
    return elapsed, per_notebook


#: grading.log's line for a graded notebook: "<student>/<assignment>: <status> <score>/<max> ... (<seconds> s)"
GRADED_LINE = re.compile(r"\S+/(?P<assignment>\S+): (?P<status>\S+) \S+/\S+ .*\((?P<seconds>\d+\.\d+) s\)$")


def profile_notebooks(names: list[str], reps: int) -> None:
    """Grade each notebook alone, ``reps`` times per kind of student, in this process (isolation on):
    the seconds a notebook takes, notebook by notebook, and where they go (by wrapping the
    pipeline's steps)."""
    from autograder import checker, pipeline, sandbox
    from autograder.classrun import load_course
    from autograder.pipeline import GradeOptions, Placement, grade_one

    parts = ("sandbox start", "sandbox cells", "grader checks", "sandbox close")
    spent = dict.fromkeys(parts, 0.0)

    def timed(key, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - started
        return wrapper

    sandbox.Session.__init__ = timed(parts[0], sandbox.Session.__init__)
    sandbox.Session.request = timed(parts[1], sandbox.Session.request)
    checker.Checker.run = timed(parts[2], checker.Checker.run)
    sandbox.Session.close = timed(parts[3], sandbox.Session.close)
    feedback_runs = [0]
    real_run = pipeline._run

    def counting_run(*args, **kwargs):
        if kwargs.get("include_hidden") is False:
            feedback_runs[0] += 1
        return real_run(*args, **kwargs)

    pipeline._run = counting_run
    course = load_course(REPO, names)
    sandbox.start_fork_server()
    work = Path(tempfile.mkdtemp(prefix="grade-profile-"))
    kinds = ("correct", "wrong", "blank")
    totals = dict.fromkeys(parts, 0.0)
    total_time, graded = 0.0, 0
    print(f"\nseconds a notebook, graded alone (isolation on, mean of {reps}; the class's template built first):")
    print(f"  {'notebook':<24}" + "".join(f"{k:>9}" for k in kinds) + "   feedback runs (wrong)")
    try:
        rng = random.Random(1)
        for name in names:
            grade_one(course, name, "warmup", {name: json.dumps(submission(name, "correct", 0, rng)).encode()},
                      options=GradeOptions(), placement=Placement(workroot=work))  # builds the notebook's template, as a class does once
            row = []
            for kind in kinds:
                spent.update(dict.fromkeys(parts, 0.0))
                feedback_runs[0] = 0
                data = [json.dumps(submission(name, kind, 0, rng)).encode() for _ in range(reps)]
                started = time.perf_counter()
                for rep in range(reps):
                    grade_one(course, name, f"{kind}{rep}", {name: data[rep]}, options=GradeOptions(), placement=Placement(workroot=work))
                elapsed = time.perf_counter() - started
                row.append(elapsed / reps)
                total_time, graded = total_time + elapsed, graded + reps
                for key in parts:
                    totals[key] += spent[key]
            print(f"  {name:<24}" + "".join(f"{t:9.2f}" for t in row) + f"   {feedback_runs[0]} of {reps}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"  mean over the {graded} notebooks: {total_time / graded:.2f} s; where it goes:")
    for key in parts:
        print(f"    {key:<16}{totals[key] / total_time:6.0%}")
    rest = 1 - sum(totals.values()) / total_time
    print(f"    {'the rest':<16}{rest:6.0%}  (planning, scoring, staging files, the feedback page)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=32)
    parser.add_argument("--notebooks", default="", help="comma-separated assignments (default: every released one)")
    parser.add_argument("--one-each", action="store_true", help="each student hands in one notebook, in turn")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for our grader (stock nbgrader is sequential)")
    parser.add_argument("--stock-students", type=int, default=4, metavar="N",
                        help="grade the first N students with stock nbgrader too (0: skip it)")
    parser.add_argument("--without-class-cache", action="store_true",
                        help="grade the class again with --no-class-cache (every section computed per notebook)")
    parser.add_argument("--profile", type=int, default=0, metavar="REPS",
                        help="then grade every notebook alone REPS times per kind of student and say where time goes")
    args = parser.parse_args()
    names = [n for n in args.notebooks.split(",") if n] or [
        a for a in assignments(REPO) if (REPO / RELEASE_DIR / a / f"{a}.ipynb").exists()
    ]
    if args.students < 1 or args.jobs < 1 or args.stock_students < 0 or args.profile < 0:
        parser.error("--students and --jobs must be at least 1, --stock-students and --profile at least 0")
    work = Path(tempfile.mkdtemp(prefix="grade-bench-"))
    try:
        subs = work / "class"
        count = build_class(subs, args.students, names, one_each=args.one_each)
        shape = "one notebook each, in turn" if args.one_each else f"{len(names)} notebooks each"
        print(f"class: {args.students} students, {shape}: {count} notebooks (correct / wrong / blank / hostile in turn); "
              f"{os.cpu_count()} cores")
        load: dict = {}
        with load_watch(load):
            ours, per_notebook = run_ours(subs, names, work, args.jobs)
        print(f"ours (--jobs {args.jobs}, sandboxed):  {count:5d} notebooks {ours:7.1f} s  {count / ours:6.2f} notebooks/s"
              f"   load {load['mean']:.1f} (peak {load['peak']:.1f})")
        print("  seconds a notebook in the class run (mean, max; each beside another job):")
        for name, seconds in sorted(per_notebook.items()):
            print(f"    {name:<24}{sum(seconds) / len(seconds):6.2f} {max(seconds):6.2f}   ({len(seconds)} graded)")
        if args.without_class_cache:
            with load_watch(load):
                again, _ = run_ours(subs, names, work, args.jobs, "--no-class-cache")
            print(f"ours, --no-class-cache:        {count:5d} notebooks {again:7.1f} s  {count / again:6.2f} notebooks/s"
                  f"   load {load['mean']:.1f} (peak {load['peak']:.1f})")
            print(f"class cache: {again / ours:.2f}x (seconds without it over seconds with it)")
        if args.stock_students:
            with load_watch(load):
                stock, stock_count = run_stock(subs, names, work, args.stock_students)
            print(f"stock nbgrader autograde:      {stock_count:5d} notebooks {stock:7.1f} s  "
                  f"{stock_count / stock:6.2f} notebooks/s   load {load['mean']:.1f} (peak {load['peak']:.1f})")
            print(f"speed-up: {(count / ours) / (stock_count / stock):.1f}x (notebooks/s, ours over stock)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.profile:
        profile_notebooks(names, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
