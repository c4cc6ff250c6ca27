"""Grading speed: stock ``nbgrader autograde`` against ``python -m autograder grade``.

Builds a synthetic class (``--students`` students x every released notebook):
a mix of correct (the reference answers), wrong (answers from the test
corpus' ``wrong/`` folders), blank (the release) and hostile (patches
torch.allclose, reads ../../solutions, prints a lot, kills its own process)
submissions. Grades it twice in the same run:

* stock nbgrader: a scratch course, ``nbgrader generate_assignment`` then
  ``nbgrader autograde`` per assignment, sequential, default settings;
* this repository's grader, all safety on (``--jobs`` as given, 1 by default).

Prints notebooks per second for both and the ratio. Hostile cases are kept
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--notebooks", default="", help="comma-separated assignments (default: every released one)")
    parser.add_argument("--jobs", type=int, default=1, help="--jobs for our grader (stock nbgrader is sequential)")
    parser.add_argument("--skip-stock", action="store_true", help="time only our grader")
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
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
