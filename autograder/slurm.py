"""Grade a class on a Slurm cluster: a job array of shards, then a merge job that never waits forever.

``python -m autograder slurm SUBMISSIONS --out OUT --shards N`` writes two batch scripts into
``OUT/slurm/`` and submits them:

* ``grade.sbatch``, an array of N tasks; task I runs ``python -m autograder grade --shard I/N`` into
  ``OUT/shards/shard-I/`` and then records its exit status in ``OUT/shards/shard-I.exit``;
* ``merge.sbatch``, submitted with ``--dependency=afterany`` on the array, so it starts whatever the
  shards did (``afterok`` would leave it pending forever, "DependencyNeverSatisfied", once one shard
  fails). It runs :func:`merge_shards`, which merges every shard that finished, names every one that
  did not (failed, killed, over its time limit: no ``.exit`` file) with its log, and exits 1 if any
  is missing, so the merge job's own state tells the instructor too.

Slurm does not enforce ``--mem`` without its cgroup plugin, so the memory a notebook may hold is the
grader's own ``--memory`` (the sandbox's cgroup, inside each job); ``--mem`` is only a request that
schedules enough room for ``--jobs`` notebooks at once.
"""

from __future__ import annotations

import csv
import io
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .classrun import merge_outputs
from .course import REPO_ROOT

__all__ = ["ShardOutcome", "SlurmError", "write_scripts", "submit", "merge_shards", "shard_outcomes"]

SHARDS_DIR = "shards"
SCRIPTS_DIR = "slurm"


class SlurmError(RuntimeError):
    """sbatch is missing or refused a job; the message carries what Slurm said and what to do."""


@dataclass(frozen=True)
class ShardOutcome:
    index: int
    exit_code: int | None  # None: the task never recorded one (killed, cancelled, timed out, never ran)
    log: Path

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        if self.ok:
            return f"shard {self.index}: done"
        if self.exit_code is None:
            return (f"shard {self.index}: did not finish (killed, cancelled or over its time limit); "
                    f"its students are not in the merged grades. See {self.log}")
        return f"shard {self.index}: failed with exit status {self.exit_code}; its students are not in the merged grades. See {self.log}"


def _shard_dir(out: Path, index: int) -> Path:
    return out / SHARDS_DIR / f"shard-{index}"


def write_scripts(submissions: Path, out: Path, shards: int, grade_args: list[str], *, jobs: int = 1,
                  memory_gb: float = 4.0, formats: tuple[str, ...] = ("csv",), db_url: str | None = None,
                  names: list[str] | None = None, course_root: Path = REPO_ROOT, python: str = sys.executable) -> tuple[Path, Path]:
    """Write ``OUT/slurm/grade.sbatch`` and ``merge.sbatch``; returns their paths.

    ``grade_args`` are passed to every shard's ``grade`` command as they are (limits, --force, ...).
    Paths are absolute, so the jobs run the same from any working folder Slurm gives them.
    """
    scripts = out / SCRIPTS_DIR
    scripts.mkdir(parents=True, exist_ok=True)
    (out / SHARDS_DIR).mkdir(exist_ok=True)
    q = shlex.quote
    fmt = ",".join(formats)
    # Room for `jobs` notebooks at their memory limit plus the grader's own process.
    mem_mb = int((memory_gb * jobs + 2) * 1024)
    grade = scripts / "grade.sbatch"
    grade.write_text(f"""#!/bin/bash
#SBATCH --job-name=grade
#SBATCH --array=0-{shards - 1}
#SBATCH --cpus-per-task={jobs}
#SBATCH --mem={mem_mb}M
#SBATCH --output={q(str(scripts))}/grade-%a.out
# One shard of the class; written by `python -m autograder slurm`.
cd {q(str(course_root))} || exit 1
shard=$SLURM_ARRAY_TASK_ID
{q(python)} -m autograder grade {q(str(submissions))} --out {q(str(out / SHARDS_DIR))}/shard-$shard \\
    --shard $shard/{shards} --jobs {jobs} --db-url none --format {fmt} --no-progress {' '.join(q(a) for a in grade_args)}
status=$?
# Recorded last: a shard that Slurm kills before this line has no .exit file, which the merge reports.
echo $status > {q(str(out / SHARDS_DIR))}/shard-$shard.exit
exit $status
""")
    merge = scripts / "merge.sbatch"
    db = f" --db-url {q(db_url)}" if db_url else ""
    only = f" --notebooks {q(','.join(names))}" if names else ""
    merge.write_text(f"""#!/bin/bash
#SBATCH --job-name=grade-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --output={q(str(scripts))}/merge.out
# Merges whatever the shards did; written by `python -m autograder slurm`.
cd {q(str(course_root))} || exit 1
exec {q(python)} -m autograder slurm-merge {q(str(out))} --shards {shards} --format {fmt}{db}{only}
""")
    return grade, merge


def _sbatch(args: list[str], env: dict | None) -> str:
    try:
        done = subprocess.run(["sbatch", "--parsable", *args], capture_output=True, text=True, env=env)
    except FileNotFoundError:
        raise SlurmError("sbatch was not found: run this on a Slurm login node (or load Slurm's module)") from None
    if done.returncode != 0:
        raise SlurmError(f"sbatch {' '.join(args)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip().split(";")[0]  # "jobid" or "jobid;cluster"


def submit(grade: Path, merge: Path, sbatch_args: list[str], *, wait: bool = False,
           env: dict | None = None) -> tuple[str, str, int | None]:
    """Submit the array, then the merge after it; returns (array id, merge id, merge exit code if waited)."""
    array = _sbatch([*sbatch_args, str(grade)], env)
    merge_args = [*sbatch_args, f"--dependency=afterany:{array}", "--kill-on-invalid-dep=yes"]
    if not wait:
        return array, _sbatch([*merge_args, str(merge)], env), None
    # --wait: sbatch returns when the merge job ends, with its exit code.
    try:
        done = subprocess.run(["sbatch", "--parsable", "--wait", *merge_args, str(merge)],
                              capture_output=True, text=True, env=env)
    except FileNotFoundError:
        raise SlurmError("sbatch was not found: run this on a Slurm login node (or load Slurm's module)") from None
    merge_id = done.stdout.strip().split(";")[0]
    if not merge_id:
        raise SlurmError(f"sbatch refused the merge job ({done.returncode}): {done.stderr.strip()}")
    return array, merge_id, done.returncode


def shard_outcomes(out: Path, shards: int) -> list[ShardOutcome]:
    outcomes = []
    for index in range(shards):
        marker = out / SHARDS_DIR / f"shard-{index}.exit"
        try:
            code = int(marker.read_text().strip())
        except (OSError, ValueError):
            code = None
        outcomes.append(ShardOutcome(index, code, out / SCRIPTS_DIR / f"grade-{index}.out"))
    return outcomes


def merge_shards(out: Path, shards: int, *, formats: tuple[str, ...] = ("csv",), db_url: str | None = None,
                 names: list[str] | None = None, course_root: Path = REPO_ROOT) -> list[ShardOutcome]:
    """Merge the shards that finished into ``out``; write ``out/shards.csv``; return every outcome."""
    out = Path(out).resolve()
    outcomes = shard_outcomes(out, shards)
    # A shard with no students writes no grading state; there is nothing of it to merge.
    finished = [_shard_dir(out, o.index) for o in outcomes if o.ok and (_shard_dir(out, o.index) / ".state").is_dir()]
    merge_outputs(finished, out, course_root=course_root, names=names, db_url=db_url, formats=formats)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["shard", "exit_status", "log"])
    for o in outcomes:
        writer.writerow([o.index, "" if o.exit_code is None else o.exit_code, o.log])
    (out / "shards.csv").write_text(table.getvalue())
    for o in outcomes:
        print(o.describe(), file=sys.stdout if o.ok else sys.stderr)
    return outcomes
