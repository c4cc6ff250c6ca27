"""`python -m autograder slurm` on a real single-node Slurm cluster.

The cluster (tests/slurm_cluster.py) runs from Debian's packages, which `.ci/run` installs; without
them, or without root, these tests skip and say why. Each test submits a job array and the merge job
with `--wait`, so a merge that waited forever would hang the test (the `timeout` of each run guards it).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _support import honest_submission, submission_with_answer
from autograder.course import REPO_ROOT
from lmtrain.loader import notebook_path
from slurm_cluster import Unavailable, start_cluster

NB = "01_cross_entropy"
WRONG_CE = "def cross_entropy(inputs, targets):\n    return torch.zeros(()) + 0.5\n"
HOARD = "hoard = [bytearray(2**26) for _ in range(10_000)]\n"  # ~640 GiB if nothing stops it
LIMITS = ["--timeout", "600", "--cell-timeout", "120", "--memory", "1", "--max-processes", "32"]
COMPARED = ("grades.csv", "report.json", "integrity.csv")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("slurm")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        running = start_cluster(tmp_path_factory.mktemp("slurm") / "cluster", cpus=2)
    except Unavailable as exc:
        pytest.skip(str(exc))
    yield running
    running.stop()


def _class(root: Path, students: dict[str, bytes]) -> Path:
    for student, content in students.items():
        (root / student).mkdir(parents=True)
        (root / student / f"{NB}.ipynb").write_bytes(content)
    return root


def _blank() -> bytes:
    return notebook_path(NB, "notebooks").read_bytes()


def _cli(args: list[str], env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _tree(folder: Path) -> dict[str, bytes]:
    files = {name: (folder / name).read_bytes() for name in COMPARED}
    for path in sorted((folder / "feedback").rglob("*")):
        if path.is_file():
            files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def _grades(folder: Path) -> dict[str, tuple[str, str]]:
    with open(folder / "grades.csv", newline="") as handle:
        return {row["student_id"]: (row["score"], row["status"]) for row in csv.DictReader(handle)}


def test_slurm_array_and_merge_equal_a_local_run(cluster, tmp_path):
    subs = _class(tmp_path / "subs", {
        "ada": _honest(),
        "bo": submission_with_answer("cross_entropy", WRONG_CE),
        "cy": _blank(),
        "di": _honest(),
    })
    local = _cli(["grade", str(subs), "--out", str(tmp_path / "local"), "--notebooks", NB, "--db-url", "none",
                  "--no-progress", *LIMITS])
    assert local.returncode == 0, local.stderr
    run = _cli(["slurm", str(subs), "--out", str(tmp_path / "slurm"), "--shards", "3", "--notebooks", NB,
                "--wait", *LIMITS], env=cluster.env)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stderr
    assert "submitted the array" in run.stdout
    merged, whole = _tree(tmp_path / "slurm"), _tree(tmp_path / "local")
    assert merged.keys() == whole.keys()
    different = [name for name in merged if merged[name] != whole[name]]
    assert not different, f"the Slurm merge differs from a local run in {different}"
    shards = (tmp_path / "slurm" / "shards.csv").read_text().splitlines()
    assert shards[0] == "shard,exit_status,log" and all(line.split(",")[1] == "0" for line in shards[1:])


def test_a_failed_shard_is_reported_and_the_merge_still_runs(cluster, tmp_path):
    subs = _class(tmp_path / "subs", {name: _honest() for name in ("ada", "bo", "cy", "di", "ed", "flo")})
    out = tmp_path / "out"
    # Shard 1's output folder cannot be created (a file is in the way): that array task fails.
    (out / "shards").mkdir(parents=True)
    (out / "shards" / "shard-1").write_text("in the way\n")
    run = _cli(["slurm", str(subs), "--out", str(out), "--shards", "2", "--notebooks", NB, "--wait", *LIMITS],
               env=cluster.env)
    print(run.stdout, run.stderr)
    assert run.returncode == 1, "the merge job must fail when a shard failed"
    merge_log = (out / "slurm" / "merge.out").read_text()
    assert "shard 1: failed with exit status" in merge_log and "shard 0: done" in merge_log
    from autograder.grade import shard_of

    graded = _grades(out)
    assert set(graded) == {s for s in os.listdir(subs) if shard_of(s, 2) == 0}
    assert all(status == "graded" for _, status in graded.values())


def test_the_sandbox_not_slurm_stops_a_memory_hog(cluster, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the sandbox's memory cgroup needs root")
    subs = _class(tmp_path / "subs", {"hog": _honest(perplexity=HOARD), "ada": _honest()})
    # Slurm here has no cgroup plugin, so its --mem is a request, not a limit: only the grader's holds.
    run = _cli(["slurm", str(subs), "--out", str(tmp_path / "out"), "--shards", "1", "--notebooks", NB, "--wait",
                "--timeout", "600", "--cell-timeout", "300", "--memory", "0.5", "--max-processes", "32"],
               env=cluster.env)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stderr
    graded = _grades(tmp_path / "out")
    assert graded["hog"][1] == "memory" and graded["ada"][1] == "graded"
    assert "TaskPlugin=task/none" in (cluster.folder / "slurm.conf").read_text()


def _honest(**answers: str) -> bytes:
    return honest_submission(NB, **answers)
