"""The grader's own side, bounded: checker workers, protocol bounds before parsing, the course secret.

A graded cell's setup and check sections run in a checker worker (autograder/checker.py), with a
deadline per section and a memory limit, so values a submission chose cannot stop or swell the
grader. The protocol refuses an oversize frame from its length header and a message with too many
JSON values from its raw bytes, before either is allocated. The course secret changes every hidden
input and no honest grade. The attacks of tests/hostile/grader/ (answers of notebook 07) are graded
here as one class beside an honest student.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from autograder import protocol, sandbox
from autograder.checker import Checker, cell_seed, course_secret
from autograder.course import REPO_ROOT
from autograder.grade import GradeOptions, RunOptions, grade_class, load_course
from autograder.pipeline import grade_one
from autograder.plan import SourceNotebook
from autograder.sandbox import Limits, SandboxEnded

from _support import notebook, read_grades, solution_answers, write_notebook
from lmtrain.notebook import nbgrader_meta

pytestmark = pytest.mark.xdist_group("autograder")  # starts sandboxes and checker workers
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="a memory cgroup needs root")
GRADER_ATTACKS = Path(__file__).parent / "hostile" / "grader"


# ---------------------------------------------------------------------------
# The course secret
# ---------------------------------------------------------------------------


def test_without_a_secret_the_seed_is_the_published_one():
    published = int.from_bytes(hashlib.sha256(b"cross_entropy_values").digest()[:4], "little")
    assert cell_seed("cross_entropy_values") == published
    assert cell_seed("cross_entropy_values", None) == cell_seed("cross_entropy_values", b"") == published


def test_each_secret_gives_other_seeds():
    ids = ["cross_entropy_values", "gradient_clipping_values", "load_checkpoint_resume_exact"]
    seeds = {secret: [cell_seed(g, secret) for g in ids] for secret in (None, b"one", b"two")}
    assert len({tuple(s) for s in seeds.values()}) == 3
    assert all(a != b for a, b in zip(seeds[b"one"], seeds[b"two"]))
    assert seeds[b"one"] == [cell_seed(g, b"one") for g in ids]  # stable


def test_the_secret_comes_from_a_file_outside_the_repository_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("LMTRAIN_COURSE_SECRET", raising=False)
    assert course_secret() is None
    monkeypatch.setenv("LMTRAIN_COURSE_SECRET", " from-env \n")
    assert course_secret() == b"from-env"
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(b"from-file\n")
    assert course_secret(secret_file, REPO_ROOT) == b"from-file"
    with pytest.raises(ValueError, match="inside the course repository"):
        course_secret(REPO_ROOT / "README.md", REPO_ROOT)
    (tmp_path / "empty").write_bytes(b"\n")
    with pytest.raises(ValueError, match="empty"):
        course_secret(tmp_path / "empty", REPO_ROOT)


@pytest.mark.parametrize("name, drawn", [
    # get_batch samples batches from the global generators; notebook 07's hidden runs were seeded from
    # literals once (make_run(seed=23), make_batches(6, seed=61)) and now draw from the cell's seed
    ("06_get_batch", {"drawn_windows", "single_window_firsts", "singles"}),
    ("07_checkpointing", {"saved_sgd", "saving_run", "first_load", "sgd_resumed_run", "group_resumed_run"}),
])
def test_two_secrets_give_other_inputs_and_the_same_grades(name, drawn, monkeypatch):
    course = load_course(REPO_ROOT, [name])
    data = json.dumps(notebook(solution_answers(name), name=name)).encode()
    sent: list = []
    real = Checker.add_values

    def recording(self, values, cell):
        sent.append({value: json.dumps(encoded, sort_keys=True) for value, encoded in values.items()})
        return real(self, values, cell)

    monkeypatch.setattr(Checker, "add_values", recording)
    results, drives = {}, {}
    for secret in (b"first secret", b"second secret"):
        sent.clear()
        options = GradeOptions(limits=Limits(memory_gb=1.0), isolate=False, secret=secret)
        results[secret] = grade_one(course, name, "s", {name: data}, options=options, feedback=False)
        drives[secret] = {value: encoded for values in sent for value, encoded in values.items()}
    for result in results.values():
        assert (result.status, result.score) == ("graded", result.max_score), result
    assert [t.score for t in results[b"first secret"].tests] == [t.score for t in results[b"second secret"].tests]
    # the drives ran on other inputs: what they sent back differs
    first, second = drives[b"first secret"], drives[b"second secret"]
    assert first.keys() == second.keys() and drawn <= first.keys()
    assert {value for value in drawn if first[value] == second[value]} == set()


_SEEN_SEEDS = """
### BEGIN HIDDEN TESTS
### SETUP
from lmtrain.seeds import cell_seed_for, current_cell_seed
setup_seeds = [current_cell_seed(), cell_seed_for(0), cell_seed_for(52)]
### DRIVE
seeds_in_sandbox = list(setup_seeds)
drive_cell_seed = current_cell_seed()
### CHECK
from lmtrain.seeds import cell_seed_for, current_cell_seed
assert current_cell_seed() == {cell_seed}, ("the check's cell seed", current_cell_seed())
assert drive_cell_seed == {cell_seed}, ("the drive's cell seed", drive_cell_seed)
assert seeds_in_sandbox == setup_seeds == [{cell_seed}, cell_seed_for(0), cell_seed_for(52)], seeds_in_sandbox
assert cell_seed_for(0) != cell_seed_for(52)
### END HIDDEN TESTS
"""


def test_the_sections_of_one_cell_share_its_seed_on_both_sides():
    # a setup that builds a model from a cell-derived seed, in the sandbox and in the grader, and a check
    # that builds it again, two sections later, must get the same seed: the sections' own seeds differ
    name, grade = "02_sgd", "SGD_update_rule"
    secret = b"a secret"
    course = load_course(REPO_ROOT, [name])
    source = json.loads(json.dumps(course[name].source))
    cell = next(c for c in source["cells"] if nbgrader_meta(c).get("grade_id") == grade)
    cell["source"] = cell["source"].rstrip("\n") + "\n" + _SEEN_SEEDS.format(cell_seed=cell_seed(grade, secret))
    course[name] = SourceNotebook.load(name, json.dumps(source).encode(), json.dumps(course[name].release).encode())
    data = json.dumps(notebook(solution_answers(name), name=name)).encode()
    options = GradeOptions(limits=Limits(memory_gb=1.0), isolate=False, secret=secret)
    result = grade_one(course, name, "s", {name: data}, options=options, feedback=False)
    test = next(t for t in result.tests if t.grade_id == grade)
    assert (test.status, test.score) == ("passed", test.max_score), test


# ---------------------------------------------------------------------------
# The checker worker
# ---------------------------------------------------------------------------


def _helper(source: str):
    return ("helper", SimpleNamespace(kind="check", source=source))


def test_a_checker_decodes_values_and_runs_sections_in_its_namespace():
    limits = Limits(notebook_timeout=60, cell_timeout=30, memory_gb=1.0)
    with Checker("import torch\n", [_helper("def double(x):\n    return 2 * x\n")], limits) as checker:
        assert {"torch", "double"} <= checker.base_names
        checker.begin_cell("one")
        checker.add_values({"got": protocol.encode_value(torch.arange(3))}, "one")
        assert checker.run("assert double(got).tolist() == [0, 2, 4]\nprint('seen')", "one", seed=3).stdout == "seen\n"
        failed = checker.run("assert got.sum() == 0, 'not zero'", "one")
        assert (failed.error_type, failed.error) == ("AssertionError", "AssertionError: not zero")
        checker.end_cell("one")
        checker.begin_cell("two")  # a fresh namespace: the last cell's values are gone
        assert checker.run("got", "two").error_type == "NameError"
        checker.add_values({"first": protocol.encode_value(1)}, "two")
        checker.add_values({"second": protocol.encode_value([2])}, "two")  # two drives before a check
        assert checker.run("assert (first, second) == (1, [2])", "two").error_type == ""
        checker.add_values({"unread": protocol.encode_value(3)}, "two")
        checker.end_cell("two")  # bound, though no check read it
        assert checker.run("assert unread == 3", "two").error_type == ""


@pytest.mark.parametrize("then", ["check", "end of the cell"])
def test_a_value_that_breaks_the_protocol_ends_the_notebook_as_a_crash(then):
    """The values travel with the next section the worker runs, or at the end of the cell if none
    does: either way a broken one ends the notebook, and the section does not run."""
    with Checker("", [], Limits(cell_timeout=30, memory_gb=1.0)) as checker:
        checker.begin_cell("bad")
        checker.add_values({"got": {"$": "tensor", "dtype": "float32", "shape": [2], "data": "AAAA"}}, "bad")
        with pytest.raises(SandboxEnded) as ended:
            if then == "check":
                checker.run("print('ran')", "bad")
            else:
                checker.end_cell("bad")
    assert ended.value.kind == "crash" and "protocol" in ended.value.detail


def test_a_check_that_never_ends_times_out():
    with Checker("", [], Limits(notebook_timeout=60, cell_timeout=2.0, memory_gb=1.0)) as checker:
        checker.begin_cell("spin")
        with pytest.raises(SandboxEnded) as ended:
            checker.run("while True:\n    pass\n", "spin", seed=1)
    assert ended.value.kind == "timeout" and "cell spin ran past 2 s" in ended.value.detail
    with Checker("", [], Limits(cell_timeout=60, memory_gb=1.0)) as after:  # the next notebook's checks
        after.begin_cell("after")
        assert after.run("x = 1", "after").error_type == ""


def test_no_lock_is_shared_or_outlives_a_killed_checker():
    """A check spinning in one notebook's worker does not delay another notebook's checks, and once
    that worker is killed nothing it held is left behind for the next one."""
    spinning = Checker("", [], Limits(notebook_timeout=600, cell_timeout=600, memory_gb=1.0))
    spinning.begin_cell("spin")
    ended: list = []
    about_to_spin = threading.Event()

    def spin():
        about_to_spin.set()
        try:
            spinning.run("while True:\n    pass\n", "spin")
        except SandboxEnded as exc:
            ended.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    about_to_spin.wait()
    try:
        with Checker("", [], Limits(cell_timeout=120, memory_gb=1.0)) as other:
            other.begin_cell("other")
            assert other.run("assert 1 + 1 == 2", "other").error_type == ""
        assert thread.is_alive() and not ended  # still spinning: the other check did not wait for it
    finally:
        spinning._kill()  # as at a deadline
    thread.join(60)
    assert [e.kind for e in ended] == ["crash"]
    spinning.close()
    with Checker("", [], Limits(cell_timeout=120, memory_gb=1.0)) as after:
        after.begin_cell("after")
        assert after.run("x = 1", "after").error_type == ""


def test_a_check_that_runs_out_of_memory_ends_as_memory():
    limits = Limits(cell_timeout=60, memory_gb=0.25)
    with Checker("import torch\n", [], limits) as checker:
        checker.begin_cell("fill")
        with pytest.raises(SandboxEnded) as ended:
            checker.run("x = torch.ones(2**28, dtype=torch.float64)", "fill")  # 2 GB
    assert ended.value.kind == "memory" and "0.25 GB" in ended.value.detail


@needs_root
def test_a_check_that_swallows_its_memory_error_still_ends_as_memory():
    """Pages are counted by the worker's memory cgroup: filling them kills the worker, whatever the
    check catches (here 0.4 GB of a 0.25 GB limit, inside the address-space backstop)."""
    limits = Limits(cell_timeout=60, memory_gb=0.25)
    with Checker("import torch\n", [], limits) as checker:
        checker.begin_cell("fill")
        with pytest.raises(SandboxEnded) as ended:
            checker.run("try:\n    x = torch.ones(50 * 2**20, dtype=torch.float64)\nexcept Exception:\n    pass",
                        "fill")
    assert ended.value.kind == "memory"


# ---------------------------------------------------------------------------
# Protocol bounds, before allocation
# ---------------------------------------------------------------------------


def _peak_bytes(function) -> int:
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_an_oversize_frame_is_refused_from_its_length_header():
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, struct.pack("!i", -1) + struct.pack("!Q", 2**40))  # "a terabyte follows"

        def read():
            with pytest.raises(protocol.ProtocolError, match="the limit is"):
                sandbox.read_frame(read_end, time.monotonic() + 5, protocol.MAX_MESSAGE_BYTES)

        assert _peak_bytes(read) < 2**20
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_reply_of_many_small_values_is_refused_before_it_is_parsed():
    """48 MB of zeros in a list: about a gigabyte once parsed. Refused from a count of its bytes."""
    data = b'{"index": 1, "values": {"got": [' + b"0," * (24 * 2**20) + b'0]}}'
    assert len(data) <= protocol.MAX_MESSAGE_BYTES

    def parse():
        with pytest.raises(protocol.ProtocolError, match="JSON values"):
            protocol.loads(data)

    assert _peak_bytes(parse) < 2**20


def test_honest_messages_pass_the_value_count():
    tensor = protocol.encode_value(torch.randn(1000, 1000))
    message = protocol.dumps({"index": 1, "values": {"a": tensor, "b": list(range(100_000))}})
    assert protocol.loads(message)["values"]["a"]["shape"] == [1000, 1000]


def test_requests_keep_the_bytes_the_sandbox_reads():
    # written out by hand: the sandbox's runner reads these keys, and a reordering would change the frames
    assert protocol.dumps(protocol.ExecRequest(1, "f", "x = 1").to_json()) == (
        b'{"source": "x = 1", "op": "exec", "index": 1, "name": "f", "exports": []}')
    assert protocol.dumps(protocol.ExecRequest(2, "f_values", "", graded_begin=True).to_json()) == (
        b'{"source": "", "graded_begin": true, "op": "exec", "index": 2, "name": "f_values", "exports": []}')
    assert protocol.dumps(protocol.ExecRequest(3, "f_values", "got = f(x)", ("got",), seed=0).to_json()) == (
        b'{"source": "got = f(x)", "seed": 0, "op": "exec", "index": 3, "name": "f_values", "exports": ["got"]}')
    # a graded cell's section: its own seed, then the cell's (main's {"source", "seed", "cell_seed"} dict)
    assert protocol.dumps(protocol.ExecRequest(5, "f_values", "got = f(x)", ("got",), seed=7, cell_seed=6).to_json()) == (
        b'{"source": "got = f(x)", "seed": 7, "cell_seed": 6, "op": "exec", "index": 5, "name": "f_values", '
        b'"exports": ["got"]}')
    assert protocol.dumps(protocol.GradedEndRequest(4).to_json()) == b'{"op": "graded_end", "index": 4}'


# ---------------------------------------------------------------------------
# The attacks on the grader's side, graded as a class beside an honest student
# ---------------------------------------------------------------------------


def _expect(path: Path) -> dict:
    line = next(l for l in path.read_text(encoding="utf-8").splitlines() if l.startswith("# expect:"))
    return dict(item.split("=", 1) for item in line[9:].split())


GRADER_ATTACK_NAMES = sorted(p.stem for p in GRADER_ATTACKS.glob("*.py"))


@pytest.fixture(scope="module")
def grader_attack_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("grader-attacks")
    names = set()
    for attack in GRADER_ATTACK_NAMES:
        want = _expect(GRADER_ATTACKS / f"{attack}.py")
        name = want["notebook"]
        names.add(name)
        answers = {**solution_answers(name), want["answer"]: (GRADER_ATTACKS / f"{attack}.py").read_text("utf-8")}
        write_notebook(root / "subs" / attack / f"{name}.ipynb", notebook(answers, name=name))
    for name in names:
        write_notebook(root / "subs" / f"honest_{name}" / f"{name}.ipynb", notebook(solution_answers(name), name=name))
    # As root, isolated: the checker worker then shares its notebook's memory cgroup, one --memory for
    # both. 20 s per section is far above what an honest check of notebook 07 needs on a busy machine.
    limits = Limits(notebook_timeout=300.0, cell_timeout=20.0, memory_gb=0.5, max_processes=64)
    out = root / "out"
    options = GradeOptions(limits=limits, isolate=os.geteuid() == 0)
    grade_class(root / "subs", out, options=options, run=RunOptions(jobs=2, names=sorted(names), progress=False))
    return {"out": out, "names": names}


@pytest.mark.parametrize("attack", GRADER_ATTACK_NAMES)
def test_a_grader_side_attack_ends_its_own_notebook(grader_attack_class, attack):
    if "memory" in _expect(GRADER_ATTACKS / f"{attack}.py")["status"] and os.geteuid() != 0:
        pytest.skip("a memory cgroup needs root")
    want = _expect(GRADER_ATTACKS / f"{attack}.py")
    row = read_grades(grader_attack_class["out"])[(attack, want["notebook"])]
    assert row["status"] in want["status"].split("|"), (attack, row["status"], row.get("detail"))


def test_the_rest_of_the_class_is_graded(grader_attack_class):
    grades = read_grades(grader_attack_class["out"])
    for name in grader_attack_class["names"]:
        row = grades[(f"honest_{name}", name)]
        assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]), row
